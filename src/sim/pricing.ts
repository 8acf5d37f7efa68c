import { blackScholes, blackScholesPrice } from '../quant/index.js';
import { hash32, hashUnit } from './hash.js';
import type { Instrument } from './instruments.js';
import { MINUTE_MS, YEAR_MS } from './ist.js';
import type { BookLevel } from './microstructure.js';
import { impliedVol, MIN_T_YEARS } from './vol-surface.js';

/**
 * Prices of the derived instruments (index futures and options) from their underlying, India VIX and
 * time, plus the deterministic parts of every quote (depth sizes, OI, volume) keyed by
 * (seed, symbol, time) so that asking twice, or in a different order, gives the same answer.
 */

/** India's short rate (91-day T-bill ≈ 6.5 %) and the NIFTY dividend yield (≈ 1.2 %). */
export const RISK_FREE_RATE = 0.065;
export const DIVIDEND_YIELD = 0.012;
export const DEPTH_LEVELS = 5;

export interface DepthLevel extends BookLevel {
  readonly orders: number;
}

export function yearsToExpiry(inst: Instrument, t: number): number {
  return Math.max(0, ((inst.expiryMs ?? t) - t) / YEAR_MS);
}

export function forwardPrice(spot: number, years: number): number {
  return spot * Math.exp((RISK_FREE_RATE - DIVIDEND_YIELD) * years);
}

/** Price and greeks in raw units: theta per year, vega and rho per 1.00 (not per percent). */
export interface Greeks {
  readonly price: number;
  readonly delta: number;
  readonly gamma: number;
  readonly thetaPerYear: number;
  readonly vegaPerUnit: number;
  readonly rhoPerUnit: number;
}

/** Black–Scholes–Merton via the quant engine, normalised to raw units (see `QUANT_UNITS`). */
export function bsm(
  flag: 'c' | 'p',
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  sigma: number,
): Greeks {
  const g = blackScholes({ flag, S, K, T, r, q, sigma });
  return {
    price: g.price,
    delta: g.delta,
    gamma: g.gamma,
    thetaPerYear: g.theta * QUANT_UNITS.thetaPerYear,
    vegaPerUnit: g.vega * QUANT_UNITS.vegaPerUnit,
    rhoPerUnit: g.rho * QUANT_UNITS.rhoPerUnit,
  };
}

/**
 * Multipliers from the quant engine's greek units (py_vollib's: theta per calendar day, vega per
 * volatility point, rho per 1 % of r) to raw ones.
 */
const QUANT_UNITS = { thetaPerYear: 365, vegaPerUnit: 100, rhoPerUnit: 100 };

export interface OptionValue {
  readonly price: number;
  /** Decimal (0.15 = 15 %). */
  readonly iv: number;
  readonly forward: number;
  readonly years: number;
}

/** Black–Scholes–Merton value with the VIX-tied smile; at expiry, intrinsic value. */
export function optionValue(inst: Instrument, spot: number, vix: number, t: number): OptionValue {
  const k = inst.strike ?? spot;
  const years = yearsToExpiry(inst, t);
  const forward = forwardPrice(spot, years);
  const iv = impliedVol(vix, forward, k, Math.max(years, MIN_T_YEARS), inst.name);
  if (years <= 0) {
    const intrinsic = inst.optionType === 'CE' ? Math.max(0, spot - k) : Math.max(0, k - spot);
    return { price: intrinsic, iv, forward, years };
  }
  const price = blackScholesPrice({
    flag: inst.optionType === 'CE' ? 'c' : 'p',
    S: spot,
    K: k,
    T: years,
    r: RISK_FREE_RATE,
    q: DIVIDEND_YIELD,
    sigma: iv,
  });
  return { price: Math.max(0, price), iv, forward, years };
}

/** Strikes between this option and the ATM strike (signed: + above ATM). */
export function strikesFromAtm(inst: Instrument, spot: number): number {
  const step = inst.underlying?.strikeStep ?? 1;
  const atm = Math.round(spot / step) * step;
  return Math.round(((inst.strike ?? atm) - atm) / step);
}

/** Nearest multiple of `tick`, cleaned to 2 decimals (ticks are 0.05 / 0.10 / 0.20). */
export function roundTick(x: number, tick: number): number {
  return Math.round(Math.round(x / tick) * tick * 100) / 100;
}

function floorTick(x: number, tick: number): number {
  return Math.round(Math.floor(x / tick + 1e-9) * tick * 100) / 100;
}

