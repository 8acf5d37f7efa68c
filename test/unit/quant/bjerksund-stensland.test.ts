import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocPricingColumns,
  bjerksundStensland,
  bjerksundStenslandBatch,
  bjerksundStenslandPrice,
  bjerksundStenslandPriceBatch,
  blackScholes,
  blackScholesPrice,
  type OptionFlag,
} from '../../../src/quant/index.js';

describe('Bjerksund–Stensland 2002 against Haug’s published table', () => {
  // Haug, "The Complete Guide to Option Pricing Formulas", 2nd ed. (2007), Table 3-2
  // "Comparison of Values from the Bjerksund and Stensland (2002) and (1993) Models":
  // futures options, X = 100, r = 0.1, b = 0 (so q = r = 0.1), futures price 90 / 100 / 110.
  const table: [OptionFlag, number, number, [number, number, number]][] = [
    ['c', 0.1, 0.15, [0.0205, 1.8757, 10.0]],
    ['c', 0.1, 0.25, [0.3151, 3.1256, 10.3725]],
    ['c', 0.1, 0.35, [0.9479, 4.3746, 11.1578]],
    ['c', 0.5, 0.15, [0.8099, 4.0628, 10.7898]],
    ['c', 0.5, 0.25, [2718e-3, 6.7661, 12.9814]],
    ['c', 0.5, 0.35, [4.9665, 9.4608, 15.5137]],
    ['p', 0.1, 0.15, [10.0, 1.8757, 0.0408]],
    ['p', 0.1, 0.25, [10.228, 3.1256, 0.4552]],
    ['p', 0.1, 0.35, [10.8663, 4.3746, 1.2383]],
    ['p', 0.5, 0.15, [10.54, 4.0628, 1.0689]],
    ['p', 0.5, 0.25, [12.4097, 6.7661, 3.2932]],
    ['p', 0.5, 0.35, [14.6445, 9.4608, 5.8374]],
  ];
  it.each(table)('%s T=%d σ=%d at S = 90, 100, 110 to 1e-4', (flag, T, sigma, values) => {
    [90, 100, 110].forEach((S, k) => {
      const price = bjerksundStensland({ flag, S, K: 100, T, r: 0.1, q: 0.1, sigma }).price;
      expect(Math.abs(price - values[k]!)).toBeLessThanOrEqual(1e-4);
    });
  });
});

const domain = fc.record({
  S: fc.double({ min: 20, max: 500, noNaN: true }),
  m: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
  T: fc.double({ min: 0.01, max: 2, noNaN: true }),
  r: fc.double({ min: 0, max: 0.15, noNaN: true }),
  q: fc.double({ min: 0, max: 0.12, noNaN: true }),
  sigma: fc.double({ min: 0.05, max: 1.2, noNaN: true }),
  call: fc.boolean(),
});

