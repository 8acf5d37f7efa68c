import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  aggregateBars,
  type HistoryBar,
  type OhlcBar,
  RegimeAgent,
  type RegimeAgentOptions,
  type RegimePorts,
  type RegimeTick,
} from '../../../src/agents/regime/index.js';
import type { Bus, BusStats, EventHandler, Topics } from '../../../src/bus/bus.js';
import { VirtualClock } from '../../../src/clock/index.js';
import type { EventOf, TomicEvent } from '../../../src/contracts/index.js';
import { silentLogger } from '../../../src/log/index.js';
import type { ChainSnapshot } from '../../../src/quant/chain/index.js';
import { migrateAll, openDatabase } from '../../../src/store/index.js';
import { AtomicRegimeState } from '../../../src/store/regime-state.js';
import { REGIME_TEST_PARAMS } from '../../support/regime-params.js';
import { readIntraday } from './replay-data.js';

// The Regime agent on a VirtualClock: fake bus and ports, a real SQLite AtomicRegimeState. The feed is
// replayed from recorded bars (four ticks a bar: open, high, low, close) so the decisions are real ones.

const FIVE = 300_000;
const MIN = 60_000;
const HEARTBEAT_MS = 60_000;
const CHAIN_MS = 120_000;

/** In-process bus that records what is published (the agent only publishes). */
class RecordingBus implements Bus {
  readonly events: TomicEvent[] = [];
  readonly #handlers: Array<{ topics: Topics; fn: EventHandler }> = [];
  publish(event: TomicEvent): void {
    this.events.push(event);
    for (const h of this.#handlers) {
      if (h.topics === '*' || h.topics.includes(event.event_type)) h.fn(event);
    }
  }
  subscribe(topics: Topics, fn: EventHandler): () => void {
    const h = { topics, fn };
    this.#handlers.push(h);
    return () => this.#handlers.splice(this.#handlers.indexOf(h), 1);
  }
  stats(): BusStats {
    return { published: this.events.length, received: 0, malformed: 0, dropped: 0 };
  }
  async close(): Promise<void> {}
  of<T extends TomicEvent['event_type']>(type: T): EventOf<T>[] {
    return this.events.filter((e) => e.event_type === type) as EventOf<T>[];
  }
}

/** Ports over recorded bars: history up to the clock's wall time, ticks pushed by the test. */
class FakePorts implements RegimePorts {
  listener: ((t: RegimeTick) => void) | null = null;
  unsubscribed = 0;
  chainCalls = 0;
  readonly historyCalls: string[] = [];
  constructor(
    readonly clock: VirtualClock,
    readonly bars: ReadonlyMap<string, readonly OhlcBar[]>,
    readonly vix: number,
  ) {}
  async history(symbol: string, intervalMs: number, count: number): Promise<readonly HistoryBar[]> {
    this.historyCalls.push(symbol);
    const now = this.clock.wallMs();
    if (symbol === 'INDIAVIX')
      return [{ timeMs: now - 2 * intervalMs, open: 14, high: 14, low: 14, close: 14 }];
    const all = this.bars.get(symbol) ?? [];
    return all.filter((b) => b.timeMs + intervalMs <= now).slice(-count);
  }
  subscribeTicks(_symbols: readonly string[], onTick: (t: RegimeTick) => void): () => void {
    this.listener = onTick;
    return () => {
      this.unsubscribed++;
      this.listener = null;
    };
  }
  async fetchChain(underlying: string): Promise<ChainSnapshot | null> {
    this.chainCalls++;
    const spot = underlying === 'NIFTY' ? 25_500 : 41_000;
    const step = underlying === 'NIFTY' ? 50 : 100;
    const rows = [-2, -1, 0, 1, 2].map((k) => ({
      strike: spot + k * step,
      ce: { ltp: 100 - 20 * k, oi: 100_000, iv: 0.12 },
      pe: { ltp: 100 + 20 * k, oi: 130_000, iv: 0.13 },
    }));
    return { underlying, spot, asOfMs: this.clock.monotonicMs(), expiries: [{ expiry: '2030-01-01', rows }] };
  }
  tick(symbol: string, price: number): void {
    this.listener?.({ symbol, price, timeMs: this.clock.wallMs(), monoMs: this.clock.monotonicMs() });
  }
}

const REGIME: RegimeAgentOptions['regime'] = {
  ...REGIME_TEST_PARAMS,
  barIntervalMs: FIVE,
  congestionBandPct: 0.1,
};
const FRESHNESS: RegimeAgentOptions['freshness'] = {
  underlyingQuoteMaxAgeMs: 5_000,
  optionQuoteMaxAgeMs: 10_000,
  feedSwitchCooldownMs: 30_000,
  pcrMaxAgeMs: 120_000,
  gexMaxAgeMs: 120_000,
  maxPainMaxAgeMs: 300_000,
  greeksMaxAgeMs: 60_000,
  greeksApiMaxAgeMs: 120_000,
  vixMaxAgeMs: 60_000,
};

