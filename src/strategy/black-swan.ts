import { type ChainParams, quotePrice, strikeByDelta } from '../quant/index.js';
import {
  daysToExpiry,
  lotSizeOf,
  monthlyExpiries,
  optionSymbol,
  pricedStrikes,
  quoteOf,
} from './chain-utils.js';
import type { BlackSwanParams, StrategyChain } from './types.js';

/** The plan's band for the post-bootstrap budget: 1–2 % of rolling expected monthly profit (Phase 2). */
export const BLACK_SWAN_PROFIT_PCT_BAND = Object.freeze({ min: 1, max: 2 });
/** Buy the hedge on a monthly expiry at least this far out, so it protects the whole coming month. */
export const BLACK_SWAN_MIN_DTE = 7;

export interface BlackSwanBudget {
  readonly basis: 'FIXED' | 'PROFIT_SHARE';
  /** Rupees the month's hedge may cost at most. */
  readonly budget: number;
  /** The least the month's hedge should cost (the band's floor; equals `budget` when fixed). */
  readonly minBudget: number;
  /** The percentages applied (PROFIT_SHARE only), after clamping to the plan's 1–2 %. */
  readonly pctMin?: number;
  readonly pctMax?: number;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * Phase 2 Black Swan hedge budget for a month. Fewer than `bootstrapTrades` (30) trades: the fixed
 * ₹`fixedMonthlyBudget` (5,000). From then on: `profitPctMin`–`profitPctMax` % of the rolling expected
 * monthly profit, the percentages clamped into the plan's 1–2 % band; the budget is the band's top.
 * A non-positive or unknown expected profit funds nothing.
 */
export function blackSwanBudget(
  tradeCount: number,
  rollingExpectedMonthlyProfit: number,
  params: Pick<BlackSwanParams, 'bootstrapTrades' | 'fixedMonthlyBudget' | 'profitPctMin' | 'profitPctMax'>,
): BlackSwanBudget {
  if (!(Number.isFinite(tradeCount) && tradeCount >= 0) || tradeCount < params.bootstrapTrades) {
    const b = Math.max(0, params.fixedMonthlyBudget);
    return { basis: 'FIXED', budget: b, minBudget: b };
  }
  const { min, max } = BLACK_SWAN_PROFIT_PCT_BAND;
  const pctMin = clamp(params.profitPctMin, min, max);
  const pctMax = clamp(Math.max(params.profitPctMax, pctMin), pctMin, max);
  const profit = Number.isFinite(rollingExpectedMonthlyProfit)
    ? Math.max(0, rollingExpectedMonthlyProfit)
    : 0;
  return {
    basis: 'PROFIT_SHARE',
    budget: (profit * pctMax) / 100,
    minBudget: (profit * pctMin) / 100,
    pctMin,
    pctMax,
  };
}

export interface BlackSwanPut {
  readonly symbol: string;
  readonly exchange: string;
  readonly expiry: string;
  readonly strike: number;
  readonly delta: number;
  readonly iv: number;
  /** Price per unit (mid, else LTP). */
  readonly price: number;
  readonly lotSize: number;
  readonly dte: number;
}

export type BlackSwanPick =
  | ({ readonly ok: true } & BlackSwanPut)
  | {
      readonly ok: false;
      readonly reason: 'NO_MONTHLY_EXPIRY' | 'NO_STRIKE' | 'NO_LOT_SIZE';
      readonly message: string;
    };

/**
 * The tail hedge: the put nearest |delta| = `putDelta` (5-delta) on the nearest monthly expiry at
 * least BLACK_SWAN_MIN_DTE days out, among strikes with a price.
 */
export function selectBlackSwanPut(
  chain: StrategyChain,
  params: Pick<BlackSwanParams, 'putDelta'> & { readonly riskFreeRatePct: number },
  nowWallMs: number,
): BlackSwanPick {
  const monthly = monthlyExpiries(chain.expiries.map((e) => e.expiry)).filter(
    (e) => daysToExpiry(e, nowWallMs) >= BLACK_SWAN_MIN_DTE,
  );
  const expiry = monthly[0];
  const e = chain.expiries.find((x) => x.expiry === expiry);
  if (expiry === undefined || e === undefined) {
    return { ok: false, reason: 'NO_MONTHLY_EXPIRY', message: 'no monthly expiry far enough out' };
  }
  const ks = new Set(pricedStrikes(e, 'PE'));
  const priced: StrategyChain = {
    ...chain,
    expiries: [{ ...e, rows: e.rows.filter((r) => ks.has(r.strike)) }],
  };
  const cp: ChainParams = { r: params.riskFreeRatePct / 100, wallMs: nowWallMs };
  const found = strikeByDelta(priced, 'p', params.putDelta, cp, expiry);
  if (found === null) return { ok: false, reason: 'NO_STRIKE', message: `no priced put on ${expiry}` };
  const q = quoteOf(e, found.strike, 'PE');
  const lotSize = lotSizeOf(chain, q);
  if (lotSize === undefined) return { ok: false, reason: 'NO_LOT_SIZE', message: 'lot size unknown' };
  return {
    ok: true,
    symbol: q?.symbol ?? optionSymbol(chain.underlying, expiry, found.strike, 'PE'),
    exchange: chain.exchange ?? 'NFO',
    expiry,
    strike: found.strike,
    delta: found.delta,
    iv: found.iv,
    price: quotePrice(q) ?? 0,
    lotSize,
    dte: daysToExpiry(expiry, nowWallMs),
  };
}

/** Lots of the hedge put the budget buys (whole lots, never above the budget). */
export function blackSwanLots(budget: number, pricePerUnit: number, lotSize: number): number {
  if (!(budget > 0 && pricePerUnit > 0 && lotSize > 0)) return 0;
  return Math.floor(budget / (pricePerUnit * lotSize) + EPS_LOTS);
}
const EPS_LOTS = 1e-9;