describe('properties', () => {
  it('American ≥ European and ≥ immediate exercise', () => {
    fc.assert(
      fc.property(domain, ({ S, m, T, r, q, sigma, call }) => {
        const flag: OptionFlag = call ? 'c' : 'p';
        const K = S * Math.exp(m);
        const am = bjerksundStenslandPrice({ flag, S, K, T, r, q, sigma });
        const eu = blackScholesPrice({ flag, S, K, T, r, q, sigma });
        expect(am).toBeGreaterThanOrEqual(eu);
        expect(am).toBeGreaterThanOrEqual(call ? S - K : K - S);
      }),
      { numRuns: 200 },
    );
  });

  it('a call without dividends is never exercised early: equals Black–Scholes, greeks included', () => {
    fc.assert(
      fc.property(domain, ({ S, m, T, r: r0, sigma }) => {
        // Keep r (and the rho bump below it) positive: with r < 0 early exercise of a deep
        // in-the-money call does pay, and the American value sits on its intrinsic floor.
        const r = Math.max(r0, 1e-3);
        const K = S * Math.exp(m);
        const am = bjerksundStensland({ flag: 'c', S, K, T, r, q: 0, sigma });
        const eu = blackScholes({ flag: 'c', S, K, T, r, q: 0, sigma });
        expect(am.price).toBe(eu.price);
        expect(Math.abs(am.delta - eu.delta)).toBeLessThan(1e-5);
        // Difference-quotient rounding near the intrinsic floor is ~ε·S/h², ~1e-6 at the shortest dates.
        expect(Math.abs(am.gamma - eu.gamma)).toBeLessThan(1e-4 * eu.gamma + 2e-6);
        expect(Math.abs(am.vega - eu.vega)).toBeLessThan(1e-6 * S);
        expect(Math.abs(am.theta - eu.theta)).toBeLessThan(1e-6 * S);
        expect(Math.abs(am.rho - eu.rho)).toBeLessThan(1e-6 * S);
      }),
      { numRuns: 60 },
    );
  });

  it('greeks have the right signs: put delta in [−1, 0], gamma and vega ≥ 0', () => {
    fc.assert(
      fc.property(domain, ({ S, m, T, r, q, sigma }) => {
        const g = bjerksundStensland({ flag: 'p', S, K: S * Math.exp(m), T, r, q, sigma });
        expect(g.delta).toBeLessThanOrEqual(1e-9);
        expect(g.delta).toBeGreaterThanOrEqual(-1 - 1e-6);
        expect(g.gamma).toBeGreaterThanOrEqual(-1e-6);
        expect(g.vega).toBeGreaterThanOrEqual(-1e-9);
      }),
      { numRuns: 60 },
    );
  });

  it('batch rows equal the scalar form exactly', () => {
    const rows = fc.sample(domain, { numRuns: 25, seed: 6 });
    const n = rows.length;
    const cols = allocPricingColumns(n);
    rows.forEach((d, i) => {
      cols.flag[i] = d.call ? 1 : 0;
      cols.S[i] = d.S;
      cols.K[i] = d.S * Math.exp(d.m);
      cols.T[i] = d.T;
      cols.r[i] = d.r;
      cols.q[i] = d.q;
      cols.sigma[i] = d.sigma;
    });
    const out = bjerksundStenslandBatch(cols);
    const prices = bjerksundStenslandPriceBatch(cols);
    rows.forEach((d, i) => {
      const g = bjerksundStensland({
        flag: d.call ? 'c' : 'p',
        S: d.S,
        K: cols.K[i]!,
        T: d.T,
        r: d.r,
        q: d.q,
        sigma: d.sigma,
      });
      expect([out.price[i], out.delta[i], out.gamma[i], out.vega[i], out.theta[i], out.rho[i]]).toEqual([
        g.price,
        g.delta,
        g.gamma,
        g.vega,
        g.theta,
        g.rho,
      ]);
      expect(prices[i]).toBe(g.price);
    });
  });
});

describe('edges', () => {
  it('deep in-the-money American put is worth exactly its intrinsic value (exercise now)', () => {
    expect(bjerksundStenslandPrice({ flag: 'p', S: 50, K: 100, T: 1, r: 0.1, q: 0, sigma: 0.2 })).toBe(50);
  });
  it('at expiry the value is intrinsic', () => {
    expect(bjerksundStenslandPrice({ flag: 'c', S: 110, K: 100, T: 0, r: 0.05, q: 0.05, sigma: 0.3 })).toBe(
      10,
    );
  });
  it('tiny volatility does not overflow (β in the thousands)', () => {
    const p = bjerksundStenslandPrice({ flag: 'c', S: 100, K: 100, T: 1, r: 0.05, q: 0.05, sigma: 0.0021 });
    expect(Number.isFinite(p)).toBe(true);
    expect(p).toBeGreaterThanOrEqual(
      blackScholesPrice({ flag: 'c', S: 100, K: 100, T: 1, r: 0.05, q: 0.05, sigma: 0.0021 }),
    );
  });
  it('invalid input throws RangeError', () => {
    expect(() => bjerksundStensland({ flag: 'c', S: 0, K: 100, T: 1, r: 0.05, q: 0, sigma: 0.2 })).toThrow(
      RangeError,
    );
  });
});
