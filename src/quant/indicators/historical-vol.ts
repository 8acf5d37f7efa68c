import { assertPeriod, runNumericSeries, type StreamingIndicator } from './types.js';

/** NSE trading sessions per year, the usual annualisation for Indian equities and indices. */
export const TRADING_DAYS_PER_YEAR = 252;

export interface HistoricalVolOptions {
  /** Returns in the window (default 20). */
  readonly period?: number;
  /** Annualisation factor: sqrt(periodsPerYear) (default 252). Use 1 for per-bar volatility. */
  readonly periodsPerYear?: number;
  /** 'log' (default): ln(Cₜ/Cₜ₋₁); 'simple': Cₜ/Cₜ₋₁ − 1. */
  readonly returns?: 'log' | 'simple';
  /** Standard deviation divisor n − ddof: 1 (default, sample) or 0 (population). */
  readonly ddof?: 0 | 1;
}

/**
 * Close-to-close historical volatility: the standard deviation of the last `period` returns,
 * annualised. Recomputed exactly over the window each bar (two passes, no running sums to drift).
 */
export class HistoricalVol implements StreamingIndicator<number, number> {
  readonly period: number;
  readonly #scale: number;
  readonly #log: boolean;
  readonly #ddof: number;
  readonly #ring: Float64Array;
  #count = 0;
  #prev: number | null = null;
  #value: number | null = null;

  constructor(options: HistoricalVolOptions = {}) {
    this.period = options.period ?? 20;
    assertPeriod('HistoricalVol', this.period, 2);
    const ppy = options.periodsPerYear ?? TRADING_DAYS_PER_YEAR;
    if (!(ppy > 0)) throw new RangeError(`HistoricalVol: periodsPerYear must be > 0, got ${ppy}`);
    this.#scale = Math.sqrt(ppy);
    this.#log = (options.returns ?? 'log') === 'log';
    this.#ddof = options.ddof ?? 1;
    this.#ring = new Float64Array(this.period);
  }

  update(close: number): number | null {
    const prev = this.#prev;
    this.#prev = close;
    if (prev === null) return null;
    this.#ring[this.#count % this.period] = this.#log ? Math.log(close / prev) : close / prev - 1;
    this.#count++;
    if (this.#count < this.period) return null;
    const n = this.period;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += this.#ring[i]!;
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const d = this.#ring[i]! - mean;
      ss += d * d;
    }
    this.#value = Math.sqrt(ss / (n - this.#ddof)) * this.#scale;
    return this.#value;
  }

  get value(): number | null {
    return this.#value;
  }
}

export function historicalVolSeries(
  closes: ArrayLike<number>,
  options: HistoricalVolOptions = {},
): Float64Array {
  return runNumericSeries(new HistoricalVol(options), closes);
}
