import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Clock } from '../clock/index.js';
import type { Account, OrderRequest, Product } from './account.js';
import { type FaultState, faultErrors } from './faults.js';
import { historyCandles, isSupportedInterval, SUPPORTED_INTERVALS } from './history.js';
import { type Instrument, type InstrumentRegistry, UNDERLYINGS } from './instruments.js';
import { masterExpiry } from './ist.js';
import type { MarketEngine } from './market.js';
import type { PriceType, Side } from './microstructure.js';
import { optionChainBody, optionGreeksBody, resolveOptionSymbol } from './options-api.js';
import { DEPTH_LEVELS } from './pricing.js';
import type { Limit, MovingWindowLimiter } from './rate-limit.js';
import type { MarketSource } from './sources.js';
import type { Faults } from './types.js';
import {
  fundsData,
  orderRow,
  orderStatistics,
  orderStatusRow,
  positionRow,
  r2,
  tradeRow,
  type WireMode,
} from './wire/format.js';
import { type ErrorTree, type Loaded, load, pyRepr, type Schema } from './wire/marshmallow.js';
import * as S from './wire/schemas.js';

/**
 * OpenAlgo's REST API v1 as the simulator serves it (REST.md): POST JSON bodies on /api/v1/*, the API
 * key in the body, marshmallow validation with the endpoint's error shape, per-route per-IP moving
 * window rate limits answered with flask-restx's un-enveloped 429, `"mode":"analyze"` on sandboxed
 * answers, plus the fault-injection hooks.
 */
export interface RestContext {
  clock: Clock;
  apiKey: string;
  broker: string;
  account: Account;
  market: MarketEngine;
  registry: InstrumentRegistry;
  source: MarketSource;
  faults: FaultState;
  limiter: MovingWindowLimiter;
  /** undefined: rate limiting off (benchmark). */
  limits: { order: Limit; smart: Limit; api: Limit; greeks: Limit } | undefined;
  basketSupported: boolean;
  state: { analyze: boolean; logs: number };
  signal: AbortSignal;
  /** Sockets held open by `timeoutAfterAcceptNext`, destroyed on stop. */
  held: Set<{ destroy(): void }>;
}

type Shape = 'A' | 'B' | 'C' | 'CG';
type LimitKind = 'order' | 'smart' | 'api' | 'greeks';
interface Reply {
  status: number;
  body: unknown;
  /** Accept but never answer (timeoutAfterAcceptNext). */
  hold?: boolean;
}
interface RouteSpec {
  path: string;
  schema: Schema;
  shape: Shape;
  limit: LimitKind;
  /** Served by the sandbox in analyzer mode: `"mode":"analyze"` and the sandbox's 403 text. */
  sandboxed: boolean;
  /** Skips the API-key check (history with source=db). */
  skipAuth?: (v: Loaded) => boolean;
  handle: (v: Loaded, ctx: RestContext) => Reply;
}

const UNEXPECTED = { status: 'error', message: 'An unexpected error occurred' };
const METHOD_NOT_ALLOWED = { message: 'The method is not allowed for the requested URL.' };

function ok(body: Record<string, unknown>): Reply {
  return { status: 200, body: { status: 'success', ...body } };
}

function fail(status: number, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { status: 'error', message, ...extra } };
}

function shapeError(shape: Shape, errors: ErrorTree): Reply {
  switch (shape) {
    case 'A':
      return fail(400, pyRepr(errors));
    case 'B':
      return { status: 400, body: { status: 'error', message: errors } };
    case 'C':
      return { status: 400, body: { status: 'error', message: 'Validation error', errors } };
    case 'CG':
      return { status: 400, body: { status: 'error', message: 'Validation failed', errors } };
  }
}

function wireMode(ctx: RestContext): WireMode {
  return ctx.state.analyze ? 'analyze' : 'live';
}

/** Adds `"mode":"analyze"` to sandboxed answers (success and service-level errors). */
function sandboxed(ctx: RestContext, r: Reply): Reply {
  if (!ctx.state.analyze || r.hold) return r;
  return { ...r, body: { ...(r.body as Record<string, unknown>), mode: 'analyze' } };
}

