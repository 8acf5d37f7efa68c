import type { BrokerError, BrokerResult, Exchange, OpenAlgoClient, OrderRow } from '../../broker/index.js';
import {
  BasketUnsupported,
  type BrokerOrder,
  type BrokerOutcome,
  type ExecutionBroker,
  type OrderSnapshot,
} from './ports.js';

/** Our contracts carry the exchange as text; the client re-validates it (VALIDATION error if unknown). */
const wire = (o: BrokerOrder) => ({ ...o, exchange: o.exchange as Exchange });

function outcome<T, U>(r: BrokerResult<T>, map: (d: T) => BrokerOutcome<U>): BrokerOutcome<U> {
  return r.ok ? map(r.data) : failure(r.error);
}

function failure(e: BrokerError): BrokerOutcome<never> {
  return { ok: false, errorClass: e.class, message: e.message, ambiguous: e.ambiguous };
}

function snapshot(o: OrderRow): OrderSnapshot {
  return {
    orderId: o.orderId,
    strategy: o.strategy,
    symbol: o.symbol,
    exchange: o.exchange,
    action: o.action,
    quantity: o.quantity,
    // Live orderbooks omit filled quantity; a complete order filled all of it.
    filledQuantity: o.filledQuantity ?? (o.status === 'complete' ? o.quantity : 0),
    averagePrice: o.averagePrice ?? o.price,
    status: o.status,
    message: o.rejectionReason,
  };
}

const QUEUED =
  'OpenAlgo queued the order for approval in its Action Center (semi-auto): TOMIC needs the instance in auto mode and uses its own approvals';

/**
 * The Execution agent's view of OpenAlgo, over the typed REST client. Basket mode `auto` starts with
 * basketorder and drops it for good when the broker answers 404 "Broker-specific module not found"
 * (OpenAlgo's answer for a broker without the endpoint): nothing was placed, so the group is re-planned.
 */
export function openAlgoExecutionBroker(
  client: OpenAlgoClient,
  basket: 'auto' | 'on' | 'off',
): ExecutionBroker {
  let basketSupported = basket !== 'off';
  return {
    get basketSupported() {
      return basketSupported;
    },
    async placeOrder(order) {
      return outcome(await client.placeOrder(wire(order)), (ack) =>
        ack.queued
          ? { ok: false, errorClass: 'VALIDATION', message: QUEUED, ambiguous: false }
          : { ok: true, value: { orderId: ack.orderId } },
      );
    },
    async basketOrder(strategy, orders) {
      const items = orders.map(({ strategy: _tag, ...rest }) => ({
        ...rest,
        exchange: rest.exchange as Exchange,
      }));
      const r = await client.basketOrder({ strategy, orders: items });
      if (!r.ok && r.error.httpStatus === 404 && basket === 'auto') {
        basketSupported = false;
        throw new BasketUnsupported(r.error.message);
      }
      return outcome(r, (b) =>
        b.queued
          ? { ok: false, errorClass: 'VALIDATION', message: QUEUED, ambiguous: false }
          : {
              ok: true,
              value: orders.map((o, i) => {
                const leg = b.byRequest[i];
                return {
                  symbol: o.symbol,
                  ok: leg?.ok ?? false,
                  orderId: leg?.orderId,
                  message: leg?.message ?? (leg ? undefined : 'missing from basket result'),
                };
              }),
            },
      );
    },
    async orderStatus(orderId, strategy) {
      return outcome(await client.orderStatus({ orderid: orderId, strategy }), (o) => ({
        ok: true,
        value: snapshot(o),
      }));
    },
    async orderBook() {
      return outcome(await client.orderBook(), (b) => ({ ok: true, value: b.orders.map(snapshot) }));
    },
    async cancelOrder(orderId, strategy) {
      return outcome(await client.cancelOrder({ orderid: orderId, strategy }), () => ({
        ok: true,
        value: { orderId },
      }));
    },
  };
}
