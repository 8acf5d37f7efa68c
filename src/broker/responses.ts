import { z } from 'zod';
import type { ResponseMode } from './types.js';

/**
 * Response bodies, parsed defensively and normalised (REST.md §5–§10, README quirks 7–12): numbers
 * arrive as numbers or numeric strings depending on broker and mode, `orderid` may be a number, the
 * orderstatus key is `pricetype` live and `price_type` in the sandbox, statuses are lower-case with a
 * space in `trigger pending`, history stamps are epoch seconds. Output names are camelCase and carry
 * their unit (`timeMs`), so no caller has to remember which endpoint uses which convention.
 */

const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;
/** A number, or a numeric string (live funds are 2-dp strings; positionbook quantities often are). */
export const Num = z.union([z.number().finite(), z.string().regex(NUMERIC).transform(Number)]);
/** Absent, null or '' → undefined. */
const OptNum = z
  .union([Num, z.literal(''), z.null()])
  .optional()
  .transform((v) => (v === '' || v === null || v === undefined ? undefined : v));
const NumOr0 = OptNum.transform((v) => v ?? 0);
/** Order ids and tokens: always strings, whatever the adapter sent. */
const Str = z.union([z.string(), z.number()]).transform(String);
const OptStr = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v) => (v === null || v === undefined || v === '' ? undefined : String(v)));
const Action = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .pipe(z.enum(['BUY', 'SELL']));
const ModeField = z.string().optional();

export function responseMode(mode: string | undefined): ResponseMode {
  if (mode === 'analyze') return 'analyze';
  if (mode === 'semi_auto') return 'semi_auto';
  return 'live';
}

export const ORDER_STATUSES = [
  'open',
  'trigger pending',
  'complete',
  'cancelled',
  'rejected',
  'expired',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number] | 'unknown';
export const TERMINAL_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'complete',
  'cancelled',
  'rejected',
  'expired',
]);

/** Lower-case with one space (`trigger pending`); a few spellings seen across adapters are folded in. */
export function normalizeOrderStatus(raw: string): OrderStatus {
  const s = raw.trim().toLowerCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' ');
  if (s === 'canceled') return 'cancelled';
  if (s === 'completed') return 'complete';
  if (s === 'triggerpending') return 'trigger pending';
  return (ORDER_STATUSES as readonly string[]).includes(s) ? (s as OrderStatus) : 'unknown';
}

const Success = z.literal('success');

// ---------------------------------------------------------------- orders

export type OrderAck =
  | {
      readonly queued: false;
      readonly orderId: string;
      readonly mode: ResponseMode;
      readonly message: string | undefined;
    }
  | {
      readonly queued: true;
      readonly pendingOrderId: string;
      readonly mode: 'semi_auto';
      readonly message: string;
    };

/** placeorder / modifyorder / cancelorder: top-level `orderid`; semi-auto queues instead of placing. */
export const OrderAckResponse = z
  .object({
    status: Success,
    orderid: OptStr,
    mode: ModeField,
    message: z.string().optional(),
    pending_order_id: OptStr,
  })
  .transform((b, ctx): OrderAck => {
    if (b.mode === 'semi_auto' && b.pending_order_id !== undefined) {
      return {
        queued: true,
        pendingOrderId: b.pending_order_id,
        mode: 'semi_auto',
        message: b.message ?? '',
      };
    }
    if (b.orderid === undefined) {
      ctx.addIssue({ code: 'custom', path: ['orderid'], message: 'success without orderid' });
      return z.NEVER;
    }
    return { queued: false, orderId: b.orderid, mode: responseMode(b.mode), message: b.message };
  });

/**
 * The plain success answer to placeorder/modifyorder/cancelorder (`{status, orderid, mode?, message?}`)
 * read by hand, giving what `OrderAckResponse` gives; undefined for anything else (semi-auto queueing,
 * odd types), which the schema then handles.
 */
