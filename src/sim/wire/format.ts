import type { FundsView, OrderRecord, PositionRecord, TradeRecord } from '../account.js';
import { liveTimestamp, sandboxTimestamp } from '../ist.js';

/**
 * Response rows as OpenAlgo shapes them (REST.md §6, SANDBOX.md A.8). In analyzer mode (the default)
 * they are the sandbox's: numbers, `price_type` in orderstatus, extra fields, `YYYY-MM-DD HH:MM:SS`
 * stamps. With analyzer mode toggled off they take the live (Zerodha-mapped) shape: string
 * quantities, 2-dp string funds, `08-Apr-2025 13:58:03` stamps, MARKET prices forced to 0.
 */
export type WireMode = 'analyze' | 'live';

export const r2 = (x: number): number => Math.round(x * 100) / 100;
const s2 = (x: number): string => x.toFixed(2);

function shownPrice(o: OrderRecord): number {
  // The sandbox stores the margin LTP as a MARKET order's price and shows it.
  return r2(o.pricetype === 'MARKET' ? o.refPrice : o.price);
}

export function orderRow(o: OrderRecord, mode: WireMode): Record<string, unknown> {
  if (mode === 'live')
    return {
      action: o.action,
      symbol: o.symbol,
      exchange: o.exchange,
      orderid: o.orderid,
      product: o.product,
      quantity: String(o.quantity),
      price: o.pricetype === 'MARKET' ? 0.0 : r2(o.price),
      pricetype: o.pricetype,
      order_status: o.status,
      trigger_price: r2(o.trigger_price),
      timestamp: liveTimestamp(o.placedAt),
    };
  return {
    action: o.action,
    symbol: o.symbol,
    exchange: o.exchange,
    orderid: o.orderid,
    product: o.product,
    quantity: o.quantity,
    price: shownPrice(o),
    pricetype: o.pricetype,
    order_status: o.status,
    trigger_price: r2(o.trigger_price),
    timestamp: sandboxTimestamp(o.placedAt),
    average_price: r2(o.averagePrice),
    filled_quantity: o.filledQuantity,
    pending_quantity: o.pendingQuantity,
    rejection_reason: o.rejectionReason,
    strategy: o.strategy,
  };
}

export function orderStatusRow(o: OrderRecord, mode: WireMode): Record<string, unknown> {
  if (mode === 'live')
    return {
      action: o.action,
      average_price: o.status === 'complete' ? r2(o.averagePrice) : 0.0,
      exchange: o.exchange,
      order_status: o.status,
      orderid: o.orderid,
      price: o.pricetype === 'MARKET' ? 0 : r2(o.price),
      pricetype: o.pricetype,
      product: o.product,
      quantity: String(o.quantity),
      symbol: o.symbol,
      timestamp: liveTimestamp(o.placedAt),
      trigger_price: r2(o.trigger_price),
    };
  return {
    orderid: o.orderid,
    symbol: o.symbol,
    exchange: o.exchange,
    action: o.action,
    quantity: o.quantity,
    price: shownPrice(o),
    trigger_price: r2(o.trigger_price),
    price_type: o.pricetype,
    product: o.product,
    order_status: o.status,
    average_price: r2(o.averagePrice),
    filled_quantity: o.filledQuantity,
    pending_quantity: o.pendingQuantity,
    strategy: o.strategy,
    rejection_reason: o.rejectionReason,
    timestamp: sandboxTimestamp(o.placedAt),
  };
}

export function orderStatistics(orders: readonly OrderRecord[], mode: WireMode): Record<string, number> {
  const count = (f: (o: OrderRecord) => boolean) => orders.filter(f).length;
  const stats: Record<string, number> = {
    total_buy_orders: count((o) => o.action === 'BUY'),
    total_sell_orders: count((o) => o.action === 'SELL'),
    total_completed_orders: count((o) => o.status === 'complete'),
    total_open_orders: count((o) => o.status === 'open'),
    total_rejected_orders: count((o) => o.status === 'rejected'),
  };
  if (mode === 'analyze') stats.total_trigger_pending_orders = count((o) => o.status === 'trigger pending');
  return stats;
}

export function tradeRow(t: TradeRecord, mode: WireMode): Record<string, unknown> {
  const base = {
    action: t.action,
    symbol: t.symbol,
    exchange: t.exchange,
    orderid: t.orderid,
    product: t.product,
    quantity: t.quantity,
    average_price: r2(t.price),
    timestamp: mode === 'live' ? liveTimestamp(t.time) : sandboxTimestamp(t.time),
    trade_value: r2(t.price * t.quantity),
  };
  return mode === 'live' ? base : { ...base, tradeid: t.tradeid, price: r2(t.price), strategy: t.strategy };
}

export function positionRow(p: PositionRecord, ltp: number, mode: WireMode): Record<string, unknown> {
  const unrealized = p.quantity === 0 ? 0 : (ltp - p.averagePrice) * p.quantity;
  const pnl = p.realizedToday + unrealized;
  if (mode === 'live')
    return {
      symbol: p.symbol,
      exchange: p.exchange,
      product: p.product,
      quantity: String(p.quantity),
      average_price: s2(p.averagePrice),
      ltp: r2(ltp),
      pnl: r2(pnl),
    };
  const invested = Math.abs(p.averagePrice * p.quantity);
  return {
    symbol: p.symbol,
    exchange: p.exchange,
    product: p.product,
    quantity: p.quantity,
    average_price: r2(p.averagePrice),
    ltp: r2(ltp),
    pnl: r2(pnl),
    pnlpercent: invested > 0 ? r2((unrealized / invested) * 100) : 0,
    unrealized_pnl: r2(unrealized),
    today_realized_pnl: r2(p.realizedToday),
    total_pnl_today: r2(pnl),
    lot_size: p.instrument.lotSize,
  };
}

export function fundsData(f: FundsView, mode: WireMode): Record<string, unknown> {
  if (mode === 'live')
    return {
      availablecash: s2(f.available),
      collateral: s2(0),
      m2mrealized: s2(f.realizedToday),
      m2munrealized: s2(f.unrealized),
      utiliseddebits: s2(f.usedMargin),
    };
  return {
    availablecash: r2(f.available),
    collateral: 0,
    m2mrealized: r2(f.realizedToday),
    m2munrealized: r2(f.unrealized),
    utiliseddebits: r2(f.usedMargin),
    grossexposure: r2(f.usedMargin),
    totalpnl: r2(f.realizedTotal + f.unrealized),
    total_realized_pnl: r2(f.realizedTotal),
    today_realized_pnl: r2(f.realizedToday),
    last_reset: sandboxTimestamp(f.lastReset),
    reset_count: f.resetCount,
  };
}

/** The `order_update` WebSocket frame (WEBSOCKET.md §6). */
export function orderUpdateFrame(o: OrderRecord, mode: WireMode, userId: string): Record<string, unknown> {
  return {
    type: 'order_update',
    user_id: userId,
    mode,
    broker: 'sandbox',
    orderid: o.orderid,
    symbol: o.symbol,
    exchange: o.exchange,
    action: o.action,
    quantity: o.quantity,
    price: shownPrice(o),
    trigger_price: r2(o.trigger_price),
    pricetype: o.pricetype,
    product: o.product,
    order_status: o.status,
    filled_quantity: o.filledQuantity,
    pending_quantity: o.pendingQuantity,
    average_price: r2(o.averagePrice),
    rejection_reason: o.rejectionReason,
  };
}
