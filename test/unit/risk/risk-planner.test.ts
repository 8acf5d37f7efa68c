import { describe, expect, it } from 'vitest';
import {
  openStrategiesFromBook,
  planEntry,
  planExit,
  strategyTypeOfId,
} from '../../../src/agents/risk/index.js';
import { OrderRequest } from '../../../src/contracts/index.js';
import { planLegging } from '../../../src/safety/index.js';
import { evaluateExit } from '../../../src/strategy/index.js';
import { account, book, CHAIN, entryInput, F, NOW_MS, regime, riskConfig } from './fixtures.js';

const legSpecs = (orders: readonly OrderRequest[]) =>
  orders.map((o) => ({
    leg: o.payload.leg,
    action: o.payload.action,
    role: o.payload.group.role,
    ...(o.payload.group.pair_leg ? { pairLeg: o.payload.group.pair_leg } : {}),
    side: o.payload.option_type === 'PE' ? ('PUT' as const) : ('CALL' as const),
    quantity: o.payload.quantity,
    symbol: o.payload.symbol,
  }));

describe('planEntry — orders', () => {
  it('bull put spread: hedge first, keys {strategy_id}:{leg}:{action}, full trace, regime version', () => {
    const p = planEntry(entryInput());
    if (!p.ok) throw new Error(`${p.code} ${p.gate} ${p.message}`);
    expect(p.orders).toHaveLength(2);
    const [hedge, short] = p.orders;
    expect(hedge!.payload).toMatchObject({
      leg: 'long_put',
      action: 'BUY',
      intent: 'ENTRY',
      option_type: 'PE',
      group: {
        leg_index: 0,
        role: 'HEDGE',
        pair_leg: 'short_put',
        leg_count: 2,
        strategy_type: 'BULL_PUT_SPREAD',
      },
    });
    expect(short!.payload).toMatchObject({
      leg: 'short_put',
      action: 'SELL',
      group: { leg_index: 1, role: 'SHORT', pair_leg: 'long_put' },
    });
    expect(hedge!.idempotency_key).toBe('BPS-NIFTY-20240621-1:long_put:BUY');
    expect(short!.idempotency_key).toBe('BPS-NIFTY-20240621-1:short_put:SELL');
    for (const o of p.orders) {
      expect(OrderRequest.safeParse(o).success).toBe(true);
      expect(o.payload.group.group_id).toBe(p.groupId);
      expect(o.correlation_id).toBe('corr-test');
      expect(o.payload.regime_version).toBe(7);
      expect(o.payload.quantity).toBe(p.lots * 25);
      expect(o.payload.lot_size).toBe(25);
      expect(o.payload.product).toBe('NRML');
      expect(o.payload.expected_price).toBeGreaterThan(0);
      expect(o.payload.expiry).toBe(F.expiry);
      expect(o.payload.sizing_trace?.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    expect(p.lots).toBe(p.trace.at(-1)!.output);
    expect(
      planLegging({ strategyType: 'BULL_PUT_SPREAD', legs: legSpecs(p.orders), basketSupported: false }).ok,
    ).toBe(true);
  });

  it('iron condor in congestion: two wings, then two shorts; the legging planner accepts it', () => {
    const p = planEntry(
      entryInput({
        opportunity: {
          strategyType: 'IRON_CONDOR',
          underlying: 'NIFTY',
          regime: regime({ regime: 'CONGESTION' }),
        },
        strategyId: 'IC-NIFTY-20240621-2',
      }),
    );
    if (!p.ok) throw new Error(`${p.code} ${p.gate} ${p.message}`);
    expect(p.orders.map((o) => `${o.payload.leg}:${o.payload.action}`)).toEqual([
      'long_put:BUY',
      'long_call:BUY',
      'short_put:SELL',
      'short_call:SELL',
    ]);
    expect(
      planLegging({ strategyType: 'IRON_CONDOR', legs: legSpecs(p.orders), basketSupported: false }).ok,
    ).toBe(true);
  });

  it('VIX above 30 halves the size at step 4; correlation above 0.7 cuts it at step 5', () => {
    const base = planEntry(entryInput());
    const cut = planEntry(entryInput({ market: { ewmaDailyVol: 0.05, vix: 35, correlation: 0.9 } }));
    if (!base.ok || !cut.ok) throw new Error('expected plans');
    const s4 = cut.trace.find((s) => s.step === 4)!;
    const s5 = cut.trace.find((s) => s.step === 5)!;
    expect(s4.output).toBeCloseTo(s4.input! * 0.5, 9);
    expect(s5.output).toBeCloseTo(s5.input! * 0.7, 9);
    expect(cut.lots).toBeLessThan(base.lots);
  });
});

describe('planEntry — §6 notional headroom', () => {
  it('cuts lots to what fits under 5× capital instead of proposing a size the gate refuses', () => {
    const free = planEntry(entryInput());
    const tight = planEntry(entryInput({ account: account({ gross: 40_000_000 }) }));
    if (!free.ok || !tight.ok) throw new Error('expected plans');
    const notionalPerLot = 25 * tight.orders.reduce((s, o) => s + o.payload.strike!, 0);
    expect(tight.lots).toBe(Math.floor(10_000_000 / notionalPerLot));
    expect(tight.lots).toBeLessThan(free.lots);
    expect(tight.trace.at(-1)).toMatchObject({ step: 10, name: 'notional_headroom', output: tight.lots });
    expect(tight.orders.every((o) => o.payload.quantity === tight.lots * 25)).toBe(true);
  });
});

describe('planEntry — every sizing or cap failure is a denial with no orders', () => {
  const cases: Array<[string, Parameters<typeof entryInput>[0], string, string]> = [
    [
      'invalid input (no volatility)',
      { market: { ewmaDailyVol: 0 } },
      'SIZING_INVALID_INPUT',
      'sizing.step0',
    ],
    ['Kelly: no edge', { edge: { winRate: 0.2, rewardRisk: 1 } }, 'SIZING_ZERO_LOTS', 'sizing.step9'],
    ['zero lots (huge vol)', { market: { ewmaDailyVol: 50 } }, 'SIZING_ZERO_LOTS', 'sizing.step9'],
    [
      'sector heat',
      { account: account({ available: 7_000_000, used: 3_000_000, byUnderlying: { NIFTY: 3_000_000 } }) },
      'SIZING_SECTOR_HEAT',
      'sizing.step6',
    ],
    [
      'position cap',
      {
        book: book(
          Array.from({ length: 10 }, (_, i) => ({
            symbol: `X${i}`,
            exchange: 'NFO',
            product: 'NRML' as const,
            quantity: 1,
            average_price: 1,
            strategy_id: `OTHER-${i}`,
          })),
        ),
      },
      'SIZING_POSITION_CAP',
      'sizing.step7',
    ],
    [
      'stale margin',
      { account: account({ asOfMs: NOW_MS - 60_001 }) },
      'SIZING_MARGIN_STALE',
      'sizing.step8',
    ],
    [
      'margin reserve',
      { account: account({ available: 2_600_000, used: 7_400_000 }) },
      'SIZING_MARGIN_RESERVE',
      'sizing.step8',
    ],
    [
      'stale chain greeks (§4)',
      { chain: { ...CHAIN, asOfMs: NOW_MS - 120_001 } },
      'GREEKS_API_STALE',
      'freshness.chain',
    ],
    ['§6 notional cap', { account: account({ gross: 49_900_000 }) }, 'BREAKER_NOTIONAL', 'breaker.notional'],
    [
      '§6 per-underlying cap',
      { account: account({ used: 1_000_000, byUnderlying: { NIFTY: 400_000, BANKNIFTY: 600_000 } }) },
      'BREAKER_UNDERLYING_CAP',
      'breaker.underlying_cap',
    ],
    [
      '§6 daily loss',
      { account: account({ realized: -700_000 }) },
      'BREAKER_DAILY_LOSS',
      'breaker.daily_loss',
    ],
    [
      'regime does not fit the strategy',
      {
        opportunity: {
          strategyType: 'BULL_PUT_SPREAD',
          underlying: 'NIFTY',
          regime: regime({ regime: 'BEARISH' }),
        },
      },
      'SIZING_INVALID_INPUT',
      'strategy.regime',
    ],
    [
      'VIX no-trade flag',
      {
        opportunity: {
          strategyType: 'BULL_PUT_SPREAD',
          underlying: 'NIFTY',
          regime: regime({ flags: ['VIX_NO_TRADE'] }),
        },
      },
      'SIZING_INVALID_INPUT',
      'strategy.regime',
    ],
    [
      'strategy not enabled',
      {
        config: riskConfig({ TOMIC_ENABLED_STRATEGIES: 'IRON_CONDOR' }),
      },
      'SIZING_INVALID_INPUT',
      'strategy.disabled',
    ],
    [
      'already open on the underlying',
      {
        book: book([
          {
            symbol: 'NIFTY27JUN2423250PE',
            exchange: 'NFO',
            product: 'NRML',
            quantity: -25,
            average_price: 52,
            strategy_id: 'BPS-NIFTY-20240620-9',
            leg: 'short_put',
            underlying: 'NIFTY',
          },
        ]),
      },
      'IDEMPOTENCY_SKIP',
      'risk.already_open',
    ],
    [
      'no expiry in the DTE window',
      { config: riskConfig({ TOMIC_MIN_DTE: '10' }) },
      'SIZING_INVALID_INPUT',
      'strategy.no_expiry_in_window',
    ],
  ];
  it.each(cases)('%s', (_name, over, code, gate) => {
    const p = planEntry(entryInput(over));
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(p.code).toBe(code);
    expect(p.gate).toBe(gate);
    expect(p.event).toMatchObject({ code, gate });
    expect('orders' in p).toBe(false);
  });
});

describe('exits', () => {
  const id = 'BPS-NIFTY-20240621-1';
  const rows = [
    {
      symbol: 'NIFTY27JUN2423250PE',
      exchange: 'NFO',
      product: 'NRML' as const,
      quantity: -50,
      average_price: 52,
      strategy_id: id,
      leg: 'short_put',
      underlying: 'NIFTY',
    },
    {
      symbol: 'NIFTY27JUN2423050PE',
      exchange: 'NFO',
      product: 'NRML' as const,
      quantity: 50,
      average_price: 21,
      strategy_id: id,
      leg: 'long_put',
      underlying: 'NIFTY',
    },
    { symbol: 'RELIANCE', exchange: 'NSE', product: 'CNC' as const, quantity: 10, average_price: 2500 },
  ];

  it('rebuilds open strategies from the book (legs from leg names and symbols)', () => {
    const open = openStrategiesFromBook(book(rows), () => ({ lotSize: 25, entryUnderlying: 23_500 }));
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      strategyId: id,
      strategyType: 'BULL_PUT_SPREAD',
      underlying: 'NIFTY',
      expiry: '2024-06-27',
      lotSize: 25,
      entryUnderlying: 23_500,
    });
    expect(open[0]!.legs.map((l) => [l.name, l.role, l.strike, l.quantity])).toEqual([
      ['short_put', 'SHORT', 23250, 50],
      ['long_put', 'HEDGE', 23050, 50],
    ]);
    expect(strategyTypeOfId('IC-NIFTY-1')).toBe('IRON_CONDOR');
    expect(strategyTypeOfId('TOMIC_VOL_BPS_NIFTY_20260215')).toBeNull();
  });

  it('EXIT group: buy back the short first, then sell the hedge; distinct keys from the entry', () => {
    const open = openStrategiesFromBook(book(rows), () => ({ lotSize: 25 }))[0]!;
    const decision = evaluateExit(open, {}, 23_200, riskConfig().strategy, F.wallMs);
    if (decision.action !== 'CLOSE') throw new Error('expected a close');
    const orders = planExit({ open, decision, config: riskConfig(), nowMs: NOW_MS, nowWallMs: F.wallMs });
    expect(orders.map((o) => [o.payload.leg, o.payload.action, o.payload.group.leg_index])).toEqual([
      ['short_put', 'BUY', 0],
      ['long_put', 'SELL', 1],
    ]);
    expect(orders.map((o) => o.idempotency_key)).toEqual([`${id}:short_put:BUY`, `${id}:long_put:SELL`]);
    for (const o of orders) {
      expect(o.payload.intent).toBe('EXIT');
      expect(o.payload.quantity).toBe(50);
      expect(o.payload.group.group_id).toBe(`${id}:exit`);
      expect(o.payload.reason).toContain('SHORT_STRIKE_BREACHED');
    }
    const plan = planLegging({
      strategyType: 'BULL_PUT_SPREAD',
      legs: legSpecs(orders),
      basketSupported: false,
      direction: 'CLOSE',
    });
    expect(plan.ok).toBe(true);
  });
});
