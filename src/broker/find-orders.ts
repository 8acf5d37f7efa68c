import type { OrderBook, OrderRow } from './responses.js';

/** IST is UTC+05:30 all year; broker orderbook timestamps are IST wall time without a zone. */
const IST_OFFSET_MS = 330 * 60_000;
const MONTHS: Readonly<Record<string, number>> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

/**
 * Orderbook timestamps are broker strings (REST.md §6.3): `08-Apr-2025 13:58:03` (live adapters),
 * `2025-04-08 13:58:03` (sandbox), both IST; ISO text with a zone is honoured as written.
 */
export function parseBrokerTimestamp(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = s.trim();
  let m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})[ T](\d{1,2}):(\d{2}):(\d{2})$/.exec(t);
  if (m) {
    const mon = MONTHS[m[2]!.toLowerCase()];
    if (mon === undefined) return undefined;
    return Date.UTC(+m[3]!, mon, +m[1]!, +m[4]!, +m[5]!, +m[6]!) - IST_OFFSET_MS;
  }
  m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2}):(\d{2})$/.exec(t);
  if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - IST_OFFSET_MS;
  if (/[zZ]|[+-]\d{2}:?\d{2}$/.test(t)) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

export interface TagFallback {
  readonly symbol: string;
  readonly exchange?: string;
  readonly action: 'BUY' | 'SELL';
  readonly quantity: number;
  /** Wall time (epoch ms) the order could first have been placed: rows older than this are not it. */
  readonly sinceWallMs: number;
  /** Wall time of the search; rows newer than this (+ skew) are not it either. */
  readonly untilWallMs: number;
  /** Allowance for the broker's clock differing from ours (default 60 s). */
  readonly clockSkewMs?: number;
  /** Broker order ids already linked to other commands: they cannot be this order. */
  readonly excludeOrderIds?: ReadonlySet<string>;
}

export interface TagSearch {
  readonly orders: readonly OrderRow[];
  /** `tag`: rows carrying our strategy tag (sandbox). `fallback`: symbol+action+quantity+time (live). */
  readonly matchedBy: 'tag' | 'fallback' | 'none';
}

const DEFAULT_SKEW_MS = 60_000;

/**
 * §3 broker-side idempotency: the orders already placed under `strategyTag`.
 *
 * Sandbox orderbook rows carry `strategy`, so they are matched on the tag exactly. Live OpenAlgo rows
 * do not carry it; for those, pass `fallback`: a row without a tag matches when symbol, action and
 * quantity agree (exchange too when given), it is not linked to another command, and its timestamp
 * lies in [sinceWallMs − skew, untilWallMs + skew]. A row whose timestamp cannot be read is kept: for
 * idempotency a possible duplicate is the worse error, and reconciliation resolves the rest.
 * Rejected rows, and rows cancelled without any fill, left nothing behind and never match.
 */
export function findOrdersByTag(
  book: OrderBook | readonly OrderRow[],
  strategyTag: string,
  fallback?: TagFallback,
): TagSearch {
  const rows: readonly OrderRow[] = 'orders' in book ? book.orders : book;
  const live = (o: OrderRow) =>
    o.status !== 'rejected' && !(o.status === 'cancelled' && (o.filledQuantity ?? 0) === 0);
  const tagged = rows.filter((o) => o.strategy === strategyTag && live(o));
  if (tagged.length > 0) return { orders: tagged, matchedBy: 'tag' };
  if (!fallback) return { orders: [], matchedBy: 'none' };
  const skew = fallback.clockSkewMs ?? DEFAULT_SKEW_MS;
  const matches = rows.filter((o) => {
    if (o.strategy !== undefined || !live(o)) return false;
    if (o.symbol !== fallback.symbol || o.action !== fallback.action || o.quantity !== fallback.quantity)
      return false;
    if (fallback.exchange !== undefined && o.exchange !== fallback.exchange) return false;
    if (fallback.excludeOrderIds?.has(o.orderId)) return false;
    const at = parseBrokerTimestamp(o.timestamp);
    if (at === undefined) return true;
    return at >= fallback.sinceWallMs - skew && at <= fallback.untilWallMs + skew;
  });
  return { orders: matches, matchedBy: matches.length > 0 ? 'fallback' : 'none' };
}
