import type { Database, Statement } from 'better-sqlite3';

/** §13: metrics are written in one-minute buckets. */
export const BUCKET_MS = 60_000;
export type MetricKind = 'COUNTER' | 'HISTOGRAM';

// ── quantile sketch (pure) ────────────────────────────────────────────────────────────────────────
// Log-spaced bins as in DDSketch: bin i holds magnitudes in (γ^(i-1), γ^i], and its representative
// value 2γ^i/(γ+1) is within RELATIVE_ACCURACY of every value in it. A bucket stores one count per
// occupied bin, so p99 over any window is a merge of integer counts, not of percentiles.

/** Any quantile read from the bins is within ±1 % of a value actually observed at that rank. */
export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Magnitudes below this share bin 0 (a latency of a nanosecond is zero for our purposes). */
const MIN_MAGNITUDE = 1e-9;
const BIN_OFFSET = 1 + Math.ceil(-Math.log(MIN_MAGNITUDE) / LOG_GAMMA);

/** Signed bin of a value; ordering bins ascending orders their values ascending. */
export function binOf(value: number): number {
  const m = Math.abs(value);
  if (m < MIN_MAGNITUDE) return 0;
  const i = Math.ceil(Math.log(m) / LOG_GAMMA) + BIN_OFFSET;
  return value < 0 ? -i : i;
}

/** The representative value of a bin. */
export function binValue(bin: number): number {
  if (bin === 0) return 0;
  const i = Math.abs(bin) - BIN_OFFSET;
  const v = (2 * GAMMA ** i) / (GAMMA + 1);
  return bin < 0 ? -v : v;
}

/**
 * Nearest-rank quantile from bin counts (any order): the representative value of the bin holding
 * the ceil(q·n)-th smallest observation, clamped to the exact [min, max] when known.
 */
export function quantileFromBins(
  bins: ReadonlyArray<readonly [bin: number, count: number]>,
  q: number,
  bounds?: { min: number; max: number },
): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const sorted = [...bins].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  const n = sorted.reduce((s, [, c]) => s + c, 0);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  let value = binValue(sorted.at(-1)![0]);
  for (const [bin, c] of sorted) {
    seen += c;
    if (seen >= rank) {
      value = binValue(bin);
      break;
    }
  }
  return bounds ? Math.min(bounds.max, Math.max(bounds.min, value)) : value;
}

/** Buckets overlapping the window (now − windowMs, now]. */
export function windowBuckets(windowMs: number, nowWallMs: number): { from: number; to: number } {
  if (!(windowMs > 0)) throw new RangeError(`window must be positive, got ${windowMs}`);
  return { from: Math.floor((nowWallMs - windowMs) / BUCKET_MS), to: Math.floor(nowWallMs / BUCKET_MS) };
}

// ── store ───────────────────────────────────────────────────────────────────────────────────────

export interface SeriesPoint {
  readonly bucket: number;
  readonly startWallMs: number;
  readonly count: number;
  readonly sum: number;
  /** HISTOGRAM only (null for counters). */
  readonly min: number | null;
  readonly max: number | null;
  readonly p99: number | null;
}

interface BucketRow {
  bucket: number;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
}

/**
 * tomic_metrics.db: counters and histograms in one-minute wall-clock buckets (§13), shared by every
 * process (each write is one upsert transaction). Queryable for the /tomic/analytics endpoints and
 * the §13 alert thresholds (p99 latency, rolling counts).
 */
export class MetricsStore {
  readonly #db: Database;
  readonly #kinds = new Map<string, MetricKind>();
  readonly #declare: Statement;
  readonly #kindOf: Statement;
  readonly #count: Statement;
  readonly #observeBucket: Statement;
  readonly #observeBin: Statement;
  readonly #range: Statement;
  readonly #rangeBins: Statement;
  readonly #window: Statement;
  readonly #names: Statement;
  readonly #pruneBuckets: Statement;
  readonly #pruneBins: Statement;
  readonly #observeTx: (name: string, bucket: number, value: number, bin: number) => void;

