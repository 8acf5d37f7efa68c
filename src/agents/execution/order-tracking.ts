import type { Clock } from '../../clock/index.js';
import type { BrokerOrder, ExecutionBroker, OrderSnapshot } from './ports.js';
import { TERMINAL_STATUSES } from './ports.js';

export interface TrackOptions {
  readonly pollMs: number;
  /** How long a MARKET leg may stay working before the rest is cancelled. */
  readonly fillTimeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Follows one order to a terminal state by polling orderstatus on the injected clock. When it is
 * still working at the deadline, the remainder is cancelled and the last known state returned.
 */
export async function trackOrder(
  broker: ExecutionBroker,
  clock: Clock,
  orderId: string,
  strategy: string,
  opts: TrackOptions,
): Promise<OrderSnapshot | undefined> {
  const deadline = clock.monotonicMs() + opts.fillTimeoutMs;
  let last: OrderSnapshot | undefined;
  let cancelled = false;
  for (;;) {
    const r = await broker.orderStatus(orderId, strategy);
    if (r.ok) {
      last = r.value;
      if (TERMINAL_STATUSES.has(last.status)) return last;
    }
    if (clock.monotonicMs() >= deadline) {
      if (cancelled) return last;
      await broker.cancelOrder(orderId, strategy);
      cancelled = true;
    }
    await clock.sleep(opts.pollMs, opts.signal);
  }
}

/**
 * §3: an ambiguous placement (sent, no answer) is resolved only through the orderbook, never by a
 * blind resend. Looks for the order by its strategy tag a few times; `undefined` means it never
 * reached the broker.
 */
export async function findByTag(
  broker: ExecutionBroker,
  clock: Clock,
  order: Pick<BrokerOrder, 'symbol' | 'action' | 'quantity'>,
  ctx: MatchContext,
  opts: { attempts: number; intervalMs: number; signal?: AbortSignal },
): Promise<{ found: OrderSnapshot | undefined; reachable: boolean }> {
  let reachable = false;
  for (let i = 0; i < opts.attempts; i++) {
    const book = await broker.orderBook();
    if (book.ok) {
      reachable = true;
      const found = matchTag(book.value, order, ctx);
      if (found) return { found, reachable };
    }
    if (i < opts.attempts - 1) await clock.sleep(opts.intervalMs, opts.signal);
  }
  return { found: undefined, reachable };
}

/** Tag of a whole ATOMIC basket: OpenAlgo's basketorder carries one `strategy` for every leg. */
export function basketTag(strategyId: string, groupId: string): string {
  return `${strategyId}:${groupId}:BASKET`;
}

export interface MatchContext {
  /** Tags the leg may have been placed under: its own idempotency key and its group's basket tag. */
  readonly tags: readonly string[];
  /** Broker order ids already linked to other commands (they cannot be this leg's order). */
  readonly knownOrderIds: ReadonlySet<string>;
}

/**
 * The order already placed for this leg, if any. A rejected order, or one cancelled before any fill,
 * left nothing behind and does not count; a cancelled remainder after a partial fill does.
 * Brokers whose orderbook has no `strategy` field (live OpenAlgo) are matched on symbol, action and
 * quantity among orders not yet linked to any command.
 */
export function matchTag(
  book: readonly OrderSnapshot[],
  order: Pick<BrokerOrder, 'symbol' | 'action' | 'quantity'>,
  ctx: MatchContext,
): OrderSnapshot | undefined {
  const live = (o: OrderSnapshot) =>
    o.status !== 'rejected' && !(o.status === 'cancelled' && o.filledQuantity === 0);
  const same = (o: OrderSnapshot) => o.symbol === order.symbol && o.action === order.action;
  const tagged = book.find(
    (o) => o.strategy !== undefined && ctx.tags.includes(o.strategy) && same(o) && live(o),
  );
  if (tagged) return tagged;
  return book.find(
    (o) =>
      o.strategy === undefined &&
      same(o) &&
      o.quantity === order.quantity &&
      live(o) &&
      !ctx.knownOrderIds.has(o.orderId),
  );
}