/** Quoted spread in ticks for an option: tight at the money, wider away from it. */
export function optionSpreadTicks(strikesAway: number): number {
  return 1 + Math.min(4, Math.floor(Math.abs(strikesAway) / 2));
}

export interface BookSide {
  readonly bid: number;
  readonly ask: number;
  readonly ltp: number;
}

/** Bid/ask/LTP around a theoretical option value, on the tick grid (bid 0 when too cheap to bid). */
export function optionBook(theo: number, strikesAway: number, tick: number, noise: number): BookSide {
  const spread = optionSpreadTicks(strikesAway) * tick;
  let bid = floorTick(theo - spread / 2, tick);
  if (bid < tick) bid = 0;
  const ask = bid > 0 ? roundTick(bid + spread, tick) : roundTick(Math.max(tick, theo) + tick, tick);
  // LTP: the last trade printed at the bid, the ask or in between (noise in [0, 1)).
  const lo = bid > 0 ? bid : tick;
  const ltp = roundTick(lo + (ask - lo) * noise, tick);
  return { bid, ask, ltp: Math.max(tick, Math.min(ask, ltp)) };
}

function levelSize(h: number, lot: number, liquidity: number, level: number): number {
  return lot * Math.max(1, Math.round((1 + (h % 60)) * liquidity * (1 + level * 0.5)));
}

/**
 * Five levels each side, one tick apart from the best, sizes in whole lots. Sizes shrink away from
 * the money (`liquidity` ∈ (0, 1]) and change every tick (keyed by the tick time).
 */
export function depthLadder(
  seed: number,
  symbol: string,
  t: number,
  bid: number,
  ask: number,
  tick: number,
  lot: number,
  liquidity: number,
): { bids: DepthLevel[]; asks: DepthLevel[] } {
  const bids: DepthLevel[] = [];
  const asks: DepthLevel[] = [];
  for (let i = 0; i < DEPTH_LEVELS; i++) {
    const hb = hash32(seed, symbol, t, 1, i);
    const ha = hash32(seed, symbol, t, 2, i);
    const bp = roundTick(bid - i * tick, tick);
    bids.push(
      bid > 0 && bp > 0
        ? { price: bp, quantity: levelSize(hb, lot, liquidity, i), orders: 1 + ((hb >>> 8) % 25) }
        : { price: 0, quantity: 0, orders: 0 },
    );
    asks.push({
      price: roundTick(ask + i * tick, tick),
      quantity: levelSize(ha, lot, liquidity, i),
      orders: 1 + ((ha >>> 8) % 25),
    });
  }
  return { bids, asks };
}

/**
 * Open interest in units that evolves through the day: a base peaking at the money and at round
 * strikes, drifting by up to ±15 % over the session, with a small per-minute wiggle.
 */
export function openInterest(
  seed: number,
  inst: Instrument,
  strikesAway: number,
  t: number,
  sessionFraction: number,
): number {
  const lot = inst.lotSize;
  if (inst.kind === 'future') {
    const base = 150_000 + (hash32(seed, 'oi', inst.symbol) % 50_000);
    return Math.round(base * (1 + 0.05 * sessionFraction)) * lot;
  }
  const round = inst.strike !== undefined && inst.strike % (inst.underlying!.strikeStep * 10) === 0 ? 1.6 : 1;
  const base =
    (20_000 + (hash32(seed, 'oi', inst.symbol) % 30_000)) * Math.exp(-Math.abs(strikesAway) / 8) * round;
  const drift = (hashUnit(seed, 'oi-dir', inst.symbol, inst.expiry ?? '') - 0.5) * 0.3;
  const minute = Math.floor(t / MINUTE_MS);
  const wiggle = (hashUnit(seed, 'oi-min', inst.symbol, minute) - 0.5) * 0.01;
  return Math.max(lot, Math.round(base * (1 + drift * sessionFraction + wiggle)) * lot);
}

/** Cumulative day volume in units, a deterministic function of time (front-loaded like NSE's). */
export function dayVolume(
  seed: number,
  inst: Instrument,
  strikesAway: number,
  sessionFraction: number,
): number {
  const lot = inst.lotSize;
  const perDayLots =
    inst.kind === 'future'
      ? 60_000 + (hash32(seed, 'vol', inst.symbol) % 40_000)
      : (400_000 + (hash32(seed, 'vol', inst.symbol) % 200_000)) * Math.exp(-Math.abs(strikesAway) / 4);
  return Math.round(perDayLots * Math.max(0, sessionFraction) ** 0.8) * lot;
}
