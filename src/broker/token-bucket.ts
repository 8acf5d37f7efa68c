import type { Clock, TimerHandle } from '../clock/index.js';

export interface RateLimit {
  /** Requests allowed in any window of `windowMs`. */
  readonly limit: number;
  readonly windowMs: number;
}

interface Waiter {
  readonly resolve: (waitedMs: number | undefined) => void;
  readonly enqueuedAt: number;
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/**
 * A token bucket shaped to OpenAlgo's limiter. Flask-Limiter runs a *moving window* ("10 per 1 second"
 * = at most 10 requests in any 1-s span). A classic bucket (burst N, refill N/s) lets 2N−1 through in
 * one such span and earns 429s, so here each token comes back exactly one window (+ a small margin for
 * network jitter) after it was spent: a spend is allowed when fewer than `limit` spends happened in
 * the last window. Callers queue FIFO; time comes from the injected clock.
 */
export class TokenBucket {
  readonly #limit: number;
  readonly #windowMs: number;
  /** Ring of the last `limit` spend times (monotonic ms). */
  readonly #spent: Float64Array;
  #head = 0;
  #count = 0;
  readonly #waiters: Waiter[] = [];
  #timer: TimerHandle | undefined;
  #timerDue = Number.POSITIVE_INFINITY;

  constructor(
    limit: RateLimit,
    private readonly clock: Clock,
    marginMs = 0,
  ) {
    if (!(limit.limit >= 1) || !(limit.windowMs > 0))
      throw new RangeError('rate limit must be ≥ 1 per positive window');
    this.#limit = Math.floor(limit.limit);
    this.#windowMs = limit.windowMs + Math.max(0, marginMs);
    this.#spent = new Float64Array(this.#limit);
  }

  /** Requests waiting for a token. */
  get queued(): number {
    return this.#waiters.length;
  }

  /** 0 when a token is free now, else the ms until the next one frees. */
  #waitNeeded(now: number): number {
    if (this.#count < this.#limit) return 0;
    const oldest = this.#spent[this.#head]!;
    return Math.max(0, oldest + this.#windowMs - now);
  }

  #spend(now: number): void {
    const idx = (this.#head + this.#count) % this.#limit;
    if (this.#count < this.#limit) {
      this.#spent[idx] = now;
      this.#count++;
    } else {
      this.#spent[this.#head] = now;
      this.#head = (this.#head + 1) % this.#limit;
    }
  }

  /**
   * Takes a token at once when one is free and nobody queues ahead (FIFO is kept); false otherwise,
   * and nothing is spent. The common case of an unthrottled call then costs no promise and no turn of
   * the microtask queue.
   */
  tryTake(): boolean {
    if (this.#waiters.length > 0) return false;
    const now = this.clock.monotonicMs();
    if (this.#waitNeeded(now) > 0) return false;
    this.#spend(now);
    return true;
  }

  /**
   * Resolves with the ms waited once a token is taken, or `undefined` when `maxWaitMs` passes or the
   * signal aborts first (nothing is spent then).
   */
  take(opts: { maxWaitMs?: number; signal?: AbortSignal } = {}): Promise<number | undefined> {
    const now = this.clock.monotonicMs();
    if (opts.signal?.aborted) return Promise.resolve(undefined);
    if (this.#waiters.length === 0 && this.#waitNeeded(now) === 0) {
      this.#spend(now);
      return Promise.resolve(0);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        enqueuedAt: now,
        deadline: now + (opts.maxWaitMs ?? Number.POSITIVE_INFINITY),
        signal: opts.signal,
        onAbort: () => {
          this.#drop(waiter);
          resolve(undefined);
          this.#pump();
        },
      };
      opts.signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#pump();
    });
  }

  #drop(w: Waiter): void {
    const i = this.#waiters.indexOf(w);
    if (i >= 0) this.#waiters.splice(i, 1);
    w.signal?.removeEventListener('abort', w.onAbort);
  }

  #pump(): void {
    const now = this.clock.monotonicMs();
    for (;;) {
      const first = this.#waiters[0];
      if (!first) break;
      if (now >= first.deadline) {
        this.#drop(first);
        first.resolve(undefined);
        continue;
      }
      if (this.#waitNeeded(now) > 0) break;
      this.#drop(first);
      this.#spend(now);
      first.resolve(now - first.enqueuedAt);
    }
    this.#schedule(now);
  }

  #schedule(now: number): void {
    if (this.#waiters.length === 0) {
      this.#cancelTimer();
      return;
    }
    let nextDeadline = Number.POSITIVE_INFINITY;
    for (const w of this.#waiters) nextDeadline = Math.min(nextDeadline, w.deadline);
    const due = Math.min(now + this.#waitNeeded(now), nextDeadline);
    if (this.#timer && this.#timerDue <= due) return;
    this.#cancelTimer();
    this.#timerDue = due;
    this.#timer = this.clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerDue = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      Math.max(0, due - now),
    );
  }

  #cancelTimer(): void {
    if (this.#timer) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
  }

  /** Releases every waiter (as gave-up) and the timer: for shutdown. */
  close(): void {
    for (const w of this.#waiters.splice(0)) {
      w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve(undefined);
    }
    this.#cancelTimer();
  }
}
