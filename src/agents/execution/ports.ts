import type { Action, PriceType, Product } from '../../contracts/index.js';

import type { ErrorClass } from '../../store/command-retry.js';

export type { ErrorClass };

export type BrokerOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly errorClass: ErrorClass | 'AUTH';
      readonly message: string;
      /** The request was sent and no answer came: the order may exist. Never resend blindly. */
      readonly ambiguous: boolean;
    };

export interface BrokerOrder {
  /** OpenAlgo `strategy` tag: the command's idempotency key, so the orderbook can be searched for it. */
  readonly strategy: string;
  readonly symbol: string;
  readonly exchange: string;
  readonly action: Action;
  readonly quantity: number;
  readonly pricetype: PriceType;
  readonly product: Product;
  readonly price: number;
  readonly trigger_price: number;
}

export type OrderStatus = 'open' | 'trigger pending' | 'complete' | 'rejected' | 'cancelled';

export interface OrderSnapshot {
  readonly orderId: string;
  readonly strategy: string | undefined;
  readonly symbol: string;
  readonly exchange: string;
  readonly action: Action;
  readonly quantity: number;
  readonly filledQuantity: number;
  readonly averagePrice: number;
  readonly status: OrderStatus | string;
  readonly message: string | undefined;
}

export interface BasketItemResult {
  readonly symbol: string;
  readonly ok: boolean;
  readonly orderId: string | undefined;
  readonly message: string | undefined;
}

/** What the Execution agent needs from OpenAlgo. The adapter over OpenAlgoClient implements it. */
export interface ExecutionBroker {
  /** Whether ATOMIC legging may use basketorder; `auto` mode turns it off on the broker's first "not supported". */
  readonly basketSupported: boolean;
  placeOrder(order: BrokerOrder): Promise<BrokerOutcome<{ orderId: string }>>;
  /** One `strategy` tag for the whole basket (OpenAlgo's schema); results matched back by symbol. */
  basketOrder(strategy: string, orders: readonly BrokerOrder[]): Promise<BrokerOutcome<BasketItemResult[]>>;
  orderStatus(orderId: string, strategy: string): Promise<BrokerOutcome<OrderSnapshot>>;
  orderBook(): Promise<BrokerOutcome<OrderSnapshot[]>>;
  cancelOrder(orderId: string, strategy: string): Promise<BrokerOutcome<{ orderId: string }>>;
}

/** basketorder does not exist on this broker: nothing was placed, plan the legging fallback instead. */
export class BasketUnsupported extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BasketUnsupported';
  }
}

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['complete', 'rejected', 'cancelled']);
