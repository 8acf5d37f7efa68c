import type { OpenAlgoClient } from '../../broker/index.js';
import { HISTORY_INTERVALS, type OptionChain, toExpiryInput } from '../../broker/index.js';
import type { Clock } from '../../clock/index.js';
import type { FeedManager, Instrument } from '../../market/index.js';
import type { ChainRow, ChainSnapshot, OptionQuote } from '../../quant/chain/index.js';
import { aggregateBars, type OhlcBar } from './bar-builder.js';
import type { HistoryBar, RegimePorts, RegimeTick } from './ports.js';

/**
 * RegimePorts over OpenAlgo: `/api/v1/history` for the warm-up, the FeedManager's QUOTE role for
 * ticks (roles.ts: Regime → QUOTE), and `/api/v1/expiry` + `/api/v1/optionchain` (nearest expiry)
 * for the chain. Index underlyings are quoted on NSE_INDEX / BSE_INDEX, their options on NFO / BFO.
 */

export interface Venue {
  /** Where the index (and INDIAVIX) is quoted and its history lives. */
  readonly index: 'NSE_INDEX' | 'BSE_INDEX';
  /** Where its options are listed. */
  readonly fno: 'NFO' | 'BFO';
}

export const DEFAULT_VENUES: Readonly<Record<string, Venue>> = Object.freeze({
  NIFTY: { index: 'NSE_INDEX', fno: 'NFO' },
  BANKNIFTY: { index: 'NSE_INDEX', fno: 'NFO' },
  FINNIFTY: { index: 'NSE_INDEX', fno: 'NFO' },
  MIDCPNIFTY: { index: 'NSE_INDEX', fno: 'NFO' },
  NIFTYNXT50: { index: 'NSE_INDEX', fno: 'NFO' },
  INDIAVIX: { index: 'NSE_INDEX', fno: 'NFO' },
  SENSEX: { index: 'BSE_INDEX', fno: 'BFO' },
  BANKEX: { index: 'BSE_INDEX', fno: 'BFO' },
});

export interface OpenAlgoPortsOptions {
  readonly client: OpenAlgoClient;
  readonly feed: FeedManager;
  /**
   * Monotonic time stamps the chain snapshots; wall time is the market's (history ranges, the forming
   * bar, expiries). Live both are the SystemClock; against a replaying simulator, wall = its market time.
   */
  readonly clock: Clock;
  /** Strikes each side of ATM requested from optionchain (default 20). */
  readonly strikeCount?: number;
  readonly venues?: Readonly<Record<string, Venue>>;
  /**
   * Market "now" (epoch ms) for the history window, the bar still forming and the nearest expiry.
   * Live it is wall time; the sandbox simulator may replay another date (see agents/market-time.ts).
   * Default: the clock's wall time.
   */
  readonly marketNow?: () => number;
}

/** One NSE cash session (09:15–15:30 IST). */
const SESSION_MS = 375 * 60_000;
/** Calendar days added to the look-back for weekends and holidays. */
const HOLIDAY_SLACK_DAYS = 5;
const DAY_MS = 86_400_000;
const IST_OFFSET_MS = 5.5 * 3_600_000;

const INTERVAL_NAMES: ReadonlyMap<number, (typeof HISTORY_INTERVALS)[number]> = new Map(
  HISTORY_INTERVALS.flatMap((name) => {
    const m = /^(\d+)([smh])$/.exec(name);
    if (!m) return [];
    const unit = m[2] === 's' ? 1_000 : m[2] === 'm' ? 60_000 : 3_600_000;
    return [[Number(m[1]) * unit, name] as const];
  }),
);

