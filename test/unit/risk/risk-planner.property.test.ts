import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planEntry, planExit } from '../../../src/agents/risk/index.js';
import type { RegimeClass } from '../../../src/contracts/index.js';
import type { CreditStrategyType, LegName, OpenStrategy } from '../../../src/strategy/index.js';
import { chainOf, UPSTOX_0626 } from '../strategy/chain-fixture.js';
import { account, CHAIN, entryInput, F, NOW_MS, regime, riskConfig } from './fixtures.js';

const CFG = riskConfig();
const CHAIN_0626 = { ...chainOf(UPSTOX_0626.id, 'NIFTY', UPSTOX_0626.spot, { lotSize: 25 }), asOfMs: NOW_MS };
const REGIME_OF: Record<CreditStrategyType, RegimeClass> = {
  BULL_PUT_SPREAD: 'BULLISH',
  BEAR_CALL_SPREAD: 'BEARISH',
  IRON_CONDOR: 'CONGESTION',
};
const CODE: Record<CreditStrategyType, string> = {
  BULL_PUT_SPREAD: 'BPS',
  BEAR_CALL_SPREAD: 'BCS',
  IRON_CONDOR: 'IC',
};

const arbInput = fc.record({
  type: fc.constantFrom<CreditStrategyType>('BULL_PUT_SPREAD', 'BEAR_CALL_SPREAD', 'IRON_CONDOR'),
  late: fc.boolean(),
  vol: fc.double({ min: 0.002, max: 0.2, noNaN: true }),
  capital: fc.integer({ min: 1_000_000, max: 100_000_000 }),
  available: fc.integer({ min: 0, max: 100_000_000 }),
  used: fc.integer({ min: 1, max: 100_000_000 }),
  vix: fc.double({ min: 0, max: 60, noNaN: true }),
  correlation: fc.double({ min: -1, max: 1, noNaN: true }),
  wing: fc.integer({ min: 1, max: 8 }),
  shortDelta: fc.double({ min: 0.1, max: 0.35, noNaN: true }),
  marginPerLot: fc.option(fc.integer({ min: 1_000, max: 300_000 }), { nil: undefined }),
  winRate: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
});

type In = typeof arbInput extends fc.Arbitrary<infer T> ? T : never;

function run(a: In) {
  const late = a.late;
  return planEntry(
    entryInput({
      opportunity: {
        strategyType: a.type,
        underlying: 'NIFTY',
        regime: regime({ regime: REGIME_OF[a.type] }),
      },
      chain: late ? CHAIN_0626 : CHAIN,
      nowWallMs: late ? UPSTOX_0626.wallMs : F.wallMs,
      account: account({ capital: a.capital, available: a.available, used: a.used }),
      market: { ewmaDailyVol: a.vol, vix: a.vix, correlation: a.correlation },
      config: {
        ...CFG,
        strategy: { ...CFG.strategy, minDte: 0, wingWidthStrikes: a.wing, shortDelta: a.shortDelta },
      },
      strategyId: `${CODE[a.type]}-NIFTY-20240621-1`,
      ...(a.marginPerLot !== undefined ? { marginPerLot: a.marginPerLot } : {}),
      ...(a.winRate !== undefined ? { edge: { winRate: a.winRate, rewardRisk: 1 } } : {}),
    }),
  );
}

