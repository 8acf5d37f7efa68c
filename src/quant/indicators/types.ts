/** One OHLCV bar. `volume` is optional for indices (NSE index bars carry none). */
export interface Bar {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume?: number;
}

/**
 * A streaming indicator: feed one input per bar, get the current value, or null while it warms up.
 * The batch function of each indicator runs the same class over an array, so the two always agree.
 */
export interface StreamingIndicator<In, Out> {
  update(input: In): Out | null;
  /** The latest value (null while warming up). */
  readonly value: Out | null;
}

/** Runs a numeric streaming indicator over `values`; warm-up rows are NaN. */
export function runNumericSeries<In>(
  indicator: StreamingIndicator<In, number>,
  inputs: ArrayLike<In>,
): Float64Array {
  const out = new Float64Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const v = indicator.update(inputs[i]!);
    out[i] = v === null ? Number.NaN : v;
  }
  return out;
}

/** Runs a streaming indicator with object results over `inputs`; warm-up rows are null. */
export function runSeries<In, Out>(
  indicator: StreamingIndicator<In, Out>,
  inputs: ArrayLike<In>,
): (Out | null)[] {
  const out: (Out | null)[] = new Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) out[i] = indicator.update(inputs[i]!);
  return out;
}

export function assertPeriod(name: string, period: number, min = 1): void {
  if (!Number.isInteger(period) || period < min) {
    throw new RangeError(`${name}: period must be an integer >= ${min}, got ${period}`);
  }
}
