import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocGreeksColumns,
  allocPricingColumns,
  blackScholes,
  blackScholesBatch,
  blackScholesPrice,
  blackScholesPriceBatch,
  type OptionFlag,
} from '../../../src/quant/index.js';

type Row = [OptionFlag, number, number, number, number, number, number, number];

describe('Black–Scholes–Merton prices against published values', () => {
  // Haug, "Option Pricing Formulas" (1998) pp. 2–8, 24, 27, as tabulated in QuantLib's
  // test-suite/europeanoption.cpp (testValues): flag, K, S, q, r, T, sigma, value (4 dp).
  const haug: Row[] = [
    ['c', 65, 60, 0, 0.08, 0.25, 0.3, 2.1334],
    ['p', 95, 100, 0.05, 0.1, 0.5, 0.2, 2.4648],
    ['p', 19, 19, 0.1, 0.1, 0.75, 0.28, 1.7011],
    ['c', 19, 19, 0.1, 0.1, 0.75, 0.28, 1.7011],
    ['c', 1.6, 1.56, 0.08, 0.06, 0.5, 0.12, 0.0291],
    ['p', 70, 75, 0.05, 0.1, 0.5, 0.35, 4.087],
    ['c', 100, 90, 0.1, 0.1, 0.1, 0.15, 0.0205],
    ['c', 100, 100, 0.1, 0.1, 0.1, 0.15, 1.8734],
    ['c', 100, 110, 0.1, 0.1, 0.1, 0.15, 9.9413],
    ['c', 100, 90, 0.1, 0.1, 0.1, 0.25, 0.315],
    ['c', 100, 100, 0.1, 0.1, 0.1, 0.25, 3.1217],
    ['c', 100, 110, 0.1, 0.1, 0.1, 0.25, 10.3556],
    ['c', 100, 90, 0.1, 0.1, 0.1, 0.35, 0.9474],
    ['c', 100, 100, 0.1, 0.1, 0.1, 0.35, 4.3693],
    ['c', 100, 110, 0.1, 0.1, 0.1, 0.35, 11.1381],
    ['c', 100, 90, 0.1, 0.1, 0.5, 0.15, 0.8069],
    ['c', 100, 100, 0.1, 0.1, 0.5, 0.15, 4.0232],
    ['c', 100, 110, 0.1, 0.1, 0.5, 0.15, 10.5769],
    ['c', 100, 90, 0.1, 0.1, 0.5, 0.25, 2.7026],
    ['c', 100, 100, 0.1, 0.1, 0.5, 0.25, 6.6997],
    ['c', 100, 110, 0.1, 0.1, 0.5, 0.25, 12.7857],
    ['c', 100, 90, 0.1, 0.1, 0.5, 0.35, 4.9329],
    ['c', 100, 100, 0.1, 0.1, 0.5, 0.35, 9.3679],
    ['c', 100, 110, 0.1, 0.1, 0.5, 0.35, 15.3086],
    ['p', 100, 90, 0.1, 0.1, 0.1, 0.15, 9.921],
    ['p', 100, 100, 0.1, 0.1, 0.1, 0.15, 1.8734],
    ['p', 100, 110, 0.1, 0.1, 0.1, 0.15, 0.0408],
    ['p', 100, 90, 0.1, 0.1, 0.1, 0.25, 10.2155],
    ['p', 100, 100, 0.1, 0.1, 0.1, 0.25, 3.1217],
    ['p', 100, 110, 0.1, 0.1, 0.1, 0.25, 0.4551],
    ['p', 100, 90, 0.1, 0.1, 0.1, 0.35, 10.8479],
    ['p', 100, 100, 0.1, 0.1, 0.1, 0.35, 4.3693],
    ['p', 100, 110, 0.1, 0.1, 0.1, 0.35, 1.2376],
    ['p', 100, 90, 0.1, 0.1, 0.5, 0.15, 10.3192],
    ['p', 100, 100, 0.1, 0.1, 0.5, 0.15, 4.0232],
    ['p', 100, 110, 0.1, 0.1, 0.5, 0.15, 1.0646],
    ['p', 100, 90, 0.1, 0.1, 0.5, 0.25, 12.2149],
    ['p', 100, 100, 0.1, 0.1, 0.5, 0.25, 6.6997],
    ['p', 100, 110, 0.1, 0.1, 0.5, 0.25, 3.2734],
    ['p', 100, 90, 0.1, 0.1, 0.5, 0.35, 14.4452],
    ['p', 100, 100, 0.1, 0.1, 0.5, 0.35, 9.3679],
    ['p', 100, 110, 0.1, 0.1, 0.5, 0.35, 5.7963],
    ['c', 40, 42, 0.08, 0.04, 0.75, 0.35, 5.0975],
  ];
  // Tolerance 1e-4 as in QuantLib: Haug's fourth decimal is truncated in places (1.8734 for 1.873455).
  it.each(haug)('Haug %s K=%d S=%d q=%d r=%d T=%d σ=%d → %d (±1e-4)', (flag, K, S, q, r, T, sigma, v) => {
    expect(Math.abs(blackScholes({ flag, S, K, T, r, q, sigma }).price - v)).toBeLessThanOrEqual(1e-4);
  });

  it('Hull, Options Futures and Other Derivatives, Example 15.6: c = 4.76, p = 0.81', () => {
    const base = { S: 42, K: 40, T: 0.5, r: 0.1, q: 0, sigma: 0.2 };
    expect(blackScholes({ flag: 'c', ...base }).price).toBeCloseTo(4.76, 2);
    expect(blackScholes({ flag: 'p', ...base }).price).toBeCloseTo(0.81, 2);
  });

  it('py_vollib doctests (black_scholes_merton): ATM call 5.87602423383 to 1e-9', () => {
    const p = blackScholesPrice({ flag: 'c', S: 100, K: 100, T: 0.5, r: 0.01, q: 0, sigma: 0.2 });
    expect(Math.abs(p - 5.87602423383)).toBeLessThan(1e-9);
  });
});

