/**
 * Quant engine: pricing, greeks, implied volatility, indicators, option-chain analytics and the
 * §9 universe filter. Everything here is pure (no I/O, no clock reads).
 *
 * Pricing (py_vollib conventions): T in years, r and q continuous per year, sigma annualised;
 * vega per 1 vol point (/100), theta per calendar day (/365), rho per 1 % (/100).
 *   blackScholes({ flag: 'c'|'p', S, K, T, r, q, sigma }) → { price, delta, gamma, vega, theta, rho }
 *   bjerksundStensland(same) → same shape (American, BjS 2002; greeks by central differences)
 *   impliedVolatility({ price, flag, S, K, T, r, q, model?: 'bs'|'bjs' })
 *     → { ok: true, sigma } | { ok: false, code: 'NON_FINITE_INPUT' | 'INVALID_INPUT' |
 *       'BELOW_INTRINSIC' | 'ABOVE_MAX_PRICE' | 'NO_CONVERGENCE' }   (never NaN)
 * Invalid pricing inputs (S, K ≤ 0, T or σ < 0, non-finite) are bugs upstream: RangeError.
 *
 * Batch shape (one call prices a whole chain):
 *   input  PricingColumns  { flag: Uint8Array|Int8Array (1 = call, 0 = put), S, K, T, r, q, sigma: Float64Array }
 *   output GreeksColumns   { price, delta, gamma, vega, theta, rho: Float64Array }  (allocGreeksColumns(n))
 *   blackScholesBatch(input, out?, n?) → out; row i equals blackScholes(row i) bit for bit
 *   (likewise blackScholesPriceBatch, bjerksundStenslandBatch, bjerksundStenslandPriceBatch).
 *   impliedVolatilityBatch({ price, flag, S, K, T, r, q }, out?, n?, model?) → { sigma: Float64Array,
 *   status: Uint8Array } with IV_STATUS codes (0 = OK; sigma NaN otherwise; ivStatusCode maps
 *   them back); row i equals the scalar exactly.
 * Preallocate the columns once and reuse them: the batch loops allocate nothing.
 *
 * Indicators (indicators/): streaming classes with `update(x)` → value | null while warming up,
 * and `*Series` batch functions that run the same class. Chain analytics (chain/): pure functions
 * of a `ChainSnapshot`, each result `Stamped` with the snapshot's `asOfMs` for the §4 gates.
 * Universe (universe.ts): `buildActiveWatchlist` and `rescoreHotList`, parameters = config.universe.
 */
export {
  bjerksundStensland,
  bjerksundStenslandBatch,
  bjerksundStenslandPrice,
  bjerksundStenslandPriceBatch,
} from './bjerksund-stensland.js';
export {
  blackScholes,
  blackScholesBatch,
  blackScholesPrice,
  blackScholesPriceBatch,
  isValidPricingInput,
} from './black-scholes.js';
export * from './chain/index.js';
export {
  type ImpliedVolColumns,
  type ImpliedVolErrorCode,
  type ImpliedVolInput,
  type ImpliedVolInputColumns,
  type ImpliedVolResult,
  IV_STATUS,
  impliedVolatility,
  impliedVolatilityBatch,
  ivStatusCode,
} from './implied-vol.js';
export * from './indicators/index.js';
export { bivariateNormalCdf, erf, erfc, erfcx, normCdf, normInv, normPdf } from './normal.js';
export { type Stamped, stamp } from './stamped.js';
export {
  allocGreeksColumns,
  allocPricingColumns,
  CALL,
  type Greeks,
  type GreeksColumns,
  type OptionFlag,
  type PricingColumns,
  type PricingInput,
  PUT,
} from './types.js';
export {
  buildActiveWatchlist,
  type DailyBar,
  type ExclusionReason,
  type HotListEntry,
  type HotListResult,
  type RescoreInput,
  type RescoreOptions,
  rescoreHotList,
  type SetupKind,
  UNIVERSE_DEFAULTS,
  type UniverseParams,
  type WatchlistInput,
  type WatchlistMember,
  type WatchlistResult,
} from './universe.js';
