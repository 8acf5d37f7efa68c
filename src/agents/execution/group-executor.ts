import type { Clock } from '../../clock/index.js';
import type { OrderRequest } from '../../contracts/index.js';
import type { PlanStep } from '../../safety/index.js';
import { basketTag, findByTag, type MatchContext, matchTag, trackOrder } from './order-tracking.js';
import type { BrokerOrder, ErrorClass, ExecutionBroker, OrderSnapshot } from './ports.js';

/** One claimed leg: the command row id, its lease token and the parsed ORDER_REQUEST. */
export interface ClaimedLeg {
  readonly id: number;
  readonly ownerToken: string;
  readonly event: OrderRequest;
}

/** An ordered execution plan: the steps of the §5 legging planner (src/safety). */
export type ExecStep = PlanStep;

export type LegOutcome =
  | { readonly kind: 'FILLED'; readonly order: OrderSnapshot; readonly adopted: boolean }
  | { readonly kind: 'REJECTED'; readonly message: string; readonly orderId?: string }
  | { readonly kind: 'ERROR'; readonly errorClass: ErrorClass; readonly message: string }
  | { readonly kind: 'NOT_PLACED'; readonly errorClass: ErrorClass; readonly message: string };

export interface ExecutorOptions {
  readonly pollMs: number;
  readonly fillTimeoutMs: number;
  readonly ambiguityChecks: number;
  readonly ambiguityIntervalMs: number;
  readonly signal?: AbortSignal;
}

export interface ExecutorHooks {
  /** The broker's order for a leg is known (placed now, or found by tag after a crash). */
  onPlaced?(leg: ClaimedLeg, orderId: string, adopted: boolean): void;
  /** A leg reached its final state: ack or fail the command now, not at the end of the group. */
  onLegDone(leg: ClaimedLeg, outcome: LegOutcome): void | Promise<void>;
  /** A leg reached a terminal state with some quantity filled. */
  onFill(leg: ClaimedLeg, order: OrderSnapshot): void | Promise<void>;
  /** A filled leg must be closed now (risk reversal deadline missed): quantity at MARKET. */
  onMustClose?(leg: ClaimedLeg, quantity: number, reason: string): Promise<void>;
}

export function toBrokerOrder(
  e: OrderRequest,
  quantity = e.payload.quantity,
  forced?: { pricetype?: 'MARKET' },
): BrokerOrder {
  const p = forced?.pricetype ? { ...e.payload, pricetype: forced.pricetype } : e.payload;
  return {
    strategy: e.idempotency_key,
    symbol: p.symbol,
    exchange: p.exchange,
    action: p.action,
    quantity,
    pricetype: p.pricetype,
    product: p.product,
    price: p.pricetype === 'MARKET' || p.pricetype === 'SL-M' ? 0 : p.price,
    trigger_price: p.pricetype === 'SL' || p.pricetype === 'SL-M' ? p.trigger_price : 0,
  };
}

const floorToLot = (qty: number, lot: number) => Math.floor(qty / lot) * lot;

/**
 * Executes one strategy group (all legs of one ORDER_REQUEST group) step by step. Safety rules it
 * keeps whatever the broker does:
 * - before placing any leg it searches the broker orderbook for the leg's tag (§3, broker side);
 * - an ambiguous placement is resolved through the orderbook, never resent;
 * - a SHORT is never sold for more than its paired hedge has filled (partial fills included), and
 *   is not sold at all when the hedge failed;
 * - legs are spaced by SMART_ORDER_DELAY, as the plan says.
 */
export class GroupExecutor {
  constructor(
    private readonly broker: ExecutionBroker,
    private readonly clock: Clock,
    private readonly opts: ExecutorOptions,
  ) {}

