import type { OptionType } from '../contracts/index.js';
import { quotePrice, yearsToExpiry } from '../quant/index.js';
import type { StrategyChain, TradableExpiry, TradableQuote } from './types.js';

const DAYS_PER_YEAR = 365;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** Calendar days from `wallMs` to the 15:30 IST close of `expiry` ('YYYY-MM-DD'), fractional. */
export function daysToExpiry(expiry: string, wallMs: number): number {
  return yearsToExpiry(expiry, wallMs) * DAYS_PER_YEAR;
}

/**
 * OpenAlgo's option symbol: underlying + DDMMMYY + strike + CE/PE, e.g. NIFTY26FEB2625000PE. Used
 * only when the chain did not name the symbol itself.
 */
export function optionSymbol(underlying: string, expiry: string, strike: number, type: OptionType): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(expiry);
  if (m === null) throw new RangeError(`expiry must be 'YYYY-MM-DD', got '${expiry}'`);
  const mon = MONTHS[Number(m[2]) - 1];
  if (mon === undefined) throw new RangeError(`bad month in expiry '${expiry}'`);
  const k = Number.isInteger(strike) ? String(strike) : String(Number(strike.toFixed(2)));
  return `${underlying}${m[3]}${mon}${m[1]!.slice(2)}${k}${type}`;
}

export function quoteOf(e: TradableExpiry, strike: number, type: OptionType): TradableQuote | undefined {
  const row = e.rows.find((r) => r.strike === strike);
  return type === 'CE' ? row?.ce : row?.pe;
}

/** Strikes of an expiry with a usable price on the given side, ascending and unique. */
export function pricedStrikes(e: TradableExpiry, type: OptionType): number[] {
  const ks = e.rows
    .filter((r) => {
      const p = quotePrice(type === 'CE' ? r.ce : r.pe);
      return p !== null && p > 0;
    })
    .map((r) => r.strike);
  return [...new Set(ks)].sort((a, b) => a - b);
}

export function symbolOf(chain: StrategyChain, expiry: string, strike: number, type: OptionType): string {
  const e = chain.expiries.find((x) => x.expiry === expiry);
  const q = e ? quoteOf(e, strike, type) : undefined;
  return q?.symbol ?? optionSymbol(chain.underlying, expiry, strike, type);
}

/** Expiries of the chain with days to expiry inside [minDte, maxDte], nearest first. */
export function expiriesInWindow(
  chain: StrategyChain,
  wallMs: number,
  minDte: number,
  maxDte: number,
): Array<{ expiry: TradableExpiry; dte: number }> {
  return chain.expiries
    .map((expiry) => ({ expiry, dte: daysToExpiry(expiry.expiry, wallMs) }))
    .filter((x) => x.dte >= minDte && x.dte <= maxDte)
    .sort((a, b) => a.dte - b.dte);
}

/**
 * Monthly expiries among `expiries` ('YYYY-MM-DD'): the last listed expiry of each calendar month
 * (NSE's monthly contract is the month's last expiry; weeklies come before it).
 */
export function monthlyExpiries(expiries: readonly string[]): string[] {
  const lastOfMonth = new Map<string, string>();
  for (const e of expiries) {
    const month = e.slice(0, 7);
    const cur = lastOfMonth.get(month);
    if (cur === undefined || e > cur) lastOfMonth.set(month, e);
  }
  return [...lastOfMonth.values()].sort();
}

/** Lot size of a leg: the quote's own, else the chain's. */
export function lotSizeOf(chain: StrategyChain, q: TradableQuote | undefined): number | undefined {
  const n = q?.lotSize ?? chain.lotSize;
  return n !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

export interface ParsedOptionSymbol {
  readonly underlying: string;
  readonly expiry: string;
  readonly strike: number;
  readonly optionType: OptionType;
}

/** Reads an OpenAlgo option symbol (NIFTY26FEB2625000PE) back into its parts; null if it is not one. */
export function parseOptionSymbol(symbol: string): ParsedOptionSymbol | null {
  const m = /^([A-Z&-]+?)(\d{2})([A-Z]{3})(\d{2})(\d+(?:\.\d+)?)(CE|PE)$/.exec(symbol);
  if (m === null) return null;
  const month = MONTHS.indexOf(m[3]!);
  if (month < 0) return null;
  return {
    underlying: m[1]!,
    expiry: `20${m[4]}-${String(month + 1).padStart(2, '0')}-${m[2]}`,
    strike: Number(m[5]),
    optionType: m[6] as OptionType,
  };
}
