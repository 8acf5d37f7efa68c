import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FundsSnapshot,
  RiskAgent,
  type RiskAgentOptions,
  type RiskPorts,
} from '../../../src/agents/risk/index.js';
import { InMemoryBus } from '../../../src/bus/index.js';
import { VirtualClock } from '../../../src/clock/index.js';
import type { PayloadOf, PositionRow, TomicEvent } from '../../../src/contracts/index.js';
import { silentLogger } from '../../../src/log/index.js';
import {
  CommandStore,
  type Database,
  openDatabase,
  type PositionSnapshot,
  retryPolicy,
} from '../../../src/store/index.js';
import type { StrategyChain } from '../../../src/strategy/index.js';
import { riskConfig } from '../../unit/risk/fixtures.js';
import { chainOf, UPSTOX_0621 } from '../../unit/strategy/chain-fixture.js';

const F = UPSTOX_0621;
const CHAIN = chainOf(F.id, 'NIFTY', F.spot, { lotSize: 25 });
const NSE_CHAIN = chainOf('nse_web_2026-04-20', 'NIFTY', 24_000, { lotSize: 65 });
const BOOT = 1_000_000;

class FakePositions {
  snapshot: PositionSnapshot = { version: 0, positions: [], realizedPnl: 0 };
  reads = 0;
  currentVersion() {
    return this.snapshot.version;
  }
  readSnapshot() {
    this.reads++;
    return this.snapshot;
  }
  set(positions: PositionRow[], version: number) {
    this.snapshot = { version, positions, realizedPnl: 0 };
  }
}

interface Rig {
  clock: VirtualClock;
  bus: InMemoryBus;
  store: CommandStore;
  db: Database;
  agent: RiskAgent;
  events: TomicEvent[];
  positions: FakePositions;
  funds: { fail: boolean; calls: number };
  chain: { current: StrategyChain };
  regimes: { current: Record<string, PayloadOf<'REGIME_UPDATE'>>; version: number };
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.agent.stop();
    r.store.close();
    r.db.close();
  }
});

async function rig(
  opts: {
    env?: Record<string, string>;
    wallMs?: number;
    chain?: StrategyChain;
    agent?: Partial<RiskAgentOptions>;
  } = {},
): Promise<Rig> {
  const clock = new VirtualClock({ monotonicMs: BOOT, wallMs: opts.wallMs ?? F.wallMs });
  const bus = new InMemoryBus();
  const db = openDatabase(mkdtempSync(join(tmpdir(), 'tomic-risk-')), 'commands');
  const store = new CommandStore(db, { clock, retry: retryPolicy(), leaseMs: 30_000 });
  const positions = new FakePositions();
  const funds = { fail: false, calls: 0 };
  const chain = { current: opts.chain ?? CHAIN };
  const regimes = { current: {} as Record<string, PayloadOf<'REGIME_UPDATE'>>, version: 0 };
  const ports: RiskPorts = {
    chains: { fetch: async () => ({ ...chain.current, asOfMs: clock.monotonicMs() }) },
    funds: {
      fetch: async (): Promise<FundsSnapshot> => {
        funds.calls++;
        if (funds.fail) throw new Error('broker down');
        return { availableMargin: 10_000_000, usedMargin: 0, m2mRealized: 0, m2mUnrealized: 0 };
      },
    },
    positions,
    regimes: {
      currentVersion: () => regimes.version,
      readSnapshot: () => ({ version: regimes.version, regimes: regimes.current }),
    },
    commands: store,
    stats: {
      tradeStats: async () => ({ tradeCount: 0, rollingExpectedMonthlyProfit: 0 }),
      market: async () => ({ ewmaDailyVol: 0.05, vix: 14 }),
    },
  };
  const agent = new RiskAgent(
    { name: 'risk', clock, bus, logger: silentLogger(), heartbeatIntervalMs: 60_000, pid: 1 },
    { config: riskConfig(opts.env), ports, blackSwan: false, ...opts.agent },
  );
  const events: TomicEvent[] = [];
  bus.subscribe('*', (e) => events.push(e));
  await agent.start();
  await clock.advanceAsync(0);
  const r = { clock, bus, store, db, agent, events, positions, funds, chain, regimes };
  rigs.push(r);
  return r;
}

let regimeSeq = 0;
function publishRegime(r: Rig, payload: Partial<PayloadOf<'REGIME_UPDATE'>>): void {
  r.bus.publish({
    event_id: `00000000-0000-4000-8000-${String(++regimeSeq).padStart(12, '0')}`,
    correlation_id: 'regime',
    strategy_id: 'SYSTEM',
    idempotency_key: `regime-${regimeSeq}`,
    event_version: 1,
    source_agent: 'regime',
    ts: r.clock.wallMs(),
    event_type: 'REGIME_UPDATE',
    payload: {
      version: 1,
      underlying: 'NIFTY',
      regime: 'BULLISH',
      score: 0.7,
      vix: 14,
      flags: [],
      indicators: {},
      ...payload,
    },
  });
}

