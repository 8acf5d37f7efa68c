/**
 * §9 universe pre-filtering, as pure functions over bars (the runtime schedules them: the daily
 * build at 09:00 IST, the rescore every 15 minutes).
 *
 *   Daily build:      NIFTY 500 → volume > minVolume → RS(50 d) top N → Active Watchlist (30–50)
 *   Intraday rescore: Active Watchlist → VCP / supply-demand proximity → Hot List (top 10)
 *   Always included:  NIFTY, BANKNIFTY (on both lists, not counted against their sizes)
 */

import { SupplyDemand, type SupplyDemandOptions } from './indicators/supply-demand.js';
import type { Bar } from './indicators/types.js';
import { Vcp, type VcpOptions } from './indicators/vcp.js';

/** A daily bar with its session date ('YYYY-MM-DD'). */
export interface DailyBar extends Bar {
  readonly date: string;
  readonly volume: number;
}

/** The plan's §9 thresholds (the `config.universe` keys), all optional with the plan's defaults. */
export interface UniverseParams {
  readonly rsLookbackDays?: number;
  readonly rsTopN?: number;
  readonly minVolume?: number;
  readonly watchlistMin?: number;
  readonly watchlistMax?: number;
  readonly hotListSize?: number;
  readonly alwaysInclude?: readonly string[];
  /** Sessions averaged for the volume filter (default: the RS lookback). */
  readonly volumeLookbackDays?: number;
}

export const UNIVERSE_DEFAULTS = {
  rsLookbackDays: 50,
  rsTopN: 50,
  minVolume: 500_000,
  watchlistMin: 30,
  watchlistMax: 50,
  hotListSize: 10,
  alwaysInclude: ['NIFTY', 'BANKNIFTY'] as readonly string[],
} as const;

export type ExclusionReason = 'NO_DATA' | 'INSUFFICIENT_HISTORY' | 'LOW_VOLUME' | 'BELOW_RS_CUTOFF';

export interface WatchlistMember {
  readonly symbol: string;
  /** RS(lookback) against the benchmark: (Cₜ/Cₜ₋ₙ)/(Bₜ/Bₜ₋ₙ) − 1. */
  readonly rs: number;
  readonly avgVolume: number;
  /** 1 = strongest. */
  readonly rank: number;
}

export interface WatchlistResult {
  /** The session the build used (the last date ≤ asOfDate present in the benchmark). */
  readonly asOfDate: string;
  /** Ranked stock members, strongest first (at most watchlistMax). */
  readonly members: readonly WatchlistMember[];
  /** Symbols to subscribe: alwaysInclude first, then members. */
  readonly symbols: readonly string[];
  /** Fewer members than watchlistMin qualified (the runtime should alert, not pad the list). */
  readonly belowMinimum: boolean;
  readonly excluded: readonly { readonly symbol: string; readonly reason: ExclusionReason }[];
}

export interface WatchlistInput {
  /** The NIFTY 500 symbols. */
  readonly constituents: readonly string[];
  /** Daily bars per symbol, ascending by date (raw prices must be adjusted for corporate actions). */
  readonly bars: ReadonlyMap<string, readonly DailyBar[]>;
  /** Benchmark daily bars (NIFTY 50), ascending by date. */
  readonly benchmark: readonly DailyBar[];
  /** Build for this session or the last one before it ('YYYY-MM-DD'); default: the benchmark's last. */
  readonly asOfDate?: string;
}

