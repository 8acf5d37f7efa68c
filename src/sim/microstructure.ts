import type { Rng } from '../clock/index.js';
import { CONFIG_TREE, type Config } from '../config/index.js';

/**
 * The plan's replay microstructure model ("Replay Validation" table), as pure functions shared by the
 * simulator and the replay runner: plain data in (order, instrument profile, market state, params,
 * rng), a fill decision out. No clock, no I/O, no state.
 *
 * | factor         | model                                                                          |
 * |----------------|--------------------------------------------------------------------------------|
 * | slippage       | large-cap 0.05 %, mid-cap 0.15 %, index futures and ATM options 1 tick, options |
 * |                | 3 ticks one strike away rising one tick per strike to 5                         |
 * | partial fills  | ATM 90 %, one strike away 70 %, further 50 % (each lot fills with that chance)  |
 * | queue position | a resting limit fills only when the market trades *through* it (touch ≠ fill)    |
 * | time of day    | 09:15–09:30 and 15:00–15:30 IST: slippage × 2, fill rate 50 %                   |
 * | rejects        | 2 % at the exchange, +5 % while India VIX > 25                                 |
 * | latency        | 100 ms, 300 ms under stress (VIX > 25)                                         |
 * | spread cost    | walk the opposite side of the depth (VWAP); without depth the spread is taken  |
 * |                | as 2 ticks and crossing it costs half of that                                  |
 *
 * Decisions this module makes where the plan is silent (documented, tested):
 *  - moneyness counts whole strikes from the ATM strike on either side (ITM legs are as thin as OTM);
 *  - a MARKET order fills what the fill rate allows and the rest is cancelled (IOC-like), so it
 *    never rests; a LIMIT order's unfilled lots rest and keep filling on later trade-throughs;
 *  - fill rates are per-lot chances, so the configured rate is the expected filled fraction for any
 *    order size (a 1-lot deep-OTM market order fills or is cancelled, 50/50);
 *  - a passive (resting) fill happens at the limit price without slippage.
 */
export type MicrostructureParams = Config['replay'];

/** The plan's values (config.replay.* defaults). */
export const DEFAULT_MICROSTRUCTURE: MicrostructureParams = Object.freeze(
  Object.fromEntries(Object.entries(CONFIG_TREE.replay).map(([k, leaf]) => [k, leaf.default])),
) as MicrostructureParams;

export type Side = 'BUY' | 'SELL';
export type PriceType = 'MARKET' | 'LIMIT' | 'SL' | 'SL-M';

export interface InstrumentProfile {
  readonly kind: 'equity' | 'future' | 'option' | 'index';
  readonly tickSize: number;
  readonly lotSize: number;
  /** Equities: NIFTY 50 member. */
  readonly largeCap: boolean;
  /** Options: whole strikes between this strike and the ATM strike (0 = ATM). */
  readonly strikesFromAtm?: number;
}

export interface BookLevel {
  readonly price: number;
  readonly quantity: number;
}

export interface MarketState {
  readonly ltp: number;
  /** Best bid/ask; 0 when the side is empty or unknown. */
  readonly bid: number;
  readonly ask: number;
  /** Depth, best first; empty when not available. */
  readonly bids: readonly BookLevel[];
  readonly asks: readonly BookLevel[];
  /** India VIX in points, when known. */
  readonly vix: number | undefined;
  /** IST minutes since midnight (fractional). */
  readonly istMinute: number;
}

export interface WorkingOrder {
  readonly action: Side;
  readonly pricetype: PriceType;
  /** Quantity still to fill, in units (a multiple of the lot size). */
  readonly remaining: number;
  /** Limit price (LIMIT, SL). */
  readonly price: number;
  readonly triggerPrice: number;
  /** SL / SL-M: the trigger has already been hit. */
  readonly triggered: boolean;
}