export function fastOrderAck(json: unknown): OrderAck | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const b = json as Record<string, unknown>;
  if (b.status !== 'success' || b.pending_order_id !== undefined) return undefined;
  const { orderid, mode, message } = b;
  let orderId: string;
  if (typeof orderid === 'string' && orderid.length > 0) orderId = orderid;
  else if (typeof orderid === 'number') orderId = String(orderid);
  else return undefined;
  if (mode !== undefined && typeof mode !== 'string') return undefined;
  if (message !== undefined && typeof message !== 'string') return undefined;
  return { queued: false, orderId, mode: responseMode(mode), message };
}

export type SmartOrderAck =
  | {
      readonly queued: false;
      /** Undefined when OpenAlgo found nothing to do ("Positions Already Matched. No Action needed."). */
      readonly orderId: string | undefined;
      readonly mode: ResponseMode;
      readonly message: string | undefined;
    }
  | {
      readonly queued: true;
      readonly pendingOrderId: string;
      readonly mode: 'semi_auto';
      readonly message: string;
    };

export const SmartOrderResponse = z
  .object({
    status: Success,
    orderid: OptStr,
    mode: ModeField,
    message: z.string().optional(),
    pending_order_id: OptStr,
  })
  .transform((b, ctx): SmartOrderAck => {
    if (b.mode === 'semi_auto' && b.pending_order_id !== undefined) {
      return {
        queued: true,
        pendingOrderId: b.pending_order_id,
        mode: 'semi_auto',
        message: b.message ?? '',
      };
    }
    if (b.orderid === undefined && b.message === undefined) {
      ctx.addIssue({ code: 'custom', path: ['orderid'], message: 'success without orderid or message' });
      return z.NEVER;
    }
    return { queued: false, orderId: b.orderid, mode: responseMode(b.mode), message: b.message };
  });

export interface BasketLegResult {
  readonly symbol: string;
  readonly exchange: string | undefined;
  readonly ok: boolean;
  readonly orderId: string | undefined;
  readonly message: string | undefined;
}

export interface BasketResult {
  readonly mode: ResponseMode;
  /** As OpenAlgo returned them: live baskets come back in completion order, not request order. */
  readonly results: readonly BasketLegResult[];
  /** Aligned with the request's `orders`: each leg matched back by symbol (+ exchange when present). */
  readonly byRequest: readonly (BasketLegResult | undefined)[];
  /** Top-level `success` does not mean every leg succeeded. */
  readonly allOk: boolean;
  readonly queued: boolean;
  readonly message: string | undefined;
}

const BasketLegWire = z
  .object({
    symbol: z.string(),
    exchange: OptStr,
    status: z.string(),
    orderid: OptStr,
    message: OptStr,
  })
  .transform(
    (l): BasketLegResult => ({
      symbol: l.symbol,
      exchange: l.exchange,
      ok: l.status === 'success' && l.orderid !== undefined,
      orderId: l.orderid,
      message: l.message,
    }),
  );

export const BasketResponse = z.object({
  status: Success,
  results: z.array(BasketLegWire).optional(),
  mode: ModeField,
  message: z.string().optional(),
  pending_order_id: OptStr,
});

export function alignBasket(
  body: z.output<typeof BasketResponse>,
  request: readonly { symbol: string; exchange: string }[],
): BasketResult {
  const results = body.results ?? [];
  const used = new Set<number>();
  const byRequest = request.map((req) => {
    const i = results.findIndex(
      (r, idx) =>
        !used.has(idx) &&
        r.symbol === req.symbol &&
        (r.exchange === undefined || r.exchange === req.exchange),
    );
    if (i < 0) return undefined;
    used.add(i);
    return results[i];
  });
  const queued = body.mode === 'semi_auto';
  return {
    mode: responseMode(body.mode),
    results,
    byRequest,
    allOk: !queued && byRequest.every((r) => r?.ok === true),
    queued,
    message: body.message,
  };
}

export interface CancelAllResult {
  readonly mode: ResponseMode;
  readonly message: string | undefined;
  readonly canceled: readonly string[];
  /** Zerodha gives plain ids, the sandbox `{orderid, message}`, the docs `{orderid, reason}`. */
  readonly failed: readonly { readonly orderId: string; readonly message: string | undefined }[];
}

const FailedCancel = z.union([
  Str.transform((orderId) => ({ orderId, message: undefined as string | undefined })),
  z
    .object({ orderid: Str, message: OptStr, reason: OptStr })
    .transform((f) => ({ orderId: f.orderid, message: f.message ?? f.reason })),
]);

