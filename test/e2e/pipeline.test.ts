/**
 * The plan's test_pipeline ("E2E with mock data"), here with the simulator replaying the real NIFTY
 * 1-minute series of ../shared/data: ticks → Regime → Risk (sizing) → command table → Execution
 * (legging) → simulator fills → PositionBook → Journal. Then each freshness / breaker / state
 * condition injected: no order reaches the simulator and the denial is journaled.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realDelay, SystemClock } from '../../src/clock/index.js';
import { type Config, loadConfig } from '../../src/config/index.js';
import { type OrderRequest, parseEventOf, type TomicEvent } from '../../src/contracts/index.js';
import { type Sandbox, startSandbox } from '../../src/runtime/sandbox.js';
import {
  CommandStore,
  JournalStore,
  openDatabase,
  PositionBookReader,
  SystemStateStore,
} from '../../src/store/index.js';
import { brokerPositions, positionLines } from '../support/broker-book.js';

const clock = new SystemClock();

function config(env: Record<string, string> = {}): Config {
  const r = loadConfig({
    env: {
      TOMIC_DATA_DIR: mkdtempSync(join(tmpdir(), 'tomic-pipeline-')),
      // OpenAlgo sandbox fills (at once, whole): the assertions below are exact.
      TOMIC_SIM_MICROSTRUCTURE: 'false',
      TOMIC_SIM_SEED: '11',
      ...env,
    },
    envFile: null,
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

async function until<T>(what: string, probe: () => T | undefined, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await realDelay(100);
  }
}

/** A running pipeline plus read access to its stores and every event on its bus. */
async function pipeline(cfg: Config, speed = 60) {
  const events: TomicEvent[] = [];
  const kills: string[] = [];
  const box = await startSandbox({ config: cfg, speed, onKillSwitch: (r) => void kills.push(r) });
  box.bus.subscribe('*', (e) => void events.push(e));
  const commandsDb = openDatabase(cfg.dataDir, 'commands');
  const commands = new CommandStore(commandsDb, {
    clock,
    retry: CommandStore.retryPolicyFromConfig(cfg),
    leaseMs: cfg.commands.leaseMs,
  });
  const journal = new JournalStore(openDatabase(cfg.dataDir, 'journal'), { mode: 'paper' });
  const book = new PositionBookReader(openDatabase(cfg.dataDir, 'positions'));
  const state = new SystemStateStore(commandsDb);
  const requests = () =>
    commands.list({ limit: 1_000 }).flatMap((row) => {
      const p = parseEventOf('ORDER_REQUEST', JSON.parse(row.payload));
      return p.ok ? [{ row, event: p.value as OrderRequest }] : [];
    });
  return { box, events, kills, commands, journal, book, state, requests };
}

describe('test_pipeline: ticks to journal on the replayed NIFTY series', () => {
  let p: Awaited<ReturnType<typeof pipeline>>;
  let box: Sandbox;

  beforeAll(async () => {
    p = await pipeline(config());
    box = p.box;
  }, 60_000);

  afterAll(async () => {
    await box?.stop();
  });

  it('trades the regime: BULLISH → a hedged bull put spread, sized, placed hedge first, filled, booked and journaled', async () => {
    // The regime sequence: versioned updates, each version higher than the last.
    const firstEntry = await until('an entry group to finish', () => {
      const reqs = p.requests().filter((r) => r.event.payload.intent === 'ENTRY');
      const done = reqs.length >= 2 && reqs.every((r) => r.row.status === 'DONE');
      return done ? reqs : undefined;
    });
    const regimes = p.events.filter((e) => e.event_type === 'REGIME_UPDATE');
    expect(regimes.length).toBeGreaterThan(0);
    const versions = regimes.map((e) => (e.event_type === 'REGIME_UPDATE' ? e.payload.version : -1));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);

    // The strategy fits the regime it was decided on.
    const group = firstEntry.filter((r) => r.event.strategy_id === firstEntry[0]!.event.strategy_id);
    const legs = group.map((r) => r.event.payload);
    const regimeVersion = legs[0]!.regime_version;
    const decidedOn = regimes.find(
      (e) => e.event_type === 'REGIME_UPDATE' && e.payload.version === regimeVersion,
    );
    expect(decidedOn).toBeDefined();
    const klass = decidedOn?.event_type === 'REGIME_UPDATE' ? decidedOn.payload.regime : undefined;
    const expected = {
      BULLISH: 'BULL_PUT_SPREAD',
      BEARISH: 'BEAR_CALL_SPREAD',
      CONGESTION: 'IRON_CONDOR',
    } as const;
    expect(legs[0]!.group.strategy_type).toBe(expected[klass as keyof typeof expected]);

    // Sized legs: whole lots, every short paired with a hedge of at least its quantity, the §7 trace.
    for (const l of legs) {
      expect(l.quantity % l.lot_size).toBe(0);
      expect(l.sizing_trace?.length ?? 0).toBeGreaterThan(0);
    }
    for (const r of group) {
      expect(r.event.idempotency_key).toBe(
        `${r.event.strategy_id}:${r.event.payload.leg}:${r.event.payload.action}`,
      );
    }
    for (const s of legs.filter((l) => l.group.role === 'SHORT')) {
      const hedge = legs.find((l) => l.leg === s.group.pair_leg);
      expect(hedge?.group.role).toBe('HEDGE');
      expect(hedge!.quantity).toBeGreaterThanOrEqual(s.quantity);
    }

    // Legging at the broker: every hedge order reached the simulator before its short.
    const orders = box.sim.orders();
    const ourSymbols = new Set(legs.map((l) => l.symbol));
    const placed = orders.filter((o) => ourSymbols.has(o.symbol));
    for (const s of legs.filter((l) => l.group.role === 'SHORT')) {
      const hedge = legs.find((l) => l.leg === s.group.pair_leg)!;
      const hi = placed.findIndex((o) => o.symbol === hedge.symbol);
      const si = placed.findIndex((o) => o.symbol === s.symbol);
      expect(hi).toBeGreaterThanOrEqual(0);
      expect(si).toBeGreaterThan(hi);
    }

    // Fills on the bus, the book equal to the broker's positionbook.
    const fills = p.events.filter(
      (e) => e.event_type === 'ORDER_FILL' && e.strategy_id === group[0]!.event.strategy_id,
    );
    expect(fills).toHaveLength(group.length);
    const theirs = await brokerPositions(box.sim);
    const ours = await until('the book to catch up', () => {
      const mine = positionLines(p.book.readSnapshot().positions);
      return JSON.stringify(mine) === JSON.stringify(theirs) ? mine : undefined;
    });
    expect(ours.length).toBeGreaterThanOrEqual(group.length);

    // The journal: each command's outcome with its sizing trace and the parameters in force.
    const outcomes = await until('the journal outcomes', () => {
      const rows = p.journal.list({ strategyId: group[0]!.event.strategy_id, type: 'COMMAND_OUTCOME' });
      return rows.length >= group.length ? rows : undefined;
    });
    for (const o of outcomes) {
      expect(o.status).toBe('DONE');
      expect(Array.isArray(o.sizing_trace) && (o.sizing_trace as unknown[]).length > 0).toBe(true);
      expect(o.parameters).toMatchObject({ sizing: expect.any(Object) });
    }
    expect(p.journal.list({ strategyId: group[0]!.event.strategy_id, type: 'FILL' })).toHaveLength(
      group.length,
    );
    expect(p.kills).toEqual([]);
  });
});

