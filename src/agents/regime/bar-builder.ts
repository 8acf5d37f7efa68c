/**
 * Ticks → closed OHLC bars of a fixed length, aligned to the interval on the tick's own time axis
 * (exchange or wall epoch ms: NSE's 09:15 IST open is a multiple of every minute-sized interval).
 *
 * A bar closes when a tick of a later interval arrives, or when `flush(timeMs)` is called at or past
 * its end (the agent's timer, so a quiet feed still closes bars). A gap (intervals without ticks)
 * just closes the open bar: no empty bars are invented. Ticks older than the open bar, or not finite,
 * are dropped and counted — a bar once closed is never reopened.
 */

export interface ClosedBar {
  /** Interval start, epoch ms on the tick time axis. */
  readonly startMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly ticks: number;
}

export interface BarBuilderStats {
  readonly closed: number;
  readonly dropped: number;
}

export class BarBuilder {
  #start: number | null = null;
  #open = 0;
  #high = 0;
  #low = 0;
  #close = 0;
  #ticks = 0;
  /** Start of the last closed bar: ticks before its end are late. */
  #closedUntil = Number.NEGATIVE_INFINITY;
  #closed = 0;
  #dropped = 0;

  /**
   * @param intervalMs bar length (config `regime.barIntervalMs`)
   * @param offsetMs alignment offset: bars start at `k × intervalMs + offsetMs` (0: epoch aligned)
   */
  constructor(
    readonly intervalMs: number,
    readonly offsetMs = 0,
  ) {
    if (!Number.isInteger(intervalMs) || intervalMs <= 0) {
      throw new RangeError(`BarBuilder: intervalMs must be a positive integer, got ${intervalMs}`);
    }
  }

  /** Start of the interval that contains `timeMs`. */
  alignStart(timeMs: number): number {
    const k = Math.floor((timeMs - this.offsetMs) / this.intervalMs);
    return k * this.intervalMs + this.offsetMs;
  }

  /** Adds a tick; returns the bar it closed, if any. */
  onTick(price: number, timeMs: number): ClosedBar | null {
    if (!Number.isFinite(price) || !(price > 0) || !Number.isFinite(timeMs) || timeMs < this.#closedUntil) {
      this.#dropped++;
      return null;
    }
    const start = this.alignStart(timeMs);
    let closed: ClosedBar | null = null;
    if (this.#start !== null && start !== this.#start) {
      if (start < this.#start) {
        this.#dropped++;
        return null;
      }
      closed = this.#closeOpen();
    }
    if (this.#start === null) {
      this.#start = start;
      this.#open = price;
      this.#high = price;
      this.#low = price;
      this.#ticks = 0;
    }
    if (price > this.#high) this.#high = price;
    if (price < this.#low) this.#low = price;
    this.#close = price;
    this.#ticks++;
    return closed;
  }

  /** Closes the open bar when `timeMs` has reached its end; returns it, or null. */
  flush(timeMs: number): ClosedBar | null {
    if (this.#start === null || timeMs < this.#start + this.intervalMs) return null;
    return this.#closeOpen();
  }

  /**
   * Marks everything before `timeMs` as already closed (the warm-up history covers it): ticks of those
   * intervals are dropped instead of building a second copy of a seeded bar.
   */
  skipUntil(timeMs: number): void {
    if (timeMs > this.#closedUntil) this.#closedUntil = timeMs;
    if (this.#start !== null && this.#start < timeMs) this.#start = null;
  }

  /** The bar being built (null when none). */
  get open(): ClosedBar | null {
    return this.#start === null
      ? null
      : {
          startMs: this.#start,
          open: this.#open,
          high: this.#high,
          low: this.#low,
          close: this.#close,
          ticks: this.#ticks,
        };
  }

  stats(): BarBuilderStats {
    return { closed: this.#closed, dropped: this.#dropped };
  }

  #closeOpen(): ClosedBar {
    const bar = this.open!;
    this.#closedUntil = bar.startMs + this.intervalMs;
    this.#start = null;
    this.#closed++;
    return bar;
  }
}

export interface OhlcBar {
  /** Bar start, epoch ms. */
  readonly timeMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/**
 * Aggregates finer bars (oldest first) into `intervalMs` bars aligned like BarBuilder's; a bar is
 * made only from the source bars that exist (gaps make no bars). The last group is returned even when
 * incomplete — callers that need only closed bars drop it by time.
 */
export function aggregateBars(bars: readonly OhlcBar[], intervalMs: number, offsetMs = 0): OhlcBar[] {
  const out: OhlcBar[] = [];
  let cur: { timeMs: number; open: number; high: number; low: number; close: number } | null = null;
  for (const b of bars) {
    const start = Math.floor((b.timeMs - offsetMs) / intervalMs) * intervalMs + offsetMs;
    if (cur !== null && cur.timeMs === start) {
      if (b.high > cur.high) cur.high = b.high;
      if (b.low < cur.low) cur.low = b.low;
      cur.close = b.close;
      continue;
    }
    if (cur !== null) out.push(cur);
    cur = { timeMs: start, open: b.open, high: b.high, low: b.low, close: b.close };
  }
  if (cur !== null) out.push(cur);
  return out;
}
