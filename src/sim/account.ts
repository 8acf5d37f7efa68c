import type { Rng } from '../clock/index.js';
import { MIS_RESUME_MIN, MIS_SQUARE_OFF_MIN, SESSION_CLOSE_MIN } from './calendar.js';
import { hash32 } from './hash.js';
import type { Instrument, InstrumentRegistry } from './instruments.js';
import { compactStamp, istDate, istMidnight, istMinuteOfDay, MINUTE_MS, yymmdd } from './ist.js';
import { type MarginBreakdown, type MarginLeg, type MarginParams, portfolioMargin } from './margin.js';
import type { MarketEngine } from './market.js';
import {
  type MatchDecision,
  type MicrostructureParams,
  matchOnArrival,
  matchOnTick,
  orderLatencyMs,
  type PriceType,
  type Side,
  type WorkingOrder,
} from './microstructure.js';
import { sandboxOnArrival, sandboxOnTick } from './sandbox-fills.js';

export type OrderStatus = 'open' | 'trigger pending' | 'complete' | 'cancelled' | 'rejected';
export type Product = 'MIS' | 'CNC' | 'NRML';

export interface OrderRequest {
  readonly strategy: string;
  readonly symbol: string;
  readonly exchange: string;
  readonly action: Side;
  readonly quantity: number;
  readonly pricetype: PriceType;
  readonly product: Product;
  readonly price: number;
  readonly trigger_price: number;
  readonly disclosed_quantity: number;
}

/** One order as the simulator keeps it; `SimOrder` rows handed out are copies. */
export interface OrderRecord {
  readonly orderid: string;
  readonly strategy: string;
  readonly symbol: string;
  readonly exchange: string;
  readonly action: Side;
  quantity: number;
  readonly pricetype: PriceType;
  readonly product: Product;
  price: number;
  trigger_price: number;
  readonly disclosed_quantity: number;
  status: OrderStatus;
  filledQuantity: number;
  /** Still working (0 once terminal). */
  pendingQuantity: number;
  /** Unfilled quantity that will never fill (cancelled or rejected). */
  cancelledQuantity: number;
  averagePrice: number;
  rejectionReason: string;
  /** Market time (epoch ms). */
  readonly placedAt: number;
  updatedAt: number;
  /** Reached the exchange (after the simulated latency). */
  arrived: boolean;
  triggered: boolean;
  /** The market price used for margin when placed (sandbox shows it as `price` for MARKET orders). */
  readonly refPrice: number;
  readonly instrument: Instrument;
}

export interface TradeRecord {
  readonly tradeid: string;
  readonly orderid: string;
  readonly strategy: string;
  readonly symbol: string;
  readonly exchange: string;
  readonly action: Side;
  readonly product: Product;
  readonly quantity: number;
  readonly price: number;
  readonly time: number;
}

export interface PositionRecord {
  readonly symbol: string;
  readonly exchange: string;
  readonly product: Product;
  readonly instrument: Instrument;
  quantity: number;
  averagePrice: number;
  realizedToday: number;
  realizedTotal: number;
  /** Session date this row was last traded (rows of old sessions with nothing open drop out). */
  lastDate: string;
}

export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; status: number; message: string; orderid?: string };

export interface FundsView {
  readonly capital: number;
  readonly available: number;
  readonly usedMargin: number;
  readonly realizedTotal: number;
  readonly realizedToday: number;
  readonly unrealized: number;
  readonly resetCount: number;
  readonly lastReset: number;
}

export type FillModelName = 'microstructure' | 'sandbox';

export interface AccountOptions {
  market: MarketEngine;
  registry: InstrumentRegistry;
  model: FillModelName;
  micro: MicrostructureParams;
  margin: MarginParams;
  rng: Rng;
  seed: number;
  startingCapital: number;
}