  /**
   * @param knownOrderIds broker order ids already linked to commands (for tagless live orderbooks)
   */
  async execute(
    legs: readonly ClaimedLeg[],
    steps: readonly ExecStep[],
    hooks: ExecutorHooks,
    knownOrderIds: ReadonlySet<string> = new Set(),
  ): Promise<Map<string, LegOutcome>> {
    const ctxOf = (leg: ClaimedLeg): MatchContext => ({
      tags: [leg.event.idempotency_key, basketTag(leg.event.strategy_id, leg.event.payload.group.group_id)],
      knownOrderIds,
    });
    const byName = new Map(legs.map((l) => [l.event.payload.leg, l]));
    const outcomes = new Map<string, LegOutcome>();
    const finish = async (leg: ClaimedLeg, outcome: LegOutcome) => {
      outcomes.set(leg.event.payload.leg, outcome);
      if (outcome.kind === 'FILLED' && outcome.order.filledQuantity > 0)
        await hooks.onFill(leg, outcome.order);
      await hooks.onLegDone(leg, outcome);
    };

    // §3 broker-side idempotency: a leg whose tag is already in the orderbook is adopted, not resent.
    const book = await this.broker.orderBook();
    const existing = new Map<string, OrderSnapshot>();
    if (book.ok) {
      for (const leg of legs) {
        const found = matchTag(book.value, toBrokerOrder(leg.event), ctxOf(leg));
        if (found) existing.set(leg.event.payload.leg, found);
      }
    } else {
      // Without the orderbook we cannot prove a leg was not placed before: place nothing now.
      for (const leg of legs) {
        await finish(leg, {
          kind: 'NOT_PLACED',
          errorClass: book.errorClass === 'AUTH' ? 'UNKNOWN' : book.errorClass,
          message: `orderbook unavailable for the idempotency check: ${book.message}`,
        });
      }
      return outcomes;
    }

    let lastFillMono: number | undefined;
    for (const step of steps) {
      const stepLegs = (step.kind === 'BASKET' ? step.legs : [step.leg])
        .map((n) => byName.get(n))
        .filter((l): l is ClaimedLeg => l !== undefined && !outcomes.has(l.event.payload.leg));
      if (stepLegs.length === 0) continue;
      if (step.kind === 'LEG' && step.delayBeforeMs > 0 && outcomes.size > 0) {
        await this.clock.sleep(step.delayBeforeMs, this.opts.signal);
      }

      // Shorts only against filled hedges.
      const sendable: Array<{ leg: ClaimedLeg; quantity: number }> = [];
      for (const leg of stepLegs) {
        const verdict = this.#hedgedQuantity(leg, byName, outcomes);
        if (verdict.quantity <= 0) {
          await finish(leg, { kind: 'NOT_PLACED', errorClass: verdict.errorClass, message: verdict.reason });
        } else {
          sendable.push({ leg, quantity: verdict.quantity });
        }
      }

      const adopted = sendable.filter((s) => existing.has(s.leg.event.payload.leg));
      const fresh = sendable.filter((s) => !existing.has(s.leg.event.payload.leg));
      const placed: Array<{ leg: ClaimedLeg; orderId: string; adopted: boolean }> = adopted.map((s) => ({
        leg: s.leg,
        orderId: existing.get(s.leg.event.payload.leg)!.orderId,
        adopted: true,
      }));

      if (step.kind === 'BASKET' && fresh.length > 1 && this.broker.basketSupported) {
        placed.push(...(await this.#placeBasket(fresh, finish, ctxOf)));
      } else {
        for (const s of fresh) {
          // The plan may force MARKET (risk reversal call: bought within 3 s at any price).
          const forced = step.kind === 'LEG' && step.pricetype ? { pricetype: step.pricetype } : undefined;
          const r = await this.#placeOne(s.leg, s.quantity, finish, ctxOf(s.leg), forced);
          if (r) placed.push(r);
        }
      }

      for (const p of placed) {
        hooks.onPlaced?.(p.leg, p.orderId, p.adopted);
        const snap = await trackOrder(this.broker, this.clock, p.orderId, p.leg.event.idempotency_key, {
          pollMs: this.opts.pollMs,
          fillTimeoutMs: this.opts.fillTimeoutMs,
          ...(this.opts.signal ? { signal: this.opts.signal } : {}),
        });
        if (!snap) {
          await finish(p.leg, {
            kind: 'ERROR',
            errorClass: 'NETWORK_TIMEOUT',
            message: `order ${p.orderId}: status unknown`,
          });
          continue;
        }
        if (snap.filledQuantity > 0) {
          if (step.kind === 'LEG' && step.hedgeWithinMs !== undefined && lastFillMono !== undefined) {
            const late = this.clock.monotonicMs() - lastFillMono > step.hedgeWithinMs;
            if (late) {
              const prev = [...outcomes.entries()].reverse().find(([, o]) => o.kind === 'FILLED');
              const prevLeg = prev ? byName.get(prev[0]) : undefined;
              if (prevLeg && prev && prev[1].kind === 'FILLED' && hooks.onMustClose) {
                await hooks.onMustClose(
                  prevLeg,
                  prev[1].order.filledQuantity,
                  'hedge not bought within the risk reversal window',
                );
              }
            }
          }
          lastFillMono = this.clock.monotonicMs();
          await finish(p.leg, { kind: 'FILLED', order: snap, adopted: p.adopted });
        } else if (snap.status === 'rejected') {
          await finish(p.leg, {
            kind: 'REJECTED',
            message: snap.message ?? 'rejected by broker',
            orderId: snap.orderId,
          });
        } else {
          await finish(p.leg, {
            kind: 'ERROR',
            errorClass: 'UNKNOWN',
            message: `order ${snap.orderId} ended ${snap.status} with no fill`,
          });
        }
      }
    }
    // Legs the plan never reached (should not happen) are reported, never silently dropped.
    for (const leg of legs) {
      if (!outcomes.has(leg.event.payload.leg)) {
        await finish(leg, {
          kind: 'NOT_PLACED',
          errorClass: 'VALIDATION',
          message: 'leg missing from the legging plan',
        });
      }
    }
    return outcomes;
  }

  /** How much of this leg may be sent: a SHORT only up to its hedge's filled quantity (whole lots). */
  #hedgedQuantity(
    leg: ClaimedLeg,
    byName: Map<string, ClaimedLeg>,
    outcomes: Map<string, LegOutcome>,
  ): { quantity: number; errorClass: ErrorClass; reason: string } {
    const p = leg.event.payload;
    if (p.intent === 'EXIT' && p.group.role === 'HEDGE' && p.group.pair_leg) {
      return this.#exitHedgeQuantity(leg, byName, outcomes);
    }
    if (p.group.role !== 'SHORT' || p.intent !== 'ENTRY' || !p.group.pair_leg) {
      return { quantity: p.quantity, errorClass: 'VALIDATION', reason: '' };
    }
    const hedge = byName.get(p.group.pair_leg);
    const outcome = outcomes.get(p.group.pair_leg);
    if (!hedge || !outcome) {
      // ATOMIC basket: the hedge is sent in the same basket; the unhedged timer guards the gap.
      return { quantity: p.quantity, errorClass: 'VALIDATION', reason: '' };
    }
    if (outcome.kind !== 'FILLED') {
      const cls: ErrorClass = outcome.kind === 'REJECTED' ? 'BROKER_REJECT' : outcome.errorClass;
      return {
        quantity: 0,
        errorClass: cls,
        reason: `hedge ${p.group.pair_leg} not filled (${outcome.kind}); short not sent`,
      };
    }
    const q = floorToLot(Math.min(p.quantity, outcome.order.filledQuantity), p.lot_size);
    return q > 0
      ? { quantity: q, errorClass: 'VALIDATION', reason: '' }
      : {
          quantity: 0,
          errorClass: 'BROKER_REJECT',
          reason: `hedge ${p.group.pair_leg} filled less than one lot; short not sent`,
        };
  }

  /**
   * Closing a spread: its hedge may only be sold down to what still covers the short — all of it
   * once the short is bought back, part of it after a partial buy-back, none if the buy-back failed.
   * (In a basket both go together; the service settles any gap right after.)
   */
  #exitHedgeQuantity(
    leg: ClaimedLeg,
    byName: Map<string, ClaimedLeg>,
    outcomes: Map<string, LegOutcome>,
  ): { quantity: number; errorClass: ErrorClass; reason: string } {
    const p = leg.event.payload;
    const pair = p.group.pair_leg!;
    const short = byName.get(pair);
    const outcome = outcomes.get(pair);
    if (!short || !outcome) return { quantity: p.quantity, errorClass: 'VALIDATION', reason: '' };
    const boughtBack = outcome.kind === 'FILLED' ? outcome.order.filledQuantity : 0;
    const stillShort = Math.max(0, short.event.payload.quantity - boughtBack);
    const q = floorToLot(Math.max(0, p.quantity - stillShort), p.lot_size);
    return q > 0
      ? { quantity: q, errorClass: 'VALIDATION', reason: '' }
      : {
          quantity: 0,
          errorClass: 'BROKER_REJECT',
          reason: `short ${pair} still open (${stillShort}); hedge ${p.leg} kept`,
        };
  }

