import type {
  BasketItemResult,
  BrokerOrder,
  BrokerOutcome,
  ExecutionBroker,
  OrderSnapshot,
} from '../../src/agents/execution/ports.js';
import type { Clock } from '../../src/clock/index.js';

type Script =
  | { kind: 'fill'; fraction?: number /** Only the next order of this symbol. */; once?: boolean }
  | { kind: 'reject'; message?: string }
  | { kind: 'ambiguous'; recorded: boolean };

/**
 * An in-memory broker for unit tests of execution logic: every call is logged with its virtual time,
 * and each symbol can be scripted to fill, partially fill, reject or answer ambiguously.
 */
export class ScriptedBroker implements ExecutionBroker {
  basketSupported = true;
  /** The basket call itself goes unanswered (sent, no reply): its legs are booked per their scripts. */
  basketAmbiguous = false;
  orderbookDown = false;
  readonly calls: Array<{ at: number; op: string; order?: BrokerOrder }> = [];
  readonly book: OrderSnapshot[] = [];
  readonly scripts = new Map<string, Script>();
  #seq = 0;

  constructor(private readonly clock: Clock) {}

  #record(
    order: BrokerOrder,
    status: OrderSnapshot['status'],
    filled: number,
    message?: string,
  ): OrderSnapshot {
    const snap: OrderSnapshot = {
      orderId: `2602150000${String(++this.#seq).padStart(4, '0')}`,
      strategy: order.strategy,
      symbol: order.symbol,
      exchange: order.exchange,
      action: order.action,
      quantity: order.quantity,
      filledQuantity: filled,
      averagePrice: filled > 0 ? 100 : 0,
      status,
      message,
    };
    this.book.push(snap);
    return snap;
  }

  async placeOrder(order: BrokerOrder): Promise<BrokerOutcome<{ orderId: string }>> {
    this.calls.push({ at: this.clock.monotonicMs(), op: 'placeorder', order });
    const s = this.scripts.get(order.symbol) ?? { kind: 'fill' };
    if (s.kind === 'reject') {
      return {
        ok: false,
        errorClass: 'BROKER_REJECT',
        message: s.message ?? 'Insufficient funds',
        ambiguous: false,
      };
    }
    if (s.kind === 'ambiguous') {
      if (s.recorded) this.#record(order, 'complete', order.quantity);
      return { ok: false, errorClass: 'NETWORK_TIMEOUT', message: 'timeout after send', ambiguous: true };
    }
    if (s.kind === 'fill' && s.once) this.scripts.delete(order.symbol);
    const filled = Math.round(order.quantity * (s.fraction ?? 1));
    return {
      ok: true,
      value: {
        orderId: this.#record(order, filled === order.quantity ? 'complete' : 'cancelled', filled).orderId,
      },
    };
  }

  async basketOrder(
    strategy: string,
    orders: readonly BrokerOrder[],
  ): Promise<BrokerOutcome<BasketItemResult[]>> {
    this.calls.push({ at: this.clock.monotonicMs(), op: `basketorder:${strategy}` });
    if (this.basketAmbiguous) {
      for (const o of orders) {
        const s = this.scripts.get(o.symbol) ?? { kind: 'fill' };
        if (s.kind === 'fill' || (s.kind === 'ambiguous' && s.recorded))
          this.#record(o, 'complete', o.quantity);
      }
      return {
        ok: false,
        errorClass: 'NETWORK_TIMEOUT',
        message: 'basket timed out after send',
        ambiguous: true,
      };
    }
    const results: BasketItemResult[] = [];
    for (const o of orders) {
      const r = await this.placeOrder(o);
      results.push({
        symbol: o.symbol,
        ok: r.ok,
        orderId: r.ok ? r.value.orderId : undefined,
        message: r.ok ? undefined : r.message,
      });
    }
    return { ok: true, value: results.reverse() };
  }

  async orderStatus(orderId: string): Promise<BrokerOutcome<OrderSnapshot>> {
    const o = this.book.find((x) => x.orderId === orderId);
    return o
      ? { ok: true, value: o }
      : { ok: false, errorClass: 'VALIDATION', message: `Order ${orderId} not found`, ambiguous: false };
  }

  async orderBook(): Promise<BrokerOutcome<OrderSnapshot[]>> {
    this.calls.push({ at: this.clock.monotonicMs(), op: 'orderbook' });
    if (this.orderbookDown)
      return { ok: false, errorClass: 'NETWORK_TIMEOUT', message: 'down', ambiguous: false };
    return { ok: true, value: [...this.book] };
  }

  async cancelOrder(orderId: string): Promise<BrokerOutcome<{ orderId: string }>> {
    return { ok: true, value: { orderId } };
  }

  placed(): BrokerOrder[] {
    return this.calls.filter((c) => c.op === 'placeorder' && c.order).map((c) => c.order!);
  }
}
