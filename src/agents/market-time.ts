import type { Clock } from '../clock/index.js';

/**
 * Market "now" for decisions that depend on the calendar (days to expiry, the history window, the
 * bar a tick belongs to): the newest exchange time (`ltt`) seen on the feed, advanced by the
 * monotonic time since. Live, that is wall time give or take the feed's delay; in sandbox the
 * simulator's market may replay another date or run faster than real time, and decisions must follow
 * the market, not the host's calendar. Before the first tick it is wall time.
 * Freshness and timeouts never use it: they use the monotonic clock.
 */
export class MarketTime {
  #ltt = Number.NEGATIVE_INFINITY;
  #atMono = 0;

  constructor(private readonly clock: Clock) {}

  /** Records an exchange timestamp (epoch ms) received at monotonic `monoMs`. */
  observe(lttMs: number | undefined, monoMs = this.clock.monotonicMs()): void {
    if (lttMs === undefined || !Number.isFinite(lttMs) || lttMs < this.#ltt) return;
    this.#ltt = lttMs;
    this.#atMono = monoMs;
  }

  /** True once the feed has told us what time it is in the market. */
  get known(): boolean {
    return Number.isFinite(this.#ltt);
  }

  nowMs(): number {
    if (!this.known) return this.clock.wallMs();
    return this.#ltt + Math.max(0, this.clock.monotonicMs() - this.#atMono);
  }
}
