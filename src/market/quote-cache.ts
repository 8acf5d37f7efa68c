import type { Clock } from '../clock/index.js';
import type { DepthLevel, Tick } from './feed-protocol.js';

export interface QuoteSnapshot {
  readonly symbol: string;
  readonly exchange: string;
  readonly ltp: number;
  readonly bid: number | undefined;
  readonly ask: number | undefined;
  readonly depth: { readonly buy: readonly DepthLevel[]; readonly sell: readonly DepthLevel[] } | undefined;
  readonly open: number | undefined;
  readonly high: number | undefined;
  readonly low: number | undefined;
  readonly prevClose: number | undefined;
  readonly volume: number | undefined;
  readonly oi: number | undefined;
  /** Our monotonic clock at receipt of the latest tick (§4): what the freshness gates compare. */
  readonly receivedMonoMs: number;
  /** Receipt of the latest tick that carried bid/ask. */
  readonly bidAskReceivedMonoMs: number | undefined;
  /** Receipt of the latest tick that carried depth (NO_DEPTH gate). */
  readonly depthReceivedMonoMs: number | undefined;
  /** The adapter's own stamp (advisory, never used for freshness). */
  readonly feedTimeMs: number | undefined;
  readonly source: string;
  readonly ticks: number;
}

const key = (exchange: string, symbol: string) => `${exchange}:${symbol}`;

/**
 * Latest quote per (exchange, symbol). Each tick arrives stamped with `clock.monotonicMs()` at
 * receipt (the feed's own timestamp is not trusted for freshness, §4/§12). Ticks of lower modes keep
 * the richer fields of earlier ones, each with its own receipt time, so a gate can tell an LTP that
 * is fresh from a depth that is not.
 */
export class QuoteCache {
  readonly #byKey = new Map<string, QuoteSnapshot>();
  /** symbol → key of its most recently updated exchange, for `get(symbol)` without an exchange. */
  readonly #bySymbol = new Map<string, string>();
  readonly #listeners = new Set<(tick: Tick, snapshot: QuoteSnapshot) => void>();
  #listenerErrors = 0;

  constructor(private readonly clock?: Clock) {}

  update(tick: Tick): QuoteSnapshot {
    const k = key(tick.exchange, tick.symbol);
    const prev = this.#byKey.get(k);
    const hasBidAsk = tick.bid !== undefined || tick.ask !== undefined;
    const snap: QuoteSnapshot = {
      symbol: tick.symbol,
      exchange: tick.exchange,
      ltp: tick.ltp,
      bid: hasBidAsk ? tick.bid : prev?.bid,
      ask: hasBidAsk ? tick.ask : prev?.ask,
      depth: tick.depth ?? prev?.depth,
      open: tick.open ?? prev?.open,
      high: tick.high ?? prev?.high,
      low: tick.low ?? prev?.low,
      prevClose: tick.prevClose ?? prev?.prevClose,
      volume: tick.volume ?? prev?.volume,
      oi: tick.oi ?? prev?.oi,
      receivedMonoMs: tick.receivedMonoMs,
      bidAskReceivedMonoMs: hasBidAsk ? tick.receivedMonoMs : prev?.bidAskReceivedMonoMs,
      depthReceivedMonoMs: tick.depth ? tick.receivedMonoMs : prev?.depthReceivedMonoMs,
      feedTimeMs: tick.feedTimeMs ?? prev?.feedTimeMs,
      source: tick.source,
      ticks: (prev?.ticks ?? 0) + 1,
    };
    this.#byKey.set(k, snap);
    this.#bySymbol.set(tick.symbol, k);
    for (const fn of this.#listeners) {
      try {
        fn(tick, snap);
      } catch {
        // A faulty agent callback must not stop the feed; it is counted for the health endpoint.
        this.#listenerErrors++;
      }
    }
    return snap;
  }

  /** Latest quote; without `exchange`, the most recently updated exchange listing of the symbol. */
  get(symbol: string, exchange?: string): QuoteSnapshot | undefined {
    const k = exchange === undefined ? this.#bySymbol.get(symbol) : key(exchange, symbol);
    return k === undefined ? undefined : this.#byKey.get(k);
  }

  /** Age of the latest tick in ms on the monotonic clock; undefined when never seen. */
  ageMs(symbol: string, exchange?: string, nowMonoMs?: number): number | undefined {
    const s = this.get(symbol, exchange);
    if (!s) return undefined;
    const now = nowMonoMs ?? this.clock?.monotonicMs();
    if (now === undefined) throw new Error('QuoteCache.ageMs needs a clock or nowMonoMs');
    return now - s.receivedMonoMs;
  }

  onTick(fn: (tick: Tick, snapshot: QuoteSnapshot) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  entries(): QuoteSnapshot[] {
    return [...this.#byKey.values()];
  }

  get size(): number {
    return this.#byKey.size;
  }

  get listenerErrors(): number {
    return this.#listenerErrors;
  }

  clear(): void {
    this.#byKey.clear();
    this.#bySymbol.clear();
  }
}