/** `quantity` must be whole outside CRYPTO (`schemas.py::_coerce_quantity_to_int`). */
function fractional(q: number, exchange: string): string | undefined {
  if (exchange === 'CRYPTO' || Number.isInteger(q)) return undefined;
  return `Fractional quantity (${q}) is not allowed for non-crypto exchanges.`;
}

function orderRequest(v: Loaded, strategy: string): OrderRequest {
  return {
    strategy,
    symbol: v.symbol as string,
    exchange: v.exchange as string,
    action: v.action as Side,
    quantity: v.quantity as number,
    pricetype: v.pricetype as PriceType,
    product: v.product as Product,
    price: v.price as number,
    trigger_price: v.trigger_price as number,
    disclosed_quantity: v.disclosed_quantity as number,
  };
}

const BROKER_REJECT = 'Order rejected by broker: RMS rule violation (simulated fault)';

function lookup(ctx: RestContext, symbol: string, exchange: string): Instrument | undefined {
  return ctx.registry.get(symbol, exchange);
}

function symbolNotFound(symbol: string, exchange: string): Reply {
  return fail(
    400,
    `Symbol '${symbol}' not found for exchange '${exchange}'. Please verify the symbol name and ensure master contracts are downloaded.`,
  );
}

function instrumentType(i: Instrument): string {
  if (i.kind === 'option') return i.optionType!;
  if (i.kind === 'future') return 'FUT';
  return i.kind === 'index' ? 'INDEX' : 'EQ';
}

function symbolData(i: Instrument): Record<string, unknown> {
  return {
    id: i.id,
    name: i.name,
    symbol: i.symbol,
    brsymbol: i.symbol,
    exchange: i.exchange,
    brexchange: i.exchange === 'NSE_INDEX' ? 'NSE' : i.exchange,
    instrumenttype: instrumentType(i),
    expiry: i.expiry ? masterExpiry(Date.parse(`${i.expiry}T00:00:00+05:30`)) : '',
    strike: i.strike ?? 0,
    lotsize: i.lotSize,
    tick_size: i.tickSize,
    freeze_qty: i.freezeQty,
    token: i.token,
  };
}

// ------------------------------------------------------------------ order handlers

function placeOrder(v: Loaded, ctx: RestContext): Reply {
  const frac = fractional(v.quantity as number, v.exchange as string);
  if (frac) return shapeError('A', { quantity: [frac] });
  ctx.state.logs++;
  if (ctx.faults.take('rejectNext')) return sandboxed(ctx, fail(400, BROKER_REJECT));
  const r = ctx.account.place(orderRequest(v, v.strategy as string));
  if (!r.ok) return sandboxed(ctx, fail(r.status, r.message, r.orderid ? { orderid: r.orderid } : {}));
  const reply = sandboxed(ctx, ok({ orderid: r.value.orderid }));
  return ctx.faults.take('timeoutAfterAcceptNext') ? { ...reply, hold: true } : reply;
}

function placeSmartOrder(v: Loaded, ctx: RestContext): Reply {
  const frac = fractional(v.quantity as number, v.exchange as string);
  if (frac) return shapeError('A', { quantity: [frac] });
  ctx.state.logs++;
  const target = v.position_size as number;
  const qty = v.quantity as number;
  const current = ctx.account.positionQty(v.symbol as string, v.exchange as string, v.product as string);
  let action: Side;
  let quantity: number;
  if (target === 0 && current === 0) {
    if (qty === 0) return sandboxed(ctx, ok({ message: 'No OpenPosition Found. Not placing Exit order.' }));
    action = v.action as Side;
    quantity = qty;
  } else if (target === current) {
    return sandboxed(ctx, ok({ message: 'Positions Already Matched. No Action needed.' }));
  } else {
    action = target > current ? 'BUY' : 'SELL';
    quantity = Math.abs(target - current);
  }
  if (ctx.faults.take('rejectNext')) return sandboxed(ctx, fail(400, BROKER_REJECT));
  // Sandbox quirk (SANDBOX.md A.10): it reads `price_type`, so smart orders are always MARKET there.
  const pricetype = ctx.state.analyze ? 'MARKET' : (v.pricetype as PriceType);
  const r = ctx.account.place({ ...orderRequest(v, v.strategy as string), action, quantity, pricetype });
  if (!r.ok) return sandboxed(ctx, fail(r.status, r.message, r.orderid ? { orderid: r.orderid } : {}));
  const reply = sandboxed(ctx, ok({ orderid: r.value.orderid }));
  return ctx.faults.take('timeoutAfterAcceptNext') ? { ...reply, hold: true } : reply;
}

