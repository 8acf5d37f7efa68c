import {
  optionSymbol,
  type StrategyChain,
  type TradableQuote,
  type TradableRow,
} from '../../../src/strategy/index.js';
import { num, readCsv } from '../quant/csv.js';

// Recorded option chains (/work/shared/data/option_chain_snapshots.csv, see SOURCES.md).
const ROWS = readCsv('option_chain_snapshots.csv');

/** Upstox NIFTY chain after the close of 2024-06-21 (spot 23,501.10), weekly expiry 2024-06-27. */
export const UPSTOX_0621 = {
  id: 'upstox_api_ef005d3',
  spot: 23_501.1,
  expiry: '2024-06-27',
  /** 15:30 IST on 2024-06-21. */
  wallMs: Date.UTC(2024, 5, 21, 10, 0, 0),
  lotSize: 25,
} as const;

/** Upstox NIFTY chain after the close of 2024-06-26 (spot 23,868.80), expiry 2024-06-27. */
export const UPSTOX_0626 = {
  id: 'upstox_api_bb40d5c',
  spot: 23_868.8,
  expiry: '2024-06-27',
  wallMs: Date.UTC(2024, 5, 26, 10, 0, 0),
  lotSize: 25,
} as const;

export const ASOF = 42_000;

/** A StrategyChain of one recorded snapshot, symbols in OpenAlgo's format. */
export function chainOf(
  id: string,
  underlying: string,
  spot: number,
  opts: { lotSize?: number; withIv?: boolean } = {},
): StrategyChain {
  const rows = ROWS.filter((r) => r.snapshot_id === id && r.underlying === underlying);
  const byExpiry = new Map<string, Map<number, { strike: number; ce?: TradableQuote; pe?: TradableQuote }>>();
  for (const r of rows) {
    const strikes = byExpiry.get(r.expiry!) ?? new Map();
    byExpiry.set(r.expiry!, strikes);
    const strike = num(r.strike)!;
    const row = strikes.get(strike) ?? { strike };
    const ivPct = num(r.iv);
    const quote: TradableQuote = {
      ltp: num(r.ltp) ?? 0,
      symbol: optionSymbol(underlying, r.expiry!, strike, r.option_type as 'CE' | 'PE'),
      ...(num(r.bid) !== undefined ? { bid: num(r.bid)! } : {}),
      ...(num(r.ask) !== undefined ? { ask: num(r.ask)! } : {}),
      ...(num(r.oi) !== undefined ? { oi: num(r.oi)! } : {}),
      ...(opts.withIv !== false && ivPct !== undefined && ivPct > 0 ? { iv: ivPct / 100 } : {}),
    };
    if (r.option_type === 'CE') row.ce = quote;
    else row.pe = quote;
    strikes.set(strike, row);
  }
  return {
    underlying,
    spot,
    asOfMs: ASOF,
    exchange: 'NFO',
    ...(opts.lotSize !== undefined ? { lotSize: opts.lotSize } : {}),
    expiries: [...byExpiry.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([expiry, strikes]) => ({
        expiry,
        rows: [...strikes.values()].sort((a, b) => a.strike - b.strike) as TradableRow[],
      })),
  };
}

/** CSV rows of one snapshot (for checks against the source). */
export function csvRows(id: string, underlying: string) {
  return ROWS.filter((r) => r.snapshot_id === id && r.underlying === underlying);
}
