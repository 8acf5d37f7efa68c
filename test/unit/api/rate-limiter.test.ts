import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MovingWindowLimiter } from '../../../src/api/index.js';
import { VirtualClock } from '../../../src/clock/index.js';

describe('moving-window rate limiter', () => {
  it('allows `limit` hits in any window; the next waits until the oldest hit leaves it', () => {
    const clock = new VirtualClock();
    const l = new MovingWindowLimiter(clock, { limit: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      expect(l.take('ip').allowed).toBe(true);
      clock.advance(10_000);
    }
    expect(l.take('ip')).toEqual({ allowed: false, retryAfterMs: 30_000 });
    clock.advance(29_999);
    expect(l.take('ip').allowed).toBe(false);
    clock.advance(1);
    expect(l.take('ip').allowed).toBe(true);
    expect(l.take('ip')).toEqual({ allowed: false, retryAfterMs: 10_000 });
  });

  it('keys are independent (per IP)', () => {
    const l = new MovingWindowLimiter(new VirtualClock(), { limit: 1 });
    expect(l.take('a').allowed).toBe(true);
    expect(l.take('a').allowed).toBe(false);
    expect(l.take('b').allowed).toBe(true);
  });

  it('no fixed-window boundary burst: never more than `limit` allowed in any window (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 200 }),
        (limit, gaps) => {
          const clock = new VirtualClock();
          const l = new MovingWindowLimiter(clock, { limit, windowMs: 60_000 });
          const allowed: number[] = [];
          for (const g of gaps) {
            clock.advance(g);
            if (l.take('k').allowed) allowed.push(clock.monotonicMs());
          }
          for (let i = limit; i < allowed.length; i++) {
            if (allowed[i]! - allowed[i - limit]! < 60_000) return false;
          }
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('memory stays bounded under many distinct keys', () => {
    const l = new MovingWindowLimiter(new VirtualClock(), { limit: 5, maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) l.take(`10.0.${i >> 8}.${i & 255}`);
    expect(l.size).toBe(100);
  });

  it('refuses a limit below 1', () => {
    expect(() => new MovingWindowLimiter(new VirtualClock(), { limit: 0 })).toThrow(RangeError);
  });
});