const BASKET_BATCH = 10;

function basketOrder(v: Loaded, ctx: RestContext): Reply {
  // A broker module without basket support (the legging fallback path of the plan's matrix).
  if (!ctx.basketSupported) return fail(404, 'Broker-specific module not found');
  const items = v.orders as Loaded[];
  const fracErrors: ErrorTree = {};
  items.forEach((it, i) => {
    const f = fractional(it.quantity as number, it.exchange as string);
    if (f) fracErrors[String(i)] = { quantity: [f] };
  });
  if (Object.keys(fracErrors).length) return shapeError('A', { orders: fracErrors });
  ctx.state.logs++;
  // BUY legs go first, then SELL legs (REST.md §5.3), each group in request order.
  const ordered = [...items.filter((o) => o.action === 'BUY'), ...items.filter((o) => o.action === 'SELL')];
  let accepted = 0;
  const results = ordered.map((it, i) => {
    const meta = { batch_order: Math.floor(i / BASKET_BATCH) + 1, is_last_order: i === ordered.length - 1 };
    if (ctx.faults.take('rejectNext'))
      return { symbol: it.symbol, exchange: it.exchange, status: 'error', message: BROKER_REJECT, ...meta };
    const r = ctx.account.place(orderRequest(it, v.strategy as string));
    if (!r.ok)
      return { symbol: it.symbol, exchange: it.exchange, status: 'error', message: r.message, ...meta };
    accepted++;
    return {
      symbol: it.symbol,
      exchange: it.exchange,
      product: it.product,
      status: 'success',
      orderid: r.value.orderid,
      ...meta,
    };
  });
  const reply = sandboxed(ctx, ok({ results }));
  return accepted > 0 && ctx.faults.take('timeoutAfterAcceptNext') ? { ...reply, hold: true } : reply;
}

function modifyOrder(v: Loaded, ctx: RestContext): Reply {
  ctx.state.logs++;
  const r = ctx.account.modify(v.orderid as string, {
    quantity: v.quantity as number,
    price: v.price as number,
    trigger_price: v.trigger_price as number,
  });
  if (!r.ok) return sandboxed(ctx, fail(r.status, r.message));
  return sandboxed(ctx, ok({ orderid: r.value.orderid, message: 'Order modified successfully' }));
}

function cancelOrder(v: Loaded, ctx: RestContext): Reply {
  ctx.state.logs++;
  const r = ctx.account.cancel(v.orderid as string);
  if (!r.ok) return sandboxed(ctx, fail(r.status, r.message));
  return sandboxed(ctx, ok({ orderid: r.value.orderid, message: 'Order cancelled successfully' }));
}

function cancelAllOrders(_v: Loaded, ctx: RestContext): Reply {
  ctx.state.logs++;
  const r = ctx.account.cancelAll();
  const message =
    r.canceled.length === 0 && r.failed.length === 0
      ? 'No open orders to cancel'
      : `Canceled ${r.canceled.length} orders. Failed to cancel ${r.failed.length} orders.`;
  return sandboxed(ctx, ok({ message, canceled_orders: r.canceled, failed_cancellations: r.failed }));
}

function closePosition(_v: Loaded, ctx: RestContext): Reply {
  ctx.state.logs++;
  const r = ctx.account.closeAll();
  if (r.closed === 0 && r.failed === 0) return sandboxed(ctx, ok({ message: 'No open positions to close' }));
  if (!ctx.state.analyze) return ok({ message: 'All Open Positions Squared Off' });
  return sandboxed(
    ctx,
    ok({ message: `Closed ${r.closed} positions`, closed_positions: r.closed, failed_closures: r.failed }),
  );
}