  constructor(db: Database) {
    this.#db = db;
    this.#declare = db.prepare(
      'INSERT INTO metric_names (name, kind) VALUES (?, ?) ON CONFLICT(name) DO NOTHING',
    );
    this.#kindOf = db.prepare('SELECT kind FROM metric_names WHERE name = ?').pluck();
    this.#count = db.prepare(
      `INSERT INTO metric_buckets (name, bucket, count, sum) VALUES (?, ?, 1, ?)
       ON CONFLICT(name, bucket) DO UPDATE SET count = count + 1, sum = sum + excluded.sum`,
    );
    this.#observeBucket = db.prepare(
      `INSERT INTO metric_buckets (name, bucket, count, sum, min, max) VALUES (@name, @bucket, 1, @v, @v, @v)
       ON CONFLICT(name, bucket) DO UPDATE SET count = count + 1, sum = sum + @v,
         min = min(min, @v), max = max(max, @v)`,
    );
    this.#observeBin = db.prepare(
      `INSERT INTO metric_bins (name, bucket, bin, count) VALUES (?, ?, ?, 1)
       ON CONFLICT(name, bucket, bin) DO UPDATE SET count = count + 1`,
    );
    this.#range = db.prepare(
      'SELECT bucket, count, sum, min, max FROM metric_buckets WHERE name = ? AND bucket BETWEEN ? AND ? ORDER BY bucket',
    );
    this.#rangeBins = db.prepare(
      'SELECT bucket, bin, count FROM metric_bins WHERE name = ? AND bucket BETWEEN ? AND ?',
    );
    this.#window = db.prepare(
      `SELECT COALESCE(SUM(count), 0) AS count, COALESCE(SUM(sum), 0) AS sum, MIN(min) AS min, MAX(max) AS max
       FROM metric_buckets WHERE name = ? AND bucket BETWEEN ? AND ?`,
    );
    this.#names = db.prepare('SELECT name, kind FROM metric_names ORDER BY name');
    this.#pruneBuckets = db.prepare('DELETE FROM metric_buckets WHERE bucket < ?');
    this.#pruneBins = db.prepare('DELETE FROM metric_bins WHERE bucket < ?');
    this.#observeTx = db.transaction((name: string, bucket: number, v: number, bin: number) => {
      this.#observeBucket.run({ name, bucket, v });
      this.#observeBin.run(name, bucket, bin);
    });
  }

  /** Adds `by` to a counter in the bucket of `wallMs` (e.g. order rejects, stale-data blocks, reclaims). */
  increment(name: string, by = 1, wallMs: number): void {
    if (!Number.isFinite(by)) throw new RangeError(`metric ${name}: increment must be finite, got ${by}`);
    this.#ensureKind(name, 'COUNTER');
    this.#count.run(name, bucketOf(wallMs), by);
  }

  /** Records one observation (e.g. order placement latency in ms, slippage in bps). */
  observe(name: string, value: number, wallMs: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`metric ${name}: value must be finite, got ${value}`);
    this.#ensureKind(name, 'HISTOGRAM');
    this.#observeTx(name, bucketOf(wallMs), value, binOf(value));
  }

  /** One point per non-empty bucket in [from, to], oldest first; histograms carry their bucket's p99. */
  series(name: string, fromWallMs: number, toWallMs: number): SeriesPoint[] {
    const from = bucketOf(fromWallMs);
    const to = bucketOf(toWallMs);
    const rows = this.#range.all(name, from, to) as BucketRow[];
    const bins = new Map<number, Array<[number, number]>>();
    for (const b of this.#rangeBins.all(name, from, to) as Array<{
      bucket: number;
      bin: number;
      count: number;
    }>) {
      let list = bins.get(b.bucket);
      if (!list) {
        list = [];
        bins.set(b.bucket, list);
      }
      list.push([b.bin, b.count]);
    }
    return rows.map((r) => {
      const own = bins.get(r.bucket);
      return {
        bucket: r.bucket,
        startWallMs: r.bucket * BUCKET_MS,
        count: r.count,
        sum: r.sum,
        min: r.min,
        max: r.max,
        p99:
          own && r.min !== null && r.max !== null
            ? quantileFromBins(own, 0.99, { min: r.min, max: r.max })
            : null,
      };
    });
  }

  /** Sum over the buckets overlapping (now − windowMs, now]: counter total, or sum of observations. */
  sum(name: string, windowMs: number, nowWallMs: number): number {
    return this.#aggregate(name, windowMs, nowWallMs).sum;
  }

  /** Number of increments or observations in the window. */
  count(name: string, windowMs: number, nowWallMs: number): number {
    return this.#aggregate(name, windowMs, nowWallMs).count;
  }

  /** p99 over the window (§13: order placement latency p99 > 500 ms → [RISK]); null without data. */
  p99(name: string, windowMs: number, nowWallMs: number): number | null {
    return this.quantile(name, 0.99, windowMs, nowWallMs);
  }

  quantile(name: string, q: number, windowMs: number, nowWallMs: number): number | null {
    const { from, to } = windowBuckets(windowMs, nowWallMs);
    const agg = this.#window.get(name, from, to) as BucketRow;
    if (agg.count === 0 || agg.min === null || agg.max === null) return null;
    const merged = new Map<number, number>();
    for (const b of this.#rangeBins.all(name, from, to) as Array<{ bin: number; count: number }>) {
      merged.set(b.bin, (merged.get(b.bin) ?? 0) + b.count);
    }
    return quantileFromBins([...merged], q, { min: agg.min, max: agg.max });
  }

  names(): Array<{ name: string; kind: MetricKind }> {
    return this.#names.all() as Array<{ name: string; kind: MetricKind }>;
  }

  /** Deletes buckets that end before `beforeWallMs` (retention); returns how many buckets went. */
  prune(beforeWallMs: number): number {
    const bucket = bucketOf(beforeWallMs);
    return this.#db.transaction(() => {
      this.#pruneBins.run(bucket);
      return this.#pruneBuckets.run(bucket).changes;
    })();
  }

  #aggregate(name: string, windowMs: number, nowWallMs: number): BucketRow {
    const { from, to } = windowBuckets(windowMs, nowWallMs);
    return this.#window.get(name, from, to) as BucketRow;
  }

  /** A name is a counter or a histogram for good, in every process: mixing them is a bug. */
  #ensureKind(name: string, kind: MetricKind): void {
    const known = this.#kinds.get(name);
    if (known === kind) return;
    if (known === undefined) {
      this.#declare.run(name, kind);
      const stored = this.#kindOf.get(name) as MetricKind;
      this.#kinds.set(name, stored);
      if (stored === kind) return;
    }
    throw new TypeError(`metric ${name} is a ${this.#kinds.get(name)}, not a ${kind}`);
  }
}

function bucketOf(wallMs: number): number {
  if (!Number.isFinite(wallMs)) throw new RangeError(`wall time must be finite, got ${wallMs}`);
  return Math.floor(wallMs / BUCKET_MS);
}