export const CancelAllResponse = z
  .object({
    status: Success,
    message: z.string().optional(),
    mode: ModeField,
    canceled_orders: z.array(Str).optional(),
    failed_cancellations: z.array(FailedCancel).optional(),
  })
  .transform(
    (b): CancelAllResult => ({
      mode: responseMode(b.mode),
      message: b.message,
      canceled: b.canceled_orders ?? [],
      failed: b.failed_cancellations ?? [],
    }),
  );

// ---------------------------------------------------------------- books

export interface OrderRow {
  readonly orderId: string;
  readonly symbol: string;
  readonly exchange: string;
  readonly action: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly price: number;
  readonly triggerPrice: number;
  readonly pricetype: string;
  readonly product: string;
  readonly status: OrderStatus;
  /** The status string as the broker sent it. */
  readonly rawStatus: string;
  /** Broker-specific text ("08-Apr-2025 13:58:03" live, "YYYY-MM-DD HH:MM:SS" sandbox). */
  readonly timestamp: string | undefined;
  /** Sandbox and orderstatus only; undefined where the broker does not say. */
  readonly averagePrice: number | undefined;
  readonly filledQuantity: number | undefined;
  readonly pendingQuantity: number | undefined;
  /** The `strategy` tag: sandbox rows carry it, live rows do not. */
  readonly strategy: string | undefined;
  readonly rejectionReason: string | undefined;
}

export const OrderRowWire = z
  .object({
    orderid: Str,
    symbol: z.string(),
    exchange: z.string(),
    action: Action,
    quantity: Num,
    price: NumOr0,
    trigger_price: NumOr0,
    pricetype: z.string().optional(),
    price_type: z.string().optional(),
    product: OptStr,
    order_status: z.string(),
    timestamp: OptStr,
    average_price: OptNum,
    filled_quantity: OptNum,
    pending_quantity: OptNum,
    strategy: OptStr,
    rejection_reason: OptStr,
  })
  .transform(
    (o): OrderRow => ({
      orderId: o.orderid,
      symbol: o.symbol,
      exchange: o.exchange,
      action: o.action,
      quantity: o.quantity,
      price: o.price,
      triggerPrice: o.trigger_price,
      pricetype: (o.pricetype ?? o.price_type ?? '').toUpperCase(),
      product: o.product ?? '',
      status: normalizeOrderStatus(o.order_status),
      rawStatus: o.order_status,
      timestamp: o.timestamp,
      averagePrice: o.average_price,
      filledQuantity: o.filled_quantity,
      pendingQuantity: o.pending_quantity,
      strategy: o.strategy,
      rejectionReason: o.rejection_reason,
    }),
  );

export const OrderStatusResponse = z
  .object({ status: Success, data: OrderRowWire, mode: ModeField })
  .transform((b) => ({ ...b.data, mode: responseMode(b.mode) }));

export interface OrderBook {
  readonly mode: ResponseMode;
  readonly orders: readonly OrderRow[];
  readonly statistics: Readonly<Record<string, number>>;
}

export const OrderBookResponse = z
  .object({
    status: Success,
    mode: ModeField,
    // Empty books come back as [] or {} or with orders: [] depending on adapter.
    data: z.union([
      z.object({
        orders: z.array(OrderRowWire).nullish(),
        statistics: z.record(z.string(), OptNum).nullish(),
      }),
      z.array(OrderRowWire).transform((orders) => ({ orders, statistics: undefined })),
    ]),
  })
  .transform(
    (b): OrderBook => ({
      mode: responseMode(b.mode),
      orders: b.data.orders ?? [],
      statistics: Object.fromEntries(
        Object.entries(b.data.statistics ?? {}).filter((e): e is [string, number] => e[1] !== undefined),
      ),
    }),
  );

export interface TradeRow {
  readonly orderId: string;
  readonly tradeId: string | undefined;
  readonly symbol: string;
  readonly exchange: string;
  readonly action: 'BUY' | 'SELL';
  readonly product: string;
  readonly quantity: number;
  readonly averagePrice: number;
  readonly tradeValue: number | undefined;
  readonly timestamp: string | undefined;
  readonly strategy: string | undefined;
}