/** IST calendar date of an epoch ms, 'YYYY-MM-DD'. */
export function istDate(epochMs: number): string {
  return new Date(epochMs + IST_OFFSET_MS).toISOString().slice(0, 10);
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** 'DDMMMYY' → 'YYYY-MM-DD' (null when unreadable). */
export function expiryIso(ddmmmyy: string): string | null {
  const m = /^(\d{2})([A-Z]{3})(\d{2})$/.exec(ddmmmyy);
  if (!m) return null;
  const mon = MONTHS.indexOf(m[2]!);
  if (mon < 0) return null;
  return `20${m[3]}-${String(mon + 1).padStart(2, '0')}-${m[1]}`;
}

function quote(leg: OptionChain['chain'][number]['ce']): OptionQuote | undefined {
  if (leg === undefined) return undefined;
  const q: { -readonly [K in keyof OptionQuote]: OptionQuote[K] } = { ltp: leg.ltp ?? 0 };
  if (leg.bid !== undefined) q.bid = leg.bid;
  if (leg.ask !== undefined) q.ask = leg.ask;
  if (leg.oi !== undefined) q.oi = leg.oi;
  if (leg.volume !== undefined) q.volume = leg.volume;
  // optionchain reports IV in percent; the chain analytics take a decimal.
  if (leg.impliedVolatility !== undefined && leg.impliedVolatility > 0) q.iv = leg.impliedVolatility / 100;
  return q;
}

/** OpenAlgo's optionchain answer as a ChainSnapshot; null without a spot. */
export function toChainSnapshot(
  chain: OptionChain,
  underlying: string,
  expiry: string,
  asOfMs: number,
): ChainSnapshot | null {
  const spot = chain.underlyingLtp;
  if (spot === undefined || !(spot > 0)) return null;
  const rows: ChainRow[] = chain.chain.map((r) => {
    const row: { strike: number; ce?: OptionQuote; pe?: OptionQuote } = { strike: r.strike };
    const ce = quote(r.ce);
    const pe = quote(r.pe);
    if (ce) row.ce = ce;
    if (pe) row.pe = pe;
    return row;
  });
  return { underlying, spot, asOfMs, expiries: [{ expiry, rows }] };
}

export function openAlgoRegimePorts(opts: OpenAlgoPortsOptions): RegimePorts {
  const { client, feed, clock } = opts;
  const marketNow = opts.marketNow ?? (() => clock.wallMs());
  const venues = opts.venues ?? DEFAULT_VENUES;
  const venue = (symbol: string): Venue => venues[symbol] ?? { index: 'NSE_INDEX', fno: 'NFO' };

  return {
    async history(symbol, intervalMs, count, signal) {
      const direct = INTERVAL_NAMES.get(intervalMs);
      // An interval OpenAlgo does not serve is built from 1-minute bars.
      const fetchMs = direct !== undefined ? intervalMs : 60_000;
      const name = direct ?? '1m';
      const now = marketNow();
      const sessions = Math.ceil((count * intervalMs) / SESSION_MS);
      const days = Math.ceil((sessions * 7) / 5) + HOLIDAY_SLACK_DAYS;
      const r = await client.history(
        {
          symbol,
          exchange: venue(symbol).index,
          interval: name,
          start_date: istDate(now - days * DAY_MS),
          end_date: istDate(now),
        },
        signal ? { signal } : undefined,
      );
      if (!r.ok) throw new Error(`history ${symbol} ${name}: ${r.error.message}`);
      let bars: OhlcBar[] = [...r.data].sort((a, b) => a.timeMs - b.timeMs);
      if (fetchMs !== intervalMs) bars = aggregateBars(bars, intervalMs);
      // Drop the bar still forming: the live BarBuilder owns it.
      const closed: HistoryBar[] = bars.filter((b) => b.timeMs + intervalMs <= now);
      return closed.slice(-count);
    },

    subscribeTicks(symbols, onTick) {
      const wanted = new Set(symbols);
      const instruments: Instrument[] = symbols.map((s) => ({ symbol: s, exchange: venue(s).index }));
      feed.subscribe('regime', instruments);
      return feed.onTick((t) => {
        if (!wanted.has(t.symbol) || t.exchange !== venue(t.symbol).index) return;
        const tick: RegimeTick = {
          symbol: t.symbol,
          price: t.ltp,
          timeMs: t.lttMs ?? t.feedTimeMs ?? clock.wallMs(),
          monoMs: t.receivedMonoMs,
        };
        onTick(tick);
      });
    },

    async fetchChain(underlying, signal) {
      const v = venue(underlying);
      const call = signal ? { signal } : undefined;
      const ex = await client.expiry(
        { symbol: underlying, exchange: v.fno, instrumenttype: 'options' },
        call,
      );
      if (!ex.ok) throw new Error(`expiry ${underlying}: ${ex.error.message}`);
      const today = istDate(marketNow());
      const nearest = ex.data
        .map((e) => toExpiryInput(e))
        .filter((e): e is string => e !== undefined)
        .map((e) => ({ input: e, iso: expiryIso(e) }))
        .filter((e): e is { input: string; iso: string } => e.iso !== null && e.iso >= today)
        .sort((a, b) => a.iso.localeCompare(b.iso))[0];
      if (!nearest) return null;
      const ch = await client.optionChain(
        {
          underlying,
          exchange: v.index,
          expiry_date: nearest.input,
          strike_count: opts.strikeCount ?? 20,
        },
        call,
      );
      if (!ch.ok) throw new Error(`optionchain ${underlying}: ${ch.error.message}`);
      return toChainSnapshot(ch.data, underlying, nearest.iso, clock.monotonicMs());
    },
  };
}
