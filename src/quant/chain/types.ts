import type { Stamped } from '../stamped.js';

/** One side (call or put) of a chain row. Prices in rupees; `iv` annualised as a decimal (0.15 = 15 %). */
export interface OptionQuote {
  readonly ltp: number;
  readonly bid?: number;
  readonly ask?: number;
  /** Open interest, in the unit of the source (see `ChainParams.unitsPerOi`). */
  readonly oi?: number;
  readonly volume?: number;
  readonly iv?: number;
}

export interface ChainRow {
  readonly strike: number;
  readonly ce?: OptionQuote;
  readonly pe?: OptionQuote;
}

export interface ChainExpiry {
  /** Expiry date, 'YYYY-MM-DD' (the session it expires at, 15:30 IST). */
  readonly expiry: string;
  /** Years to expiry at the snapshot; derived from `ChainParams.wallMs` when absent. */
  readonly T?: number;
  readonly rows: readonly ChainRow[];
}

/**
 * An option chain snapshot. `asOfMs` is the monotonic time the snapshot was taken; every analytics
 * result carries it (as `Stamped`) so the §4 analytics freshness gates can judge its age.
 */
export interface ChainSnapshot {
  readonly underlying: string;
  readonly spot: number;
  readonly asOfMs: number;
  readonly expiries: readonly ChainExpiry[];
}

/** Market parameters for the analytics that reprice options (GEX, ATM IV, skew, strike by delta). */
export interface ChainParams {
  /** Risk-free rate, continuous (default 0.065, roughly the Indian T-bill yield). */
  readonly r?: number;
  /** Dividend yield of the underlying (default 0). */
  readonly q?: number;
  /** Wall-clock ms of the snapshot, used to derive T for expiries that carry none. */
  readonly wallMs?: number;
  /** Underlying units per unit of `oi` (1 when OI is in units; the lot size when OI is in contracts). */
  readonly unitsPerOi?: number;
}

export type { Stamped };