function orderStatus(v: Loaded, ctx: RestContext): Reply {
  const o = ctx.account.get(v.orderid as string);
  if (!o) return sandboxed(ctx, fail(404, `Order ${v.orderid as string} not found`));
  return sandboxed(ctx, ok({ data: orderStatusRow(o, wireMode(ctx)) }));
}

function openPosition(v: Loaded, ctx: RestContext): Reply {
  const q = ctx.account.positionQty(v.symbol as string, v.exchange as string, v.product as string);
  return sandboxed(ctx, ok({ quantity: ctx.state.analyze ? q : String(q) }));
}

function orderBook(_v: Loaded, ctx: RestContext): Reply {
  const orders = ctx.account.sessionOrders();
  const mode = wireMode(ctx);
  return sandboxed(
    ctx,
    ok({ data: { orders: orders.map((o) => orderRow(o, mode)), statistics: orderStatistics(orders, mode) } }),
  );
}

function tradeBook(_v: Loaded, ctx: RestContext): Reply {
  const mode = wireMode(ctx);
  return sandboxed(ctx, ok({ data: ctx.account.sessionTrades().map((t) => tradeRow(t, mode)) }));
}

function positionBook(_v: Loaded, ctx: RestContext): Reply {
  const mode = wireMode(ctx);
  const rows = ctx.account.positions().map((p) => positionRow(p, ctx.market.quote(p.instrument).ltp, mode));
  if (mode === 'live') return ok({ data: rows });
  const sum = (k: string) => r2(rows.reduce((a, r) => a + (r[k] as number), 0));
  return sandboxed(
    ctx,
    ok({
      data: rows,
      total_pnl: sum('pnl'),
      total_unrealized_pnl: sum('unrealized_pnl'),
      total_today_realized_pnl: sum('today_realized_pnl'),
      total_pnl_today: sum('total_pnl_today'),
    }),
  );
}

function holdings(_v: Loaded, ctx: RestContext): Reply {
  return sandboxed(
    ctx,
    ok({
      data: {
        holdings: [],
        statistics: { totalholdingvalue: 0, totalinvvalue: 0, totalprofitandloss: 0, totalpnlpercentage: 0 },
      },
    }),
  );
}

function funds(_v: Loaded, ctx: RestContext): Reply {
  return sandboxed(ctx, ok({ data: fundsData(ctx.account.funds(), wireMode(ctx)) }));
}

function margin(v: Loaded, ctx: RestContext): Reply {
  const items: Parameters<Account['basketMargin']>[0][number][] = [];
  const positions = v.positions as Loaded[];
  const errs: ErrorTree = {};
  positions.forEach((p, i) => {
    const bad: ErrorTree = {};
    const qty = Number(p.quantity);
    if (!/^\s*\d+\s*$/.test(p.quantity as string) || !(qty > 0))
      bad.quantity = ['Quantity must be a positive integer'];
    for (const k of ['price', 'trigger_price'])
      if (!/^\s*\d+(\.\d+)?\s*$/.test(p[k] as string))
        bad[k] = [`${k === 'price' ? 'Price' : 'Trigger price'} must be a valid non-negative number`];
    if (Object.keys(bad).length) errs[String(i)] = bad;
  });
  if (Object.keys(errs).length) return shapeError('A', { positions: errs });
  for (const p of positions) {
    const inst = lookup(ctx, p.symbol as string, p.exchange as string);
    if (!inst || inst.kind === 'index') return symbolNotFound(p.symbol as string, p.exchange as string);
    items.push({
      inst,
      action: p.action as Side,
      quantity: Number(p.quantity),
      product: p.product as string,
      pricetype: p.pricetype as PriceType,
      price: Number(p.price),
      trigger_price: Number(p.trigger_price),
    });
  }
  const m = ctx.account.basketMargin(items);
  const data: Record<string, unknown> = {
    total_margin_required: r2(m.total),
    span_margin: r2(m.span),
    exposure_margin: r2(m.exposure),
  };
  if (m.benefit > 0.005) data.margin_benefit = r2(m.benefit);
  return ok({ data });
}

// ------------------------------------------------------------------ market data handlers

