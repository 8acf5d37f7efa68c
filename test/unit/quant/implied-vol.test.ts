import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocPricingColumns,
  bjerksundStenslandPrice,
  blackScholes,
  blackScholesPrice,
  blackScholesPriceBatch,
  IV_STATUS,
  impliedVolatility,
  impliedVolatilityBatch,
  ivStatusCode,
  type OptionFlag,
} from '../../../src/quant/index.js';

const sigmaOf = (r: ReturnType<typeof impliedVolatility>): number => {
  if (!r.ok) throw new Error(`expected a volatility, got ${r.code}`);
  return r.sigma;
};

describe('implied volatility (BSM) — published values', () => {
  it('py_vollib doctest: the ATM price 5.87602423383 (S=K=100, T=0.5, r=0.01) inverts to 0.2', () => {
    const iv = sigmaOf(
      impliedVolatility({ price: 5.87602423383, flag: 'c', S: 100, K: 100, T: 0.5, r: 0.01, q: 0 }),
    );
    // The published price has 12 significant digits: σ is pinned to ~1e-11 (vega ≈ 28 per unit σ).
    expect(Math.abs(iv - 0.2)).toBeLessThan(1e-10);
  });

  it('Haug (1998) p. 2 put 2.4648 (S=100 K=95 T=0.5 r=0.1 q=0.05) inverts to 0.20 within the 4-dp rounding', () => {
    const iv = sigmaOf(
      impliedVolatility({ price: 2.4648, flag: 'p', S: 100, K: 95, T: 0.5, r: 0.1, q: 0.05 }),
    );
    const vega = blackScholes({ flag: 'p', S: 100, K: 95, T: 0.5, r: 0.1, q: 0.05, sigma: 0.2 }).vega * 100;
    expect(Math.abs(iv - 0.2)).toBeLessThan(5e-5 / vega + 1e-12);
  });
});

// A wide domain: 1 day to 3 years, 1 % to 300 % vol, strikes out to ±4 standard deviations.
const domain = fc.record({
  S: fc.double({ min: 10, max: 60_000, noNaN: true }),
  z: fc.double({ min: -4, max: 4, noNaN: true }),
  T: fc.double({ min: 1 / 365, max: 3, noNaN: true }),
  r: fc.double({ min: -0.01, max: 0.15, noNaN: true }),
  q: fc.double({ min: 0, max: 0.08, noNaN: true }),
  sigma: fc.double({ min: 0.01, max: 3, noNaN: true }),
  call: fc.boolean(),
});

