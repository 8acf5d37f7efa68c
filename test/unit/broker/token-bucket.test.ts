import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimiter, routeKind, TokenBucket } from '../../../src/broker/index.js';
import { flushMicrotasks, VirtualClock } from '../../../src/clock/index.js';

describe('TokenBucket (moving window, like Flask-Limiter)', () => {
  it('grants `limit` at once, then one per returning token, FIFO', async () => {
    const clock = new VirtualClock();
    const b = new TokenBucket({ limit: 2, windowMs: 1_000 }, clock);
    const granted: Array<[number, number]> = [];
    for (let i = 0; i < 5; i++) void b.take().then(() => granted.push([i, clock.monotonicMs()]));
    await flushMicrotasks();
    expect(granted).toEqual([
      [0, 0],
      [1, 0],
    ]);
    await clock.advanceAsync(999);
    expect(granted.length).toBe(2);
    await clock.advanceAsync(1);
    expect(granted.slice(2)).toEqual([
      [2, 1_000],
      [3, 1_000],
    ]);
    await clock.advanceAsync(1_000);
    expect(granted.at(-1)).toEqual([4, 2_000]);
  });

  it('tryTake spends a free token synchronously and spends nothing when refused', async () => {
    const clock = new VirtualClock();
    const b = new TokenBucket({ limit: 2, windowMs: 1_000 }, clock);
    expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(false);
    let waiterAt: number | undefined;
    void b.take().then(() => {
      waiterAt = clock.monotonicMs();
    });
    await clock.advanceAsync(1_000);
    expect(waiterAt).toBe(1_000);
    // One token came back at 1 000 and went to the waiter; the second is free again: tryTake gets it.
    expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(false);
    // A refused tryTake spent nothing: the next token still frees one window after the last spend.
    let nextAt: number | undefined;
    void b.take().then(() => {
      nextAt = clock.monotonicMs();
    });
    expect(b.queued).toBe(1);
    expect(b.tryTake()).toBe(false);
    await clock.advanceAsync(1_000);
    expect(nextAt).toBe(2_000);
  });

  it('a classic refill bucket would allow 2N−1 per window; this one never exceeds N (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 25 }),
        async (limit, gaps) => {
          const clock = new VirtualClock();
          const b = new TokenBucket({ limit, windowMs: 1_000 }, clock);
          const grants: number[] = [];
          const all: Promise<unknown>[] = [];
          for (const g of gaps) {
            await clock.advanceAsync(g);
            all.push(b.take().then(() => grants.push(clock.monotonicMs())));
          }
          await clock.advanceAsync(gaps.length * 1_000 + 1_000);
          await Promise.all(all);
          expect(grants.length).toBe(gaps.length);
          for (let i = limit; i < grants.length; i++)
            expect(grants[i]! - grants[i - limit]!).toBeGreaterThanOrEqual(1_000);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('gives up after maxWaitMs or on abort without spending a token', async () => {
    const clock = new VirtualClock();
    const b = new TokenBucket({ limit: 1, windowMs: 1_000 }, clock);
    expect(await b.take()).toBe(0);
    const late = b.take({ maxWaitMs: 300 });
    const ac = new AbortController();
    const aborted = b.take({ signal: ac.signal });
    ac.abort();
    expect(await aborted).toBeUndefined();
    await clock.advanceAsync(300);
    expect(await late).toBeUndefined();
    expect(b.queued).toBe(0);
    await clock.advanceAsync(700);
    expect(await b.take()).toBe(0);
  });

  it('OpenAlgo counts per route; basket and cancel-all use the API limit, placesmartorder its own', () => {
    expect(routeKind('placeorder')).toBe('order');
    expect(routeKind('cancelorder')).toBe('order');
    expect(routeKind('basketorder')).toBe('api');
    expect(routeKind('cancelallorder')).toBe('api');
    expect(routeKind('placesmartorder')).toBe('smart');
    expect(routeKind('optiongreeks')).toBe('greeks');
    const limiter = new RateLimiter({ ordersPerSecond: 10, apiPerSecond: 50 }, new VirtualClock());
    expect(limiter.bucket('placeorder')).not.toBe(limiter.bucket('modifyorder'));
    expect(limiter.bucket('placeorder')).toBe(limiter.bucket('placeorder'));
  });
});