const TradeRowWire = z
  .object({
    orderid: Str,
    tradeid: OptStr,
    symbol: z.string(),
    exchange: z.string(),
    action: Action,
    product: OptStr,
    quantity: Num,
    average_price: NumOr0,
    trade_value: OptNum,
    timestamp: OptStr,
    strategy: OptStr,
  })
  .transform(
    (t): TradeRow => ({
      orderId: t.orderid,
      tradeId: t.tradeid,
      symbol: t.symbol,
      exchange: t.exchange,
      action: t.action,
      product: t.product ?? '',
      quantity: t.quantity,
      averagePrice: t.average_price,
      tradeValue: t.trade_value,
      timestamp: t.timestamp,
      strategy: t.strategy,
    }),
  );

export const TradeBookResponse = z
  .object({ status: Success, mode: ModeField, data: z.array(TradeRowWire).nullish() })
  .transform((b) => ({ mode: responseMode(b.mode), trades: b.data ?? [] }));

export interface PositionRow {
  readonly symbol: string;
  readonly exchange: string;
  readonly product: string;
  /** Signed net quantity; closed positions stay listed with 0. */
  readonly quantity: number;
  readonly averagePrice: number;
  readonly ltp: number | undefined;
  readonly pnl: number | undefined;
}

const PositionRowWire = z
  .object({
    symbol: z.string(),
    exchange: z.string(),
    product: OptStr,
    quantity: Num,
    average_price: NumOr0,
    ltp: OptNum,
    pnl: OptNum,
  })
  .transform(
    (p): PositionRow => ({
      symbol: p.symbol,
      exchange: p.exchange,
      product: p.product ?? '',
      quantity: p.quantity,
      averagePrice: p.average_price,
      ltp: p.ltp,
      pnl: p.pnl,
    }),
  );

export const PositionBookResponse = z
  .object({ status: Success, mode: ModeField, data: z.array(PositionRowWire).nullish() })
  .transform((b) => ({ mode: responseMode(b.mode), positions: b.data ?? [] }));

// ---------------------------------------------------------------- account

export interface Funds {
  readonly mode: ResponseMode;
  readonly availableCash: number;
  readonly collateral: number;
  readonly m2mRealized: number;
  readonly m2mUnrealized: number;
  readonly utilisedDebits: number;
  /** Whether the broker sent strings (live adapters) or numbers (sandbox): compat reports it. */
  readonly numericStrings: boolean;
}

const FundsWire = z.object({
  availablecash: Num,
  collateral: NumOr0,
  m2mrealized: NumOr0,
  m2munrealized: NumOr0,
  utiliseddebits: NumOr0,
});

export const FundsResponse = z
  .object({ status: Success, mode: ModeField, data: z.record(z.string(), z.unknown()) })
  .transform((b, ctx): Funds => {
    const f = FundsWire.safeParse(b.data);
    if (!f.success) {
      for (const issue of f.error.issues)
        ctx.addIssue({ code: 'custom', path: ['data', ...issue.path], message: issue.message });
      return z.NEVER;
    }
    return {
      mode: responseMode(b.mode),
      availableCash: f.data.availablecash,
      collateral: f.data.collateral,
      m2mRealized: f.data.m2mrealized,
      m2mUnrealized: f.data.m2munrealized,
      utilisedDebits: f.data.utiliseddebits,
      numericStrings: typeof b.data.availablecash === 'string',
    };
  });

export interface MarginResult {
  readonly totalMarginRequired: number;
  readonly spanMargin: number | undefined;
  readonly exposureMargin: number | undefined;
  readonly marginBenefit: number | undefined;
}

export const MarginResponse = z
  .object({
    status: Success,
    data: z.object({
      total_margin_required: Num,
      span_margin: OptNum,
      exposure_margin: OptNum,
      margin_benefit: OptNum,
    }),
  })
  .transform(
    (b): MarginResult => ({
      totalMarginRequired: b.data.total_margin_required,
      spanMargin: b.data.span_margin,
      exposureMargin: b.data.exposure_margin,
      marginBenefit: b.data.margin_benefit,
    }),
  );