export const AUTO_SQUARE_OFF = 'AUTO_SQUARE_OFF';
export const EXPIRY_SETTLEMENT = 'EXPIRY_SETTLEMENT';
const FNO_EXCHANGES = new Set(['NFO', 'BFO', 'CDS', 'BCD', 'MCX', 'NCDEX', 'CRYPTO']);
const EQUITY_EXCHANGES = new Set(['NSE', 'BSE']);

function fmtMoney(x: number): string {
  return x.toFixed(2);
}

/**
 * The simulated trading account: orders, trades, positions, funds and margin kept consistent with
 * each other (SANDBOX.md A.3–A.8), matching through either OpenAlgo's sandbox rules or the plan's
 * microstructure model. Pure state on top of the market engine: no I/O, market time only.
 *
 * Funds: used margin is recomputed from positions and working orders (`margin.ts`), and
 * `available = capital − used margin + realized P&L` (the sandbox identity, A.8). A separate cash
 * ledger (premiums and prices actually paid/received) backs the conservation tests.
 */
export class Account {
  readonly #m: MarketEngine;
  readonly #registry: InstrumentRegistry;
  readonly #opts: AccountOptions;
  readonly #orders = new Map<string, OrderRecord>();
  readonly #orderList: OrderRecord[] = [];
  readonly #trades: TradeRecord[] = [];
  readonly #positions = new Map<string, PositionRecord>();
  /** Working orders per instrument key. */
  readonly #working = new Map<string, Set<OrderRecord>>();
  readonly #listeners: ((o: OrderRecord) => void)[] = [];
  #seq = 0;
  #tradeSeq = 0;
  #cash: number;
  #lastReset: number;
  /** Realized P&L of rows that have left the book (closed in earlier sessions). */
  #archivedRealized = 0;