  async #placeOne(
    leg: ClaimedLeg,
    quantity: number,
    finish: (leg: ClaimedLeg, o: LegOutcome) => Promise<void>,
    ctx: MatchContext,
    forced?: { pricetype?: 'MARKET' },
  ): Promise<{ leg: ClaimedLeg; orderId: string; adopted: boolean } | undefined> {
    const order = toBrokerOrder(leg.event, quantity, forced);
    const r = await this.broker.placeOrder(order);
    if (r.ok) return { leg, orderId: r.value.orderId, adopted: false };
    if (r.ambiguous) {
      const { found, reachable } = await findByTag(this.broker, this.clock, order, ctx, {
        attempts: this.opts.ambiguityChecks,
        intervalMs: this.opts.ambiguityIntervalMs,
        ...(this.opts.signal ? { signal: this.opts.signal } : {}),
      });
      if (found) return { leg, orderId: found.orderId, adopted: true };
      // Unresolved: the lease runs out and the retry starts with the orderbook check again.
      await finish(leg, {
        kind: 'ERROR',
        errorClass: 'NETWORK_TIMEOUT',
        message: reachable
          ? `ambiguous placement not in orderbook: ${r.message}`
          : `ambiguous placement, orderbook unreachable: ${r.message}`,
      });
      return undefined;
    }
    if (r.errorClass === 'BROKER_REJECT') {
      await finish(leg, { kind: 'REJECTED', message: r.message });
      return undefined;
    }
    await finish(leg, {
      kind: 'NOT_PLACED',
      errorClass: r.errorClass === 'AUTH' ? 'UNKNOWN' : r.errorClass,
      message: r.message,
    });
    return undefined;
  }

  async #placeBasket(
    items: ReadonlyArray<{ leg: ClaimedLeg; quantity: number }>,
    finish: (leg: ClaimedLeg, o: LegOutcome) => Promise<void>,
    ctxOf: (leg: ClaimedLeg) => MatchContext,
  ): Promise<Array<{ leg: ClaimedLeg; orderId: string; adopted: boolean }>> {
    const first = items[0]!.leg.event;
    const tag = basketTag(first.strategy_id, first.payload.group.group_id);
    const orders = items.map((i) => ({ ...toBrokerOrder(i.leg.event, i.quantity), strategy: tag }));
    const r = await this.broker.basketOrder(tag, orders);
    const placed: Array<{ leg: ClaimedLeg; orderId: string; adopted: boolean }> = [];
    if (!r.ok) {
      if (!r.ambiguous) {
        for (const i of items) {
          await finish(i.leg, {
            kind: 'NOT_PLACED',
            errorClass: r.errorClass === 'AUTH' ? 'UNKNOWN' : r.errorClass,
            message: r.message,
          });
        }
        return placed;
      }
      // Ambiguous basket: each leg is looked up by its own tag.
      for (const [idx, i] of items.entries()) {
        const { found } = await findByTag(this.broker, this.clock, orders[idx]!, ctxOf(i.leg), {
          attempts: this.opts.ambiguityChecks,
          intervalMs: this.opts.ambiguityIntervalMs,
          ...(this.opts.signal ? { signal: this.opts.signal } : {}),
        });
        if (found) placed.push({ leg: i.leg, orderId: found.orderId, adopted: true });
        else
          await finish(i.leg, {
            kind: 'ERROR',
            errorClass: 'NETWORK_TIMEOUT',
            message: `ambiguous basket: ${r.message}`,
          });
      }
      return placed;
    }
    // Live basket results arrive in completion order: match by symbol (unique within a group).
    for (const i of items) {
      const res = r.value.find((x) => x.symbol === i.leg.event.payload.symbol);
      if (res?.ok && res.orderId) placed.push({ leg: i.leg, orderId: res.orderId, adopted: false });
      else await finish(i.leg, { kind: 'REJECTED', message: res?.message ?? 'missing from basket result' });
    }
    return placed;
  }
}