export type MatchDecision =
  | { readonly kind: 'reject'; readonly reason: string }
  /** Nothing filled; the order keeps working (`triggered` may have flipped). */
  | { readonly kind: 'wait'; readonly triggered: boolean }
  /** Nothing filled and nothing will: the order is cancelled (a market order found no fill). */
  | { readonly kind: 'cancel'; readonly reason: string }
  | {
      readonly kind: 'fill';
      readonly quantity: number;
      readonly price: number;
      /** Adverse price move per unit from slippage (≥ 0). */
      readonly slippage: number;
      /** Adverse distance per unit of the depth VWAP from the mid (≥ 0 normally). */
      readonly spreadCost: number;
      /** What happens to the unfilled quantity. */
      readonly remainder: 'none' | 'rest' | 'cancel';
      readonly triggered: boolean;
    };

export type LiquidityBucket =
  | 'LARGE_CAP'
  | 'MID_CAP'
  | 'FUTURE'
  | 'OPTION_ATM'
  | 'OPTION_OTM1'
  | 'OPTION_DEEP_OTM';

/** 09:15–09:30 and 15:00–15:30 IST. */
const EDGE_WINDOWS: ReadonlyArray<readonly [number, number]> = [
  [9 * 60 + 15, 9 * 60 + 30],
  [15 * 60, 15 * 60 + 30],
];
/** Above this many lots the binomial draw uses its normal approximation. */
const EXACT_BINOMIAL_MAX_LOTS = 64;

export function isEdgeSession(istMinute: number): boolean {
  return EDGE_WINDOWS.some(([a, b]) => istMinute >= a && istMinute < b);
}

/** Market stress: India VIX above the high-vol threshold. */
export function isStressed(m: Pick<MarketState, 'vix'>, p: MicrostructureParams): boolean {
  return m.vix !== undefined && m.vix > p.highVolVix;
}

export function orderLatencyMs(m: Pick<MarketState, 'vix'>, p: MicrostructureParams): number {
  return isStressed(m, p) ? p.stressLatencyMs : p.latencyMs;
}

export function rejectProbability(m: Pick<MarketState, 'vix'>, p: MicrostructureParams): number {
  return Math.min(1, p.rejectRate + (isStressed(m, p) ? p.highVolRejectRate : 0));
}

export function liquidityBucket(inst: InstrumentProfile): LiquidityBucket {
  if (inst.kind === 'option') {
    const d = Math.abs(inst.strikesFromAtm ?? 0);
    return d === 0 ? 'OPTION_ATM' : d === 1 ? 'OPTION_OTM1' : 'OPTION_DEEP_OTM';
  }
  if (inst.kind === 'future' || inst.kind === 'index') return 'FUTURE';
  return inst.largeCap ? 'LARGE_CAP' : 'MID_CAP';
}

/** Expected filled fraction of a marketable order (and of each trade-through of a resting one). */
export function fillRate(
  inst: InstrumentProfile,
  m: Pick<MarketState, 'istMinute'>,
  p: MicrostructureParams,
): number {
  const b = liquidityBucket(inst);
  const base =
    b === 'OPTION_ATM'
      ? p.fillRateAtm
      : b === 'OPTION_OTM1'
        ? p.fillRateOtm1
        : b === 'OPTION_DEEP_OTM'
          ? p.fillRateDeepOtm
          : 1;
  return isEdgeSession(m.istMinute) ? Math.min(base, p.edgeSessionFillRate) : base;
}

function ceilToTick(x: number, tick: number): number {
  return Number((Math.ceil(x / tick - 1e-9) * tick).toFixed(6));
}

