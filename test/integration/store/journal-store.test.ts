import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import { type EventOf, makeEvent, Redactor } from '../../../src/contracts/index.js';
import { openDatabase } from '../../../src/store/index.js';
import { JournalStore } from '../../../src/store/journal-store.js';
import { order, tempDir } from './fixtures/commands.js';

const STRATEGY = 'TOMIC_VOL_DITM_NIFTY_20260215';
const T0 = Date.UTC(2026, 1, 16, 4, 0, 0);

function setup(opts: { redactor?: Redactor; mode?: 'paper' | 'live'; dir?: string } = {}) {
  const dir = opts.dir ?? tempDir('tomic-journal-');
  const db = openDatabase(dir, 'journal');
  const clock = new VirtualClock({ monotonicMs: 0, wallMs: T0 });
  const journal = new JournalStore(db, {
    ...(opts.redactor ? { redactor: opts.redactor } : {}),
    ...(opts.mode ? { mode: opts.mode } : {}),
  });
  return { dir, db, clock, journal };
}

function fill(
  clock: VirtualClock,
  action: 'BUY' | 'SELL',
  expected: number,
  actual: number,
  qty = 65,
  strategy = STRATEGY,
): EventOf<'ORDER_FILL'> {
  return makeEvent(
    clock,
    'ORDER_FILL',
    { source_agent: 'execution', strategy_id: strategy, correlation_id: 'corr-1' },
    {
      leg: 'leg_1',
      action,
      symbol: 'NIFTY26FEB2624000CE',
      exchange: 'NFO',
      product: 'NRML',
      broker_order_id: '250216000123456',
      filled_quantity: qty,
      ordered_quantity: 65,
      average_price: actual,
      expected_price: expected,
      command_id: 7,
    },
  );
}

function denied(clock: VirtualClock, code: 'STALE_QUOTE' | 'SIZING_POSITION_CAP', strategy = STRATEGY) {
  return makeEvent(
    clock,
    'ORDER_DENIED',
    { source_agent: 'risk', strategy_id: strategy, correlation_id: 'corr-2' },
    {
      code,
      message: code === 'STALE_QUOTE' ? 'NIFTY quote 6.2 s old' : '10 positions open',
      gate: code === 'STALE_QUOTE' ? 'freshness' : 'sizing.step7',
      leg: 'short_put',
      details:
        code === 'SIZING_POSITION_CAP'
          ? { sizing_trace: [{ step: 7, name: 'position_cap', input: 2, output: 0 }] }
          : { age_ms: 6200 },
    },
  );
}

describe('journal: idempotent by event_id', () => {
  it('records an event once; the same event_id again returns false and changes nothing', () => {
    const { journal, clock } = setup();
    const f = fill(clock, 'BUY', 100, 101);
    expect(journal.record(f)).toBe(true);
    expect(journal.record(f)).toBe(false);
    expect(journal.has(f.event_id)).toBe(true);
    expect(journal.list()).toHaveLength(1);
  });

  it('survives a restart: a re-read after reopening the database is still skipped', () => {
    const first = setup();
    const f = fill(first.clock, 'BUY', 100, 101);
    first.journal.record(f);
    first.db.close();
    const again = setup({ dir: first.dir });
    expect(again.journal.record(f)).toBe(false);
    expect(again.journal.list()).toHaveLength(1);
  });

  it('a malformed event is a bug at the caller and throws', () => {
    const { journal, clock } = setup();
    const bad = { ...fill(clock, 'BUY', 100, 101), event_id: 'not-a-uuid' };
    expect(() => journal.record(bad)).toThrow(/event_id/);
  });
});

