import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/clock/index.js';
import { openDatabase } from '../../../src/store/index.js';
import { BUCKET_MS, MetricsStore, RELATIVE_ACCURACY } from '../../../src/store/metrics-store.js';
import { tempDir } from './fixtures/commands.js';

const NOON = Date.UTC(2026, 1, 16, 6, 30, 0); // 12:00 IST, a bucket boundary
const HOUR = 3_600_000;

function setup(dir = tempDir('tomic-metrics-')) {
  const db = openDatabase(dir, 'metrics');
  return { dir, db, metrics: new MetricsStore(db) };
}

describe('metrics: counters in one-minute buckets (§13)', () => {
  it('buckets by wall minute: 11:59:59.999 and 12:00:00.000 are different buckets', () => {
    const { metrics } = setup();
    metrics.increment('orders.rejected', 1, NOON - 1);
    metrics.increment('orders.rejected', 2, NOON);
    metrics.increment('orders.rejected', 1, NOON + BUCKET_MS - 1);
    expect(metrics.series('orders.rejected', NOON - BUCKET_MS, NOON + BUCKET_MS)).toEqual([
      {
        bucket: NOON / BUCKET_MS - 1,
        startWallMs: NOON - BUCKET_MS,
        count: 1,
        sum: 1,
        min: null,
        max: null,
        p99: null,
      },
      { bucket: NOON / BUCKET_MS, startWallMs: NOON, count: 2, sum: 3, min: null, max: null, p99: null },
    ]);
  });

  it('sum over a rolling window counts the buckets overlapping it (lease reclaims per hour, §13)', () => {
    const { metrics } = setup();
    metrics.increment('lease.reclaims', 1, NOON - HOUR - BUCKET_MS); // outside
    metrics.increment('lease.reclaims', 1, NOON - HOUR + 1); // inside: its bucket overlaps the hour
    for (let i = 0; i < 5; i++) metrics.increment('lease.reclaims', 1, NOON - 10 * BUCKET_MS + i);
    expect(metrics.sum('lease.reclaims', HOUR, NOON)).toBe(6);
    expect(metrics.count('lease.reclaims', HOUR, NOON)).toBe(6);
    expect(metrics.sum('lease.reclaims', 15 * BUCKET_MS, NOON)).toBe(5);
    expect(metrics.sum('nothing.here', HOUR, NOON)).toBe(0);
  });

  it('is shared by every process: increments through two connections add up', () => {
    const a = setup();
    const b = setup(a.dir);
    for (let i = 0; i < 50; i++) {
      a.metrics.increment('stale.blocks', 1, NOON + i);
      b.metrics.increment('stale.blocks', 2, NOON + i);
    }
    expect(a.metrics.sum('stale.blocks', HOUR, NOON + BUCKET_MS - 1)).toBe(150);
    expect(b.metrics.count('stale.blocks', HOUR, NOON + BUCKET_MS - 1)).toBe(100);
  });
});

describe('metrics: histograms and p99', () => {
  it('p99 over a window is within 1 % of the exact p99 of what was observed', () => {
    const { metrics } = setup();
    const rng = createRng(42);
    const all: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      const latencyMs = Math.exp(4 + 0.6 * rng.normal()); // ~55 ms median, long right tail
      all.push(latencyMs);
      metrics.observe('order.latency_ms', latencyMs, NOON - HOUR + Math.floor((i * HOUR) / 5_000));
    }
    const sorted = [...all].sort((x, y) => x - y);
    const exact = sorted[Math.ceil(0.99 * sorted.length) - 1]!;
    const p99 = metrics.p99('order.latency_ms', HOUR, NOON) as number;
    expect(Math.abs(p99 - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    const p50 = metrics.quantile('order.latency_ms', 0.5, HOUR, NOON) as number;
    const exact50 = sorted[Math.ceil(0.5 * sorted.length) - 1]!;
    expect(Math.abs(p50 - exact50) / exact50).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    expect(metrics.count('order.latency_ms', HOUR, NOON)).toBe(5_000);
  });

  it('each bucket keeps count, sum, min, max and its own p99', () => {
    const { metrics } = setup();
    for (const v of [120, 80, 450, 95]) metrics.observe('order.latency_ms', v, NOON + 1_000);
    metrics.observe('order.latency_ms', 700, NOON + BUCKET_MS);
    const [first, second] = metrics.series('order.latency_ms', NOON, NOON + BUCKET_MS);
    expect(first).toMatchObject({ count: 4, sum: 745, min: 80, max: 450 });
    expect(Math.abs((first?.p99 ?? 0) - 450) / 450).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    expect(second).toMatchObject({ count: 1, sum: 700, min: 700, max: 700, p99: 700 });
    expect(metrics.p99('order.latency_ms', BUCKET_MS, NOON - 1)).toBeNull();
  });

  it('negative observations (slippage in bps can be favourable) keep their order', () => {
    const { metrics } = setup();
    for (const v of [-30, -5, 0, 5, 12]) metrics.observe('fill.slippage_bps', v, NOON);
    expect(metrics.quantile('fill.slippage_bps', 0, BUCKET_MS, NOON)).toBe(-30);
    expect(metrics.quantile('fill.slippage_bps', 0.5, BUCKET_MS, NOON)).toBe(0);
    expect(metrics.p99('fill.slippage_bps', BUCKET_MS, NOON)).toBe(12);
  });
});

describe('metrics: misuse and retention', () => {
  it('a name is a counter or a histogram, in every process; non-finite values are refused', () => {
    const a = setup();
    const b = setup(a.dir);
    a.metrics.increment('orders.placed', 1, NOON);
    expect(() => a.metrics.observe('orders.placed', 3, NOON)).toThrow(/COUNTER/);
    expect(() => b.metrics.observe('orders.placed', 3, NOON)).toThrow(/COUNTER/);
    expect(() => a.metrics.observe('x', Number.NaN, NOON)).toThrow(RangeError);
    expect(() => a.metrics.increment('y', Number.POSITIVE_INFINITY, NOON)).toThrow(RangeError);
    // A refused write declares nothing.
    expect(a.metrics.names()).toEqual([{ name: 'orders.placed', kind: 'COUNTER' }]);
  });

  it('prune drops buckets older than the retention limit, bins included', () => {
    const { metrics, db } = setup();
    metrics.observe('h', 1, NOON - 2 * HOUR);
    metrics.observe('h', 2, NOON);
    metrics.increment('c', 1, NOON - 2 * HOUR);
    expect(metrics.prune(NOON - HOUR)).toBe(2);
    expect(metrics.series('h', 0, NOON + BUCKET_MS)).toHaveLength(1);
    expect(db.prepare('SELECT COUNT(*) FROM metric_bins').pluck().get()).toBe(1);
  });
});
