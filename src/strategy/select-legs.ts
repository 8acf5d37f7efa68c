import type { OptionType } from '../contracts/index.js';
import {
  blackScholes,
  type ChainParams,
  expiryT,
  quoteIv,
  quotePrice,
  straddleMove,
  strikeByDelta,
} from '../quant/index.js';
import { expiriesInWindow, lotSizeOf, optionSymbol, pricedStrikes, quoteOf } from './chain-utils.js';
import type {
  LegName,
  LegSelection,
  SelectedLeg,
  SelectReason,
  StrategyChain,
  StrategyDefinition,
  StrategyParams,
  TradableExpiry,
} from './types.js';

/**
 * How far the chosen short's |delta| may be from `shortDelta` (absolute). NIFTY's 50-point strikes
 * step delta by ~0.02–0.06 near 0.20, so the nearest listed strike is well inside this; a wider miss
 * means the chain is too sparse (or too stale) to pick by delta.
 */
export const DEFAULT_DELTA_TOLERANCE = 0.05;

export interface SelectOptions {
  readonly deltaTolerance?: number;
}

type Fail = Extract<LegSelection, { ok: false }>;
const fail = (reason: SelectReason, message: string, details: Record<string, unknown> = {}): Fail => ({
  ok: false,
  reason,
  message,
  details,
});

const flagOf = (t: OptionType): 'c' | 'p' => (t === 'CE' ? 'c' : 'p');

/** The chain reduced to one expiry's rows that carry a price on `type`'s side. */
function pricedOnly(chain: StrategyChain, e: TradableExpiry, type: OptionType): StrategyChain {
  const ks = new Set(pricedStrikes(e, type));
  return { ...chain, expiries: [{ ...e, rows: e.rows.filter((r) => ks.has(r.strike)) }] };
}

