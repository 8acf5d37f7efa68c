import type { ErrorCode, PayloadOf } from '../contracts/index.js';
import { ALLOW, type Allow, type DenialContext, type GateDenial, gateDenial } from './denial.js';
import { type BreakerParams, tightenBreakers } from './limits.js';
import type { SafetyAction } from './trading-state.js';
import type { UnhedgedForceClose } from './unhedged-timer.js';

/** §6 "per minute": the order-rate window, on the monotonic clock. */
export const ORDER_RATE_WINDOW_MS = 60_000;

export interface BreakerOrder {
  readonly underlying: string;
  /** Gross notional (₹, ≥ 0) this order adds to the book. */
  readonly notional: number;
  /** Margin (₹, ≥ 0) this order blocks. */
  readonly marginRequired: number;
  /** Only shrinks an open position: exits, buy-backs, force closes. */
  readonly reducesRisk: boolean;
  /** Broker orders this check covers (the legs of one strategy group); default 1. */
  readonly legs?: number;
  readonly safetyAction?: SafetyAction;
  readonly leg?: string;
  readonly symbol?: string;
}

export interface AccountState {
  readonly capital: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  /** Total gross notional of open positions (₹). */
  readonly grossNotional: number;
  readonly usedMarginByUnderlying: Readonly<Record<string, number>>;
  readonly usedMarginTotal: number;
}

/** What the runtime must do with a tripped breaker (§6 "Action" column). */
export type BreakerAction = 'KILL_SWITCH' | 'THROTTLE' | 'REJECT' | 'FORCE_CLOSE';

export interface BreakerDenial extends GateDenial {
  readonly action: BreakerAction;
}

/** §6 row 5: the unhedged timer's force close, as a breaker incident for the journal and alerts. */
export interface UnhedgedBreakerEvent {
  readonly code: 'BREAKER_UNHEDGED';
  readonly action: 'FORCE_CLOSE';
  readonly alert: 'CRITICAL';
  readonly incident: PayloadOf<'UNHEDGED_INCIDENT'>;
}

const finite = (v: number) => typeof v === 'number' && Number.isFinite(v);

function breakerDenial(
  code: ErrorCode,
  gate: string,
  action: BreakerAction,
  details: Record<string, unknown>,
  ctx: DenialContext,
  message?: string,
): BreakerDenial {
  return { ...gateDenial(code, gate, details, ctx, message), action };
}

/**
 * §6 system-level circuit breakers, checked before any command is executed. Pure apart from the
 * rolling order window it keeps (timestamps on the monotonic clock, passed in).
 *
 * Risk-reducing orders (exits, buy-backs, force closes) are checked against the daily-loss kill
 * switch only. They skip the notional cap, the per-underlying cap and the rate throttle on purpose:
 * - the caps limit new exposure, and a closing order lowers both notional and margin;
 * - the throttle exists to stop a runaway loop from opening positions. Throttling a close would keep
 *   a naked short alive past the 5 s the plan allows (§5 invariant 2) — the very risk the breakers
 *   exist to cut. Closing orders still count in the window, so a burst of exits throttles entries.
 * The broker's own rate limit is kept by the broker client's token bucket, not here.
 * Safety actions (the kill switch's orders, the unhedged force close) are the breakers' own
 * actions and pass every check.
 */
export class CircuitBreakers {
  readonly params: BreakerParams;
  #window: number[] = [];
  #head = 0;
  readonly #counts = new Map<ErrorCode, number>();

  constructor(params: Partial<BreakerParams> = {}) {
    this.params = tightenBreakers(params);
  }

