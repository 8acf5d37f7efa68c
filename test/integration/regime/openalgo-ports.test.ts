import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chainAnalytics,
  expiryIso,
  istDate,
  openAlgoRegimePorts,
  RegimeAgent,
  type RegimePorts,
  type RegimeTick,
} from '../../../src/agents/regime/index.js';
import { OpenAlgoClient } from '../../../src/broker/index.js';
import type { Bus, EventHandler, Topics } from '../../../src/bus/bus.js';
import { type Clock, realDelay, SystemClock } from '../../../src/clock/index.js';
import type { TomicEvent } from '../../../src/contracts/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { FeedManager } from '../../../src/market/index.js';
import { type RunningSimulator, startSimulator } from '../../../src/sim/index.js';
import { migrateAll, openDatabase } from '../../../src/store/index.js';
import { AtomicRegimeState } from '../../../src/store/regime-state.js';
import { REGIME_TEST_PARAMS } from '../../support/regime-params.js';

// RegimePorts over the real OpenAlgo client and feed manager, against our OpenAlgo-compatible
// simulator on 127.0.0.1 (REST history / expiry / optionchain, WebSocket QUOTE ticks). The simulator
// replays recorded sessions, so its market date is not today: the ports get a clock whose wall time
// is the simulator's market time (live, the exchange's time is the wall time).

let sim: RunningSimulator;
let client: OpenAlgoClient;
let feed: FeedManager;
let ports: RegimePorts;
let clock: Clock;
const system = new SystemClock();
const HOUR = 3_600_000;

beforeAll(async () => {
  sim = await startSimulator({ tickIntervalMs: 1_000 });
  // Three hours of market: 36 closed 5-minute bars of history.
  sim.market.step(3 * HOUR);
  const market = sim.market;
  clock = {
    monotonicMs: () => system.monotonicMs(),
    wallMs: () => market.now(),
    setTimeout: (fn, ms) => system.setTimeout(fn, ms),
    clearTimeout: (h) => system.clearTimeout(h),
    sleep: (ms, signal) => system.sleep(ms, signal),
  };
  client = new OpenAlgoClient({ baseUrl: sim.restUrl, apiKey: sim.apiKey, timeoutMs: 5_000, clock: system });
  feed = new FeedManager({
    primaryUrl: sim.wsPrimaryUrl,
    fallbackUrl: sim.wsFallbackUrl,
    apiKey: sim.apiKey,
    clock: system,
  });
  feed.start();
  ports = openAlgoRegimePorts({ client, feed, clock });
});
afterAll(async () => {
  await feed?.stop();
  await client?.close();
  await sim?.stop();
});

describe('openAlgoRegimePorts', () => {
  it('history: closed 5-minute bars, oldest first, aligned, at most `count`', async () => {
    const bars = await ports.history('NIFTY', 300_000, 156);
    expect(bars.length).toBeGreaterThanOrEqual(30);
    expect(bars.length).toBeLessThanOrEqual(156);
    const now = clock.wallMs();
    for (let i = 0; i < bars.length; i++) {
      const b = bars[i]!;
      expect(b.timeMs % 300_000).toBe(0);
      expect(b.timeMs + 300_000).toBeLessThanOrEqual(now);
      expect(b.low).toBeLessThanOrEqual(Math.min(b.open, b.close));
      expect(b.high).toBeGreaterThanOrEqual(Math.max(b.open, b.close));
      if (i > 0) expect(b.timeMs).toBeGreaterThan(bars[i - 1]!.timeMs);
    }
  });

  it('history at an interval OpenAlgo does not serve (2.5 min) is built from 1-minute bars', async () => {
    const bars = await ports.history('NIFTY', 150_000, 20);
    expect(bars).toHaveLength(20);
    for (const b of bars) expect(b.timeMs % 150_000).toBe(0);
  });

  it('fetchChain: nearest expiry as a ChainSnapshot on the monotonic clock, usable by the analytics', async () => {
    const before = clock.monotonicMs();
    const snap = await ports.fetchChain('NIFTY');
    expect(snap).not.toBeNull();
    expect(snap!.underlying).toBe('NIFTY');
    expect(snap!.spot).toBeGreaterThan(0);
    expect(snap!.asOfMs).toBeGreaterThanOrEqual(before);
    expect(snap!.expiries).toHaveLength(1);
    expect(snap!.expiries[0]!.expiry >= istDate(clock.wallMs())).toBe(true);
    expect(snap!.expiries[0]!.rows.length).toBeGreaterThan(10);
    const a = chainAnalytics(snap!, { wallMs: clock.wallMs() });
    expect(a.pcr).not.toBeNull();
    expect(a.maxPain).not.toBeNull();
  });

  it('subscribeTicks: QUOTE ticks of the index and India VIX, until unsubscribed', async () => {
    const got: RegimeTick[] = [];
    const off = ports.subscribeTicks(['NIFTY', 'INDIAVIX'], (t) => got.push(t));
    for (let waited = 0; waited < 10_000; waited += 20) {
      if (got.some((t) => t.symbol === 'NIFTY') && got.some((t) => t.symbol === 'INDIAVIX')) break;
      await realDelay(20);
    }
    off();
    expect(got.some((t) => t.symbol === 'NIFTY' && t.price > 0)).toBe(true);
    expect(got.some((t) => t.symbol === 'INDIAVIX' && t.price > 0)).toBe(true);
    expect(got.every((t) => Number.isFinite(t.timeMs) && Number.isFinite(t.monoMs))).toBe(true);
    const n = got.length;
    await realDelay(200);
    expect(got.length).toBe(n);
  });
});