describe('greeks against published values (py_vollib conventions)', () => {
  // py_vollib black_scholes_merton/greeks/analytical.py doctests, Hull Examples 17.1–17.7:
  // S=49, K=50, r=0.05, T=0.3846, σ=0.2, q=0 (values printed to 12 digits in the doctests).
  const hull = { S: 49, K: 50, T: 0.3846, r: 0.05, q: 0, sigma: 0.2 };
  const c = blackScholes({ flag: 'c', ...hull });
  const p = blackScholes({ flag: 'p', ...hull });
  it('delta 0.521601633972', () => expect(Math.abs(c.delta - 0.521601633972)).toBeLessThan(1e-9));
  it('gamma 0.0655453772525', () => expect(Math.abs(c.gamma - 0.0655453772525)).toBeLessThan(1e-9));
  it('vega (per vol point) 0.121052427542', () =>
    expect(Math.abs(c.vega - 0.121052427542)).toBeLessThan(1e-9));
  it('rho (per 1 %) 0.089065740988', () => expect(Math.abs(c.rho - 0.089065740988)).toBeLessThan(1e-9));
  it('annual call theta −4.30538996455 and put theta −1.8530056722', () => {
    expect(Math.abs(c.theta * 365 - -4.30538996455)).toBeLessThan(1e-8);
    expect(Math.abs(p.theta * 365 - -1.8530056722)).toBeLessThan(1e-8);
  });

  // Haug (1998) pp. 11–16 as in QuantLib europeanoption.cpp testGreekValues (4 dp).
  it('Haug delta: call 0.5946, put −0.3566 (S=105 K=100 T=0.5 r=q=0.1 σ=0.36)', () => {
    const g = { S: 105, K: 100, T: 0.5, r: 0.1, q: 0.1, sigma: 0.36 };
    expect(Math.abs(blackScholes({ flag: 'c', ...g }).delta - 0.5946)).toBeLessThan(5e-5);
    expect(Math.abs(blackScholes({ flag: 'p', ...g }).delta - -0.3566)).toBeLessThan(5e-5);
  });
  it('Haug gamma 0.0278 and vega 18.9358 per unit σ (S=55 K=60 T=0.75 r=0.1 σ=0.3)', () => {
    const g = { S: 55, K: 60, T: 0.75, r: 0.1, q: 0, sigma: 0.3 };
    for (const flag of ['c', 'p'] as const) {
      const x = blackScholes({ flag, ...g });
      expect(Math.abs(x.gamma - 0.0278)).toBeLessThan(5e-5);
      expect(Math.abs(x.vega * 100 - 18.9358)).toBeLessThan(5e-5);
    }
  });
  it('Haug put theta −31.1924 per year, −0.0855 per day (S=430 K=405 T=1/12 r=0.07 q=0.05 σ=0.2)', () => {
    const x = blackScholes({ flag: 'p', S: 430, K: 405, T: 1 / 12, r: 0.07, q: 0.05, sigma: 0.2 });
    expect(Math.abs(x.theta * 365 - -31.1924)).toBeLessThan(5e-5);
    expect(Math.abs(x.theta - -0.0855)).toBeLessThan(5e-5);
  });
  it('Haug call rho 38.7325 per unit r (S=72 K=75 T=1 r=0.09 σ=0.19)', () => {
    const x = blackScholes({ flag: 'c', S: 72, K: 75, T: 1, r: 0.09, q: 0, sigma: 0.19 });
    expect(Math.abs(x.rho * 100 - 38.7325)).toBeLessThan(5e-5);
  });
});