function quoteData(ctx: RestContext, inst: Instrument): Record<string, unknown> {
  const q = ctx.market.quote(inst);
  return {
    open: q.open,
    high: q.high,
    low: q.low,
    ltp: q.ltp,
    ask: q.ask,
    bid: q.bid,
    prev_close: q.prevClose,
    volume: q.volume,
    oi: q.oi,
  };
}

function quotes(v: Loaded, ctx: RestContext): Reply {
  const inst = lookup(ctx, v.symbol as string, v.exchange as string);
  if (!inst) return symbolNotFound(v.symbol as string, v.exchange as string);
  return ok({ data: quoteData(ctx, inst) });
}

function multiQuotes(v: Loaded, ctx: RestContext): Reply {
  const items = v.symbols as Loaded[];
  const invalid: { symbol: string; exchange: string }[] = [];
  const results = items.map((it) => {
    const symbol = it.symbol as string;
    const exchange = it.exchange as string;
    const inst = lookup(ctx, symbol, exchange);
    if (!inst) {
      invalid.push({ symbol, exchange });
      return {
        symbol,
        exchange,
        error: (symbolNotFound(symbol, exchange).body as { message: string }).message,
      };
    }
    return { symbol, exchange, data: quoteData(ctx, inst) };
  });
  if (invalid.length === items.length)
    return fail(400, 'All symbols are invalid', { invalid_symbols: invalid });
  return ok({ results });
}

function depth(v: Loaded, ctx: RestContext): Reply {
  const inst = lookup(ctx, v.symbol as string, v.exchange as string);
  if (!inst) return symbolNotFound(v.symbol as string, v.exchange as string);
  const q = ctx.market.quote(inst);
  const side = (ls: typeof q.bids) =>
    Array.from({ length: DEPTH_LEVELS }, (_, i) => {
      const l = ls[i];
      return l && l.price > 0 ? { price: l.price, quantity: l.quantity } : { price: 0, quantity: 0 };
    });
  return ok({
    data: {
      open: q.open,
      high: q.high,
      low: q.low,
      ltp: q.ltp,
      ltq: q.lastQty,
      prev_close: q.prevClose,
      volume: q.volume,
      oi: q.oi,
      totalbuyqty: q.totalBuyQty,
      totalsellqty: q.totalSellQty,
      asks: side(q.asks),
      bids: side(q.bids),
    },
  });
}

function history(v: Loaded, ctx: RestContext): Reply {
  const symbol = v.symbol as string;
  const exchange = v.exchange as string;
  const interval = v.interval as string;
  const inst = lookup(ctx, symbol, exchange);
  if (!inst) return symbolNotFound(symbol, exchange);
  if (!isSupportedInterval(interval))
    return fail(
      400,
      `Unsupported interval '${interval}'. Supported intervals: ${[...SUPPORTED_INTERVALS.minutes, ...SUPPORTED_INTERVALS.hours, ...SUPPORTED_INTERVALS.days].join(', ')}`,
    );
  const data = historyCandles(
    ctx.market,
    ctx.source,
    inst,
    interval,
    v.start_date as string,
    v.end_date as string,
  );
  if (v.source === 'db' && data.length === 0)
    return fail(
      404,
      `No data found for ${symbol}:${exchange} interval ${interval} in local database. Download data first using Historify.`,
    );
  return ok({ data });
}

function intervals(_v: Loaded, _ctx: RestContext): Reply {
  return ok({ data: SUPPORTED_INTERVALS });
}

function symbol(v: Loaded, ctx: RestContext): Reply {
  const inst = lookup(ctx, v.symbol as string, v.exchange as string);
  if (!inst) return fail(404, `Symbol ${v.symbol as string} not found in exchange ${v.exchange as string}`);
  return ok({ data: symbolData(inst) });
}

function search(v: Loaded, ctx: RestContext): Reply {
  const found = ctx.registry.search(v.query as string, v.exchange as string | undefined);
  if (found.length === 0) return ok({ message: 'No matching symbols found', data: [] });
  const data = found.map((i) => {
    const { id: _id, ...rest } = symbolData(i);
    return rest;
  });
  return ok({ message: `Found ${data.length} matching symbols`, data });
}