  /** Daily max loss alone (the Supervisor also polls it with no order in flight). */
  checkDailyLoss(account: AccountState, ctx: DenialContext = {}): Allow | BreakerDenial {
    const { capital } = account;
    const pnl = account.realizedPnl + account.unrealizedPnl;
    if (!(finite(capital) && capital > 0) || !finite(pnl)) {
      return this.#count(
        breakerDenial(
          'MALFORMED_MESSAGE',
          'breaker.input',
          'REJECT',
          { capital, realizedPnl: account.realizedPnl, unrealizedPnl: account.unrealizedPnl },
          ctx,
          'Breaker input invalid: capital must be > 0 and P&L finite; order refused',
        ),
      );
    }
    // "< −6 % of capital": exactly −6.000 % does not trip. Computed as (capital × pct) / 100 so the
    // plan's round numbers stay exact in floating point.
    const limit = -(capital * this.params.dailyMaxLossPct) / 100;
    if (pnl < limit) {
      return this.#count(
        breakerDenial(
          'BREAKER_DAILY_LOSS',
          'breaker.daily_loss',
          'KILL_SWITCH',
          { pnl, limit, capital, lossPct: (-pnl / capital) * 100, maxLossPct: this.params.dailyMaxLossPct },
          ctx,
        ),
      );
    }
    return ALLOW;
  }

  checkOrder(order: BreakerOrder, account: AccountState, nowMs: number): Allow | BreakerDenial {
    if (order.safetyAction !== undefined && order.reducesRisk) return ALLOW;
    const ctx: DenialContext = {
      ...(order.leg !== undefined ? { leg: order.leg } : {}),
      ...(order.symbol !== undefined ? { symbol: order.symbol } : {}),
    };
    const loss = this.checkDailyLoss(account, ctx);
    if (!loss.ok) return loss;
    if (order.reducesRisk) return ALLOW;

    const legs = order.legs ?? 1;
    const { capital } = account;
    const bad = [
      order.notional,
      order.marginRequired,
      account.grossNotional,
      account.usedMarginTotal,
      nowMs,
    ].some((v) => !finite(v) || v < 0);
    if (bad || !(Number.isInteger(legs) && legs >= 1)) {
      return this.#count(
        breakerDenial(
          'MALFORMED_MESSAGE',
          'breaker.input',
          'REJECT',
          {
            notional: order.notional,
            marginRequired: order.marginRequired,
            grossNotional: account.grossNotional,
            usedMarginTotal: account.usedMarginTotal,
            legs,
          },
          ctx,
          'Breaker input invalid: amounts must be finite and ≥ 0; order refused',
        ),
      );
    }

    // Max notional: the order may not take the book past 5× capital (exactly 5× passes).
    const maxNotional = capital * this.params.maxGrossNotionalMultiple;
    const after = account.grossNotional + order.notional;
    if (after > maxNotional) {
      return this.#count(
        breakerDenial(
          'BREAKER_NOTIONAL',
          'breaker.notional',
          'REJECT',
          { grossNotionalAfter: after, maxNotional, multiple: this.params.maxGrossNotionalMultiple },
          ctx,
        ),
      );
    }

    // Per-underlying cap: an underlying already holding > 30 % of used margin takes no new orders.
    // Measured on the current book, not post-order: post-order, the first trade of an empty book would
    // always be 100 % of used margin and nothing could ever open.
    const used = account.usedMarginByUnderlying[order.underlying] ?? 0;
    if (!finite(used) || used < 0) {
      return this.#count(
        breakerDenial(
          'MALFORMED_MESSAGE',
          'breaker.input',
          'REJECT',
          { underlying: order.underlying, usedMargin: used },
          ctx,
          'Breaker input invalid: used margin of the underlying; order refused',
        ),
      );
    }
    if (account.usedMarginTotal > 0) {
      const sharePct = (used / account.usedMarginTotal) * 100;
      if (sharePct > this.params.perUnderlyingMarginPct) {
        return this.#count(
          breakerDenial(
            'BREAKER_UNDERLYING_CAP',
            'breaker.underlying_cap',
            'REJECT',
            {
              underlying: order.underlying,
              sharePct,
              capPct: this.params.perUnderlyingMarginPct,
              usedMargin: used,
              usedMarginTotal: account.usedMarginTotal,
            },
            ctx,
          ),
        );
      }
    }

    // Order rate: > 30 in a rolling minute throttles (the 30th passes, the 31st does not).
    const inWindow = this.ordersInWindow(nowMs);
    if (inWindow + legs > this.params.maxOrdersPerMinute) {
      return this.#count(
        breakerDenial(
          'BREAKER_ORDER_RATE',
          'breaker.order_rate',
          'THROTTLE',
          {
            ordersInWindow: inWindow,
            legs,
            maxPerMinute: this.params.maxOrdersPerMinute,
            windowMs: ORDER_RATE_WINDOW_MS,
            retryAfterMs: this.#retryAfter(nowMs, inWindow + legs - this.params.maxOrdersPerMinute),
          },
          ctx,
        ),
      );
    }
    return ALLOW;
  }

  /** An order was sent to the broker (every order counts, closing ones included). */
  recordOrder(nowMs: number, count = 1): void {
    this.ordersInWindow(nowMs); // prune, so closing-only traffic cannot grow the window forever
    for (let i = 0; i < count; i++) this.#window.push(nowMs);
  }

  /** Orders sent within the last minute: those with `nowMs − t < 60 000`. */
  ordersInWindow(nowMs: number): number {
    const w = this.#window;
    const cutoff = nowMs - ORDER_RATE_WINDOW_MS;
    let h = this.#head;
    while (h < w.length && w[h]! <= cutoff) h++;
    if (h > 1024 && h * 2 > w.length) {
      this.#window = w.slice(h);
      h = 0;
    }
    this.#head = h;
    return this.#window.length - h;
  }

  /** §6 row 5: turns the unhedged timer's force close into the breaker incident (and counts it). */
  onUnhedged(fc: UnhedgedForceClose): UnhedgedBreakerEvent {
    this.#counts.set('BREAKER_UNHEDGED', (this.#counts.get('BREAKER_UNHEDGED') ?? 0) + 1);
    return { code: 'BREAKER_UNHEDGED', action: 'FORCE_CLOSE', alert: 'CRITICAL', incident: fc.incident };
  }

  /** Denials per code since start (the runtime exports them as metrics). */
  denialCounts(): Readonly<Partial<Record<ErrorCode, number>>> {
    return Object.fromEntries(this.#counts);
  }

  #retryAfter(nowMs: number, excess: number): number {
    // The window frees a slot when its oldest orders age out.
    const oldest = this.#window[this.#head + excess - 1];
    return oldest === undefined ? ORDER_RATE_WINDOW_MS : Math.max(0, oldest + ORDER_RATE_WINDOW_MS - nowMs);
  }

  #count<T extends BreakerDenial>(d: T): T {
    this.#counts.set(d.code, (this.#counts.get(d.code) ?? 0) + 1);
    return d;
  }
}
