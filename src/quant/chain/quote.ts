import { impliedVolatility } from '../implied-vol.js';
import type { ChainExpiry, ChainParams, ChainSnapshot, OptionQuote } from './types.js';

export const DEFAULT_RATE = 0.065;
const MS_PER_YEAR = 365 * 24 * 3600 * 1000;
/** NSE index options expire at the 15:30 IST close: 10:00 UTC. */
const EXPIRY_UTC_HOUR = 10;

/** Years from `wallMs` to 15:30 IST on `expiry` ('YYYY-MM-DD'); negative after expiry. */
export function yearsToExpiry(expiry: string, wallMs: number): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(expiry);
  if (m === null) throw new RangeError(`expiry must be 'YYYY-MM-DD', got '${expiry}'`);
  const close = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), EXPIRY_UTC_HOUR, 0, 0);
  return (close - wallMs) / MS_PER_YEAR;
}

/** T of an expiry: its own, else derived from params.wallMs; throws when neither is known. */
export function expiryT(e: ChainExpiry, params: ChainParams): number {
  if (e.T !== undefined) return e.T;
  if (params.wallMs === undefined) {
    throw new RangeError(`expiry ${e.expiry} has no T and no wallMs was given to derive it`);
  }
  return yearsToExpiry(e.expiry, params.wallMs);
}

/** Mid of a two-sided quote when sane (0 < bid ≤ ask), else the last traded price; null if none. */
export function quotePrice(q: OptionQuote | undefined): number | null {
  if (q === undefined) return null;
  const { bid, ask, ltp } = q;
  if (bid !== undefined && ask !== undefined && bid > 0 && ask >= bid) return 0.5 * (bid + ask);
  return ltp > 0 ? ltp : null;
}

/**
 * Implied volatility of a quote: the source's own IV when present, else inverted (BSM) from the
 * quote's price. Null when neither works (no price, below intrinsic, …).
 */
export function quoteIv(
  q: OptionQuote | undefined,
  flag: 'c' | 'p',
  S: number,
  K: number,
  T: number,
  r: number,
  div: number,
): number | null {
  if (q === undefined || !(T > 0)) return null;
  if (q.iv !== undefined && q.iv > 0 && Number.isFinite(q.iv)) return q.iv;
  const price = quotePrice(q);
  if (price === null) return null;
  const res = impliedVolatility({ price, flag, S, K, T, r, q: div });
  return res.ok && res.sigma > 0 ? res.sigma : null;
}

export function rateOf(params: ChainParams): number {
  return params.r ?? DEFAULT_RATE;
}

export function findExpiry(snapshot: ChainSnapshot, expiry?: string): ChainExpiry | null {
  if (expiry === undefined) return snapshot.expiries[0] ?? null;
  return snapshot.expiries.find((e) => e.expiry === expiry) ?? null;
}

/** Forward of the underlying for an expiry: S·e^{(r−q)T}. */
export function forwardOf(snapshot: ChainSnapshot, T: number, params: ChainParams): number {
  return snapshot.spot * Math.exp((rateOf(params) - (params.q ?? 0)) * T);
}