function selectOnExpiry(
  def: StrategyDefinition,
  chain: StrategyChain,
  e: TradableExpiry,
  dte: number,
  params: StrategyParams,
  cp: ChainParams,
  tolerance: number,
): LegSelection {
  const T = expiryT(e, cp);
  const r = cp.r ?? 0;
  const picked = new Map<LegName, SelectedLeg>();
  const exchange = chain.exchange ?? 'NFO';

  const leg = (
    d: StrategyDefinition['legs'][number],
    strike: number,
    delta: number | null,
    iv: number | null,
  ): SelectedLeg | Fail => {
    const q = quoteOf(e, strike, d.optionType);
    const price = quotePrice(q);
    if (price === null || !(price > 0)) {
      return fail('NO_PRICE', `${d.name} ${strike}${d.optionType} has no price`, {
        strike,
        expiry: e.expiry,
      });
    }
    let dl = delta;
    let v = iv;
    if (dl === null || v === null) {
      v = quoteIv(q, flagOf(d.optionType), chain.spot, strike, T, r, 0);
      dl =
        v === null
          ? null
          : blackScholes({ flag: flagOf(d.optionType), S: chain.spot, K: strike, T, r, q: 0, sigma: v })
              .delta;
    }
    return {
      name: d.name,
      role: d.role,
      optionType: d.optionType,
      action: d.action,
      pairLeg: d.pairLeg,
      expiry: e.expiry,
      strike,
      symbol: q?.symbol ?? optionSymbol(chain.underlying, e.expiry, strike, d.optionType),
      expectedPrice: price,
      delta: dl,
      iv: v,
    };
  };

  // Shorts first: the wings are placed relative to them.
  for (const d of def.legs) {
    if (d.strike.kind !== 'SHORT_DELTA') continue;
    const found = strikeByDelta(
      pricedOnly(chain, e, d.optionType),
      flagOf(d.optionType),
      params.shortDelta,
      cp,
      e.expiry,
    );
    if (found === null) {
      return fail('NO_SHORT_STRIKE', `no priced ${d.optionType} strike with an IV for ${d.name}`, {
        expiry: e.expiry,
      });
    }
    const miss = Math.abs(Math.abs(found.delta) - params.shortDelta);
    if (miss > tolerance) {
      return fail(
        'SHORT_DELTA_OFF',
        `${d.name}: nearest |delta| ${Math.abs(found.delta).toFixed(3)} is more than ${tolerance} from ${params.shortDelta}`,
        { expiry: e.expiry, strike: found.strike, delta: found.delta, target: params.shortDelta },
      );
    }
    const l = leg(d, found.strike, found.delta, found.iv);
    if (!('name' in l)) return l;
    picked.set(d.name, l);
  }
  for (const d of def.legs) {
    if (d.strike.kind !== 'WING') continue;
    const short = picked.get(d.strike.from);
    if (short === undefined) {
      return fail('NO_SHORT_STRIKE', `${d.name}: its short ${d.strike.from} was not chosen`, {});
    }
    const strikes = pricedStrikes(e, d.optionType);
    const i = strikes.indexOf(short.strike);
    // Further out of the money: lower strikes for puts, higher for calls.
    const j = d.optionType === 'PE' ? i - params.wingWidthStrikes : i + params.wingWidthStrikes;
    const wing = i < 0 ? undefined : strikes[j];
    if (wing === undefined) {
      return fail(
        'NO_HEDGE_STRIKE',
        `${d.name}: no priced strike ${params.wingWidthStrikes} strikes beyond ${short.strike}${d.optionType}`,
        { expiry: e.expiry, short: short.strike, wingWidthStrikes: params.wingWidthStrikes },
      );
    }
    const l = leg(d, wing, null, null);
    if (!('name' in l)) return l;
    picked.set(d.name, l);
  }

  const legs = def.legs.map((d) => picked.get(d.name)!);
  const shortQuote = quoteOf(e, legs.find((l) => l.role === 'SHORT')!.strike, legs[0]!.optionType);
  const lotSize = lotSizeOf(chain, shortQuote);
  if (lotSize === undefined) return fail('NO_LOT_SIZE', 'the chain does not state the lot size', {});
  const credit =
    legs.filter((l) => l.role === 'SHORT').reduce((s, l) => s + l.expectedPrice, 0) -
    legs.filter((l) => l.role === 'HEDGE').reduce((s, l) => s + l.expectedPrice, 0);
  if (!(credit > 0)) {
    return fail('NO_CREDIT', `the spread collects no credit (${credit.toFixed(2)})`, { credit });
  }
  const width = Math.max(
    ...legs.filter((l) => l.role === 'SHORT').map((s) => Math.abs(s.strike - picked.get(s.pairLeg)!.strike)),
  );
  const move = straddleMove(chain, cp, e.expiry).value;
  return {
    ok: true,
    strategyType: def.type,
    underlying: chain.underlying,
    exchange,
    spot: chain.spot,
    expiry: e.expiry,
    dte,
    lotSize,
    legs: [...legs.filter((l) => l.role === 'HEDGE'), ...legs.filter((l) => l.role === 'SHORT')],
    creditPerUnit: credit,
    widthPoints: width,
    maxLossPerUnit: Math.max(0, width - credit),
    impliedMove: move === null ? null : move.straddle,
  };
}

/**
 * Picks the legs of `def` from `chain`: the nearest expiry with days to expiry in [minDte, maxDte]
 * (the next one if the nearest cannot carry the structure), each short at |delta| ≈ shortDelta by
 * BSM at its own IV, each hedge `wingWidthStrikes` priced strikes further out of the money. Returns
 * the legs (hedges first) with symbols, expected prices and the credit, or a coded reason.
 */
export function selectLegs(
  def: StrategyDefinition,
  chain: StrategyChain,
  params: StrategyParams,
  nowWallMs: number,
  opts: SelectOptions = {},
): LegSelection {
  const candidates = expiriesInWindow(chain, nowWallMs, params.minDte, params.maxDte);
  if (candidates.length === 0) {
    return fail('NO_EXPIRY_IN_WINDOW', `no expiry between ${params.minDte} and ${params.maxDte} days`, {
      expiries: chain.expiries.map((e) => e.expiry),
    });
  }
  const cp: ChainParams = { r: params.riskFreeRatePct / 100, wallMs: nowWallMs };
  const tolerance = opts.deltaTolerance ?? DEFAULT_DELTA_TOLERANCE;
  let first: LegSelection | null = null;
  for (const c of candidates) {
    const s = selectOnExpiry(def, chain, c.expiry, c.dte, params, cp, tolerance);
    if (s.ok) return s;
    first ??= s;
  }
  return first!;
}