// ---------------------------------------------------------------- market data

export interface Quote {
  readonly ltp: number;
  /** 0 from OpenAlgo when the book side is empty; normalised to undefined. */
  readonly bid: number | undefined;
  readonly ask: number | undefined;
  readonly open: number | undefined;
  readonly high: number | undefined;
  readonly low: number | undefined;
  readonly prevClose: number | undefined;
  readonly volume: number | undefined;
  readonly oi: number | undefined;
}

const positiveOrUndefined = (v: number | undefined) => (v === undefined || v <= 0 ? undefined : v);

export const QuoteWire = z
  .object({
    ltp: Num,
    bid: OptNum,
    ask: OptNum,
    open: OptNum,
    high: OptNum,
    low: OptNum,
    prev_close: OptNum,
    volume: OptNum,
    oi: OptNum,
  })
  .transform(
    (q): Quote => ({
      ltp: q.ltp,
      bid: positiveOrUndefined(q.bid),
      ask: positiveOrUndefined(q.ask),
      open: q.open,
      high: q.high,
      low: q.low,
      prevClose: q.prev_close,
      volume: q.volume,
      oi: q.oi,
    }),
  );

export const QuotesResponse = z.object({ status: Success, data: QuoteWire }).transform((b) => b.data);

export interface MultiQuoteItem {
  readonly symbol: string;
  readonly exchange: string;
  readonly quote: Quote | undefined;
  readonly error: string | undefined;
}

export const MultiQuotesResponse = z
  .object({
    status: Success,
    results: z.array(
      z.object({ symbol: z.string(), exchange: z.string(), data: QuoteWire.optional(), error: OptStr }),
    ),
  })
  .transform((b): MultiQuoteItem[] =>
    b.results.map((r) => ({ symbol: r.symbol, exchange: r.exchange, quote: r.data, error: r.error })),
  );

export interface DepthLevel {
  readonly price: number;
  readonly quantity: number;
  readonly orders: number | undefined;
}

const LevelWire = z
  .object({ price: NumOr0, quantity: NumOr0, orders: OptNum })
  .transform((l): DepthLevel => ({ price: l.price, quantity: l.quantity, orders: l.orders }));

/** OpenAlgo pads depth with {price:0, quantity:0}: padding is dropped so `[0]` is a real best level. */
const Levels = z.array(LevelWire).transform((ls) => ls.filter((l) => l.price > 0));

export interface Depth {
  readonly ltp: number;
  readonly ltq: number | undefined;
  readonly open: number | undefined;
  readonly high: number | undefined;
  readonly low: number | undefined;
  readonly prevClose: number | undefined;
  readonly volume: number | undefined;
  readonly oi: number | undefined;
  readonly totalBuyQty: number | undefined;
  readonly totalSellQty: number | undefined;
  readonly bids: readonly DepthLevel[];
  readonly asks: readonly DepthLevel[];
}

export const DepthResponse = z
  .object({
    status: Success,
    data: z.object({
      ltp: Num,
      ltq: OptNum,
      open: OptNum,
      high: OptNum,
      low: OptNum,
      prev_close: OptNum,
      volume: OptNum,
      oi: OptNum,
      totalbuyqty: OptNum,
      totalsellqty: OptNum,
      bids: Levels.default([]),
      asks: Levels.default([]),
    }),
  })
  .transform(
    ({ data: d }): Depth => ({
      ltp: d.ltp,
      ltq: d.ltq,
      open: d.open,
      high: d.high,
      low: d.low,
      prevClose: d.prev_close,
      volume: d.volume,
      oi: d.oi,
      totalBuyQty: d.totalbuyqty,
      totalSellQty: d.totalsellqty,
      bids: d.bids,
      asks: d.asks,
    }),
  );

export interface Candle {
  /** Epoch milliseconds of the candle open (OpenAlgo sends epoch seconds). */
  readonly timeMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly oi: number;
}

