import { RSI } from 'trading-signals';
import { assertPeriod, runNumericSeries, type StreamingIndicator } from './types.js';

/**
 * Relative strength index (Wilder) via trading-signals' RSI: average gain and loss smoothed by
 * Wilder's average seeded with the SMA of the first `period` changes; first value after period+1 closes.
 */
export class Rsi implements StreamingIndicator<number, number> {
  readonly #rsi: RSI;
  #value: number | null = null;

  constructor(readonly period = 14) {
    assertPeriod('Rsi', period);
    this.#rsi = new RSI(period);
  }

  update(close: number): number | null {
    this.#value = this.#rsi.add(close);
    return this.#value;
  }

  get value(): number | null {
    return this.#value;
  }
}

export function rsiSeries(closes: ArrayLike<number>, period = 14): Float64Array {
  return runNumericSeries(new Rsi(period), closes);
}
