/**
 * Margin of a set of positions, pure. Used for both `/margin` (the broker's calculator) and the funds
 * the simulator blocks for positions and working orders, so the two always agree.
 *
 * - Equity, futures and long options follow the OpenAlgo sandbox's leverage rule (SANDBOX.md A.3):
 *   |qty| × price / leverage, with MIS 5×, CNC/NRML 1×, futures 10×, option buys 1× (full premium).
 * - Short options deliberately do *not* use the sandbox's "full premium" rule (README quirk 8): the
 *   margin-reserve gate (plan §7 step 8) needs broker-like numbers, so a naked short is charged a
 *   SPAN-like 9 % of the underlying's notional, less half the out-of-the-money amount, never below 3 %
 *   or the premium, plus 2 % exposure margin.
 * - `spreadLeverage` (plan, Phase 1 sandbox_db, default 5×): the part of a short covered by longs of
 *   the same underlying, expiry and option type (a vertical spread) is charged 1/spreadLeverage of its
 *   naked margin. A hedged spread therefore needs less than its naked short.
 */
export interface MarginLeg {
  readonly kind: 'equity' | 'future' | 'option' | 'index';
  readonly product: string;
  /** Signed units. */
  readonly quantity: number;
  /** Option premium, or the price of the stock/future. */
  readonly price: number;
  readonly underlying?: string;
  readonly expiry?: string;
  readonly optionType?: 'CE' | 'PE';
  readonly strike?: number;
  /** Options: the underlying's price. */
  readonly underlyingPrice?: number;
}

export interface MarginParams {
  readonly equityMisLeverage: number;
  readonly equityCncLeverage: number;
  readonly futuresLeverage: number;
  readonly optionBuyLeverage: number;
  readonly shortOptionSpanPct: number;
  readonly shortOptionMinPct: number;
  readonly shortOptionExposurePct: number;
  readonly spreadLeverage: number;
}

/** OpenAlgo sandbox leverage defaults (SANDBOX.md A.2) and SPAN-like short-option rates. */
export const DEFAULT_MARGIN_PARAMS: MarginParams = Object.freeze({
  equityMisLeverage: 5,
  equityCncLeverage: 1,
  futuresLeverage: 10,
  optionBuyLeverage: 1,
  shortOptionSpanPct: 0.09,
  shortOptionMinPct: 0.03,
  shortOptionExposurePct: 0.02,
  spreadLeverage: 5,
});

/** Futures margin split as brokers report it: SPAN part and exposure part. */
const FUTURES_SPAN_SHARE = 0.8;

export interface MarginBreakdown {
  readonly total: number;
  readonly span: number;
  readonly exposure: number;
  readonly premium: number;
  /** Naked (no hedge recognised) total minus total. */
  readonly benefit: number;
}

function shortUnitMargin(leg: MarginLeg, p: MarginParams): { span: number; exposure: number } {
  const s = leg.underlyingPrice ?? 0;
  const k = leg.strike ?? s;
  const otm = leg.optionType === 'CE' ? Math.max(0, k - s) : Math.max(0, s - k);
  const span = Math.max(p.shortOptionSpanPct * s - 0.5 * otm, p.shortOptionMinPct * s, leg.price);
  return { span, exposure: p.shortOptionExposurePct * s };
}

export function portfolioMargin(
  legs: readonly MarginLeg[],
  p: MarginParams = DEFAULT_MARGIN_PARAMS,
): MarginBreakdown {
  let span = 0;
  let exposure = 0;
  let premium = 0;
  let naked = 0;
  const groups = new Map<
    string,
    { shorts: { units: number; span: number; exposure: number }[]; longUnits: number }
  >();
  for (const leg of legs) {
    const q = Math.abs(leg.quantity);
    if (q === 0) continue;
    if (leg.kind === 'equity' || leg.kind === 'index') {
      const lev = leg.product === 'MIS' ? p.equityMisLeverage : p.equityCncLeverage;
      exposure += (q * leg.price) / lev;
    } else if (leg.kind === 'future') {
      const m = (q * leg.price) / p.futuresLeverage;
      span += m * FUTURES_SPAN_SHARE;
      exposure += m * (1 - FUTURES_SPAN_SHARE);
    } else {
      const key = `${leg.underlying}|${leg.expiry}|${leg.optionType}`;
      const g = groups.get(key) ?? { shorts: [], longUnits: 0 };
      groups.set(key, g);
      if (leg.quantity > 0) {
        premium += (q * leg.price) / p.optionBuyLeverage;
        g.longUnits += q;
      } else g.shorts.push({ units: q, ...shortUnitMargin(leg, p) });
    }
  }
  naked = span + exposure + premium;
  for (const g of groups.values()) {
    // Cover the dearest shorts first: that is the hedge allocation a broker's SPAN would find.
    g.shorts.sort((a, b) => b.span + b.exposure - (a.span + a.exposure));
    let cover = g.longUnits;
    for (const s of g.shorts) {
      const covered = Math.min(cover, s.units);
      cover -= covered;
      const uncovered = s.units - covered;
      const f = uncovered + covered / p.spreadLeverage;
      span += s.span * f;
      exposure += s.exposure * f;
      naked += (s.span + s.exposure) * s.units;
    }
  }
  const total = span + exposure + premium;
  return { total, span, exposure, premium, benefit: Math.max(0, naked - total) };
}
