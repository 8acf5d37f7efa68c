/**
 * A value and the monotonic time (ms) of the data it was computed from — the same shape as the
 * safety layer's `Stamped`, so analytics results feed the §4 freshness gates directly.
 */
export interface Stamped<T> {
  readonly value: T;
  readonly asOfMs: number;
}

export function stamp<T>(value: T, asOfMs: number): Stamped<T> {
  return { value, asOfMs };
}