function expiry(v: Loaded, ctx: RestContext): Reply {
  const sym = (v.symbol as string).toUpperCase();
  const kind = v.instrumenttype as 'futures' | 'options';
  const exch = v.exchange as string;
  const dates = exch === 'NFO' && UNDERLYINGS[sym] ? ctx.registry.listedExpiries(sym, kind) : [];
  const data = dates.map((d) => masterExpiry(Date.parse(`${d}T00:00:00+05:30`)));
  if (data.length === 0)
    return ok({ message: `No expiry dates found for ${sym} ${kind} in ${exch}`, data: [] });
  return ok({ message: `Found ${data.length} expiry dates for ${sym} ${kind} in ${exch}`, data });
}

function optionSymbol(v: Loaded, ctx: RestContext): Reply {
  const r = resolveOptionSymbol(ctx.market, ctx.registry, v);
  if (!r.ok) return fail(r.status, r.message);
  const i = r.inst;
  return ok({
    symbol: i.symbol,
    exchange: i.exchange,
    lotsize: i.lotSize,
    tick_size: i.tickSize,
    freeze_qty: i.freezeQty,
    underlying_ltp: r.underlyingLtp,
  });
}

function optionChain(v: Loaded, ctx: RestContext): Reply {
  const r = optionChainBody(ctx.market, ctx.registry, ctx.clock, v);
  return r.ok ? ok(r.body) : fail(r.status, r.message);
}

function optionGreeks(v: Loaded, ctx: RestContext): Reply {
  const r = optionGreeksBody(ctx.market, ctx.registry, v);
  return r.ok ? ok(r.body) : fail(r.status, r.message);
}

function ping(_v: Loaded, ctx: RestContext): Reply {
  return ok({ data: { message: 'pong', broker: ctx.broker } });
}

function analyzerStatus(_v: Loaded, ctx: RestContext): Reply {
  const a = ctx.state.analyze;
  return ok({ data: { analyze_mode: a, mode: a ? 'analyze' : 'live', total_logs: ctx.state.logs } });
}

function analyzerToggle(v: Loaded, ctx: RestContext): Reply {
  ctx.state.analyze = v.mode as boolean;
  const a = ctx.state.analyze;
  return ok({
    data: {
      analyze_mode: a,
      message: `Analyzer mode switched to ${a ? 'analyze' : 'live'}`,
      mode: a ? 'analyze' : 'live',
      total_logs: ctx.state.logs,
    },
  });
}