describe('test_pipeline: injected conditions place nothing and are journaled', () => {
  it('stale data: feeds frozen after the regime decision → the freshness gate denies, no order at the broker', async () => {
    const p = await pipeline(config());
    try {
      // Freeze both feeds the moment the first regime arrives: the Risk agent still plans from the
      // REST chain, but Execution sees no fresh quote for the legs.
      p.box.bus.subscribe(['REGIME_UPDATE'], () =>
        p.box.sim.faults.set({ primaryFeed: 'frozen', fallbackFeed: 'frozen' }),
      );
      const denied = await until('a freshness denial', () =>
        p.journal
          .list({ type: 'DENIAL' })
          .find((r) => ['STALE_QUOTE', 'NO_DEPTH', 'FEED_SWITCHING'].includes(r.code ?? '')),
      );
      expect(denied.strategy_id).toMatch(/^(BPS|BCS|IC)-/);
      expect(p.box.sim.orders().filter((o) => o.symbol.endsWith('PE') || o.symbol.endsWith('CE'))).toEqual(
        [],
      );
    } finally {
      await p.box.stop();
    }
  });

  it('kill switch in force (HALTED) → Execution denies every entry; nothing reaches the broker', async () => {
    const cfg = config();
    const { migrateAll } = await import('../../src/store/index.js');
    migrateAll(cfg.dataDir);
    const db = openDatabase(cfg.dataDir, 'commands');
    new SystemStateStore(db).transition('HALTED', 'kill switch drill', 'test', { code: 'KILL_SWITCH' });
    db.close();
    const p = await pipeline(cfg);
    try {
      const denied = await until('a TRADING_HALTED denial', () =>
        p.journal.list({ type: 'DENIAL' }).find((r) => r.code === 'TRADING_HALTED'),
      );
      expect(denied).toBeDefined();
      await until('the entries to fail', () => {
        const reqs = p.requests();
        return reqs.length > 0 && reqs.every((r) => r.row.status === 'FAILED') ? reqs : undefined;
      });
      expect(p.box.sim.orders()).toEqual([]);
      expect(p.book.readSnapshot().positions).toEqual([]);
    } finally {
      await p.box.stop();
    }
  });

  it('breaker: gross notional cap too small for one lot → the Risk agent refuses, journaled, nothing enqueued', async () => {
    const p = await pipeline(config({ TOMIC_MAX_GROSS_NOTIONAL_MULTIPLE: '0.01' }));
    try {
      const denied = await until('a notional denial', () =>
        p.journal.list({ type: 'DENIAL' }).find((r) => r.code === 'BREAKER_NOTIONAL'),
      );
      expect(denied.strategy_id).toMatch(/^(BPS|BCS|IC)-/);
      expect(p.requests().filter((r) => r.event.payload.intent === 'ENTRY')).toEqual([]);
      expect(p.box.sim.orders()).toEqual([]);
    } finally {
      await p.box.stop();
    }
  });

  it('Semi-Auto: entries wait for the operator; nothing reaches the broker until approved, then they fill', async () => {
    const p = await pipeline(config({ TOMIC_ORDER_MODE: 'semi_auto' }));
    try {
      const waiting = await until('entries awaiting approval', () => {
        const reqs = p.requests().filter((r) => r.event.payload.intent === 'ENTRY');
        return reqs.length >= 2 && reqs.every((r) => r.row.status === 'AWAITING_APPROVAL') ? reqs : undefined;
      });
      await realDelay(1_000);
      expect(p.box.sim.orders()).toEqual([]);
      for (const r of waiting) expect(p.commands.approve(r.row.id)).toBe(true);
      await until('the approved entries to fill', () => {
        const rows = waiting.map((r) => p.commands.get(r.row.id)!);
        return rows.every((r) => r.status === 'DONE') ? rows : undefined;
      });
      expect(p.box.sim.orders().length).toBeGreaterThanOrEqual(waiting.length);
    } finally {
      await p.box.stop();
    }
  });
});