describe('journal: command outcomes with the decision context', () => {
  it('keeps the full sizing chain, the regime and the parameters the order was decided under', () => {
    const { journal, clock } = setup();
    const trace = [
      { step: 1, name: 'carver_vol_target', input: null, output: 4 },
      { step: 2, name: 'half_kelly', input: 4, output: 3 },
      { step: 8, name: 'margin_reserve', input: 3, output: 2 },
    ];
    const e = order(clock, 1, { sizing_trace: trace, regime_version: 12 });
    const regime = { version: 12, underlying: 'NIFTY', regime: 'BULLISH', vix: 14.2 };
    const parameters = { capital: 1_000_000, vixOverlayThreshold: 30 };
    expect(journal.recordOutcome({ event: e, commandId: 41, status: 'DONE' }, { regime, parameters })).toBe(
      true,
    );
    expect(journal.recordOutcome({ event: e, commandId: 41, status: 'DONE' })).toBe(false);
    const [entry] = journal.list();
    expect(entry).toMatchObject({
      event_id: e.event_id,
      entry_type: 'COMMAND_OUTCOME',
      command_id: 41,
      status: 'DONE',
      strategy_id: STRATEGY,
      leg: 'leg_1',
      code: null,
      sizing_trace: trace,
      regime,
      parameters,
      wall_ms: T0,
    });
  });

  it('a failed command carries its error and code; a dead letter is COMMAND_DEAD_LETTER', () => {
    const { journal, clock } = setup();
    journal.recordOutcome({
      event: order(clock, 'r'),
      commandId: 1,
      status: 'FAILED',
      error: 'RMS: insufficient margin',
      errorClass: 'BROKER_REJECT',
    });
    journal.recordOutcome({
      event: order(clock, 'd'),
      commandId: 2,
      status: 'DEAD_LETTER',
      error: 'timeout',
    });
    journal.recordOutcome({
      event: order(clock, 'k'),
      commandId: 3,
      status: 'FAILED',
      error: 'kill switch',
      code: 'KILL_SWITCH',
    });
    expect(
      journal.list({ type: 'COMMAND_OUTCOME' }).map((e) => [e.command_id, e.status, e.code, e.message]),
    ).toEqual([
      [3, 'FAILED', 'KILL_SWITCH', 'kill switch'],
      [2, 'DEAD_LETTER', 'COMMAND_DEAD_LETTER', 'timeout'],
      [1, 'FAILED', 'BROKER_REJECT', 'RMS: insufficient margin'],
    ]);
  });
});

describe('journal: fills and slippage (paper vs live, §13)', () => {
  it('slippage is positive when worse than expected, for buys and sells', () => {
    const { journal, clock } = setup();
    journal.record(fill(clock, 'BUY', 100, 101)); // paid 1 more
    journal.record(fill(clock, 'SELL', 200, 199)); // received 1 less
    journal.record(fill(clock, 'SELL', 50, 50.5)); // better than expected
    const fills = journal.list({ type: 'FILL' }).reverse();
    expect(fills.map((f) => [f.slippage, f.slippage_bps])).toEqual([
      [1, 100],
      [1, 50],
      [-0.5, -100],
    ]);
    expect(fills[0]).toMatchObject({ expected_price: 100, actual_price: 101, quantity: 65, command_id: 7 });
  });

  it('a fill without an expected price has no slippage and stays out of the statistics', () => {
    const { journal, clock } = setup();
    journal.record(fill(clock, 'BUY', 0, 101));
    expect(journal.list()[0]).toMatchObject({ expected_price: null, slippage: null, slippage_bps: null });
    expect(journal.slippageStats().paper.fills).toBe(0);
  });

  it('splits paper and live and flags live slippage above 2× paper', () => {
    const { journal, clock } = setup();
    journal.record(fill(clock, 'BUY', 100, 100.1, 65)); // paper 10 bps
    journal.record(fill(clock, 'BUY', 100, 100.3, 130)); // paper 30 bps, twice the quantity
    journal.record(fill(clock, 'BUY', 100, 100.4), { mode: 'live' }); // live 40 bps
    let s = journal.slippageStats();
    expect(s.paper.fills).toBe(2);
    expect(s.paper.mean_bps).toBeCloseTo((10 * 65 + 30 * 130) / 195, 9);
    expect(s.paper.total_cost).toBeCloseTo(0.1 * 65 + 0.3 * 130, 9);
    expect(s.live).toMatchObject({ fills: 1, worst_bps: expect.closeTo(40, 9) });
    expect(s.live_to_paper).toBeCloseTo(40 / ((10 * 65 + 30 * 130) / 195), 9); // 1.71×
    expect(s.drift_flagged).toBe(false);
    journal.record(fill(clock, 'BUY', 100, 100.8), { mode: 'live' });
    s = journal.slippageStats();
    expect(s.live_to_paper).toBeGreaterThan(2);
    expect(s.drift_flagged).toBe(true);
  });

  it('exactly 2× is not drift', () => {
    const { journal, clock } = setup();
    journal.record(fill(clock, 'BUY', 100, 100.25));
    journal.record(fill(clock, 'BUY', 100, 100.5), { mode: 'live' });
    expect(journal.slippageStats()).toMatchObject({ live_to_paper: 2, drift_flagged: false });
  });

  it('the store mode (live) is the default for entries', () => {
    const { journal, clock } = setup({ mode: 'live' });
    journal.record(fill(clock, 'BUY', 100, 101));
    expect(journal.slippageStats().live.fills).toBe(1);
  });
});