const ROUTES: readonly RouteSpec[] = [
  {
    path: 'placeorder',
    schema: S.OrderSchema,
    shape: 'A',
    limit: 'order',
    sandboxed: true,
    handle: placeOrder,
  },
  {
    path: 'placesmartorder',
    schema: S.SmartOrderSchema,
    shape: 'A',
    limit: 'smart',
    sandboxed: true,
    handle: placeSmartOrder,
  },
  {
    path: 'basketorder',
    schema: S.BasketOrderSchema,
    shape: 'A',
    limit: 'api',
    sandboxed: true,
    handle: basketOrder,
  },
  {
    path: 'modifyorder',
    schema: S.ModifyOrderSchema,
    shape: 'A',
    limit: 'order',
    sandboxed: true,
    handle: modifyOrder,
  },
  {
    path: 'cancelorder',
    schema: S.OrderIdSchema,
    shape: 'A',
    limit: 'order',
    sandboxed: true,
    handle: cancelOrder,
  },
  {
    path: 'cancelallorder',
    schema: S.StrategyOnlySchema,
    shape: 'A',
    limit: 'api',
    sandboxed: true,
    handle: cancelAllOrders,
  },
  {
    path: 'closeposition',
    schema: S.StrategyOnlySchema,
    shape: 'A',
    limit: 'api',
    sandboxed: true,
    handle: closePosition,
  },
  {
    path: 'orderstatus',
    schema: S.OrderIdSchema,
    shape: 'A',
    limit: 'api',
    sandboxed: true,
    handle: orderStatus,
  },
  {
    path: 'openposition',
    schema: S.OpenPositionSchema,
    shape: 'A',
    limit: 'api',
    sandboxed: true,
    handle: openPosition,
  },
  { path: 'orderbook', schema: S.ApiKeySchema, shape: 'B', limit: 'api', sandboxed: true, handle: orderBook },
  { path: 'tradebook', schema: S.ApiKeySchema, shape: 'B', limit: 'api', sandboxed: true, handle: tradeBook },
  {
    path: 'positionbook',
    schema: S.ApiKeySchema,
    shape: 'B',
    limit: 'api',
    sandboxed: true,
    handle: positionBook,
  },
  { path: 'holdings', schema: S.ApiKeySchema, shape: 'B', limit: 'api', sandboxed: true, handle: holdings },
  { path: 'funds', schema: S.ApiKeySchema, shape: 'B', limit: 'api', sandboxed: true, handle: funds },
  { path: 'margin', schema: S.MarginSchema, shape: 'A', limit: 'api', sandboxed: false, handle: margin },
  {
    path: 'quotes',
    schema: S.SymbolExchangeSchema,
    shape: 'B',
    limit: 'api',
    sandboxed: false,
    handle: quotes,
  },
  {
    path: 'multiquotes',
    schema: S.MultiQuotesSchema,
    shape: 'B',
    limit: 'api',
    sandboxed: false,
    handle: multiQuotes,
  },
  {
    path: 'depth',
    schema: S.SymbolExchangeSchema,
    shape: 'B',
    limit: 'api',
    sandboxed: false,
    handle: depth,
  },
  {
    path: 'history',
    schema: S.HistorySchema,
    shape: 'B',
    limit: 'api',
    sandboxed: false,
    // Quirk: the Historify path never checks the key (REST.md §1.1).
    skipAuth: (v) => v.source === 'db',
    handle: history,
  },
  {
    path: 'intervals',
    schema: S.ApiKeySchema,
    shape: 'B',
    limit: 'api',
    sandboxed: false,
    handle: intervals,
  },
  {
    path: 'symbol',
    schema: S.SymbolExchangeSchema,
    shape: 'B',
    limit: 'api',
    sandboxed: false,
    handle: symbol,
  },
  { path: 'search', schema: S.SearchSchema, shape: 'B', limit: 'api', sandboxed: false, handle: search },
  { path: 'expiry', schema: S.ExpirySchema, shape: 'B', limit: 'api', sandboxed: false, handle: expiry },
  {
    path: 'optionsymbol',
    schema: S.OptionSymbolSchema,
    shape: 'C',
    limit: 'api',
    sandboxed: false,
    handle: optionSymbol,
  },
  {
    path: 'optionchain',
    schema: S.OptionChainSchema,
    shape: 'C',
    limit: 'api',
    sandboxed: false,
    handle: optionChain,
  },
  {
    path: 'optiongreeks',
    schema: S.OptionGreeksSchema,
    shape: 'CG',
    limit: 'greeks',
    sandboxed: false,
    handle: optionGreeks,
  },
  { path: 'ping', schema: S.ApiKeySchema, shape: 'B', limit: 'api', sandboxed: false, handle: ping },
  {
    path: 'analyzer',
    schema: S.ApiKeySchema,
    shape: 'A',
    limit: 'api',
    sandboxed: false,
    handle: analyzerStatus,
  },
  {
    path: 'analyzer/toggle',
    schema: S.AnalyzerToggleSchema,
    shape: 'A',
    limit: 'api',
    sandboxed: false,
    handle: analyzerToggle,
  },
];

function isJsonType(ct: string | undefined): boolean {
  const base = (ct ?? '').split(';')[0]!.trim().toLowerCase();
  return base === 'application/json' || (base.startsWith('application/') && base.endsWith('+json'));
}

