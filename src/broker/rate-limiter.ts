import type { Clock } from '../clock/index.js';
import { type RateLimit, TokenBucket } from './token-bucket.js';

/**
 * OpenAlgo's limits (REST.md §2): each decorated route has its own counter per client IP, with the
 * limit chosen by the route's kind. basketorder, splitorder, closeposition and cancelallorder count
 * against API_RATE_LIMIT, not ORDER_RATE_LIMIT.
 */
export interface RateLimits {
  /** ORDER_RATE_LIMIT: placeorder, modifyorder, cancelorder. OpenAlgo default 10/s. */
  readonly ordersPerSecond: number;
  /** API_RATE_LIMIT: everything else. Code fallback 10/s; OpenAlgo's sample env sets 50/s. */
  readonly apiPerSecond: number;
  /** SMART_ORDER_RATE_LIMIT: placesmartorder. Default 10/s. */
  readonly smartOrdersPerSecond?: number;
  /** margin.py falls back to 50/s on its own. */
  readonly marginPerSecond?: number;
  /** GREEKS_RATE_LIMIT: optiongreeks, 30 per minute. */
  readonly greeksPerMinute?: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  ordersPerSecond: 10,
  apiPerSecond: 10,
  smartOrdersPerSecond: 10,
  marginPerSecond: 50,
  greeksPerMinute: 30,
};

export type RouteKind = 'order' | 'smart' | 'api' | 'margin' | 'greeks';

const ROUTE_KIND: Readonly<Record<string, RouteKind>> = {
  placeorder: 'order',
  modifyorder: 'order',
  cancelorder: 'order',
  optionsorder: 'order',
  optionsmultiorder: 'order',
  placesmartorder: 'smart',
  margin: 'margin',
  optiongreeks: 'greeks',
};

export function routeKind(route: string): RouteKind {
  return ROUTE_KIND[route] ?? 'api';
}

function limitOf(kind: RouteKind, l: RateLimits): RateLimit {
  switch (kind) {
    case 'order':
      return { limit: l.ordersPerSecond, windowMs: 1_000 };
    case 'smart':
      return { limit: l.smartOrdersPerSecond ?? DEFAULT_RATE_LIMITS.smartOrdersPerSecond!, windowMs: 1_000 };
    case 'margin':
      return { limit: l.marginPerSecond ?? DEFAULT_RATE_LIMITS.marginPerSecond!, windowMs: 1_000 };
    case 'greeks':
      return { limit: l.greeksPerMinute ?? DEFAULT_RATE_LIMITS.greeksPerMinute!, windowMs: 60_000 };
    case 'api':
      return { limit: l.apiPerSecond, windowMs: 1_000 };
  }
}

/** One bucket per route, created on first use, so multi-leg plans and retries queue instead of 429. */
export class RateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: RateLimits,
    private readonly clock: Clock,
    /** Slack added to each window for jitter between our clock and the server's receipt times. */
    private readonly marginMs = 20,
  ) {}

  bucket(route: string): TokenBucket {
    let b = this.#buckets.get(route);
    if (!b) {
      b = new TokenBucket(limitOf(routeKind(route), this.limits), this.clock, this.marginMs);
      this.#buckets.set(route, b);
    }
    return b;
  }

  /** A token now without waiting, if one is free (see TokenBucket.tryTake). */
  tryTake(route: string): boolean {
    return this.bucket(route).tryTake();
  }

  take(route: string, opts: { maxWaitMs?: number; signal?: AbortSignal } = {}): Promise<number | undefined> {
    return this.bucket(route).take(opts);
  }

  close(): void {
    for (const b of this.#buckets.values()) b.close();
  }
}
