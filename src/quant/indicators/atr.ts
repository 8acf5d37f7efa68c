import { ATR } from 'trading-signals';
import { assertPeriod, type Bar, runNumericSeries, type StreamingIndicator } from './types.js';

/**
 * Average true range (Wilder) via trading-signals' ATR: true range (high − low on the first bar),
 * smoothed by Wilder's average seeded with the SMA of the first `period` true ranges.
 */
export class Atr implements StreamingIndicator<Bar, number> {
  readonly #atr: ATR;
  #value: number | null = null;

  constructor(readonly period = 14) {
    assertPeriod('Atr', period);
    this.#atr = new ATR(period);
  }

  update(bar: Bar): number | null {
    this.#value = this.#atr.add({ high: bar.high, low: bar.low, close: bar.close });
    return this.#value;
  }

  get value(): number | null {
    return this.#value;
  }
}

export function atrSeries(bars: ArrayLike<Bar>, period = 14): Float64Array {
  return runNumericSeries(new Atr(period), bars);
}
