import type { Clock } from '../clock/index.js';

/** §10 rate limits are per minute. */
export const RATE_WINDOW_MS = 60_000;
/** Beyond this many distinct keys the least recently seen are forgotten (memory stays bounded). */
const DEFAULT_MAX_KEYS = 10_000;

export interface RateDecision {
  readonly allowed: boolean;
  /** When refused: monotonic ms until the oldest counted hit leaves the window. */
  readonly retryAfterMs: number;
}

/**
 * Moving-window limiter: at most `limit` hits per key in any `windowMs` span, on the injected
 * monotonic clock. Exact (a log of hit times per key, at most `limit` long), unlike fixed windows
 * that allow 2× the limit across a boundary. Refused hits are not counted.
 */
export class MovingWindowLimiter {
  readonly #hits = new Map<string, number[]>();
  readonly #clock: Clock;
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;

  constructor(clock: Clock, opts: { limit: number; windowMs?: number; maxKeys?: number }) {
    if (!(Number.isInteger(opts.limit) && opts.limit >= 1))
      throw new RangeError('limit must be an integer >= 1');
    this.#clock = clock;
    this.#limit = opts.limit;
    this.#windowMs = opts.windowMs ?? RATE_WINDOW_MS;
    this.#maxKeys = opts.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  take(key: string): RateDecision {
    const now = this.#clock.monotonicMs();
    let log = this.#hits.get(key);
    if (log) {
      // Re-insert: Map order becomes least-recently-seen first, for eviction.
      this.#hits.delete(key);
      let drop = 0;
      while (drop < log.length && log[drop]! <= now - this.#windowMs) drop++;
      if (drop) log = log.slice(drop);
    } else {
      log = [];
    }
    this.#hits.set(key, log);
    if (this.#hits.size > this.#maxKeys) {
      const oldest = this.#hits.keys().next().value;
      if (oldest !== undefined) this.#hits.delete(oldest);
    }
    if (log.length >= this.#limit) {
      return { allowed: false, retryAfterMs: Math.max(0, log[0]! + this.#windowMs - now) };
    }
    log.push(now);
    return { allowed: true, retryAfterMs: 0 };
  }

  /** Keys currently tracked (for tests of the memory bound). */
  get size(): number {
    return this.#hits.size;
  }
}