describe('implied volatility — round trip σ → BS price → σ', () => {
  it('recovers σ to 1e-9 wherever the price carries it', () => {
    fc.assert(
      fc.property(domain, ({ S, z, T, r, q, sigma, call }) => {
        const K = S * Math.exp(z * sigma * Math.sqrt(T));
        const flag: OptionFlag = call ? 'c' : 'p';
        const g = blackScholes({ flag, S, K, T, r, q, sigma });
        // In the money the price is mostly intrinsic value: its last-bit rounding (ε·max(S, K))
        // moves σ by that over vega. Keep the cases where that is below 1e-10.
        fc.pre(g.price > 1e-200 * S && (8 * 2.2e-16 * Math.max(S, K)) / (g.vega * 100) < 1e-10);
        const iv = sigmaOf(impliedVolatility({ price: g.price, flag, S, K, T, r, q }));
        expect(Math.abs(iv - sigma)).toBeLessThanOrEqual(1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('is exact to ~1e-13 out of the money, including 1-day options at 1 % and 300 % vol', () => {
    const cases: [OptionFlag, number, number, number][] = [
      // flag, K, T, sigma (S = 100, r = 0.065, q = 0)
      ['c', 100.5, 1 / 365, 0.01],
      ['p', 99.6, 1 / 365, 0.01],
      ['c', 130, 1 / 365, 3],
      ['p', 70, 1 / 365, 3],
      ['c', 160, 1 / 365, 1.5],
      ['p', 40, 2, 0.15],
      ['c', 400, 3, 0.3],
      ['c', 100, 1 / 365, 0.05],
    ];
    for (const [flag, K, T, sigma] of cases) {
      const price = blackScholesPrice({ flag, S: 100, K, T, r: 0.065, q: 0, sigma });
      expect(price).toBeGreaterThan(0);
      const iv = sigmaOf(impliedVolatility({ price, flag, S: 100, K, T, r: 0.065, q: 0 }));
      expect(Math.abs(iv - sigma)).toBeLessThan(1e-12 * Math.max(1, sigma));
    }
  });
});

describe('implied volatility — refusals are coded values, never NaN', () => {
  const base = { S: 100, K: 90, T: 0.5, r: 0.05, q: 0 };
  it('BELOW_INTRINSIC under the discounted forward intrinsic value', () => {
    const intrinsic = 100 - 90 * Math.exp(-0.025);
    expect(impliedVolatility({ ...base, flag: 'c', price: intrinsic - 0.01 })).toEqual({
      ok: false,
      code: 'BELOW_INTRINSIC',
    });
  });
  it('exactly intrinsic means zero volatility', () => {
    const price = blackScholesPrice({ flag: 'c', ...base, sigma: 0 });
    expect(impliedVolatility({ ...base, flag: 'c', price })).toEqual({ ok: true, sigma: 0 });
  });
  it('ABOVE_MAX_PRICE at or over S·e^{−qT} (call) and K·e^{−rT} (put)', () => {
    expect(impliedVolatility({ ...base, flag: 'c', price: 100 })).toEqual({
      ok: false,
      code: 'ABOVE_MAX_PRICE',
    });
    expect(impliedVolatility({ ...base, flag: 'p', price: 90 })).toEqual({
      ok: false,
      code: 'ABOVE_MAX_PRICE',
    });
  });
  it('NON_FINITE_INPUT and INVALID_INPUT', () => {
    expect(impliedVolatility({ ...base, flag: 'c', price: Number.NaN })).toEqual({
      ok: false,
      code: 'NON_FINITE_INPUT',
    });
    expect(impliedVolatility({ ...base, flag: 'c', S: Number.POSITIVE_INFINITY, price: 5 })).toEqual({
      ok: false,
      code: 'NON_FINITE_INPUT',
    });
    expect(impliedVolatility({ ...base, flag: 'c', T: 0, price: 11 })).toEqual({
      ok: false,
      code: 'INVALID_INPUT',
    });
    expect(impliedVolatility({ ...base, flag: 'c', price: -1 })).toEqual({
      ok: false,
      code: 'INVALID_INPUT',
    });
  });
  it('never returns NaN over arbitrary inputs', () => {
    fc.assert(
      fc.property(
        fc.double(),
        fc.double(),
        fc.double(),
        fc.double(),
        fc.constantFrom<OptionFlag>('c', 'p'),
        (price, S, K, T, flag) => {
          const res = impliedVolatility({ price, flag, S, K, T, r: 0.05, q: 0 });
          if (res.ok) expect(Number.isFinite(res.sigma) && res.sigma >= 0).toBe(true);
          else expect(typeof res.code).toBe('string');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('implied volatility — batch', () => {
  it('rows equal the scalar form exactly, refusals carry their code', () => {
    fc.assert(
      fc.property(fc.array(domain, { minLength: 1, maxLength: 30 }), (rows) => {
        const n = rows.length + 1;
        const cols = allocPricingColumns(n);
        rows.forEach((d, i) => {
          cols.flag[i] = d.call ? 1 : 0;
          cols.S[i] = d.S;
          cols.K[i] = d.S * Math.exp(d.z * d.sigma * Math.sqrt(d.T));
          cols.T[i] = d.T;
          cols.r[i] = d.r;
          cols.q[i] = d.q;
          cols.sigma[i] = d.sigma;
        });
        // The last row is a refusal: a price above the maximum.
        Object.assign(cols, {});
        cols.flag[n - 1] = 1;
        cols.S[n - 1] = 100;
        cols.K[n - 1] = 100;
        cols.T[n - 1] = 1;
        cols.sigma[n - 1] = 0.2;
        const price = blackScholesPriceBatch(cols);
        price[n - 1] = 150;
        const out = impliedVolatilityBatch({
          price,
          flag: cols.flag,
          S: cols.S,
          K: cols.K,
          T: cols.T,
          r: cols.r,
          q: cols.q,
        });
        for (let i = 0; i < n; i++) {
          const res = impliedVolatility({
            price: price[i]!,
            flag: cols.flag[i] === 1 ? 'c' : 'p',
            S: cols.S[i]!,
            K: cols.K[i]!,
            T: cols.T[i]!,
            r: cols.r[i]!,
            q: cols.q[i]!,
          });
          if (res.ok) {
            expect(out.status[i]).toBe(IV_STATUS.OK);
            expect(out.sigma[i]).toBe(res.sigma);
          } else {
            expect(ivStatusCode(out.status[i]!)).toBe(res.code);
            expect(Number.isNaN(out.sigma[i])).toBe(true);
          }
        }
        expect(ivStatusCode(out.status[n - 1]!)).toBe('ABOVE_MAX_PRICE');
      }),
      { numRuns: 60 },
    );
  });
});

describe('implied volatility — American (Bjerksund–Stensland 2002)', () => {
  it('round trip σ → BjS price → σ to 1e-8', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 1.2, noNaN: true }),
        fc.double({ min: -1.5, max: 1.5, noNaN: true }),
        fc.double({ min: 0.02, max: 1, noNaN: true }),
        fc.boolean(),
        (sigma, z, T, call) => {
          const S = 100;
          const K = S * Math.exp(z * sigma * Math.sqrt(T));
          const flag: OptionFlag = call ? 'c' : 'p';
          const input = { flag, S, K, T, r: 0.07, q: 0.02 };
          const price = bjerksundStenslandPrice({ ...input, sigma });
          const vega = (bjerksundStenslandPrice({ ...input, sigma: sigma + 1e-4 }) - price) / 1e-4;
          fc.pre(vega > 1e-3);
          const iv = sigmaOf(impliedVolatility({ ...input, price, model: 'bjs' }));
          expect(Math.abs(iv - sigma)).toBeLessThan(1e-8);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('an American put quoted at intrinsic (deep ITM, early exercise) has zero implied vol; below it is refused', () => {
    const input = { flag: 'p' as const, S: 60, K: 100, T: 0.5, r: 0.1, q: 0, model: 'bjs' as const };
    expect(impliedVolatility({ ...input, price: 40 })).toEqual({ ok: true, sigma: 0 });
    expect(impliedVolatility({ ...input, price: 39.9 })).toEqual({ ok: false, code: 'BELOW_INTRINSIC' });
  });
});