describe('RegimeAgent over OpenAlgo ports (simulator)', () => {
  it('warms up from /history and publishes a versioned regime for NIFTY and BANKNIFTY', async () => {
    // Into the second session: 75 + 9 five-minute bars of history, more than the 78 of warm-up.
    sim.market.step(4 * HOUR);
    const events: TomicEvent[] = [];
    const bus: Bus = {
      publish: (e) => events.push(e),
      subscribe: (_t: Topics, _h: EventHandler) => () => {},
      stats: () => ({ published: events.length, received: 0, malformed: 0, dropped: 0 }),
      close: async () => {},
    };
    const dir = mkdtempSync(join(tmpdir(), 'tomic-regime-sim-'));
    migrateAll(dir);
    const opened = AtomicRegimeState.open(openDatabase(dir, 'positions'));
    if (!opened.ok) throw new Error(opened.message);
    const agent = new RegimeAgent(
      { name: 'regime', clock, bus, logger: silentLogger(), heartbeatIntervalMs: 60_000 },
      {
        underlyings: ['NIFTY', 'BANKNIFTY'],
        regime: REGIME_TEST_PARAMS,

        freshness: {
          underlyingQuoteMaxAgeMs: 5_000,
          optionQuoteMaxAgeMs: 10_000,
          feedSwitchCooldownMs: 30_000,
          pcrMaxAgeMs: 120_000,
          gexMaxAgeMs: 120_000,
          maxPainMaxAgeMs: 300_000,
          greeksMaxAgeMs: 60_000,
          greeksApiMaxAgeMs: 120_000,
          vixMaxAgeMs: 60_000,
        },
        ports,
        state: opened.state,
        chainIntervalMs: 60_000,
      },
    );
    await agent.start();
    try {
      const updates = () => events.filter((e) => e.event_type === 'REGIME_UPDATE');
      for (let waited = 0; waited < 20_000 && updates().length < 2; waited += 20) await realDelay(20);
      const got = updates().map((e) => e.payload as { underlying: string; version: number });
      expect(got.map((u) => u.underlying)).toEqual(['NIFTY', 'BANKNIFTY']);
      expect(got.map((u) => u.version)).toEqual([1, 2]);
      const snap = opened.state.readSnapshot();
      expect(snap.version).toBe(2);
      // The chain was fetched before the first decision: the §4 analytics flags are clear.
      expect(snap.regimes.NIFTY?.flags).not.toContain('PCR_STALE');
      expect(snap.regimes.NIFTY?.indicators.pcr).not.toBeNull();
    } finally {
      await agent.stop();
      opened.state.release();
    }
  });
});

describe('date helpers', () => {
  it('expiryIso and istDate', () => {
    expect(expiryIso('30DEC25')).toBe('2025-12-30');
    expect(expiryIso('30XYZ25')).toBeNull();
    // 20:00 UTC is already the next day in IST.
    expect(istDate(Date.UTC(2025, 11, 30, 20))).toBe('2025-12-31');
  });
});
