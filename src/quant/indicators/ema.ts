import { EMA } from 'trading-signals';
import { assertPeriod, runNumericSeries, type StreamingIndicator } from './types.js';

/**
 * Exponential moving average, α = 2/(period+1), via trading-signals' EMA.
 *
 * Seeding: the first input seeds the average (ema₀ = x₀), as in Tulip Indicators and pandas
 * `ewm(span, adjust=False)`; TA-Lib seeds with the SMA of the first `period` inputs instead. The
 * two differ by (1−α)^n·(seed difference), i.e. < 1e-4 of the initial gap after 4·period bars.
 * The value is reported once `period` inputs have been seen (trading-signals' `isStable`).
 */
export class Ema implements StreamingIndicator<number, number> {
  readonly #ema: EMA;
  #value: number | null = null;

  constructor(readonly period: number) {
    assertPeriod('Ema', period);
    this.#ema = new EMA(period);
  }

  update(x: number): number | null {
    const v = this.#ema.add(x);
    this.#value = this.#ema.isStable && v !== null ? v : null;
    return this.#value;
  }

  get value(): number | null {
    return this.#value;
  }
}

/** EMA over a series (NaN while warming up); equals feeding `Ema` one value at a time. */
export function emaSeries(values: ArrayLike<number>, period: number): Float64Array {
  return runNumericSeries(new Ema(period), values);
}
