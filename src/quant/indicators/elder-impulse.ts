import { Ema } from './ema.js';
import { Macd } from './macd.js';
import { runSeries, type StreamingIndicator } from './types.js';

/** green: EMA and MACD histogram both rising; red: both falling; blue: anything else. */
export type ImpulseColor = 'green' | 'red' | 'blue';

/**
 * Elder's Impulse System (Elder, "Come into My Trading Room", 2002): the slope of the 13-period
 * EMA (inertia) and the slope of the MACD(12, 26, 9) histogram (momentum), bar over bar.
 * Null until both slopes exist.
 */
export class ElderImpulse implements StreamingIndicator<number, ImpulseColor> {
  readonly #ema: Ema;
  readonly #macd: Macd;
  #prevEma: number | null = null;
  #prevHist: number | null = null;
  #value: ImpulseColor | null = null;

  constructor(emaPeriod = 13, fast = 12, slow = 26, signal = 9) {
    this.#ema = new Ema(emaPeriod);
    this.#macd = new Macd(fast, slow, signal);
  }

  update(close: number): ImpulseColor | null {
    const e = this.#ema.update(close);
    const m = this.#macd.update(close);
    const h = m === null ? null : m.histogram;
    let color: ImpulseColor | null = null;
    if (e !== null && h !== null && this.#prevEma !== null && this.#prevHist !== null) {
      const emaUp = e > this.#prevEma;
      const emaDown = e < this.#prevEma;
      const histUp = h > this.#prevHist;
      const histDown = h < this.#prevHist;
      color = emaUp && histUp ? 'green' : emaDown && histDown ? 'red' : 'blue';
    }
    this.#prevEma = e;
    this.#prevHist = h;
    this.#value = color;
    return color;
  }

  get value(): ImpulseColor | null {
    return this.#value;
  }
}

export function elderImpulseSeries(closes: ArrayLike<number>, emaPeriod = 13): (ImpulseColor | null)[] {
  return runSeries(new ElderImpulse(emaPeriod), closes);
}