const nifty = readIntraday('nifty50_5min_2025-11_2026-01.csv');
// BANKNIFTY's 2023 session, shifted onto NIFTY's dates (same 09:15 alignment) to run both at once.
const bnRaw = aggregateBars(readIntraday('banknifty_1min_2023-04_2023-06.csv'), FIVE);
const shift = nifty[0]!.timeMs - bnRaw[0]!.timeMs;
const banknifty = bnRaw.map((b) => ({ ...b, timeMs: b.timeMs + shift }));
/** Start inside session 3 (bar 200 = 2025-11-12 13:05 IST), when history covers the warm-up. */
const START = 200;

interface Rig {
  clock: VirtualClock;
  bus: RecordingBus;
  ports: FakePorts;
  agent: RegimeAgent;
  state: AtomicRegimeState;
  dir: string;
}
const rigs: Rig[] = [];

function rig(dir = mkdtempSync(join(tmpdir(), 'tomic-regime-agent-'))): Rig {
  migrateAll(dir);
  const opened = AtomicRegimeState.open(openDatabase(dir, 'positions'));
  if (!opened.ok) throw new Error(opened.message);
  const clock = new VirtualClock({ monotonicMs: 5_000_000, wallMs: nifty[START]!.timeMs });
  const bus = new RecordingBus();
  const ports = new FakePorts(
    clock,
    new Map([
      ['NIFTY', nifty],
      ['BANKNIFTY', banknifty],
    ]),
    14,
  );
  const agent = new RegimeAgent(
    { name: 'regime', clock, bus, logger: silentLogger(), heartbeatIntervalMs: HEARTBEAT_MS, pid: 4242 },
    {
      underlyings: ['NIFTY', 'BANKNIFTY'],
      regime: REGIME,
      freshness: FRESHNESS,
      ports,
      state: opened.state,
      chainIntervalMs: CHAIN_MS,
    },
  );
  const r = { clock, bus, ports, agent, state: opened.state, dir };
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.agent.stop();
    r.state.release();
  }
});

/**
 * Replays bars i ∈ [from, to) as ticks: open, high, low, close at +0 s, +75 s, +150 s, +225 s; the
 * next bar's open closes the bar (its last 75 s pass without ticks, inside the timer's grace).
 */
async function drive(r: Rig, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const n = nifty[i]!;
    const b = banknifty[i]!;
    // Overnight: the session gap passes on the virtual clock (timers and all).
    const gap = n.timeMs - r.clock.wallMs();
    expect(gap).toBeGreaterThanOrEqual(0);
    if (gap > 0) await r.clock.advanceAsync(gap);
    for (const [k, key] of (['open', 'high', 'low', 'close'] as const).entries()) {
      r.ports.tick('NIFTY', n[key]);
      r.ports.tick('BANKNIFTY', b[key]);
      if (k === 0) r.ports.tick('INDIAVIX', 14 + (i % 5) * 0.1);
      await r.clock.advanceAsync(75_000);
    }
  }
}