function parseJsonBody(req: FastifyRequest): { ok: true; value: unknown } | { ok: false } {
  if (!isJsonType(req.headers['content-type'])) return { ok: false };
  const raw = req.body;
  if (typeof raw !== 'string' || raw.trim() === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

async function holdUntilClosed(req: FastifyRequest, reply: FastifyReply, ctx: RestContext): Promise<void> {
  reply.hijack();
  const socket = req.raw.socket;
  await new Promise<void>((resolve) => {
    if (socket.destroyed) return resolve();
    const entry = { destroy: () => socket.destroy() };
    ctx.held.add(entry);
    socket.once('close', () => {
      ctx.held.delete(entry);
      resolve();
    });
  });
}

function send(reply: FastifyReply, r: Reply): FastifyReply {
  return reply.code(r.status).header('content-type', 'application/json').send(JSON.stringify(r.body));
}

async function delay(ctx: RestContext): Promise<boolean> {
  const ms = ctx.faults.current.restDelayMs;
  if (ms <= 0) return true;
  try {
    await ctx.clock.sleep(ms, ctx.signal);
    return true;
  } catch {
    return false;
  }
}

/** Builds the Fastify app (not listening). */
export function buildRestServer(ctx: RestContext): FastifyInstance {
  const app = Fastify({
    logger: false,
    routerOptions: { ignoreTrailingSlash: true },
    forceCloseConnections: true,
    bodyLimit: 1_048_576,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req) => {
    if (ctx.faults.current.restDown) req.raw.socket.destroy();
  });

  for (const spec of ROUTES) {
    app.route({
      method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
      url: `/api/v1/${spec.path}`,
      handler: async (req, reply) => {
        if (req.method !== 'POST') return send(reply, { status: 405, body: METHOD_NOT_ALLOWED });
        const limit = ctx.limits?.[spec.limit];
        if (ctx.faults.take('rateLimitNext'))
          return send(reply, {
            status: 429,
            body: { message: (limit ?? ctx.limits?.api)?.text ?? '10 per 1 second' },
          });
        if (limit && !ctx.limiter.hit(`${spec.path}|${req.ip}`, limit, ctx.clock.monotonicMs()))
          return send(reply, { status: 429, body: { message: limit.text } });
        if (!(await delay(ctx))) {
          req.raw.socket.destroy();
          return reply;
        }
        const parsed = parseJsonBody(req);
        if (!parsed.ok) return send(reply, { status: 500, body: UNEXPECTED });
        const loaded = load(spec.schema, parsed.value);
        if (!loaded.ok) return send(reply, shapeError(spec.shape, loaded.errors));
        const v = loaded.value;
        if (!spec.skipAuth?.(v) && v.apikey !== ctx.apiKey) {
          const analyzeSandbox = spec.sandboxed && ctx.state.analyze;
          return send(
            reply,
            analyzeSandbox
              ? fail(403, 'Invalid API key', { mode: 'analyze' })
              : fail(403, 'Invalid openalgo apikey'),
          );
        }
        let r: Reply;
        try {
          r = spec.handle(v, ctx);
        } catch {
          r = {
            status: 500,
            body: { status: 'error', message: 'An unexpected error occurred in the API endpoint' },
          };
        }
        if (r.hold) {
          await holdUntilClosed(req, reply, ctx);
          return reply;
        }
        return send(reply, r);
      },
    });
  }

  app.route({
    method: ['GET', 'POST'],
    url: '/sim/admin/faults',
    handler: async (req, reply) =>
      req.method === 'POST'
        ? send(reply, adminFaults(ctx, parseJsonBody(req)))
        : send(reply, { status: 405, body: METHOD_NOT_ALLOWED }),
  });

  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0] ?? req.url;
    return send(reply, { status: 404, body: { status: 'error', message: 'Not found', path } });
  });
  app.setErrorHandler(async (_err, _req, reply) => send(reply, { status: 500, body: UNEXPECTED }));
  return app;
}

/**
 * `POST /sim/admin/faults` `{apikey, ...Faults}` sets faults, `{apikey, clear: true}` clears them,
 * `{apikey, restart: true}` drops every feed client; the answer carries the faults now in force.
 */
export function adminFaults(
  ctx: Pick<RestContext, 'apiKey' | 'faults'>,
  parsed: { ok: true; value: unknown } | { ok: false },
): Reply {
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null)
    return { status: 500, body: UNEXPECTED };
  const { apikey, clear, restart, ...rest } = parsed.value as Record<string, unknown>;
  if (apikey !== ctx.apiKey) return fail(403, 'Invalid openalgo apikey');
  const err = faultErrors(rest);
  if (err) return fail(400, err);
  if (clear === true) ctx.faults.clear();
  if (Object.keys(rest).length) ctx.faults.set(rest as Partial<Faults>);
  if (restart === true) void ctx.faults.restart();
  return ok({ faults: ctx.faults.get() });
}
