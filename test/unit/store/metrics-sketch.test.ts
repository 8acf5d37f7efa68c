import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUCKET_MS,
  binOf,
  binValue,
  quantileFromBins,
  RELATIVE_ACCURACY,
  windowBuckets,
} from '../../../src/store/metrics-store.js';

const value = fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true });
const tolerance = (v: number) => RELATIVE_ACCURACY * Math.abs(v) * (1 + 1e-9) + 1e-9;

function bins(values: number[]): Array<[number, number]> {
  const m = new Map<number, number>();
  for (const v of values) m.set(binOf(v), (m.get(binOf(v)) ?? 0) + 1);
  return [...m];
}

describe('metrics quantile sketch (pure)', () => {
  it('every value is represented by its bin to within 1 %', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(Math.abs(binValue(binOf(v)) - v)).toBeLessThanOrEqual(tolerance(v));
      }),
      { numRuns: 2_000 },
    );
  });

  it('bins are ordered like their values', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        if (a < b) expect(binOf(a)).toBeLessThanOrEqual(binOf(b));
      }),
      { numRuns: 2_000 },
    );
  });

  it('any quantile is within 1 % of the exact nearest-rank value', () => {
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const sorted = [...values].sort((a, b) => a - b);
          const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
          const got = quantileFromBins(bins(values), q, { min: sorted[0]!, max: sorted.at(-1)! });
          expect(got).not.toBeNull();
          expect(Math.abs((got as number) - exact)).toBeLessThanOrEqual(tolerance(exact));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('no observations: no quantile; bounds clamp the estimate to what was observed', () => {
    expect(quantileFromBins([], 0.99)).toBeNull();
    expect(quantileFromBins([[binOf(100), 3]], 0.99, { min: 100, max: 100 })).toBe(100);
    expect(() => quantileFromBins([[1, 1]], 1.5)).toThrow(RangeError);
  });

  it('a window covers the one-minute buckets overlapping (now − window, now]', () => {
    const noon = Date.UTC(2026, 1, 16, 6, 30, 0); // a bucket boundary
    expect(noon % BUCKET_MS).toBe(0);
    const b = noon / BUCKET_MS;
    expect(windowBuckets(3_600_000, noon)).toEqual({ from: b - 60, to: b });
    expect(windowBuckets(3_600_000, noon + 1)).toEqual({ from: b - 60, to: b });
    expect(windowBuckets(60_000, noon - 1)).toEqual({ from: b - 2, to: b - 1 });
    expect(() => windowBuckets(0, noon)).toThrow(RangeError);
  });
});