describe('journal: denials, rejects and queries', () => {
  it('denials keep their code (and the sizing trace when a sizing step denied); countByCode windows by wall time', () => {
    const { journal, clock } = setup();
    journal.record(denied(clock, 'STALE_QUOTE'));
    clock.advance(3_600_000);
    const since = clock.wallMs();
    journal.record(denied(clock, 'STALE_QUOTE'));
    journal.record(denied(clock, 'SIZING_POSITION_CAP'));
    journal.record(
      makeEvent(
        clock,
        'IDEMPOTENCY_SKIP',
        { source_agent: 'execution', strategy_id: STRATEGY },
        { duplicate_key: `${STRATEGY}:leg_1:BUY`, where: 'LOCAL', existing_command_id: 3 },
      ),
    );
    expect(journal.countByCode(since)).toEqual({
      IDEMPOTENCY_SKIP: 1,
      SIZING_POSITION_CAP: 1,
      STALE_QUOTE: 1,
    });
    expect(journal.countByCode(0)).toMatchObject({ STALE_QUOTE: 2 });
    const cap = journal.list({ code: 'SIZING_POSITION_CAP' })[0];
    expect(cap).toMatchObject({
      entry_type: 'DENIAL',
      leg: 'short_put',
      message: 'sizing.step7: 10 positions open',
    });
    expect(cap?.sizing_trace).toEqual([{ step: 7, name: 'position_cap', input: 2, output: 0 }]);
  });

  it('rejects and unhedged incidents are journaled with their codes', () => {
    const { journal, clock } = setup();
    journal.record(
      makeEvent(
        clock,
        'ORDER_REJECT',
        { source_agent: 'execution', strategy_id: STRATEGY },
        {
          leg: 'short_put',
          action: 'SELL',
          symbol: 'X',
          code: 'BROKER_REJECT',
          message: 'margin',
          command_id: 9,
        },
      ),
    );
    journal.record(
      makeEvent(
        clock,
        'UNHEDGED_INCIDENT',
        { source_agent: 'execution', strategy_id: STRATEGY },
        {
          group_id: 'g1',
          short_leg: 'short_put',
          symbol: 'X',
          unhedged_quantity: 65,
          unhedged_ms: 5_001,
          action: 'FORCE_CLOSE',
        },
      ),
    );
    expect(journal.list().map((e) => [e.entry_type, e.code])).toEqual([
      ['UNHEDGED_INCIDENT', 'UNHEDGED_EXPOSURE'],
      ['REJECT', 'BROKER_REJECT'],
    ]);
  });

  it('lists newest first, filtered by strategy, type, code and time, paged', () => {
    const { journal, clock } = setup();
    for (let i = 0; i < 5; i++) {
      journal.record(fill(clock, 'BUY', 100, 100 + i));
      clock.advance(60_000);
    }
    journal.record(fill(clock, 'BUY', 100, 100, 65, 'TOMIC_OTHER'));
    journal.record(denied(clock, 'STALE_QUOTE'));
    expect(journal.list({ limit: 3 }).map((e) => e.entry_type)).toEqual(['DENIAL', 'FILL', 'FILL']);
    expect(journal.list({ strategyId: 'TOMIC_OTHER' })).toHaveLength(1);
    expect(
      journal.list({ type: 'FILL', strategyId: STRATEGY, limit: 2, offset: 1 }).map((e) => e.actual_price),
    ).toEqual([103, 102]);
    expect(journal.list({ sinceWallMs: T0 + 3 * 60_000, type: 'FILL' })).toHaveLength(3);
    expect(journal.list({ code: 'STALE_QUOTE' })).toHaveLength(1);
  });
});

describe('journal: masking (§10)', () => {
  it('masks broker order ids and API keys in stored details, context and messages', () => {
    const key = 'oa-key-9f8e7d6c5b4a';
    const { journal, clock, db } = setup({ redactor: new Redactor([key]) });
    journal.record(fill(clock, 'BUY', 100, 101), { parameters: { api_key: key, capital: 1 } });
    journal.record(
      makeEvent(
        clock,
        'ORDER_REJECT',
        { source_agent: 'execution', strategy_id: STRATEGY },
        { leg: 'l', action: 'BUY', symbol: 'X', code: 'BROKER_AUTH', message: `bad apikey ${key}` },
      ),
    );
    const raw = JSON.stringify(db.prepare('SELECT * FROM journal').all());
    expect(raw).not.toContain(key);
    expect(raw).not.toContain('250216000123456');
    const [reject, f] = journal.list();
    expect(reject?.message).toBe('bad apikey ***5b4a***');
    expect(f?.parameters).toEqual({ api_key: '***5b4a***', capital: 1 });
  });
});
