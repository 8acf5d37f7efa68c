import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bivariateNormalCdf, erf, erfc, erfcx, normCdf, normInv, normPdf } from '../../../src/quant/index.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('normal distribution', () => {
  // Reference: glibc's erfc (an independent implementation) through CPython math.erfc, 17 digits.
  const erfcRef: [number, number][] = [
    [0.1, 0.8875370839817152],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [2, 0.004677734981047265],
    [5, 1.5374597944280351e-12],
    [10, 2.088487583762545e-45],
    [20, 5.3958656116079005e-176],
    [26, 5.663192408856143e-296],
  ];
  it.each(erfcRef)('erfc(%d) to 2e-15 relative (Cody 1969 vs glibc)', (x, v) => {
    expect(rel(erfc(x), v)).toBeLessThan(2e-15);
    expect(rel(erfcx(x), v * Math.exp(x * x) || 1)).toBeLessThan(x < 20 ? 1e-13 : 1);
  });

  it('Φ at table points (Abramowitz & Stegun 26.1 to 15 digits) and far tails', () => {
    expect(rel(normCdf(1), 0.8413447460685429)).toBeLessThan(2e-15);
    expect(rel(normCdf(1.96), 0.9750021048517795)).toBeLessThan(2e-15);
    expect(rel(normCdf(3), 0.9986501019683699)).toBeLessThan(2e-15);
    expect(rel(normCdf(-1), 0.15865525393145707)).toBeLessThan(2e-15);
    expect(rel(normCdf(-3), 0.0013498980316300957)).toBeLessThan(5e-15);
    expect(rel(normCdf(-5), 2.866515718791939e-7)).toBeLessThan(1e-14);
    // Φ(−10) = 7.61985302416052606597e-24 (exact to 21 digits); relative error here is limited
    // by rounding x/√2, ~x²·ε.
    expect(rel(normCdf(-10), 7.619853024160525e-24)).toBeLessThan(1e-13);
    expect(normCdf(-37)).toBeGreaterThan(0);
    expect(normCdf(40)).toBe(1);
    expect(normCdf(0)).toBe(0.5);
  });

  it('erf is odd and erf + erfc = 1', () => {
    fc.assert(
      fc.property(fc.double({ min: -6, max: 6, noNaN: true }), (x) => {
        expect(erf(-x)).toBeCloseTo(-erf(x), 15);
        expect(Math.abs(erf(x) + erfc(x) - 1)).toBeLessThan(3e-16);
      }),
      { numRuns: 200 },
    );
  });

  it('normInv inverts normCdf to 1e-12 relative over (1e-300, 1)', () => {
    fc.assert(
      fc.property(fc.double({ min: -37, max: 8, noNaN: true }), (z) => {
        const p = normCdf(z);
        expect(rel(normCdf(normInv(p)), p)).toBeLessThan(1e-12);
      }),
      { numRuns: 300 },
    );
    expect(normInv(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(normInv(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(Number.isNaN(normInv(1.5))).toBe(true);
  });

  it('normPdf(0) = 1/√(2π)', () => {
    expect(normPdf(0)).toBeCloseTo(0.3989422804014327, 16);
  });
});

describe('bivariate normal (Genz 2004)', () => {
  it('closed forms: M(0,0,ρ) = 1/4 + asin(ρ)/2π; ρ = 0 factorises; ρ = ±1 limits', () => {
    for (const rho of [-0.99, -0.95, -0.8, -0.5, -0.2, 0.1, 0.3, 0.6, 0.9, 0.93, 0.999]) {
      expect(bivariateNormalCdf(0, 0, rho)).toBeCloseTo(0.25 + Math.asin(rho) / (2 * Math.PI), 14);
    }
    expect(bivariateNormalCdf(0.3, -1.2, 0)).toBeCloseTo(normCdf(0.3) * normCdf(-1.2), 15);
    expect(bivariateNormalCdf(0.3, -1.2, 1)).toBeCloseTo(normCdf(-1.2), 15);
    expect(bivariateNormalCdf(0.3, 1.2, -1)).toBeCloseTo(normCdf(0.3) + normCdf(1.2) - 1, 15);
  });

  // M(a, b; ρ) = ∫_{−∞}^{a} φ(x) Φ((b − ρx)/√(1−ρ²)) dx, by composite Simpson on [−12, a]: an
  // independent method for the general case.
  function simpson(a: number, b: number, rho: number): number {
    const lo = -12;
    const n = 20_000;
    const h = (a - lo) / n;
    const s = Math.sqrt(1 - rho * rho);
    const f = (x: number) => normPdf(x) * normCdf((b - rho * x) / s);
    let sum = f(lo) + f(a);
    for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * f(lo + i * h);
    return (sum * h) / 3;
  }
  it('agrees with direct numerical integration to 1e-11 across all three ρ regimes', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -4, max: 4, noNaN: true }),
        fc.double({ min: -4, max: 4, noNaN: true }),
        fc.double({ min: -0.99, max: 0.99, noNaN: true }),
        (a, b, rho) => {
          expect(Math.abs(bivariateNormalCdf(a, b, rho) - simpson(a, b, rho))).toBeLessThan(1e-11);
        },
      ),
      { numRuns: 150 },
    );
  });
});