/** Adverse slippage per unit, in price, rounded up to the tick. */
export function slippagePerUnit(
  inst: InstrumentProfile,
  refPrice: number,
  m: Pick<MarketState, 'istMinute'>,
  p: MicrostructureParams,
): number {
  const mult = isEdgeSession(m.istMinute) ? p.edgeSessionSlippageMultiple : 1;
  const b = liquidityBucket(inst);
  let ticks: number;
  switch (b) {
    case 'LARGE_CAP':
      return ceilToTick((refPrice * p.slippageLargeCapPct * mult) / 100, inst.tickSize);
    case 'MID_CAP':
      return ceilToTick((refPrice * p.slippageMidCapPct * mult) / 100, inst.tickSize);
    case 'FUTURE':
    case 'OPTION_ATM':
      ticks = p.slippageAtmTicks;
      break;
    default: {
      const d = Math.abs(inst.strikesFromAtm ?? 1);
      ticks = Math.min(p.slippageOtmTicksMax, p.slippageOtmTicksMin + Math.max(0, d - 1));
    }
  }
  return Number((ticks * mult * inst.tickSize).toFixed(6));
}

/**
 * Price of taking `quantity` from the opposite side: VWAP over the depth levels (the last level's
 * price for whatever exceeds the book), else top of book, else LTP ± half the fallback spread.
 * `spreadCost` is the adverse distance of that price from the mid (or from LTP without a book).
 */
export function sweepPrice(
  side: Side,
  quantity: number,
  inst: InstrumentProfile,
  m: MarketState,
  p: MicrostructureParams,
): { price: number; spreadCost: number } {
  const levels = (side === 'BUY' ? m.asks : m.bids).filter((l) => l.price > 0 && l.quantity > 0);
  const sign = side === 'BUY' ? 1 : -1;
  const mid = m.bid > 0 && m.ask > 0 ? (m.bid + m.ask) / 2 : m.ltp;
  if (levels.length > 0) {
    let left = quantity;
    let notional = 0;
    for (const l of levels) {
      const take = Math.min(left, l.quantity);
      notional += take * l.price;
      left -= take;
      if (left <= 0) break;
    }
    if (left > 0) notional += left * levels.at(-1)!.price;
    const vwap = notional / quantity;
    return { price: vwap, spreadCost: sign * (vwap - mid) };
  }
  const top = side === 'BUY' ? m.ask : m.bid;
  if (top > 0) return { price: top, spreadCost: sign * (top - mid) };
  const half = (p.spreadTicksFallback * inst.tickSize) / 2;
  return { price: m.ltp + sign * half, spreadCost: half };
}

/** How many of `lots` fill when each fills with probability `rate`. */
export function fillLots(lots: number, rate: number, rng: Rng): number {
  if (lots <= 0) return 0;
  if (rate >= 1) return lots;
  if (rate <= 0) return 0;
  if (lots <= EXACT_BINOMIAL_MAX_LOTS) {
    let n = 0;
    for (let i = 0; i < lots; i++) if (rng.next() < rate) n++;
    return n;
  }
  const mean = lots * rate;
  const sd = Math.sqrt(lots * rate * (1 - rate));
  return Math.min(lots, Math.max(0, Math.round(mean + sd * rng.normal())));
}

function triggerHit(o: WorkingOrder, ltp: number): boolean {
  return o.action === 'BUY' ? ltp >= o.triggerPrice : ltp <= o.triggerPrice;
}

/** A limit is marketable when the opposite best (or LTP without a book) is at or better than it. */
function marketable(o: WorkingOrder, m: MarketState): boolean {
  const opp = o.action === 'BUY' ? m.ask : m.bid;
  const ref = opp > 0 ? opp : m.ltp;
  return o.action === 'BUY' ? ref <= o.price : ref >= o.price;
}

/** Trade-through: the market printed strictly beyond the limit, so the queue ahead is gone. */
function tradedThrough(o: WorkingOrder, m: MarketState): boolean {
  return o.action === 'BUY' ? m.ltp < o.price : m.ltp > o.price;
}

function roundToTick(x: number, tick: number): number {
  return Number((Math.round(x / tick) * tick).toFixed(6));
}