const domain = fc.record({
  S: fc.double({ min: 10, max: 50_000, noNaN: true }),
  m: fc.double({ min: -0.6, max: 0.6, noNaN: true }),
  T: fc.double({ min: 1 / 365, max: 3, noNaN: true }),
  r: fc.double({ min: -0.01, max: 0.15, noNaN: true }),
  q: fc.double({ min: 0, max: 0.08, noNaN: true }),
  sigma: fc.double({ min: 0.01, max: 3, noNaN: true }),
});

describe('properties', () => {
  it('put–call parity: C − P = S·e^{−qT} − K·e^{−rT}', () => {
    fc.assert(
      fc.property(domain, ({ S, m, T, r, q, sigma }) => {
        const K = S * Math.exp(m);
        const c = blackScholes({ flag: 'c', S, K, T, r, q, sigma }).price;
        const p = blackScholes({ flag: 'p', S, K, T, r, q, sigma }).price;
        const fwd = S * Math.exp(-q * T) - K * Math.exp(-r * T);
        expect(Math.abs(c - p - fwd)).toBeLessThanOrEqual(1e-12 * Math.max(S, K));
      }),
      { numRuns: 200 },
    );
  });

  it('greeks equal central finite differences of the price', () => {
    fc.assert(
      fc.property(domain, fc.constantFrom<OptionFlag>('c', 'p'), ({ S, m, T, r, q, sigma }, flag) => {
        const K = S * Math.exp(m);
        const g = blackScholes({ flag, S, K, T, r, q, sigma });
        const price = (o: Partial<{ S: number; T: number; r: number; sigma: number }>): number =>
          blackScholesPrice({ flag, S, K, T, r, q, sigma, ...o });
        // Steps scale with the width of the price kernel (S·σ√T), so the difference quotients
        // resolve it for a one-day 1 % vol option as well as for a three-year 300 % one.
        const sd = sigma * Math.sqrt(T);
        const hS = 1e-3 * S * sd;
        const up = price({ S: S + hS });
        const dn = price({ S: S - hS });
        const hv = 1e-4 * sigma;
        const ht = 1e-4 * T;
        const hr = 1e-6;
        const tol = (x: number, scale: number) => 1e-5 * scale + 1e-4 * Math.abs(x);
        expect(Math.abs(g.delta - (up - dn) / (2 * hS))).toBeLessThan(tol(g.delta, 1e-2));
        expect(Math.abs(g.gamma - (up - 2 * g.price + dn) / (hS * hS))).toBeLessThan(
          tol(g.gamma, 1 / S) + 1e-9 / (S * sd * sd),
        );
        const vega = ((price({ sigma: sigma + hv }) - price({ sigma: sigma - hv })) / (2 * hv)) * 0.01;
        expect(Math.abs(g.vega - vega)).toBeLessThan(tol(g.vega, S * 1e-3));
        const theta = -(price({ T: T + ht }) - price({ T: T - ht })) / (2 * ht) / 365;
        expect(Math.abs(g.theta - theta)).toBeLessThan(tol(g.theta, S * 1e-3));
        const rho = ((price({ r: r + hr }) - price({ r: r - hr })) / (2 * hr)) * 0.01;
        expect(Math.abs(g.rho - rho)).toBeLessThan(tol(g.rho, S * 1e-3));
      }),
      { numRuns: 200 },
    );
  });

  it('batch rows equal the scalar form bit for bit', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(domain, fc.boolean()), { minLength: 1, maxLength: 40 }), (rows) => {
        const n = rows.length;
        const cols = allocPricingColumns(n);
        rows.forEach(([d, call], i) => {
          cols.flag[i] = call ? 1 : 0;
          cols.S[i] = d.S;
          cols.K[i] = d.S * Math.exp(d.m);
          cols.T[i] = d.T;
          cols.r[i] = d.r;
          cols.q[i] = d.q;
          cols.sigma[i] = d.sigma;
        });
        const out = blackScholesBatch(cols, allocGreeksColumns(n));
        const prices = blackScholesPriceBatch(cols);
        rows.forEach(([d, call], i) => {
          const g = blackScholes({
            flag: call ? 'c' : 'p',
            S: d.S,
            K: cols.K[i]!,
            T: d.T,
            r: d.r,
            q: d.q,
            sigma: d.sigma,
          });
          expect(out.price[i]).toBe(g.price);
          expect(out.delta[i]).toBe(g.delta);
          expect(out.gamma[i]).toBe(g.gamma);
          expect(out.vega[i]).toBe(g.vega);
          expect(out.theta[i]).toBe(g.theta);
          expect(out.rho[i]).toBe(g.rho);
          expect(prices[i]).toBe(g.price);
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('edges', () => {
  it('at expiry (T = 0) the value is intrinsic with step delta', () => {
    const c = blackScholes({ flag: 'c', S: 110, K: 100, T: 0, r: 0.05, q: 0, sigma: 0.2 });
    expect(c).toMatchObject({ price: 10, delta: 1, gamma: 0, vega: 0 });
    const p = blackScholes({ flag: 'p', S: 110, K: 100, T: 0, r: 0.05, q: 0, sigma: 0.2 });
    expect(p).toMatchObject({ price: 0, delta: 0, gamma: 0, vega: 0 });
  });

  it('zero volatility prices the discounted forward payoff', () => {
    const c = blackScholes({ flag: 'c', S: 100, K: 90, T: 1, r: 0.05, q: 0.02, sigma: 0 });
    expect(c.price).toBeCloseTo(100 * Math.exp(-0.02) - 90 * Math.exp(-0.05), 14);
    expect(c.delta).toBeCloseTo(Math.exp(-0.02), 14);
  });

  it('deep out-of-the-money prices keep relative precision (no cancellation to 0)', () => {
    const p = blackScholesPrice({ flag: 'c', S: 100, K: 300, T: 0.1, r: 0, q: 0, sigma: 0.2 });
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-60);
  });

  it('invalid inputs throw RangeError (a bug upstream, not a market state)', () => {
    expect(() => blackScholes({ flag: 'c', S: Number.NaN, K: 100, T: 1, r: 0, q: 0, sigma: 0.2 })).toThrow(
      RangeError,
    );
    expect(() => blackScholes({ flag: 'c', S: 100, K: -1, T: 1, r: 0, q: 0, sigma: 0.2 })).toThrow(
      RangeError,
    );
    expect(() => blackScholes({ flag: 'c', S: 100, K: 100, T: -1, r: 0, q: 0, sigma: 0.2 })).toThrow(
      RangeError,
    );
    const cols = allocPricingColumns(2);
    cols.S.fill(100);
    cols.K.fill(100);
    cols.T.fill(1);
    cols.sigma[0] = 0.2;
    cols.sigma[1] = -0.2;
    expect(() => blackScholesBatch(cols)).toThrow(/row 1/);
  });
});
