import type { TradingCalendar } from './calendar.js';
import type { Bar } from './data-files.js';
import { hash32, hashUnit } from './hash.js';
import type { Instrument, InstrumentRegistry } from './instruments.js';
import { istMinuteOfDay, MINUTE_MS } from './ist.js';
import type { InstrumentProfile, MarketState } from './microstructure.js';
import {
  type DepthLevel,
  dayVolume,
  depthLadder,
  forwardPrice,
  openInterest,
  optionBook,
  optionValue,
  roundTick,
  strikesFromAtm,
  yearsToExpiry,
} from './pricing.js';
import type { MarketSource } from './sources.js';

/** One instrument's state at a tick, the union of what quotes, depth and the feed carry. */
export interface Quote {
  readonly symbol: string;
  readonly exchange: string;
  readonly ltp: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  /** Previous session close (OpenAlgo's `close` / `prev_close`). */
  readonly prevClose: number;
  readonly volume: number;
  readonly oi: number;
  /** Best bid/ask; 0 when that side is empty (indices have no book). */
  readonly bid: number;
  readonly ask: number;
  readonly lastQty: number;
  readonly avgPrice: number;
  readonly totalBuyQty: number;
  readonly totalSellQty: number;
  readonly bids: readonly DepthLevel[];
  readonly asks: readonly DepthLevel[];
  /** Market time of the last trade (epoch ms). */
  readonly ltt: number;
  readonly upperCircuit: number;
  readonly lowerCircuit: number;
}

/** `quote` is built on demand: most listeners only care about a few instruments. */
export type TickListener = (inst: Instrument, quote: () => Quote) => void;

const EMPTY_LEVELS: readonly DepthLevel[] = Array.from({ length: 5 }, () => ({
  price: 0,
  quantity: 0,
  orders: 0,
}));
/** Fallback VIX when the source has no INDIAVIX driver. */
const DEFAULT_VIX = 15;
const EQUITY_CIRCUIT = 0.2;
const FNO_CIRCUIT = 0.5;

interface ScheduledEvent {
  at: number;
  seq: number;
  fn: () => void;
}

interface DriverState {
  inst: Instrument;
  price: number;
  open: number;
  high: number;
  low: number;
  prevClose: number;
  volume: number;
  notional: number;
  lastQty: number;
  upTick: boolean;
  quote: Quote | undefined;
  bar: { t: number; o: number; h: number; l: number; c: number } | undefined;
  bars: Bar[];
  daily: Bar[];
}

/**
 * The simulated market: a session clock in market time (09:15–15:30 IST, closed periods skipped),
 * driver prices sampled from the source on a fixed grid, derived F&O quotes priced on demand, and a
 * queue of market-time events (order latency, square-off) interleaved with the ticks in time order.
 * Ticks go to listeners for every driver and for every derived instrument somebody watches (a feed
 * subscription or a working order).
 */
export class MarketEngine {
  readonly #source: MarketSource;
  readonly #registry: InstrumentRegistry;
  readonly #calendar: TradingCalendar;
  readonly #tickMs: number;
  readonly #seed: number;
  readonly #drivers: DriverState[];
  readonly #driverBySymbol = new Map<string, DriverState>();
  readonly #buf: Float64Array;
  #date = '';
  #open = 0;
  #close = 0;
  #k = 0;
  #now = 0;
  #prevSessionClose = 0;
  readonly #heap: ScheduledEvent[] = [];
  #seq = 0;
  readonly #tickListeners: TickListener[] = [];
  readonly #sessionStart: ((date: string) => void)[] = [];
  readonly #sessionEnd: ((date: string) => void)[] = [];
  readonly #watched = new Map<string, { inst: Instrument; count: number }>();
  readonly #derivedCache = new Map<string, { t: number; q: Quote }>();
  readonly #dayOpen = new Map<string, { date: string; open: number; prevClose: number }>();
  #vixOpen = DEFAULT_VIX;
  #vixPrev = DEFAULT_VIX;

