import { EMA, MACD } from 'trading-signals';
import { assertPeriod, runSeries, type StreamingIndicator } from './types.js';

export interface MacdValue {
  readonly macd: number;
  readonly signal: number;
  readonly histogram: number;
}

/**
 * MACD (Appel): macd = EMA(fast) − EMA(slow), signal = EMA(signal) of macd, histogram = macd −
 * signal; via trading-signals' MACD over its EMAs (first-value seeding, see `Ema`). Values start
 * once `slow` prices have been seen, as in Tulip Indicators.
 */
export class Macd implements StreamingIndicator<number, MacdValue> {
  readonly #macd: MACD;
  #value: MacdValue | null = null;

  constructor(
    readonly fast = 12,
    readonly slow = 26,
    readonly signal = 9,
  ) {
    assertPeriod('Macd fast', fast);
    assertPeriod('Macd slow', slow);
    assertPeriod('Macd signal', signal);
    if (fast >= slow) throw new RangeError(`Macd: fast (${fast}) must be shorter than slow (${slow})`);
    this.#macd = new MACD(new EMA(fast), new EMA(slow), new EMA(signal));
  }

  update(close: number): MacdValue | null {
    const r = this.#macd.add(close);
    this.#value = r === null ? null : { macd: r.macd, signal: r.signal, histogram: r.histogram };
    return this.#value;
  }

  get value(): MacdValue | null {
    return this.#value;
  }
}

export function macdSeries(
  closes: ArrayLike<number>,
  fast = 12,
  slow = 26,
  signal = 9,
): (MacdValue | null)[] {
  return runSeries(new Macd(fast, slow, signal), closes);
}
