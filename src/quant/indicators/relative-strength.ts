import { assertPeriod, runNumericSeries, type StreamingIndicator } from './types.js';

/** §9: relative strength over 50 sessions ranks the NIFTY 500. */
export const RS_LOOKBACK = 50;

export interface RsInput {
  readonly close: number;
  /** The benchmark's close on the same session (NIFTY 50 for the §9 universe). */
  readonly benchmark: number;
}

/**
 * Relative strength over `lookback` sessions: the stock's growth factor divided by the
 * benchmark's, minus one — (Cₜ/Cₜ₋ₙ)/(Bₜ/Bₜ₋ₙ) − 1. Positive means it outperformed. With a
 * constant benchmark it is the plain n-day return.
 */
export function relativeStrength(
  closes: ArrayLike<number>,
  benchmark: ArrayLike<number> | null,
  lookback = RS_LOOKBACK,
): number | null {
  assertPeriod('relativeStrength', lookback);
  const n = closes.length;
  if (n <= lookback) return null;
  const stock = closes[n - 1]! / closes[n - 1 - lookback]!;
  if (benchmark === null) return stock - 1;
  const m = benchmark.length;
  if (m !== n) throw new RangeError(`relativeStrength: ${n} closes but ${m} benchmark closes`);
  return stock / (benchmark[m - 1]! / benchmark[m - 1 - lookback]!) - 1;
}

/** Streaming relative strength (see `relativeStrength`); null until lookback + 1 sessions. */
export class RelativeStrength implements StreamingIndicator<RsInput, number> {
  readonly #closes: Float64Array;
  readonly #bench: Float64Array;
  #count = 0;
  #value: number | null = null;

  constructor(readonly lookback = RS_LOOKBACK) {
    assertPeriod('RelativeStrength', lookback);
    this.#closes = new Float64Array(lookback + 1);
    this.#bench = new Float64Array(lookback + 1);
  }

  update(input: RsInput): number | null {
    const ring = this.lookback + 1;
    const slot = this.#count % ring;
    this.#closes[slot] = input.close;
    this.#bench[slot] = input.benchmark;
    this.#count++;
    if (this.#count < ring) {
      this.#value = null;
      return null;
    }
    const old = (slot + 1) % ring;
    this.#value = input.close / this.#closes[old]! / (input.benchmark / this.#bench[old]!) - 1;
    return this.#value;
  }

  get value(): number | null {
    return this.#value;
  }
}

export function relativeStrengthSeries(inputs: ArrayLike<RsInput>, lookback = RS_LOOKBACK): Float64Array {
  return runNumericSeries(new RelativeStrength(lookback), inputs);
}