describe('RegimeAgent', () => {
  it('warms up from history, publishes versioned REGIME_UPDATEs, and the state store matches', async () => {
    const r = rig();
    await r.agent.start();
    await r.clock.advanceAsync(0);
    expect(r.ports.historyCalls).toEqual(['NIFTY', 'BANKNIFTY', 'INDIAVIX']);
    expect(r.agent.engine('NIFTY')?.warm).toBe(true);
    // One update per underlying right after the warm-up.
    expect(r.bus.of('REGIME_UPDATE').map((e) => e.payload.underlying)).toEqual(['NIFTY', 'BANKNIFTY']);

    await drive(r, START, START + 60);
    const updates = r.bus.of('REGIME_UPDATE');
    expect(updates.length).toBeGreaterThan(4);
    const versions = updates.map((e) => e.payload.version);
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBe(versions[i - 1]! + 1);

    // Only changes are published: consecutive updates of one underlying differ in class or flags.
    for (const u of ['NIFTY', 'BANKNIFTY']) {
      const mine = updates.filter((e) => e.payload.underlying === u).map((e) => e.payload);
      for (let i = 1; i < mine.length; i++) {
        const a = mine[i - 1]!;
        const b = mine[i]!;
        expect(a.regime !== b.regime || a.flags.join() !== b.flags.join()).toBe(true);
      }
    }

    // §8: the store holds exactly what was published last, at the last version.
    const snap = r.state.readSnapshot();
    expect(snap.version).toBe(versions[versions.length - 1]);
    for (const u of ['NIFTY', 'BANKNIFTY']) {
      const last = updates.filter((e) => e.payload.underlying === u).at(-1)!.payload;
      expect(snap.regimes[u]).toEqual(last);
      expect(r.agent.latest(u)).toEqual(last);
    }

    // Class changes raise [REGIME] alerts, each right after the update that changed the class.
    const alerts = r.bus.of('ALERT');
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) {
      expect(a.payload.level).toBe('REGIME');
      const d = a.payload.details as { underlying: string; from: string; to: string; version: number };
      expect(d.from).not.toBe(d.to);
      const idx = r.bus.events.indexOf(a);
      const before = r.bus.events[idx - 1] as EventOf<'REGIME_UPDATE'>;
      expect(before.event_type).toBe('REGIME_UPDATE');
      expect(before.payload).toMatchObject({ underlying: d.underlying, regime: d.to, version: d.version });
    }
    // Every event is attributed to the regime agent.
    expect(r.bus.events.every((e) => e.source_agent === 'regime')).toBe(true);
  });

  it('fetches the chain at start and every chainIntervalMs; fresh analytics clear the §4 flags', async () => {
    const r = rig();
    await r.agent.start();
    await r.clock.advanceAsync(0);
    expect(r.ports.chainCalls).toBe(2);
    const first = r.agent.latest('NIFTY')!;
    expect(first.flags).not.toContain('PCR_STALE');
    expect(first.indicators.pcr).toBeCloseTo(1.3, 9);
    expect(first.indicators.max_pain).not.toBeNull();
    await drive(r, START, START + 8); // 40 minutes
    expect(r.ports.chainCalls).toBe(2 + 2 * Math.floor((40 * MIN) / CHAIN_MS));
  });

  it('publishes a heartbeat at start and every heartbeatIntervalMs; stop() resolves and cleans up', async () => {
    const r = rig();
    await r.agent.start();
    await r.clock.advanceAsync(3 * HEARTBEAT_MS);
    const beats = r.bus.of('HEARTBEAT');
    expect(beats.length).toBeGreaterThanOrEqual(4);
    expect(beats.map((b) => b.payload.seq)).toEqual(beats.map((_, i) => i));
    expect(beats.every((b) => b.payload.agent === 'regime' && b.payload.pid === 4242)).toBe(true);
    await r.agent.stop();
    expect(r.agent.status).toBe('STOPPED');
    expect(r.ports.unsubscribed).toBe(1);
    expect(r.clock.pendingTimers()).toBe(0);
    expect(r.bus.of('HEARTBEAT').at(-1)!.payload.status).toBe('STOPPING');
  });

  it('a quiet feed still closes the bar by timer (end + grace)', async () => {
    const r = rig();
    await r.agent.start();
    await r.clock.advanceAsync(0);
    const bars = r.agent.engine('NIFTY')!.stats().bars;
    r.ports.tick('NIFTY', nifty[START]!.close);
    await r.clock.advanceAsync(FIVE - 1);
    expect(r.agent.engine('NIFTY')!.stats().bars).toBe(bars);
    await r.clock.advanceAsync(2_001);
    expect(r.agent.engine('NIFTY')!.stats().bars).toBe(bars + 1);
  });

  it('the bar timer runs on market time (tick time), not the host wall clock', async () => {
    // Sandbox: the simulator may replay another date. A host clock a year ahead must not close bars.
    const r = rig();
    await r.agent.start();
    await r.clock.advanceAsync(0);
    const bars = r.agent.engine('NIFTY')!.stats().bars;
    const marketStart = r.clock.wallMs();
    r.clock.jumpWall(365 * 86_400_000);
    r.ports.listener?.({
      symbol: 'NIFTY',
      price: 25_600,
      timeMs: marketStart,
      monoMs: r.clock.monotonicMs(),
    });
    await r.clock.advanceAsync(FIVE - 1);
    expect(r.agent.engine('NIFTY')!.stats().bars).toBe(bars);
    await r.clock.advanceAsync(2_001);
    expect(r.agent.engine('NIFTY')!.stats().bars).toBe(bars + 1);
  });

  it('a VIX jump above vixNoTrade is published at once, without waiting for the bar', async () => {
    const r = rig();
    await r.agent.start();
    await r.clock.advanceAsync(0);
    r.ports.tick('INDIAVIX', 14);
    await r.clock.advanceAsync(1_000);
    const before = r.bus.of('REGIME_UPDATE').length;
    r.ports.tick('INDIAVIX', 36);
    const after = r.bus.of('REGIME_UPDATE').slice(before);
    expect(after.map((e) => [e.payload.underlying, e.payload.regime])).toEqual([
      ['NIFTY', 'NO_TRADE'],
      ['BANKNIFTY', 'NO_TRADE'],
    ]);
    expect(after.every((e) => e.payload.flags.includes('VIX_NO_TRADE'))).toBe(true);
    expect(r.state.readSnapshot().regimes.NIFTY?.regime).toBe('NO_TRADE');
  });

  it('after a restart, a class change against the persisted regime still alerts', async () => {
    const r1 = rig();
    await r1.agent.start();
    await r1.clock.advanceAsync(0);
    const persisted = r1.state.readSnapshot();
    await r1.agent.stop();
    r1.state.release();
    rigs.splice(rigs.indexOf(r1), 1);

    const r2 = rig(r1.dir);
    await r2.agent.start();
    await r2.clock.advanceAsync(0);
    r2.ports.tick('INDIAVIX', 40);
    const u = r2.bus.of('REGIME_UPDATE').at(-1)!.payload;
    expect(u.version).toBeGreaterThan(persisted.version);
    const alert = r2.bus
      .of('ALERT')
      .find((a) => (a.payload.details as { underlying: string }).underlying === 'NIFTY');
    expect(alert?.payload.details).toMatchObject({ from: persisted.regimes.NIFTY?.regime, to: 'NO_TRADE' });
  });
});