  constructor(opts: {
    source: MarketSource;
    registry: InstrumentRegistry;
    calendar: TradingCalendar;
    tickIntervalMs: number;
    seed: number;
  }) {
    this.#source = opts.source;
    this.#registry = opts.registry;
    this.#calendar = opts.calendar;
    this.#tickMs = opts.tickIntervalMs;
    this.#seed = opts.seed;
    this.#buf = new Float64Array(opts.source.drivers.length);
    this.#drivers = opts.source.drivers.map((s) => {
      const inst = opts.registry.get(
        s,
        s === 'NIFTY' || s === 'BANKNIFTY' || s === 'INDIAVIX' ? 'NSE_INDEX' : 'NSE',
      );
      if (!inst) throw new Error(`driver ${s} is not in the instrument registry`);
      const d: DriverState = {
        inst,
        price: 0,
        open: 0,
        high: 0,
        low: 0,
        prevClose: 0,
        volume: 0,
        notional: 0,
        lastQty: 0,
        upTick: true,
        quote: undefined,
        bar: undefined,
        bars: [],
        daily: [],
      };
      this.#driverBySymbol.set(s, d);
      return d;
    });
    this.#beginSession(opts.source.startDate);
  }

  // ------------------------------------------------------------------ time

  now(): number {
    return this.#now;
  }

  date(): string {
    return this.#date;
  }

  istMinute(): number {
    return istMinuteOfDay(this.#now);
  }

  sessionOpenMs(): number {
    return this.#open;
  }

  tickIntervalMs(): number {
    return this.#tickMs;
  }

  /** Runs `fn` at market time `at` (immediately on the next step if `at` is not in the future). */
  schedule(at: number, fn: () => void): void {
    const ev = { at, seq: this.#seq++, fn };
    const h = this.#heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  #popEvent(): ScheduledEvent | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }

  /**
   * Advances market time by `ms`: grid ticks and scheduled events run in time order; reaching the
   * session close ends the day and continues from the next trading day's open.
   */
  step(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('market time cannot go backwards');
    let target = this.#now + ms;
    for (;;) {
      const nextGrid = this.#open + this.#k * this.#tickMs;
      const nextEvent = this.#heap[0]?.at ?? Number.POSITIVE_INFINITY;
      const t = Math.min(nextGrid, nextEvent, this.#close);
      if (t > target) {
        this.#now = target;
        return;
      }
      if (nextEvent <= nextGrid && nextEvent <= this.#close) {
        const ev = this.#popEvent()!;
        this.#now = Math.max(this.#now, ev.at);
        ev.fn();
      } else if (nextGrid < this.#close) {
        this.#now = nextGrid;
        this.#tick(nextGrid);
        this.#k++;
      } else {
        this.#now = this.#close;
        const left = target - this.#close;
        this.#endSession();
        this.#beginSession(this.#calendar.next(this.#date));
        target = this.#now + left;
      }
    }
  }

  onTick(l: TickListener): () => void {
    this.#tickListeners.push(l);
    return () => this.#tickListeners.splice(this.#tickListeners.indexOf(l), 1);
  }

  onSessionStart(l: (date: string) => void): void {
    this.#sessionStart.push(l);
  }

  onSessionEnd(l: (date: string) => void): void {
    this.#sessionEnd.push(l);
  }

  // ------------------------------------------------------------------ sessions

  #beginSession(date: string): void {
    this.#prevSessionClose = this.#close || this.#calendar.sessionCloseMs(this.#calendar.previous(date));
    this.#date = date;
    this.#open = this.#calendar.sessionOpenMs(date);
    this.#close = this.#calendar.sessionCloseMs(date);
    this.#now = this.#open;
    this.#k = 0;
    this.#source.beginSession(date);
    this.#source.sample(this.#open, this.#buf);
    const ref: Record<string, number> = {};
    this.#drivers.forEach((d, i) => {
      d.prevClose = this.#round(d.inst, this.#source.prevClose(i));
      const p = this.#round(d.inst, this.#buf[i]!);
      d.price = d.open = d.high = d.low = p;
      d.volume = 0;
      d.notional = 0;
      d.lastQty = 0;
      d.bar = undefined;
      ref[d.inst.symbol] = p;
    });
    const vix = this.#driverBySymbol.get('INDIAVIX');
    this.#vixOpen = vix?.open ?? DEFAULT_VIX;
    this.#vixPrev = vix?.prevClose ?? DEFAULT_VIX;
    this.#registry.rollTo(date, ref);
    this.#derivedCache.clear();
    this.#dayOpen.clear();
    for (const l of this.#sessionStart) l(date);
  }

  #endSession(): void {
    for (const d of this.#drivers) {
      if (d.bar) d.bars.push({ ...d.bar, v: 0 });
      d.bar = undefined;
      d.daily.push({
        t: this.#calendar.sessionOpenMs(this.#date) - (9 * 60 + 15) * MINUTE_MS,
        o: d.open,
        h: d.high,
        l: d.low,
        c: d.price,
        v: d.volume,
      });
    }
    for (const l of this.#sessionEnd) l(this.#date);
  }

  #round(inst: Instrument, p: number): number {
    return inst.kind === 'equity' ? roundTick(p, inst.tickSize) : Number(p.toFixed(2));
  }

  // ------------------------------------------------------------------ ticks

  #tick(t: number): void {
    if (t !== this.#open) this.#source.sample(t, this.#buf);
    this.#drivers.forEach((d, i) => {
      const p = this.#round(d.inst, this.#buf[i]!);
      if (p !== d.price) d.upTick = p > d.price;
      d.price = p;
      if (p > d.high) d.high = p;
      if (p < d.low) d.low = p;
      if (d.inst.kind === 'equity') {
        const h = hash32(this.#seed, d.inst.symbol, t);
        d.lastQty = 1 + (h % 400);
        d.volume += d.lastQty;
        d.notional += d.lastQty * p;
      }
      const minute = Math.floor(t / MINUTE_MS) * MINUTE_MS;
      if (!d.bar || d.bar.t !== minute) {
        if (d.bar) d.bars.push({ ...d.bar, v: 0 });
        d.bar = { t: minute, o: p, h: p, l: p, c: p };
      } else {
        d.bar.h = Math.max(d.bar.h, p);
        d.bar.l = Math.min(d.bar.l, p);
        d.bar.c = p;
      }
      d.quote = undefined;
    });
    this.#derivedCache.clear();
    if (this.#tickListeners.length === 0) return;
    for (const d of this.#drivers) {
      const q = () => this.#driverQuote(d);
      for (const l of this.#tickListeners) l(d.inst, q);
    }
    for (const w of [...this.#watched.values()]) {
      const q = () => this.quote(w.inst);
      for (const l of this.#tickListeners) l(w.inst, q);
    }
  }

  #driverQuote(d: DriverState): Quote {
    if (d.quote) return d.quote;
    const inst = d.inst;
    const t = this.#now;
    let bid = 0;
    let ask = 0;
    let bids = EMPTY_LEVELS;
    let asks = EMPTY_LEVELS;
    let totalBuy = 0;
    let totalSell = 0;
    if (inst.kind === 'equity') {
      const tick = inst.tickSize;
      bid = d.upTick ? roundTick(d.price - tick, tick) : d.price;
      ask = d.upTick ? d.price : roundTick(d.price + tick, tick);
      const ladder = depthLadder(this.#seed, inst.symbol, t, bid, ask, tick, 1, 20);
      bids = ladder.bids;
      asks = ladder.asks;
      totalBuy = 40 * bids.reduce((a, l) => a + l.quantity, 0);
      totalSell = 40 * asks.reduce((a, l) => a + l.quantity, 0);
    }
    const circuit = inst.kind === 'equity' ? EQUITY_CIRCUIT : FNO_CIRCUIT;
    d.quote = {
      symbol: inst.symbol,
      exchange: inst.exchange,
      ltp: d.price,
      open: d.open,
      high: d.high,
      low: d.low,
      prevClose: d.prevClose,
      volume: d.volume,
      oi: 0,
      bid,
      ask,
      lastQty: d.lastQty,
      avgPrice: d.volume > 0 ? Number((d.notional / d.volume).toFixed(2)) : d.price,
      totalBuyQty: totalBuy,
      totalSellQty: totalSell,
      bids,
      asks,
      ltt: t,
      upperCircuit: roundTick(d.prevClose * (1 + circuit), 0.05),
      lowerCircuit: roundTick(d.prevClose * (1 - circuit), 0.05),
    };
    return d.quote;
  }

  // ------------------------------------------------------------------ derived instruments

  /** India VIX now (points). */
  vix(): number {
    return this.#driverBySymbol.get('INDIAVIX')?.price ?? DEFAULT_VIX;
  }

  /** Current price of a driver (index or stock). */
  spot(symbol: string): number | undefined {
    return this.#driverBySymbol.get(symbol)?.price;
  }

  isDriver(inst: Instrument): boolean {
    return this.#driverBySymbol.get(inst.symbol)?.inst === inst;
  }

  #derivedPrice(inst: Instrument, spot: number, vix: number, t: number): number {
    if (inst.kind === 'future') {
      const f = forwardPrice(spot, yearsToExpiry(inst, t));
      return roundTick(f, inst.tickSize);
    }
    return optionValue(inst, spot, vix, t).price;
  }

  #derivedQuote(inst: Instrument): Quote {
    const t = this.#now;
    const cached = this.#derivedCache.get(inst.symbol);
    if (cached && cached.t === t) return cached.q;
    const u = this.#driverBySymbol.get(inst.name)!;
    const vix = this.vix();
    const tick = inst.tickSize;
    const away = inst.kind === 'option' ? strikesFromAtm(inst, u.price) : 0;
    const theo = this.#derivedPrice(inst, u.price, vix, t);
    const noise = hashUnit(this.#seed, 'ltp', inst.symbol, t);
    let book: { bid: number; ask: number; ltp: number };
    if (inst.kind === 'option') book = optionBook(theo, away, tick, noise);
    else {
      const ltp = roundTick(theo + (noise < 0.5 ? 0 : tick), tick);
      book = { bid: roundTick(ltp - tick, tick), ask: ltp, ltp };
    }
    let day = this.#dayOpen.get(inst.symbol);
    if (!day || day.date !== this.#date) {
      const open =
        inst.kind === 'option'
          ? Math.max(tick, roundTick(optionValue(inst, u.open, this.#vixOpen, this.#open).price, tick))
          : roundTick(this.#derivedPrice(inst, u.open, this.#vixOpen, this.#open), tick);
      const prev =
        inst.kind === 'option'
          ? Math.max(
              tick,
              roundTick(optionValue(inst, u.prevClose, this.#vixPrev, this.#prevSessionClose).price, tick),
            )
          : roundTick(this.#derivedPrice(inst, u.prevClose, this.#vixPrev, this.#prevSessionClose), tick);
      day = { date: this.#date, open, prevClose: prev };
      this.#dayOpen.set(inst.symbol, day);
    }
    const atHigh = roundTick(this.#derivedPrice(inst, u.high, vix, t), tick);
    const atLow = roundTick(this.#derivedPrice(inst, u.low, vix, t), tick);
    const hi = Math.max(atHigh, atLow, book.ltp, day.open);
    const lo = Math.max(tick, Math.min(atHigh, atLow, book.ltp, day.open));
    const fraction = Math.min(1, Math.max(0, (t - this.#open) / (this.#close - this.#open)));
    const liquidity = inst.kind === 'future' ? 1 : Math.max(0.1, Math.exp(-Math.abs(away) / 6));
    const ladder = depthLadder(this.#seed, inst.symbol, t, book.bid, book.ask, tick, inst.lotSize, liquidity);
    const volume = dayVolume(this.#seed, inst, away, fraction);
    const q: Quote = {
      symbol: inst.symbol,
      exchange: inst.exchange,
      ltp: book.ltp,
      open: day.open,
      high: hi,
      low: lo,
      prevClose: day.prevClose,
      volume,
      oi: openInterest(this.#seed, inst, away, t, fraction),
      bid: book.bid,
      ask: book.ask,
      lastQty: inst.lotSize * (1 + (hash32(this.#seed, 'lq', inst.symbol, t) % 10)),
      avgPrice: roundTick((day.open + book.ltp + hi + lo) / 4, tick),
      totalBuyQty: 30 * ladder.bids.reduce((a, l) => a + l.quantity, 0),
      totalSellQty: 30 * ladder.asks.reduce((a, l) => a + l.quantity, 0),
      bids: ladder.bids,
      asks: ladder.asks,
      ltt: t,
      upperCircuit: roundTick(Math.max(day.prevClose, tick) * (1 + FNO_CIRCUIT) + 20 * tick, tick),
      lowerCircuit: roundTick(Math.max(0.05, day.prevClose * (1 - FNO_CIRCUIT)), tick),
    };
    this.#derivedCache.set(inst.symbol, { t, q });
    return q;
  }

  /** The instrument's quote at the current market time. */
  quote(inst: Instrument): Quote {
    const d = this.#driverBySymbol.get(inst.symbol);
    if (d && d.inst === inst) return this.#driverQuote(d);
    return this.#derivedQuote(inst);
  }

  /** Option value, IV and time to expiry now (for option chains and greeks). */
  optionTheory(inst: Instrument): { spot: number; value: ReturnType<typeof optionValue> } {
    const spot = this.#driverBySymbol.get(inst.name)!.price;
    return { spot, value: optionValue(inst, spot, this.vix(), this.#now) };
  }

  profile(inst: Instrument): InstrumentProfile {
    const base = { tickSize: inst.tickSize, lotSize: inst.lotSize, largeCap: inst.largeCap };
    if (inst.kind === 'option') {
      const spot = this.#driverBySymbol.get(inst.name)!.price;
      return { ...base, kind: 'option', strikesFromAtm: strikesFromAtm(inst, spot) };
    }
    return { ...base, kind: inst.kind };
  }

  marketState(inst: Instrument): MarketState {
    const q = this.quote(inst);
    const lv = (ls: readonly DepthLevel[]) => ls.filter((l) => l.price > 0 && l.quantity > 0);
    return {
      ltp: q.ltp,
      bid: q.bid,
      ask: q.ask,
      bids: lv(q.bids),
      asks: lv(q.asks),
      vix: this.vix(),
      istMinute: istMinuteOfDay(this.#now),
    };
  }

  /** Derived instruments tick (and reach listeners) only while watched: feeds and working orders. */
  watch(inst: Instrument): void {
    if (this.isDriver(inst)) return;
    const key = `${inst.exchange}:${inst.symbol}`;
    const w = this.#watched.get(key);
    if (w) w.count++;
    else this.#watched.set(key, { inst, count: 1 });
  }

  unwatch(inst: Instrument): void {
    const key = `${inst.exchange}:${inst.symbol}`;
    const w = this.#watched.get(key);
    if (!w) return;
    if (--w.count <= 0) this.#watched.delete(key);
  }

  // ------------------------------------------------------------------ history

  /** 1-minute bars the simulation has produced for a driver (the running minute included). */
  minuteBars(symbol: string): Bar[] {
    const d = this.#driverBySymbol.get(symbol);
    if (!d) return [];
    return d.bar ? [...d.bars, { ...d.bar, v: 0 }] : [...d.bars];
  }

  /** Daily bars of finished simulated sessions, plus today's so far. */
  dailyBars(symbol: string): Bar[] {
    const d = this.#driverBySymbol.get(symbol);
    if (!d) return [];
    const today = {
      t: this.#open - (9 * 60 + 15) * MINUTE_MS,
      o: d.open,
      h: d.high,
      l: d.low,
      c: d.price,
      v: d.volume,
    };
    return [...d.daily, today];
  }

  driverSymbols(): string[] {
    return this.#drivers.map((d) => d.inst.symbol);
  }
}

function less(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