/** Command rows oldest first. */
const listed = (r: Rig) => r.store.list().reverse();

interface PositionLike {
  symbol: string;
  action: 'BUY' | 'SELL';
  quantity: number;
  expected_price: number;
  leg: string;
}

const ofType = <T extends TomicEvent['event_type']>(r: Rig, t: T) =>
  r.events.filter((e): e is Extract<TomicEvent, { event_type: T }> => e.event_type === t);

describe('RiskAgent on a VirtualClock with a real SQLite command table', () => {
  it('a bullish regime update enqueues one hedged bull put spread group (awaiting approval in semi-auto)', async () => {
    const r = await rig({ env: { TOMIC_ORDER_MODE: 'semi_auto' } });
    publishRegime(r, { version: 1 });
    await r.agent.idle();
    const rows = listed(r);
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((x) => x.group_id)).size).toBe(1);
    expect(rows.every((x) => x.status === 'AWAITING_APPROVAL')).toBe(true);
    const keys = rows.map((x) => x.idempotency_key);
    expect(keys[0]).toMatch(/^BPS-NIFTY-20240621-\d+:long_put:BUY$/);
    expect(keys[1]).toMatch(/^BPS-NIFTY-20240621-\d+:short_put:SELL$/);
    const signal = ofType(r, 'SIGNAL');
    expect(signal).toHaveLength(1);
    expect(signal[0]!.payload).toMatchObject({ strategy_type: 'BULL_PUT_SPREAD', regime_version: 1 });
    expect(rows.every((x) => x.correlation_id === signal[0]!.correlation_id)).toBe(true);
    expect(ofType(r, 'ORDER_DENIED')).toHaveLength(0);
  });

  it('a duplicate regime update (also delivered concurrently) enqueues nothing more', async () => {
    const r = await rig();
    publishRegime(r, { version: 4 });
    publishRegime(r, { version: 4 });
    await r.agent.idle();
    publishRegime(r, { version: 4 });
    publishRegime(r, { version: 5 });
    await r.agent.idle();
    expect(listed(r)).toHaveLength(2);
    expect(ofType(r, 'SIGNAL')).toHaveLength(1);
  });

  it('respects the entry cooldown per underlying (monotonic), then enters again', async () => {
    const r = await rig({ env: { TOMIC_ORDER_MODE: 'full_auto' } });
    publishRegime(r, { version: 1, regime: 'BULLISH' });
    await r.agent.idle();
    expect(listed(r)).toHaveLength(2);

    await r.clock.advanceAsync(299_000); // inside the 300 s cooldown; wall jumps do not matter
    r.clock.jumpWall(3_600_000);
    publishRegime(r, { version: 2, regime: 'CONGESTION' });
    await r.agent.idle();
    expect(listed(r)).toHaveLength(2);

    await r.clock.advanceAsync(1_000);
    await r.agent.idle();
    publishRegime(r, { version: 3, regime: 'CONGESTION' });
    await r.agent.idle();
    const rows = listed(r);
    expect(rows).toHaveLength(6);
    expect(rows.slice(2).map((x) => x.idempotency_key.split(':').slice(1).join(':'))).toEqual([
      'long_put:BUY',
      'long_call:BUY',
      'short_put:SELL',
      'short_call:SELL',
    ]);
    expect(rows.every((x) => x.status === 'PENDING')).toBe(true);
  });

  it('a stale margin snapshot is never used: ORDER_DENIED (sizing step 8) and nothing enqueued', async () => {
    const r = await rig();
    expect(r.funds.calls).toBe(1);
    r.funds.fail = true;
    await r.clock.advanceAsync(61_000); // refreshes at 30 s and 60 s fail; the snapshot is now 61 s old
    expect(r.funds.calls).toBeGreaterThanOrEqual(3);
    publishRegime(r, { version: 1 });
    await r.agent.idle();
    expect(listed(r)).toHaveLength(0);
    const denied = ofType(r, 'ORDER_DENIED');
    expect(denied).toHaveLength(1);
    expect(denied[0]!.payload).toMatchObject({ code: 'SIZING_MARGIN_STALE', gate: 'sizing.step8' });
    expect(denied[0]!.strategy_id).toMatch(/^BPS-NIFTY-/);

    // Once the broker answers again, the on-demand refresh makes the next decision possible.
    r.funds.fail = false;
    await r.clock.advanceAsync(300_000);
    publishRegime(r, { version: 2 });
    await r.agent.idle();
    expect(listed(r)).toHaveLength(2);
  });

  it('a no-trade flag or a BLOWOFF regime opens nothing and signals nothing', async () => {
    const r = await rig();
    publishRegime(r, { version: 1, regime: 'BULLISH', flags: ['GREEKS_API_STALE'] });
    publishRegime(r, { version: 2, regime: 'BLOWOFF' });
    publishRegime(r, { version: 3, regime: 'NO_TRADE', flags: ['VIX_NO_TRADE'] });
    await r.agent.idle();
    expect(listed(r)).toHaveLength(0);
    expect(ofType(r, 'SIGNAL')).toHaveLength(0);
  });

  it('acts on the regime store when a bus update was missed (periodic re-check)', async () => {
    const r = await rig();
    r.regimes.version = 4;
    r.regimes.current = {
      NIFTY: {
        version: 4,
        underlying: 'NIFTY',
        regime: 'BEARISH',
        score: -0.6,
        vix: 15,
        flags: [],
        indicators: {},
      },
    };
    await r.clock.advanceAsync(15_000);
    await r.agent.idle();
    const rows = listed(r);
    expect(rows.map((x) => x.idempotency_key.split(':').slice(1).join(':'))).toEqual([
      'long_call:BUY',
      'short_call:SELL',
    ]);
    // Later re-checks of the same stored version do not enter again.
    await r.clock.advanceAsync(600_000);
    await r.agent.idle();
    expect(listed(r)).toHaveLength(2);
  });

  it('once the spread is in the book, it is not opened again after the cooldown', async () => {
    const r = await rig();
    publishRegime(r, { version: 1 });
    await r.agent.idle();
    const entry = listed(r).map(
      (x) => JSON.parse(x.payload) as { strategy_id: string; payload: PositionLike },
    );
    // The Execution agent filled it: the book now holds both legs under the strategy id.
    r.positions.set(
      entry.map((e) => ({
        symbol: e.payload.symbol,
        exchange: 'NFO',
        product: 'NRML',
        quantity: e.payload.action === 'SELL' ? -e.payload.quantity : e.payload.quantity,
        average_price: e.payload.expected_price,
        strategy_id: e.strategy_id,
        leg: e.payload.leg,
        underlying: 'NIFTY',
      })),
      12,
    );
    await r.clock.advanceAsync(1_000_000);
    publishRegime(r, { version: 9 });
    await r.agent.idle();
    expect(
      listed(r).filter((x) => x.idempotency_key.endsWith(':SELL') && x.idempotency_key.includes('short_put')),
    ).toHaveLength(1);
  });

  it('an entry still awaiting approval blocks a second one; a rejected entry frees the underlying', async () => {
    const r = await rig({ env: { TOMIC_ORDER_MODE: 'semi_auto' } });
    publishRegime(r, { version: 1 });
    await r.agent.idle();
    expect(listed(r)).toHaveLength(2);
    await r.clock.advanceAsync(86_400_000); // far past the cooldown and the pending TTL
    publishRegime(r, { version: 2 });
    await r.agent.idle();
    expect(listed(r)).toHaveLength(2);
    // The trader rejects it: every command of the entry is FAILED, so a new entry may go out.
    for (const row of listed(r)) expect(r.store.reject(row.id, 'not today')).toBe(true);
    publishRegime(r, { version: 3 });
    await r.agent.idle();
    const rows = listed(r);
    expect(rows).toHaveLength(4);
    expect(rows[2]!.strategy_id).not.toBe(rows[0]!.strategy_id);
  });

  it('re-reads the PositionBook only when more than 5 versions behind', async () => {
    const r = await rig();
    r.agent.book();
    const reads = r.positions.reads;
    const update = (version: number) =>
      r.bus.publish({
        event_id: `00000000-0000-4000-9000-${String(version).padStart(12, '0')}`,
        correlation_id: 'pos',
        strategy_id: 'SYSTEM',
        idempotency_key: `pos-${version}`,
        event_version: 1,
        source_agent: 'execution',
        ts: r.clock.wallMs(),
        event_type: 'POSITION_UPDATE',
        payload: { version, positions: [] },
      });
    r.positions.set([], 5);
    update(5);
    expect(r.positions.reads).toBe(reads);
    r.positions.set([], 6);
    update(6);
    expect(r.positions.reads).toBe(reads + 1);
    expect(r.agent.book().version).toBe(6);
  });

  it('an open spread whose short strike is breached gets an EXIT group: short bought back first', async () => {
    const r = await rig();
    const id = 'BPS-NIFTY-20240620-7';
    r.positions.set(
      [
        {
          symbol: 'NIFTY27JUN2423550PE',
          exchange: 'NFO',
          product: 'NRML',
          quantity: -50,
          average_price: 60,
          strategy_id: id,
          leg: 'short_put',
          underlying: 'NIFTY',
        },
        {
          symbol: 'NIFTY27JUN2423350PE',
          exchange: 'NFO',
          product: 'NRML',
          quantity: 50,
          average_price: 25,
          strategy_id: id,
          leg: 'long_put',
          underlying: 'NIFTY',
        },
      ],
      9,
    );
    await r.clock.advanceAsync(15_000);
    await r.agent.idle();
    const rows = listed(r).filter((x) => x.strategy_id === id);
    expect(rows.map((x) => x.idempotency_key)).toEqual([`${id}:short_put:BUY`, `${id}:long_put:SELL`]);
    expect(rows.every((x) => x.status === 'PENDING')).toBe(true);
    const p = JSON.parse(rows[0]!.payload) as {
      payload: { intent: string; quantity: number; reason: string };
    };
    expect(p.payload).toMatchObject({ intent: 'EXIT', quantity: 50 });
    expect(p.payload.reason).toContain('SHORT_STRIKE_BREACHED');
    // Next cycle: the exit is in flight, nothing is enqueued twice.
    await r.clock.advanceAsync(15_000);
    await r.agent.idle();
    expect(listed(r).filter((x) => x.strategy_id === id)).toHaveLength(2);
  });

  it('an exit the broker refused is tried again with new keys once its commands ended; never while one works', async () => {
    const r = await rig();
    const id = 'BPS-NIFTY-20240620-8';
    const short = {
      symbol: 'NIFTY27JUN2423550PE',
      exchange: 'NFO',
      product: 'NRML' as const,
      quantity: -50,
      average_price: 60,
      strategy_id: id,
      leg: 'short_put',
      underlying: 'NIFTY',
    };
    const long = {
      ...short,
      symbol: 'NIFTY27JUN2423350PE',
      quantity: 50,
      average_price: 25,
      leg: 'long_put',
    };
    r.positions.set([short, long], 9);
    await r.clock.advanceAsync(15_000);
    await r.agent.idle();
    const first = listed(r).filter((x) => x.strategy_id === id);
    expect(first.map((x) => x.idempotency_key)).toEqual([`${id}:short_put:BUY`, `${id}:long_put:SELL`]);

    // The broker refuses the short's buy-back; the hedge sale is not sent (still queued: no retry yet).
    const claimed = r.store.claimGroup(`${id}:exit`);
    const shortCmd = claimed.find((c) => c.event.payload.leg === 'short_put')!;
    r.store.fail(shortCmd.id, shortCmd.ownerToken, 'BROKER_REJECT', 'RMS: price band');
    await r.clock.advanceAsync(15_000);
    await r.agent.idle();
    expect(listed(r).filter((x) => x.strategy_id === id)).toHaveLength(2);

    // Once every command of the attempt has ended, the position (still open) gets attempt 2.
    const hedgeCmd = claimed.find((c) => c.event.payload.leg === 'long_put')!;
    r.store.fail(hedgeCmd.id, hedgeCmd.ownerToken, 'BROKER_REJECT', 'short not bought back');
    await r.clock.advanceAsync(15_000);
    await r.agent.idle();
    const second = listed(r)
      .filter((x) => x.strategy_id === id)
      .slice(2);
    expect(second.map((x) => x.idempotency_key)).toEqual([`${id}:short_put#2:BUY`, `${id}:long_put#2:SELL`]);
    expect(second.every((x) => x.group_id === `${id}:exit#2` && x.status === 'PENDING')).toBe(true);
    const leg = (x: (typeof second)[number]) =>
      (JSON.parse(x.payload) as { payload: { group: { role: string; pair_leg?: string } } }).payload.group;
    expect(leg(second[0]!)).toMatchObject({ role: 'SHORT', pair_leg: 'long_put#2' });
  });

  it('buys the month’s 5-delta NIFTY put within the ₹5,000 bootstrap budget', async () => {
    const r = await rig({ wallMs: Date.UTC(2026, 3, 20, 10), chain: NSE_CHAIN, agent: { blackSwan: true } });
    await r.agent.rollBlackSwan();
    const rows = listed(r);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.idempotency_key).toBe('BSH-NIFTY-202604:hedge_put:BUY');
    const p = JSON.parse(rows[0]!.payload) as {
      payload: {
        quantity: number;
        expected_price: number;
        lot_size: number;
        group: { strategy_type: string };
      };
    };
    expect(p.payload.group.strategy_type).toBe('BLACK_SWAN_HEDGE');
    expect(p.payload.quantity * p.payload.expected_price).toBeLessThanOrEqual(5_000);
    expect(p.payload.quantity / p.payload.lot_size).toBeGreaterThanOrEqual(1);
    // Rolling again in the same month is idempotent.
    await r.agent.rollBlackSwan();
    expect(listed(r)).toHaveLength(1);
    expect(ofType(r, 'IDEMPOTENCY_SKIP')).toHaveLength(1);
  });
});