  constructor(opts: AccountOptions) {
    this.#opts = opts;
    this.#m = opts.market;
    this.#registry = opts.registry;
    this.#cash = opts.startingCapital;
    this.#lastReset = opts.market.now();
    opts.market.onTick((inst) => this.#onTick(inst));
    opts.market.onSessionStart((date) => this.#sessionStart(date));
    opts.market.onSessionEnd((date) => this.#sessionEnd(date));
    this.#sessionStart(opts.market.date());
  }

  onOrderUpdate(l: (o: OrderRecord) => void): void {
    this.#listeners.push(l);
  }

  #emit(o: OrderRecord): void {
    o.updatedAt = this.#m.now();
    for (const l of this.#listeners) l(o);
  }

  // ------------------------------------------------------------------ validation

  /** Sandbox validation (SANDBOX.md A.4); undefined when the request may proceed to margin. */
  #validate(req: OrderRequest, inst: Instrument | undefined, reducing: boolean): string | undefined {
    if (!inst || (inst.expiryMs !== undefined && inst.expiryMs <= this.#m.now()))
      return `Symbol ${req.symbol} not found on ${req.exchange}`;
    if (inst.kind === 'index')
      return `Symbol ${req.symbol} on ${req.exchange} is an index and cannot be traded`;
    if (EQUITY_EXCHANGES.has(req.exchange) && req.product === 'NRML')
      return `NRML product not allowed for ${req.exchange} equity segment. Use CNC for delivery or MIS for intraday.`;
    if (FNO_EXCHANGES.has(req.exchange) && req.product === 'CNC')
      return `CNC product not allowed for ${req.exchange} derivatives segment. Use NRML for carryforward or MIS for intraday.`;
    if (FNO_EXCHANGES.has(req.exchange) && req.quantity % inst.lotSize !== 0)
      return `Quantity must be in multiples of lot size ${inst.lotSize}`;
    if ((req.pricetype === 'LIMIT' || req.pricetype === 'SL') && !(req.price > 0))
      return `${req.pricetype} orders require price`;
    if ((req.pricetype === 'SL' || req.pricetype === 'SL-M') && !(req.trigger_price > 0))
      return `${req.pricetype} orders require trigger_price`;
    const minute = istMinuteOfDay(this.#m.now());
    if (req.product === 'MIS' && !reducing && (minute >= MIS_SQUARE_OFF_MIN || minute < MIS_RESUME_MIN))
      return 'MIS orders cannot be placed after square-off time (15:15 IST). Trading resumes at 09:00 AM IST.';
    return undefined;
  }

  #posKey(symbol: string, exchange: string, product: string): string {
    return `${exchange}:${symbol}:${product}`;
  }

  #instKey(inst: Instrument): string {
    return `${inst.exchange}:${inst.symbol}`;
  }

  positionQty(symbol: string, exchange: string, product: string): number {
    return this.#positions.get(this.#posKey(symbol, exchange, product))?.quantity ?? 0;
  }

  // ------------------------------------------------------------------ margin and funds

  #legFor(inst: Instrument, product: string, quantity: number, price: number): MarginLeg {
    const base = { kind: inst.kind, product, quantity, price };
    if (inst.kind !== 'option') return base;
    return {
      ...base,
      underlying: inst.name,
      expiry: inst.expiry!,
      optionType: inst.optionType!,
      strike: inst.strike!,
      underlyingPrice: this.#m.spot(inst.name) ?? inst.strike!,
    };
  }

  /** The margin-price of an order: LTP for market orders, the limit, or the trigger for stops. */
  #orderPrice(req: Pick<OrderRequest, 'pricetype' | 'price' | 'trigger_price'>, ltp: number): number {
    if (req.pricetype === 'LIMIT') return req.price;
    if (req.pricetype === 'SL' || req.pricetype === 'SL-M') return req.trigger_price;
    return ltp;
  }

  /** Positions and working orders, netted per (symbol, product), as margin legs. */
  #portfolio(extra?: { inst: Instrument; product: string; qty: number; price: number }): MarginLeg[] {
    const net = new Map<string, { inst: Instrument; product: string; qty: number; price: number }>();
    const add = (inst: Instrument, product: string, qty: number, price: number) => {
      const k = `${inst.exchange}:${inst.symbol}:${product}`;
      const e = net.get(k);
      if (e) e.qty += qty;
      else net.set(k, { inst, product, qty, price });
    };
    for (const p of this.#positions.values())
      if (p.quantity !== 0) add(p.instrument, p.product, p.quantity, this.#m.quote(p.instrument).ltp);
    for (const set of this.#working.values())
      for (const o of set) {
        const ltp = this.#m.quote(o.instrument).ltp;
        add(
          o.instrument,
          o.product,
          (o.action === 'BUY' ? 1 : -1) * o.pendingQuantity,
          this.#orderPrice(o, ltp),
        );
      }
    if (extra) add(extra.inst, extra.product, extra.qty, extra.price);
    return [...net.values()].map((e) => this.#legFor(e.inst, e.product, e.qty, e.price));
  }

  usedMargin(): number {
    return portfolioMargin(this.#portfolio(), this.#opts.margin).total;
  }

  /** The broker's margin calculator for a hypothetical basket (OpenAlgo `/margin`). */
  basketMargin(
    items: readonly {
      inst: Instrument;
      action: Side;
      quantity: number;
      product: string;
      pricetype: PriceType;
      price: number;
      trigger_price: number;
    }[],
  ): MarginBreakdown {
    const legs = items.map((i) => {
      const ltp = this.#m.quote(i.inst).ltp;
      const price = this.#orderPrice(i, ltp) || ltp;
      return this.#legFor(i.inst, i.product, (i.action === 'BUY' ? 1 : -1) * i.quantity, price);
    });
    return portfolioMargin(legs, this.#opts.margin);
  }

  funds(): FundsView {
    let realizedTotal = this.#archivedRealized;
    let realizedToday = 0;
    let unrealized = 0;
    for (const p of this.#positions.values()) {
      realizedTotal += p.realizedTotal;
      realizedToday += p.realizedToday;
      if (p.quantity !== 0) unrealized += (this.#m.quote(p.instrument).ltp - p.averagePrice) * p.quantity;
    }
    const used = this.usedMargin();
    return {
      capital: this.#opts.startingCapital,
      available: this.#opts.startingCapital - used + realizedTotal,
      usedMargin: used,
      realizedTotal,
      realizedToday,
      unrealized,
      resetCount: 0,
      lastReset: this.#lastReset,
    };
  }

  /** Cash actually paid and received for every trade (conservation checks). */
  cash(): number {
    return this.#cash;
  }

  // ------------------------------------------------------------------ orders

  #newOrderId(): string {
    this.#seq++;
    return `${yymmdd(this.#m.now())}${String(this.#seq).padStart(8, '0')}`;
  }

  /**
   * Places an order: sandbox validation, the funds check against the incremental margin, then the
   * fill model (sandbox: at once; microstructure: after the simulated latency, in market time).
   */
  place(req: OrderRequest): Outcome<OrderRecord> {
    const inst = this.#registry.get(req.symbol, req.exchange);
    const current = inst ? this.positionQty(req.symbol, req.exchange, req.product) : 0;
    const signed = (req.action === 'BUY' ? 1 : -1) * req.quantity;
    const reducing =
      current !== 0 && Math.sign(signed) !== Math.sign(current) && Math.abs(signed) <= Math.abs(current);
    const invalid = this.#validate(req, inst, reducing);
    if (invalid || !inst) return { ok: false, status: 400, message: invalid ?? 'invalid order' };

    const q = this.#m.quote(inst);
    if (req.product === 'CNC' && req.action === 'SELL' && inst.kind === 'equity') {
      const sellable = Math.max(0, current) - this.#pendingCncSells(req.symbol, req.exchange);
      if (req.quantity > sellable) {
        const o = this.#record(req, inst, q.ltp);
        o.status = 'rejected';
        o.pendingQuantity = 0;
        o.cancelledQuantity = o.quantity;
        o.rejectionReason = `Cannot sell ${req.quantity} ${req.symbol} in CNC. Available quantity: ${sellable}`;
        this.#emit(o);
        return { ok: false, status: 400, message: o.rejectionReason, orderid: o.orderid };
      }
    }
    const price = this.#orderPrice(req, q.ltp);
    const before = portfolioMargin(this.#portfolio(), this.#opts.margin).total;
    const after = portfolioMargin(
      this.#portfolio({ inst, product: req.product, qty: signed, price }),
      this.#opts.margin,
    ).total;
    const required = after - before;
    if (required > 0) {
      const available = this.funds().available;
      if (required > available + 1e-6) {
        return {
          ok: false,
          status: 400,
          message: `Insufficient funds. Required: ₹${fmtMoney(required)}, Available: ₹${fmtMoney(available)}, Shortage: ₹${fmtMoney(required - available)}`,
        };
      }
    }
    const o = this.#record(req, inst, q.ltp);
    this.#startWorking(o);
    this.#emit(o);
    if (this.#opts.model === 'sandbox') {
      o.arrived = true;
      this.#apply(o, sandboxOnArrival(this.#working_(o), this.#m.marketState(inst)));
    } else {
      const latency = orderLatencyMs(this.#m.marketState(inst), this.#opts.micro);
      this.#m.schedule(this.#m.now() + latency, () => this.#arrive(o));
    }
    return { ok: true, value: o };
  }

  #pendingCncSells(symbol: string, exchange: string): number {
    let n = 0;
    for (const o of this.#working.get(`${exchange}:${symbol}`) ?? [])
      if (o.product === 'CNC' && o.action === 'SELL') n += o.pendingQuantity;
    return n;
  }

  #record(req: OrderRequest, inst: Instrument, ltp: number): OrderRecord {
    const o: OrderRecord = {
      orderid: this.#newOrderId(),
      strategy: req.strategy,
      symbol: req.symbol,
      exchange: req.exchange,
      action: req.action,
      quantity: req.quantity,
      pricetype: req.pricetype,
      product: req.product,
      price: req.price,
      trigger_price: req.trigger_price,
      disclosed_quantity: req.disclosed_quantity,
      status: req.pricetype === 'SL' || req.pricetype === 'SL-M' ? 'trigger pending' : 'open',
      filledQuantity: 0,
      pendingQuantity: req.quantity,
      cancelledQuantity: 0,
      averagePrice: 0,
      rejectionReason: '',
      placedAt: this.#m.now(),
      updatedAt: this.#m.now(),
      arrived: false,
      triggered: false,
      refPrice: ltp,
      instrument: inst,
    };
    this.#orders.set(o.orderid, o);
    this.#orderList.push(o);
    return o;
  }

  #startWorking(o: OrderRecord): void {
    const k = this.#instKey(o.instrument);
    let set = this.#working.get(k);
    if (!set) {
      set = new Set();
      this.#working.set(k, set);
    }
    set.add(o);
    this.#m.watch(o.instrument);
  }

  #stopWorking(o: OrderRecord): void {
    const k = this.#instKey(o.instrument);
    const set = this.#working.get(k);
    if (set?.delete(o)) {
      this.#m.unwatch(o.instrument);
      if (set.size === 0) this.#working.delete(k);
    }
  }

  #working_(o: OrderRecord): WorkingOrder {
    return {
      action: o.action,
      pricetype: o.pricetype,
      remaining: o.pendingQuantity,
      price: o.price,
      triggerPrice: o.trigger_price,
      triggered: o.triggered,
    };
  }

  #arrive(o: OrderRecord): void {
    if (o.status !== 'open' && o.status !== 'trigger pending') return;
    o.arrived = true;
    const inst = o.instrument;
    const d = matchOnArrival(
      this.#working_(o),
      this.#m.profile(inst),
      this.#m.marketState(inst),
      this.#opts.micro,
      this.#opts.rng,
    );
    this.#apply(o, d);
  }

  #onTick(inst: Instrument): void {
    const set = this.#working.get(this.#instKey(inst));
    if (!set || set.size === 0) return;
    const state = this.#m.marketState(inst);
    for (const o of [...set]) {
      if (!o.arrived) continue;
      const w = this.#working_(o);
      const d =
        this.#opts.model === 'sandbox'
          ? sandboxOnTick(w, state)
          : matchOnTick(w, this.#m.profile(inst), state, this.#opts.micro, this.#opts.rng);
      this.#apply(o, d);
    }
  }

  #apply(o: OrderRecord, d: MatchDecision): void {
    switch (d.kind) {
      case 'wait':
        if (d.triggered && !o.triggered) {
          o.triggered = true;
          if (o.status === 'trigger pending') {
            o.status = 'open';
            this.#emit(o);
          }
        }
        return;
      case 'reject':
        this.#terminate(o, 'rejected', d.reason);
        return;
      case 'cancel':
        this.#terminate(o, 'cancelled', d.reason);
        return;
      case 'fill': {
        o.triggered = o.triggered || d.triggered;
        this.#fill(o, d.quantity, d.price);
        if (d.remainder === 'none') {
          o.status = 'complete';
          this.#stopWorking(o);
          this.#emit(o);
        } else if (d.remainder === 'cancel') {
          this.#terminate(
            o,
            'cancelled',
            'Partially filled; the unfilled quantity was cancelled (market order, simulated liquidity)',
          );
        } else {
          if (o.status === 'trigger pending') o.status = 'open';
          this.#emit(o);
        }
      }
    }
  }

  #terminate(o: OrderRecord, status: 'cancelled' | 'rejected', reason: string): void {
    o.status = status;
    o.cancelledQuantity += o.pendingQuantity;
    o.pendingQuantity = 0;
    o.rejectionReason = reason;
    this.#stopWorking(o);
    this.#emit(o);
  }