/** Epoch seconds on the wire (adapters); ms or ISO text tolerated for SDK-shaped sources. */
export function epochToMs(v: number | string): number | undefined {
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v;
  if (NUMERIC.test(v)) return epochToMs(Number(v));
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

const CandleWire = z
  .object({
    timestamp: z.union([z.number(), z.string()]),
    open: Num,
    high: Num,
    low: Num,
    close: Num,
    volume: NumOr0,
    oi: NumOr0,
  })
  .transform((c, ctx): Candle => {
    const timeMs = epochToMs(c.timestamp);
    if (timeMs === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'unreadable timestamp' });
      return z.NEVER;
    }
    return { timeMs, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, oi: c.oi };
  });

export const HistoryResponse = z
  .object({ status: Success, data: z.array(CandleWire).nullish() })
  .transform((b) => b.data ?? []);

// ---------------------------------------------------------------- symbols and options

export const ExpiryResponse = z
  .object({ status: Success, data: z.array(z.string()).nullish() })
  .transform((b) => b.data ?? []);

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** `25-AUG-26` (master contract) or `25-Aug-2026` (optiongreeks) → `25AUG26` (option inputs). */
export function toExpiryInput(expiry: string): string | undefined {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{2}|\d{4})$/.exec(expiry.trim());
  if (!m) return /^\d{2}[A-Z]{3}\d{2}$/.test(expiry.trim()) ? expiry.trim() : undefined;
  const mon = m[2]!.toUpperCase();
  if (!MONTHS.includes(mon)) return undefined;
  return `${m[1]!.padStart(2, '0')}${mon}${m[3]!.slice(-2)}`;
}

export interface SymbolInfo {
  readonly symbol: string;
  readonly brsymbol: string | undefined;
  readonly name: string | undefined;
  readonly exchange: string;
  readonly instrumentType: string | undefined;
  readonly expiry: string | undefined;
  readonly strike: number | undefined;
  readonly lotSize: number;
  readonly tickSize: number | undefined;
  readonly freezeQty: number | undefined;
  readonly token: string | undefined;
}

export const SymbolResponse = z
  .object({
    status: Success,
    data: z.object({
      symbol: z.string(),
      brsymbol: OptStr,
      name: OptStr,
      exchange: z.string(),
      instrumenttype: OptStr,
      expiry: OptStr,
      strike: OptNum,
      lotsize: Num,
      tick_size: OptNum,
      freeze_qty: OptNum,
      token: OptStr,
    }),
  })
  .transform(
    ({ data: s }): SymbolInfo => ({
      symbol: s.symbol,
      brsymbol: s.brsymbol,
      name: s.name,
      exchange: s.exchange,
      instrumentType: s.instrumenttype,
      expiry: s.expiry,
      strike: s.strike,
      lotSize: s.lotsize,
      tickSize: s.tick_size,
      freezeQty: s.freeze_qty,
      token: s.token,
    }),
  );

export interface OptionLeg {
  readonly symbol: string;
  readonly label: string | undefined;
  readonly ltp: number | undefined;
  readonly bid: number | undefined;
  readonly ask: number | undefined;
  readonly bidQty: number | undefined;
  readonly askQty: number | undefined;
  readonly volume: number | undefined;
  readonly oi: number | undefined;
  readonly lotSize: number | undefined;
  readonly tickSize: number | undefined;
  /** Percent, when requested `with_greeks`. */
  readonly impliedVolatility: number | undefined;
  readonly delta: number | undefined;
  readonly gamma: number | undefined;
  readonly theta: number | undefined;
  readonly vega: number | undefined;
}

const OptionLegWire = z
  .object({
    symbol: z.string(),
    label: OptStr,
    ltp: OptNum,
    bid: OptNum,
    ask: OptNum,
    bid_qty: OptNum,
    ask_qty: OptNum,
    volume: OptNum,
    oi: OptNum,
    lotsize: OptNum,
    tick_size: OptNum,
    implied_volatility: OptNum,
    delta: OptNum,
    gamma: OptNum,
    theta: OptNum,
    vega: OptNum,
  })
  .transform(
    (l): OptionLeg => ({
      symbol: l.symbol,
      label: l.label,
      ltp: l.ltp,
      bid: l.bid,
      ask: l.ask,
      bidQty: l.bid_qty,
      askQty: l.ask_qty,
      volume: l.volume,
      oi: l.oi,
      lotSize: l.lotsize,
      tickSize: l.tick_size,
      impliedVolatility: l.implied_volatility,
      delta: l.delta,
      gamma: l.gamma,
      theta: l.theta,
      vega: l.vega,
    }),
  );

