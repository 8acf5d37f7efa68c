/**
 * Flask-Limiter's moving-window strategy (REST.md §2): per (route, client IP), a request is allowed
 * when fewer than `limit` requests were *accepted* in the last `windowMs`. Refused requests do not
 * count. Time comes from the caller (the injected clock).
 */
export interface Limit {
  readonly limit: number;
  readonly windowMs: number;
  /** Flask-Limiter's text, the whole 429 body: `{"message": "10 per 1 second"}`. */
  readonly text: string;
}

export function perSecond(n: number): Limit {
  return { limit: n, windowMs: 1_000, text: `${n} per 1 second` };
}

export function perMinute(n: number): Limit {
  return { limit: n, windowMs: 60_000, text: `${n} per 1 minute` };
}

export class MovingWindowLimiter {
  readonly #hits = new Map<string, number[]>();

  /** True (and counted) when allowed. */
  hit(key: string, limit: Limit, nowMs: number): boolean {
    let q = this.#hits.get(key);
    if (!q) {
      q = [];
      this.#hits.set(key, q);
    }
    const from = nowMs - limit.windowMs;
    let drop = 0;
    while (drop < q.length && q[drop]! <= from) drop++;
    if (drop > 0) q.splice(0, drop);
    if (q.length >= limit.limit) return false;
    q.push(nowMs);
    return true;
  }

  clear(): void {
    this.#hits.clear();
  }
}
