import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateBars, BarBuilder } from '../../../src/agents/regime/index.js';

const MIN = 60_000;
const FIVE = 5 * MIN;
// 2025-11-10 09:15 IST = 03:45 UTC: a multiple of five minutes since the epoch.
const OPEN = Date.UTC(2025, 10, 10, 3, 45);

describe('BarBuilder', () => {
  it('builds OHLC aligned to the interval; the first tick of the next interval closes the bar', () => {
    const b = new BarBuilder(FIVE);
    expect(b.onTick(100, OPEN + 1_000)).toBeNull();
    expect(b.onTick(103, OPEN + 60_000)).toBeNull();
    expect(b.onTick(98, OPEN + 120_000)).toBeNull();
    expect(b.onTick(101, OPEN + FIVE - 1)).toBeNull();
    const closed = b.onTick(102, OPEN + FIVE);
    expect(closed).toEqual({ startMs: OPEN, open: 100, high: 103, low: 98, close: 101, ticks: 4 });
    expect(b.open).toMatchObject({ startMs: OPEN + FIVE, open: 102, ticks: 1 });
  });

  it('a gap closes the bar and invents no empty bars', () => {
    const b = new BarBuilder(FIVE);
    b.onTick(100, OPEN + 2 * MIN);
    const closed = b.onTick(105, OPEN + 16 * MIN);
    expect(closed?.startMs).toBe(OPEN);
    expect(b.open?.startMs).toBe(OPEN + 15 * MIN);
    expect(b.stats()).toEqual({ closed: 1, dropped: 0 });
  });

  it('flush closes the open bar at (not before) its end', () => {
    const b = new BarBuilder(FIVE);
    b.onTick(100, OPEN);
    expect(b.flush(OPEN + FIVE - 1)).toBeNull();
    expect(b.flush(OPEN + FIVE)?.close).toBe(100);
    expect(b.open).toBeNull();
    expect(b.flush(OPEN + 10 * FIVE)).toBeNull();
  });

  it('drops late, out-of-order and non-finite ticks; a closed bar is never reopened', () => {
    const b = new BarBuilder(FIVE);
    b.onTick(100, OPEN + MIN);
    b.flush(OPEN + FIVE);
    expect(b.onTick(99, OPEN + 4 * MIN)).toBeNull(); // late: its bar is closed
    b.onTick(101, OPEN + FIVE + MIN);
    expect(b.onTick(99, OPEN + 2 * MIN)).toBeNull(); // older than the open bar
    expect(b.onTick(Number.NaN, OPEN + FIVE + 2 * MIN)).toBeNull();
    expect(b.onTick(0, OPEN + FIVE + 2 * MIN)).toBeNull();
    expect(b.onTick(100, Number.NaN)).toBeNull();
    expect(b.stats().dropped).toBe(5);
    expect(b.open).toMatchObject({ open: 101, high: 101, low: 101, ticks: 1 });
  });

  it('skipUntil drops ticks of intervals the warm-up history already holds', () => {
    const b = new BarBuilder(FIVE);
    b.onTick(100, OPEN + MIN);
    b.skipUntil(OPEN + FIVE);
    expect(b.open).toBeNull();
    expect(b.onTick(100, OPEN + 2 * MIN)).toBeNull();
    b.onTick(102, OPEN + FIVE);
    expect(b.open?.startMs).toBe(OPEN + FIVE);
  });

  it('rejects a non-positive interval', () => {
    expect(() => new BarBuilder(0)).toThrow(RangeError);
  });

  it('property: closed bars are aligned, increasing, consistent OHLC, and account for every tick', () => {
    const ticks = fc.array(
      fc.record({
        dt: fc.integer({ min: 0, max: 7 * MIN }),
        price: fc.double({ min: 1, max: 1e5, noNaN: true }),
      }),
      { maxLength: 300 },
    );
    fc.assert(
      fc.property(ticks, (ts) => {
        const b = new BarBuilder(FIVE);
        const bars = [];
        let t = OPEN;
        for (const x of ts) {
          t += x.dt;
          const c = b.onTick(x.price, t);
          if (c) bars.push(c);
        }
        const last = b.flush(t + FIVE);
        if (last) bars.push(last);
        let prev = Number.NEGATIVE_INFINITY;
        let n = 0;
        for (const bar of bars) {
          expect(bar.startMs % FIVE).toBe(0);
          expect(bar.startMs).toBeGreaterThan(prev);
          prev = bar.startMs;
          expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
          expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
          n += bar.ticks;
        }
        expect(n).toBe(ts.length);
      }),
    );
  });
});

describe('aggregateBars', () => {
  it('aggregates 1-minute bars into aligned 5-minute bars; gaps make no bars', () => {
    const one = (i: number, o: number, h: number, l: number, c: number) => ({
      timeMs: OPEN + i * MIN,
      open: o,
      high: h,
      low: l,
      close: c,
    });
    const out = aggregateBars(
      [one(0, 10, 12, 9, 11), one(1, 11, 13, 10, 12), one(4, 12, 12, 8, 9), one(11, 9, 9, 9, 9)],
      FIVE,
    );
    expect(out).toEqual([
      { timeMs: OPEN, open: 10, high: 13, low: 8, close: 9 },
      { timeMs: OPEN + 10 * MIN, open: 9, high: 9, low: 9, close: 9 },
    ]);
  });
});
