import { BollingerBands } from 'trading-signals';
import { assertPeriod, runSeries, type StreamingIndicator } from './types.js';

export interface BollingerValue {
  readonly lower: number;
  readonly middle: number;
  readonly upper: number;
  /** (upper − lower) / middle: the squeeze measure. */
  readonly bandwidth: number;
  /** (close − lower) / (upper − lower); NaN when the bands have zero width. */
  readonly percentB: number;
}

/**
 * Bollinger bands via trading-signals: SMA(period) ± k·population standard deviation (Bollinger's
 * definition, as Tulip Indicators and TA-Lib).
 */
export class Bollinger implements StreamingIndicator<number, BollingerValue> {
  readonly #bb: BollingerBands;
  #value: BollingerValue | null = null;

  constructor(
    readonly period = 20,
    readonly k = 2,
  ) {
    assertPeriod('Bollinger', period, 2);
    if (!(k > 0)) throw new RangeError(`Bollinger: k must be > 0, got ${k}`);
    this.#bb = new BollingerBands(period, k);
  }

  update(close: number): BollingerValue | null {
    const r = this.#bb.add(close);
    if (r === null) {
      this.#value = null;
    } else {
      const width = r.upper - r.lower;
      this.#value = {
        lower: r.lower,
        middle: r.middle,
        upper: r.upper,
        bandwidth: width / r.middle,
        percentB: width > 0 ? (close - r.lower) / width : Number.NaN,
      };
    }
    return this.#value;
  }

  get value(): BollingerValue | null {
    return this.#value;
  }
}

export function bollingerSeries(closes: ArrayLike<number>, period = 20, k = 2): (BollingerValue | null)[] {
  return runSeries(new Bollinger(period, k), closes);
}