function take(
  o: WorkingOrder,
  inst: InstrumentProfile,
  m: MarketState,
  p: MicrostructureParams,
  rng: Rng,
  limit: number | undefined,
  triggered: boolean,
): MatchDecision {
  const lot = Math.max(1, inst.lotSize);
  const lots = Math.floor(o.remaining / lot);
  const filledLots = fillLots(lots, fillRate(inst, m, p), rng);
  const isMarket = limit === undefined;
  if (filledLots === 0) {
    return isMarket
      ? { kind: 'cancel', reason: 'No fill: insufficient liquidity for a market order (simulated)' }
      : { kind: 'wait', triggered };
  }
  const quantity = filledLots * lot;
  const sweep = sweepPrice(o.action, quantity, inst, m, p);
  const slip = slippagePerUnit(inst, sweep.price, m, p);
  const sign = o.action === 'BUY' ? 1 : -1;
  let price = roundToTick(sweep.price + sign * slip, inst.tickSize);
  if (limit !== undefined) price = o.action === 'BUY' ? Math.min(price, limit) : Math.max(price, limit);
  if (price <= 0) price = inst.tickSize;
  const rest = o.remaining - quantity;
  return {
    kind: 'fill',
    quantity,
    price,
    slippage: slip,
    spreadCost: sweep.spreadCost,
    remainder: rest === 0 ? 'none' : isMarket ? 'cancel' : 'rest',
    triggered,
  };
}

/**
 * An order reaching the exchange (after `orderLatencyMs`): the random reject draw comes first, then
 * the order takes liquidity if it is marketable, else it rests (or waits for its trigger).
 */
export function matchOnArrival(
  o: WorkingOrder,
  inst: InstrumentProfile,
  m: MarketState,
  p: MicrostructureParams,
  rng: Rng,
): MatchDecision {
  const pr = rejectProbability(m, p);
  if (rng.next() < pr) {
    return {
      kind: 'reject',
      reason: `Rejected by exchange (simulated ${(pr * 100).toFixed(0)}% reject rate${isStressed(m, p) ? ', VIX high' : ''})`,
    };
  }
  return matchTaker(o, inst, m, p, rng);
}

function matchTaker(
  o: WorkingOrder,
  inst: InstrumentProfile,
  m: MarketState,
  p: MicrostructureParams,
  rng: Rng,
): MatchDecision {
  switch (o.pricetype) {
    case 'MARKET':
      return take(o, inst, m, p, rng, undefined, false);
    case 'LIMIT':
      return marketable(o, m) ? take(o, inst, m, p, rng, o.price, false) : { kind: 'wait', triggered: false };
    case 'SL-M':
      if (!o.triggered && !triggerHit(o, m.ltp)) return { kind: 'wait', triggered: false };
      return take(o, inst, m, p, rng, undefined, true);
    case 'SL':
      if (!o.triggered && !triggerHit(o, m.ltp)) return { kind: 'wait', triggered: false };
      return marketable(o, m) ? take(o, inst, m, p, rng, o.price, true) : { kind: 'wait', triggered: true };
  }
}

/**
 * A working order on a later tick: untriggered stops are re-checked and, once triggered, behave as on
 * arrival; a resting limit fills only on a trade-through, at its limit, without slippage.
 */
export function matchOnTick(
  o: WorkingOrder,
  inst: InstrumentProfile,
  m: MarketState,
  p: MicrostructureParams,
  rng: Rng,
): MatchDecision {
  const stop = o.pricetype === 'SL' || o.pricetype === 'SL-M';
  if (stop && !o.triggered) return matchTaker(o, inst, m, p, rng);
  if (o.pricetype === 'SL-M' || o.pricetype === 'MARKET') return take(o, inst, m, p, rng, undefined, true);
  if (!tradedThrough(o, m)) return { kind: 'wait', triggered: o.triggered };
  const lot = Math.max(1, inst.lotSize);
  const filledLots = fillLots(Math.floor(o.remaining / lot), fillRate(inst, m, p), rng);
  if (filledLots === 0) return { kind: 'wait', triggered: o.triggered };
  const quantity = filledLots * lot;
  return {
    kind: 'fill',
    quantity,
    price: o.price,
    slippage: 0,
    spreadCost: 0,
    remainder: quantity === o.remaining ? 'none' : 'rest',
    triggered: o.triggered,
  };
}
