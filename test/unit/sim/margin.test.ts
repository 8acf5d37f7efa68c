import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MARGIN_PARAMS, type MarginLeg, portfolioMargin } from '../../../src/sim/margin.js';

const S = 25_000;
const put = (strike: number, qty: number, premium: number): MarginLeg => ({
  kind: 'option',
  product: 'NRML',
  quantity: qty,
  price: premium,
  underlying: 'NIFTY',
  expiry: '2025-09-30',
  optionType: 'PE',
  strike,
  underlyingPrice: S,
});

describe('margin (OpenAlgo sandbox leverage + SPAN-like shorts + spread_leverage)', () => {
  it('equity MIS 5×, CNC 1×, futures 10×, long options full premium', () => {
    const m = (leg: MarginLeg) => portfolioMargin([leg]).total;
    expect(m({ kind: 'equity', product: 'MIS', quantity: 10, price: 1_000 })).toBeCloseTo(2_000);
    expect(m({ kind: 'equity', product: 'CNC', quantity: 10, price: 1_000 })).toBeCloseTo(10_000);
    expect(m({ kind: 'future', product: 'NRML', quantity: 75, price: 25_000 })).toBeCloseTo(187_500);
    expect(m(put(24_500, 75, 40))).toBeCloseTo(3_000);
  });

  it('a naked short is charged SPAN-like margin, far above its premium', () => {
    const naked = portfolioMargin([put(24_500, -75, 80)]);
    expect(naked.total).toBeGreaterThan(75 * 80 * 10);
    expect(naked.span).toBeGreaterThan(0);
    expect(naked.exposure).toBeCloseTo(0.02 * S * 75);
  });

  it('a bull put spread needs less margin than its naked short; margin_benefit reports the gap', () => {
    const naked = portfolioMargin([put(24_500, -75, 80)]).total;
    const spread = portfolioMargin([put(24_500, -75, 80), put(24_400, 75, 55)]);
    expect(spread.total).toBeLessThan(naked);
    expect(spread.benefit).toBeGreaterThan(0);
  });

  it('the benefit needs same underlying, expiry and type', () => {
    const naked = portfolioMargin([put(24_500, -75, 80)]).total;
    const otherExpiry = portfolioMargin([
      put(24_500, -75, 80),
      { ...put(24_400, 75, 55), expiry: '2025-10-28' },
    ]);
    expect(otherExpiry.total).toBeCloseTo(naked + 75 * 55);
    const call = portfolioMargin([put(24_500, -75, 80), { ...put(25_500, 75, 55), optionType: 'CE' }]);
    expect(call.total).toBeCloseTo(naked + 75 * 55);
  });

  it('property: a higher spread leverage never raises margin, and a hedge never costs more than naked + premium', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 1, max: 20, noNaN: true }),
        fc.integer({ min: -20, max: 20 }),
        (shortLots, longLots, lev, gap) => {
          const legs = [put(24_500, -75 * shortLots, 80), put(24_500 + gap * 50, 75 * longLots, 60)];
          const a = portfolioMargin(legs, { ...DEFAULT_MARGIN_PARAMS, spreadLeverage: lev }).total;
          const b = portfolioMargin(legs, { ...DEFAULT_MARGIN_PARAMS, spreadLeverage: lev + 1 }).total;
          expect(b).toBeLessThanOrEqual(a + 1e-6);
          const naked = portfolioMargin([legs[0]!]).total;
          expect(a).toBeLessThanOrEqual(naked + 75 * longLots * 60 + 1e-6);
        },
      ),
      { numRuns: 200 },
    );
  });
});