describe('planner properties', () => {
  it('never emits a short without its hedge of ≥ equal quantity, earlier in the same group', () => {
    let planned = 0;
    fc.assert(
      fc.property(arbInput, (a) => {
        const p = run(a);
        if (!p.ok) return;
        planned++;
        for (const s of p.orders.filter((o) => o.payload.group.role === 'SHORT')) {
          const h = p.orders.find((o) => o.payload.leg === s.payload.group.pair_leg);
          expect(h).toBeDefined();
          expect(h!.payload.group.role).toBe('HEDGE');
          expect(h!.payload.action).toBe('BUY');
          expect(s.payload.action).toBe('SELL');
          expect(h!.payload.group.group_id).toBe(s.payload.group.group_id);
          expect(h!.payload.quantity).toBeGreaterThanOrEqual(s.payload.quantity);
          expect(h!.payload.group.leg_index).toBeLessThan(s.payload.group.leg_index);
          expect(h!.payload.option_type).toBe(s.payload.option_type);
          // The hedge is further out of the money than its short.
          if (s.payload.option_type === 'PE') expect(h!.payload.strike!).toBeLessThan(s.payload.strike!);
          else expect(h!.payload.strike!).toBeGreaterThan(s.payload.strike!);
        }
      }),
      { numRuns: 300 },
    );
    expect(planned).toBeGreaterThan(10);
  });

  it('lots never exceed the sizing chain’s result; a denial carries no orders', () => {
    fc.assert(
      fc.property(arbInput, (a) => {
        const p = run(a);
        if (!p.ok) {
          expect('orders' in p).toBe(false);
          return;
        }
        const chainLots = p.trace.find((s) => s.step === 9)!.output;
        expect(p.lots).toBeLessThanOrEqual(chainLots);
        expect(p.lots).toBe(p.trace.at(-1)!.output);
        const smallest = Math.min(...p.trace.filter((s) => s.step >= 1 && s.step <= 8).map((s) => s.output));
        expect(p.lots).toBeLessThanOrEqual(Math.floor(smallest));
        expect(p.lots).toBeGreaterThanOrEqual(1);
        for (const o of p.orders) expect(o.payload.quantity).toBe(p.lots * o.payload.lot_size);
      }),
      { numRuns: 300 },
    );
  });

  const LEGS: Record<CreditStrategyType, LegName[]> = {
    BULL_PUT_SPREAD: ['long_put', 'short_put'],
    BEAR_CALL_SPREAD: ['long_call', 'short_call'],
    IRON_CONDOR: ['long_put', 'long_call', 'short_put', 'short_call'],
  };
  const arbOpen = fc
    .record({
      type: fc.constantFrom<CreditStrategyType>('BULL_PUT_SPREAD', 'BEAR_CALL_SPREAD', 'IRON_CONDOR'),
      qty: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 4, maxLength: 4 }),
      order: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 4, maxLength: 4 }),
    })
    .map(({ type, qty, order }): OpenStrategy => {
      const names = LEGS[type]
        .map((n, i) => ({ n, k: order[i]! }))
        .sort((x, y) => x.k - y.k)
        .map((x) => x.n);
      return {
        strategyId: `${CODE[type]}-NIFTY-20240621-3`,
        strategyType: type,
        underlying: 'NIFTY',
        exchange: 'NFO',
        expiry: '2024-06-27',
        lotSize: 25,
        legs: names.map((n, i) => ({
          name: n,
          role: n.startsWith('short') ? 'SHORT' : 'HEDGE',
          optionType: n.endsWith('put') ? 'PE' : 'CE',
          strike: 23_000 + i * 100,
          symbol: `NIFTY27JUN24${23_000 + i * 100}${n.endsWith('put') ? 'PE' : 'CE'}`,
          quantity: qty[i]! * 25,
          entryPrice: 10,
        })),
      };
    });

  it('exit groups buy back every short before selling any hedge', () => {
    fc.assert(
      fc.property(arbOpen, (open) => {
        const orders = planExit({
          open,
          decision: { action: 'CLOSE', reason: 'STOP_LOSS', message: 'test', details: {} },
          config: CFG,
          nowMs: NOW_MS,
          nowWallMs: F.wallMs,
        });
        expect(orders).toHaveLength(open.legs.length);
        const buys = orders.filter((o) => o.payload.action === 'BUY');
        const sells = orders.filter((o) => o.payload.action === 'SELL');
        expect(buys.map((o) => o.payload.leg).sort()).toEqual(
          open.legs
            .filter((l) => l.role === 'SHORT')
            .map((l) => l.name)
            .sort(),
        );
        const lastBuy = Math.max(...buys.map((o) => o.payload.group.leg_index));
        const firstSell = Math.min(...sells.map((o) => o.payload.group.leg_index));
        expect(lastBuy).toBeLessThan(firstSell);
        for (const o of orders) {
          expect(o.payload.intent).toBe('EXIT');
          expect(o.idempotency_key).toBe(`${open.strategyId}:${o.payload.leg}:${o.payload.action}`);
          expect(o.payload.quantity).toBe(open.legs.find((l) => l.name === o.payload.leg)!.quantity);
        }
      }),
      { numRuns: 200 },
    );
  });
});