function lastIndexAtOrBefore(bars: readonly { date: string }[], date: string): number {
  let lo = 0;
  let hi = bars.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (bars[mid]!.date <= date) {
      ans = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return ans;
}

/**
 * Daily universe build (§9): every constituent with lookback + 1 sessions of history and an
 * average volume above `minVolume` is ranked by RS(lookback) against the benchmark; the top
 * min(rsTopN, watchlistMax) form the Active Watchlist. RS is measured on the benchmark's session
 * calendar: a stock must have bars on the as-of session and on the session `lookback` benchmark
 * sessions earlier (a stock that missed either is INSUFFICIENT_HISTORY rather than guessed).
 */
export function buildActiveWatchlist(input: WatchlistInput, params: UniverseParams = {}): WatchlistResult {
  const lookback = params.rsLookbackDays ?? UNIVERSE_DEFAULTS.rsLookbackDays;
  const topN = params.rsTopN ?? UNIVERSE_DEFAULTS.rsTopN;
  const minVolume = params.minVolume ?? UNIVERSE_DEFAULTS.minVolume;
  const wlMin = params.watchlistMin ?? UNIVERSE_DEFAULTS.watchlistMin;
  const wlMax = params.watchlistMax ?? UNIVERSE_DEFAULTS.watchlistMax;
  const always = params.alwaysInclude ?? UNIVERSE_DEFAULTS.alwaysInclude;
  const volDays = params.volumeLookbackDays ?? lookback;
  if (!(Number.isInteger(lookback) && lookback >= 1)) throw new RangeError(`rsLookbackDays must be >= 1`);
  if (!(Number.isInteger(volDays) && volDays >= 1)) throw new RangeError(`volumeLookbackDays must be >= 1`);
  if (wlMin > wlMax) throw new RangeError(`watchlistMin (${wlMin}) exceeds watchlistMax (${wlMax})`);

  const bench = input.benchmark;
  const bi = input.asOfDate === undefined ? bench.length - 1 : lastIndexAtOrBefore(bench, input.asOfDate);
  if (bi < lookback) {
    throw new RangeError(`benchmark has ${bi + 1} sessions up to the as-of date; RS needs ${lookback + 1}`);
  }
  const asOf = bench[bi]!.date;
  const startDate = bench[bi - lookback]!.date;
  const benchGrowth = bench[bi]!.close / bench[bi - lookback]!.close;

  const excluded: { symbol: string; reason: ExclusionReason }[] = [];
  const ranked: { symbol: string; rs: number; avgVolume: number }[] = [];
  const alwaysSet = new Set(always);
  for (const symbol of input.constituents) {
    if (alwaysSet.has(symbol)) continue;
    const bars = input.bars.get(symbol);
    if (bars === undefined || bars.length === 0) {
      excluded.push({ symbol, reason: 'NO_DATA' });
      continue;
    }
    const i = lastIndexAtOrBefore(bars, asOf);
    const j = lastIndexAtOrBefore(bars, startDate);
    if (i < 0 || j < 0 || bars[i]!.date !== asOf || bars[j]!.date !== startDate || i + 1 < volDays) {
      excluded.push({ symbol, reason: 'INSUFFICIENT_HISTORY' });
      continue;
    }
    let vol = 0;
    for (let k = i - volDays + 1; k <= i; k++) vol += bars[k]!.volume;
    const avgVolume = vol / volDays;
    if (!(avgVolume > minVolume)) {
      excluded.push({ symbol, reason: 'LOW_VOLUME' });
      continue;
    }
    ranked.push({ symbol, rs: bars[i]!.close / bars[j]!.close / benchGrowth - 1, avgVolume });
  }
  ranked.sort((a, b) => b.rs - a.rs || (a.symbol < b.symbol ? -1 : 1));
  const keep = Math.min(topN, wlMax);
  const members = ranked.slice(0, keep).map((m, k) => ({ ...m, rank: k + 1 }));
  for (const m of ranked.slice(keep)) excluded.push({ symbol: m.symbol, reason: 'BELOW_RS_CUTOFF' });
  return {
    asOfDate: asOf,
    members,
    symbols: [...always, ...members.map((m) => m.symbol)],
    belowMinimum: members.length < wlMin,
    excluded,
  };
}

export interface RescoreInput {
  readonly symbol: string;
  /** Completed daily bars, ascending (the last VCP lookback + a few are enough). */
  readonly bars: readonly Bar[];
  /** Latest traded price intraday (default: the last bar's close). */
  readonly lastPrice?: number;
  /** Tie-break: the symbol's RS from the daily build (higher first). */
  readonly rs?: number;
}

export type SetupKind = 'VCP_PIVOT' | 'DEMAND_ZONE' | 'SUPPLY_ZONE';

export interface HotListEntry {
  readonly symbol: string;
  /** Fractional distance of price from the nearest setup level (0 = at/inside it). */
  readonly proximity: number;
  readonly setup: SetupKind;
  /** The level: VCP pivot or the zone's proximal edge. */
  readonly level: number;
}

export interface HotListResult {
  /** Always-included underlyings first, then the top hotListSize by proximity. */
  readonly symbols: readonly string[];
  readonly entries: readonly HotListEntry[];
  /** Watchlist symbols with no VCP or zone setup. */
  readonly withoutSetup: readonly string[];
}

export interface RescoreOptions {
  readonly vcp?: VcpOptions;
  readonly supplyDemand?: SupplyDemandOptions;
}

/**
 * Intraday rescore (§9): each watchlist symbol's distance from its nearest setup level — the pivot
 * of a contracting VCP base, or the proximal edge of an unbroken demand or supply zone — at the
 * latest price; the closest `hotListSize` form the Hot List. Ties go to the higher RS.
 */
export function rescoreHotList(
  inputs: readonly RescoreInput[],
  params: UniverseParams = {},
  options: RescoreOptions = {},
): HotListResult {
  const size = params.hotListSize ?? UNIVERSE_DEFAULTS.hotListSize;
  const always = params.alwaysInclude ?? UNIVERSE_DEFAULTS.alwaysInclude;
  const alwaysSet = new Set(always);
  const scored: (HotListEntry & { rs: number })[] = [];
  const withoutSetup: string[] = [];
  for (const inp of inputs) {
    if (alwaysSet.has(inp.symbol)) continue;
    const last = inp.bars[inp.bars.length - 1];
    const price = inp.lastPrice ?? last?.close;
    if (price === undefined || !(price > 0)) {
      withoutSetup.push(inp.symbol);
      continue;
    }
    const vcp = new Vcp(options.vcp);
    const sd = new SupplyDemand(options.supplyDemand);
    for (const b of inp.bars) {
      vcp.update(b);
      sd.update(b);
    }
    let best: HotListEntry | null = null;
    const consider = (setup: SetupKind, level: number, proximity: number): void => {
      if (best === null || proximity < best.proximity) best = { symbol: inp.symbol, setup, level, proximity };
    };
    const v = vcp.value;
    if (v?.contracting) consider('VCP_PIVOT', v.pivot, Math.abs(v.pivot - price) / price);
    const z = sd.value;
    if (z !== null) {
      for (const zone of z.zones) {
        if (zone.kind === 'demand' && zone.distal <= price) {
          consider('DEMAND_ZONE', zone.proximal, Math.max(0, (price - zone.proximal) / price));
        } else if (zone.kind === 'supply' && zone.distal >= price) {
          consider('SUPPLY_ZONE', zone.proximal, Math.max(0, (zone.proximal - price) / price));
        }
      }
    }
    if (best === null) withoutSetup.push(inp.symbol);
    else scored.push({ ...(best as HotListEntry), rs: inp.rs ?? Number.NEGATIVE_INFINITY });
  }
  scored.sort((a, b) => a.proximity - b.proximity || b.rs - a.rs || (a.symbol < b.symbol ? -1 : 1));
  const entries = scored.slice(0, size).map(({ rs: _rs, ...e }) => e);
  return { symbols: [...always, ...entries.map((e) => e.symbol)], entries, withoutSetup };
}