export interface OptionChain {
  readonly underlying: string;
  readonly underlyingLtp: number | undefined;
  readonly expiryDate: string | undefined;
  /** optionchain sends epoch seconds; converted. */
  readonly expiryMs: number | undefined;
  readonly serverMs: number | undefined;
  readonly atmStrike: number | undefined;
  readonly chain: readonly { strike: number; ce: OptionLeg | undefined; pe: OptionLeg | undefined }[];
}

export const OptionChainResponse = z
  .object({
    status: Success,
    underlying: z.string(),
    underlying_ltp: OptNum,
    expiry_date: OptStr,
    expiry_ts: OptNum,
    server_ts: OptNum,
    atm_strike: OptNum,
    chain: z.array(z.object({ strike: Num, ce: OptionLegWire.nullish(), pe: OptionLegWire.nullish() })),
  })
  .transform(
    (b): OptionChain => ({
      underlying: b.underlying,
      underlyingLtp: b.underlying_ltp,
      expiryDate: b.expiry_date,
      expiryMs: b.expiry_ts === undefined ? undefined : b.expiry_ts * 1000,
      serverMs: b.server_ts === undefined ? undefined : b.server_ts * 1000,
      atmStrike: b.atm_strike,
      chain: b.chain.map((r) => ({ strike: r.strike, ce: r.ce ?? undefined, pe: r.pe ?? undefined })),
    }),
  );

export interface OptionGreeks {
  readonly symbol: string;
  readonly exchange: string;
  readonly underlying: string | undefined;
  readonly strike: number | undefined;
  readonly optionType: string | undefined;
  /** `25-Aug-2026` as OpenAlgo writes it here. */
  readonly expiryDate: string | undefined;
  readonly daysToExpiry: number | undefined;
  readonly spotPrice: number | undefined;
  readonly optionPrice: number | undefined;
  /** Percent. */
  readonly impliedVolatility: number;
  readonly delta: number;
  readonly gamma: number;
  readonly theta: number;
  readonly vega: number;
  readonly rho: number | undefined;
}

export const OptionGreeksResponse = z
  .object({
    status: Success,
    symbol: z.string(),
    exchange: z.string(),
    underlying: OptStr,
    strike: OptNum,
    option_type: OptStr,
    expiry_date: OptStr,
    days_to_expiry: OptNum,
    spot_price: OptNum,
    option_price: OptNum,
    implied_volatility: Num,
    greeks: z.object({ delta: Num, gamma: Num, theta: Num, vega: Num, rho: OptNum }),
  })
  .transform(
    (g): OptionGreeks => ({
      symbol: g.symbol,
      exchange: g.exchange,
      underlying: g.underlying,
      strike: g.strike,
      optionType: g.option_type,
      expiryDate: g.expiry_date,
      daysToExpiry: g.days_to_expiry,
      spotPrice: g.spot_price,
      optionPrice: g.option_price,
      impliedVolatility: g.implied_volatility,
      delta: g.greeks.delta,
      gamma: g.greeks.gamma,
      theta: g.greeks.theta,
      vega: g.greeks.vega,
      rho: g.greeks.rho,
    }),
  );

// ---------------------------------------------------------------- utility

export const PingResponse = z
  .object({ status: Success, data: z.object({ message: z.string(), broker: OptStr }) })
  .transform((b) => ({ message: b.data.message, broker: b.data.broker }));

export interface AnalyzerStatus {
  readonly analyzeMode: boolean;
  readonly mode: string;
  readonly totalLogs: number | undefined;
}

export const AnalyzerResponse = z
  .object({
    status: Success,
    data: z.object({ analyze_mode: z.boolean(), mode: z.string().optional(), total_logs: OptNum }),
  })
  .transform(
    (b): AnalyzerStatus => ({
      analyzeMode: b.data.analyze_mode,
      mode: b.data.mode ?? (b.data.analyze_mode ? 'analyze' : 'live'),
      totalLogs: b.data.total_logs,
    }),
  );