  #fill(o: OrderRecord, qty: number, price: number): void {
    const now = this.#m.now();
    o.averagePrice = Number(
      ((o.averagePrice * o.filledQuantity + price * qty) / (o.filledQuantity + qty)).toFixed(4),
    );
    o.filledQuantity += qty;
    o.pendingQuantity -= qty;
    this.#tradeSeq++;
    const hex = hash32(this.#opts.seed, 'trade', this.#tradeSeq).toString(16).padStart(8, '0');
    this.#trades.push({
      tradeid: `TRADE-${compactStamp(now)}-${hex}`,
      orderid: o.orderid,
      strategy: o.strategy,
      symbol: o.symbol,
      exchange: o.exchange,
      action: o.action,
      product: o.product,
      quantity: qty,
      price,
      time: now,
    });
    this.#applyToPosition(o.instrument, o.product, (o.action === 'BUY' ? 1 : -1) * qty, price);
  }

  #applyToPosition(inst: Instrument, product: Product, signed: number, price: number): void {
    const key = this.#posKey(inst.symbol, inst.exchange, product);
    let p = this.#positions.get(key);
    if (!p) {
      p = {
        symbol: inst.symbol,
        exchange: inst.exchange,
        product,
        instrument: inst,
        quantity: 0,
        averagePrice: 0,
        realizedToday: 0,
        realizedTotal: 0,
        lastDate: this.#m.date(),
      };
      this.#positions.set(key, p);
    }
    p.lastDate = this.#m.date();
    this.#cash -= signed * price;
    if (p.quantity === 0 || Math.sign(p.quantity) === Math.sign(signed)) {
      const q = Math.abs(p.quantity) + Math.abs(signed);
      p.averagePrice = (p.averagePrice * Math.abs(p.quantity) + price * Math.abs(signed)) / q;
      p.quantity += signed;
      return;
    }
    const closing = Math.min(Math.abs(signed), Math.abs(p.quantity));
    const pnl = (price - p.averagePrice) * closing * Math.sign(p.quantity);
    p.realizedToday += pnl;
    p.realizedTotal += pnl;
    p.quantity += signed;
    if (p.quantity === 0) p.averagePrice = 0;
    else if (Math.sign(p.quantity) === Math.sign(signed)) p.averagePrice = price;
  }

  get(orderid: string): OrderRecord | undefined {
    return this.#orders.get(orderid);
  }

  /** Sandbox modify: only quantity, price and trigger price are honoured (REST.md §5.5). */
  modify(
    orderid: string,
    change: { quantity: number; price: number; trigger_price: number },
  ): Outcome<OrderRecord> {
    const o = this.#orders.get(orderid);
    if (!o) return { ok: false, status: 404, message: `Order ${orderid} not found` };
    if (o.status !== 'open' && o.status !== 'trigger pending')
      return { ok: false, status: 400, message: `Cannot modify order in ${o.status} status` };
    if ((o.pricetype === 'MARKET' || o.pricetype === 'SL-M') && change.price > 0)
      return { ok: false, status: 400, message: `${o.pricetype} orders do not accept a price` };
    if ((o.pricetype === 'MARKET' || o.pricetype === 'LIMIT') && change.trigger_price > 0)
      return { ok: false, status: 400, message: `${o.pricetype} orders do not accept a trigger price` };
    if ((o.pricetype === 'LIMIT' || o.pricetype === 'SL') && !(change.price > 0))
      return { ok: false, status: 400, message: `${o.pricetype} orders require price` };
    if ((o.pricetype === 'SL' || o.pricetype === 'SL-M') && !(change.trigger_price > 0))
      return { ok: false, status: 400, message: `${o.pricetype} orders require trigger_price` };
    if (FNO_EXCHANGES.has(o.exchange) && change.quantity % o.instrument.lotSize !== 0)
      return {
        ok: false,
        status: 400,
        message: `Quantity must be in multiples of lot size ${o.instrument.lotSize}`,
      };
    if (change.quantity <= o.filledQuantity)
      return {
        ok: false,
        status: 400,
        message: `Quantity must exceed the filled quantity ${o.filledQuantity}`,
      };
    const before = this.usedMargin();
    const saved = {
      quantity: o.quantity,
      price: o.price,
      trigger: o.trigger_price,
      pending: o.pendingQuantity,
    };
    o.quantity = change.quantity;
    o.pendingQuantity = change.quantity - o.filledQuantity - o.cancelledQuantity;
    if (o.pricetype === 'LIMIT' || o.pricetype === 'SL') o.price = change.price;
    if (o.pricetype === 'SL' || o.pricetype === 'SL-M') o.trigger_price = change.trigger_price;
    const required = this.usedMargin() - before;
    if (required > 0) {
      const available = this.funds().available + required;
      if (required > available + 1e-6) {
        o.quantity = saved.quantity;
        o.price = saved.price;
        o.trigger_price = saved.trigger;
        o.pendingQuantity = saved.pending;
        return {
          ok: false,
          status: 400,
          message: `Insufficient funds. Required: ₹${fmtMoney(required)}, Available: ₹${fmtMoney(available)}, Shortage: ₹${fmtMoney(required - available)}`,
        };
      }
    }
    this.#emit(o);
    return { ok: true, value: o };
  }

  cancel(orderid: string, reason = 'Cancelled by user'): Outcome<OrderRecord> {
    const o = this.#orders.get(orderid);
    if (!o) return { ok: false, status: 404, message: `Order ${orderid} not found` };
    if (o.status !== 'open' && o.status !== 'trigger pending')
      return { ok: false, status: 400, message: `Cannot cancel order in ${o.status} status` };
    this.#terminate(o, 'cancelled', reason);
    return { ok: true, value: o };
  }

  /** Cancels every working order (the kill-switch path); the strategy tag does not filter (REST.md §5). */
  cancelAll(): { canceled: string[]; failed: { orderid: string; message: string }[] } {
    const canceled: string[] = [];
    for (const set of [...this.#working.values()])
      for (const o of [...set]) {
        this.#terminate(o, 'cancelled', 'Cancelled by user');
        canceled.push(o.orderid);
      }
    return { canceled, failed: [] };
  }

  /** Squares off every open position with MARKET orders tagged AUTO_SQUARE_OFF (SANDBOX.md A.10). */
  closeAll(filter?: (p: PositionRecord) => boolean): { closed: number; failed: number } {
    let closed = 0;
    let failed = 0;
    for (const p of [...this.#positions.values()]) {
      if (p.quantity === 0 || (filter && !filter(p))) continue;
      const r = this.place({
        strategy: AUTO_SQUARE_OFF,
        symbol: p.symbol,
        exchange: p.exchange,
        action: p.quantity > 0 ? 'SELL' : 'BUY',
        quantity: Math.abs(p.quantity),
        pricetype: 'MARKET',
        product: p.product,
        price: 0,
        trigger_price: 0,
        disclosed_quantity: 0,
      });
      if (r.ok) closed++;
      else failed++;
    }
    return { closed, failed };
  }

  // ------------------------------------------------------------------ sessions

  #sessionStart(date: string): void {
    // Session boundary (SESSION_EXPIRY_TIME): today's realized P&L restarts; rows with nothing open
    // from earlier sessions leave the book.
    for (const [k, p] of this.#positions) {
      p.realizedToday = 0;
      if (p.quantity === 0 && p.lastDate !== date) {
        this.#archivedRealized += p.realizedTotal;
        this.#positions.delete(k);
      }
    }
    const open = this.#m.sessionOpenMs();
    const base = istMidnight(open);
    this.#m.schedule(base + MIS_SQUARE_OFF_MIN * MINUTE_MS, () => this.#squareOffMis(date));
  }

  /** 15:15 IST MIS square-off, re-checked every minute while MIS positions remain (SANDBOX.md A.9). */
  #squareOffMis(date: string): void {
    if (this.#m.date() !== date) return;
    for (const set of [...this.#working.values()])
      for (const o of [...set])
        if (o.product === 'MIS' && o.strategy !== AUTO_SQUARE_OFF)
          this.#terminate(o, 'cancelled', 'Cancelled by MIS square-off');
    this.closeAll((p) => p.product === 'MIS' && !this.#hasWorkingSquareOff(p));
    const next = this.#m.now() + MINUTE_MS;
    if (istMinuteOfDay(next) < SESSION_CLOSE_MIN) this.#m.schedule(next, () => this.#squareOffMis(date));
  }

  #hasWorkingSquareOff(p: PositionRecord): boolean {
    for (const o of this.#working.get(this.#instKey(p.instrument)) ?? [])
      if (o.strategy === AUTO_SQUARE_OFF && o.product === p.product) return true;
    return false;
  }

  #sessionEnd(date: string): void {
    // Day orders die at the close.
    for (const set of [...this.#working.values()])
      for (const o of [...set]) this.#terminate(o, 'cancelled', 'Cancelled at market close (day order)');
    // Expiring contracts settle at the close: options at intrinsic value, futures at the spot. The
    // settlement is booked as a completed order and trade (tagged EXPIRY_SETTLEMENT) so the books
    // still add up: positions are always the sum of trades.
    for (const p of [...this.#positions.values()]) {
      const inst = p.instrument;
      if (p.quantity === 0 || inst.expiry !== date) continue;
      const spot = this.#m.spot(inst.name) ?? 0;
      const k = inst.strike ?? spot;
      const settle =
        inst.kind === 'option'
          ? inst.optionType === 'CE'
            ? Math.max(0, spot - k)
            : Math.max(0, k - spot)
          : spot;
      const o = this.#record(
        {
          strategy: EXPIRY_SETTLEMENT,
          symbol: p.symbol,
          exchange: p.exchange,
          action: p.quantity > 0 ? 'SELL' : 'BUY',
          quantity: Math.abs(p.quantity),
          pricetype: 'MARKET',
          product: p.product,
          price: 0,
          trigger_price: 0,
          disclosed_quantity: 0,
        },
        inst,
        settle,
      );
      o.arrived = true;
      this.#fill(o, o.quantity, Math.round(settle * 100) / 100);
      o.status = 'complete';
      this.#emit(o);
    }
  }

  // ------------------------------------------------------------------ books

  /** Orders of the current session, newest first (the sandbox orderbook). */
  sessionOrders(): OrderRecord[] {
    const date = this.#m.date();
    const out: OrderRecord[] = [];
    for (let i = this.#orderList.length - 1; i >= 0; i--) {
      const o = this.#orderList[i]!;
      if (istDate(o.placedAt) === date) out.push(o);
    }
    return out;
  }

  allOrders(): readonly OrderRecord[] {
    return this.#orderList;
  }

  sessionTrades(): TradeRecord[] {
    const date = this.#m.date();
    return this.#trades.filter((t) => istDate(t.time) === date);
  }

  allTrades(): readonly TradeRecord[] {
    return this.#trades;
  }

  /** Open rows, plus closed rows with today's realized P&L (SANDBOX.md A.7). */
  positions(): PositionRecord[] {
    return [...this.#positions.values()].filter((p) => p.quantity !== 0 || p.realizedToday !== 0);
  }

  workingCount(): number {
    let n = 0;
    for (const s of this.#working.values()) n += s.size;
    return n;
  }
}
