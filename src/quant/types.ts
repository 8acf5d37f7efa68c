/** 'c' = call, 'p' = put (py_vollib's flags). */
export type OptionFlag = 'c' | 'p';

/**
 * One option to price. Units as py_vollib: T in years, r and q continuously compounded per year,
 * sigma annualised (0.2 = 20 %).
 */
export interface PricingInput {
  readonly flag: OptionFlag;
  /** Spot price of the underlying. */
  readonly S: number;
  /** Strike. */
  readonly K: number;
  /** Time to expiry in years. */
  readonly T: number;
  /** Risk-free rate. */
  readonly r: number;
  /** Continuous dividend yield (cost of carry b = r − q). */
  readonly q: number;
  /** Volatility. */
  readonly sigma: number;
}

/**
 * Price and greeks, py_vollib conventions: delta and gamma per unit of S, vega per 1 volatility
 * point (∂V/∂σ / 100), theta per calendar day (−∂V/∂T / 365), rho per 1 % of r (∂V/∂r / 100).
 */
export interface Greeks {
  readonly price: number;
  readonly delta: number;
  readonly gamma: number;
  readonly vega: number;
  readonly theta: number;
  readonly rho: number;
}

/**
 * Columnar input for the batch functions; all columns have at least `n` entries.
 * `flag[i]` is 1 for a call and 0 for a put.
 */
export interface PricingColumns {
  readonly flag: Int8Array | Uint8Array;
  readonly S: Float64Array;
  readonly K: Float64Array;
  readonly T: Float64Array;
  readonly r: Float64Array;
  readonly q: Float64Array;
  readonly sigma: Float64Array;
}

/** Columnar output of the batch pricers (preallocate once and reuse across calls). */
export interface GreeksColumns {
  readonly price: Float64Array;
  readonly delta: Float64Array;
  readonly gamma: Float64Array;
  readonly vega: Float64Array;
  readonly theta: Float64Array;
  readonly rho: Float64Array;
}

export const CALL = 1;
export const PUT = 0;

/** Allocates output columns for `n` options. */
export function allocGreeksColumns(n: number): GreeksColumns {
  return {
    price: new Float64Array(n),
    delta: new Float64Array(n),
    gamma: new Float64Array(n),
    vega: new Float64Array(n),
    theta: new Float64Array(n),
    rho: new Float64Array(n),
  };
}

/** Allocates input columns for `n` options (all zero; flag 0 = put). */
export function allocPricingColumns(n: number): {
  flag: Uint8Array;
  S: Float64Array;
  K: Float64Array;
  T: Float64Array;
  r: Float64Array;
  q: Float64Array;
  sigma: Float64Array;
} {
  return {
    flag: new Uint8Array(n),
    S: new Float64Array(n),
    K: new Float64Array(n),
    T: new Float64Array(n),
    r: new Float64Array(n),
    q: new Float64Array(n),
    sigma: new Float64Array(n),
  };
}

/** Length of a batch: the explicit `n`, else the shortest input column. */
export function batchLength(cols: PricingColumns, n: number | undefined): number {
  const min = Math.min(
    cols.flag.length,
    cols.S.length,
    cols.K.length,
    cols.T.length,
    cols.r.length,
    cols.q.length,
    cols.sigma.length,
  );
  if (n === undefined) return min;
  if (!Number.isInteger(n) || n < 0 || n > min) {
    throw new RangeError(`batch length ${n} exceeds the input columns (${min})`);
  }
  return n;
}
