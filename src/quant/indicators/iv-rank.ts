import { assertPeriod, runSeries, type StreamingIndicator } from './types.js';

/** One year of sessions: the usual IV-rank lookback. */
export const IV_RANK_LOOKBACK = 252;

/**
 * IV rank: where `current` sits in the [min, max] range of `history` (which should include the
 * current reading), in percent. 50 when the range is flat; null for an empty history.
 */
export function ivRank(current: number, history: ArrayLike<number>): number | null {
  if (history.length === 0) return null;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < history.length; i++) {
    const v = history[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  lo = Math.min(lo, current);
  hi = Math.max(hi, current);
  if (hi === lo) return 50;
  return ((current - lo) / (hi - lo)) * 100;
}

/**
 * IV percentile: the percentage of `history` readings strictly below `current` (history being the
 * previous readings, excluding the current one). Null for an empty history.
 */
export function ivPercentile(current: number, history: ArrayLike<number>): number | null {
  if (history.length === 0) return null;
  let below = 0;
  for (let i = 0; i < history.length; i++) if (history[i]! < current) below++;
  return (below / history.length) * 100;
}

export interface IvRankValue {
  readonly rank: number;
  readonly percentile: number;
}

/**
 * Rolling IV rank and IV percentile over the last `lookback` readings (one per session). The rank's
 * range includes the current reading; the percentile compares it with the readings before it.
 * Null until `minHistory` previous readings exist (default: the full lookback).
 */
export class IvRank implements StreamingIndicator<number, IvRankValue> {
  readonly #ring: Float64Array;
  readonly #minHistory: number;
  #count = 0;
  #value: IvRankValue | null = null;

  constructor(
    readonly lookback = IV_RANK_LOOKBACK,
    minHistory?: number,
  ) {
    assertPeriod('IvRank', lookback, 2);
    this.#minHistory = minHistory ?? lookback - 1;
    if (!(this.#minHistory >= 1 && this.#minHistory <= lookback - 1)) {
      throw new RangeError(`IvRank: minHistory must be in [1, ${lookback - 1}], got ${minHistory}`);
    }
    // Previous readings only: lookback − 1 of them plus the current one make the window.
    this.#ring = new Float64Array(lookback - 1);
  }

  update(iv: number): IvRankValue | null {
    const n = Math.min(this.#count, this.#ring.length);
    if (n >= this.#minHistory) {
      const hist = n === this.#ring.length ? this.#ring : this.#ring.subarray(0, n);
      this.#value = { rank: ivRank(iv, hist)!, percentile: ivPercentile(iv, hist)! };
    } else {
      this.#value = null;
    }
    this.#ring[this.#count % this.#ring.length] = iv;
    this.#count++;
    return this.#value;
  }

  get value(): IvRankValue | null {
    return this.#value;
  }
}

export function ivRankSeries(
  ivs: ArrayLike<number>,
  lookback = IV_RANK_LOOKBACK,
  minHistory?: number,
): (IvRankValue | null)[] {
  return runSeries(new IvRank(lookback, minHistory), ivs);
}
