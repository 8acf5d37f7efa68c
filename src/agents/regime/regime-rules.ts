import type { Config } from '../../config/index.js';
import type { ErrorCode, RegimeClass } from '../../contracts/index.js';
import type { IchimokuValue, ImpulseColor } from '../../quant/indicators/index.js';
import { assessAnalytics, type FreshnessParams, type Stamped } from '../../safety/index.js';

/**
 * Regime rules (plan Phase 2 `regime_agent`): pure, plain data in, plain data out. The same
 * function decides in replay and live; the engine feeds it, the agent publishes what it returns.
 * See docs/regime.md for the same table in prose.
 *
 * Precedence — the first matching row decides the class:
 *
 * | # | condition                                                           | class      | flag            |
 * |---|---------------------------------------------------------------------|------------|-----------------|
 * | 1 | a primary input missing or not finite (bar, Ichimoku, impulse, ATR)  | NO_TRADE   | INSUFFICIENT_DATA |
 * | 2 | no VIX ever received, or its value is not a finite number ≥ 0       | NO_TRADE   | VIX_MISSING     |
 * | 3 | VIX > `vixNoTrade`                                                  | NO_TRADE   | VIX_NO_TRADE    |
 * | 4 | bar range (high − low) > `blowoffAtrMultiple` × prior ATR(14)       | BLOWOFF    | —               |
 * | 5 | close inside the cloud, or within `congestionBandPct` % of its edge | CONGESTION | IN_CLOUD / NEAR_CLOUD |
 * | 6 | impulse blue and cloud flat (midline moved ≤ `congestionBandPct` %  | CONGESTION | FLAT_CLOUD      |
 * |   | over the last `ichimokuBase` bars)                                  |            |                 |
 * | 7 | close above the cloud, impulse not red, primary score > 0           | BULLISH    | —               |
 * | 8 | close below the cloud, impulse not green, primary score < 0         | BEARISH    | —               |
 * | 9 | anything else (trend against the impulse: a pullback)               | CONGESTION | IMPULSE_CONFLICT |
 *
 * Flags that never change the class: VIX > `vixHigh` → HIGH_VOL; VIX < `vixLow` → THIN_PREMIUM;
 * tenkan crossing kijun on this bar → TK_CROSS_UP / TK_CROSS_DOWN; the §4 analytics staleness flags.
 * Thresholds are strict: a value exactly at a threshold does not cross it (VIX = vixNoTrade is
 * tradable, range = multiple × ATR is not a blow-off); the congestion band is inclusive (a distance of
 * exactly `congestionBandPct` % is near the cloud).
 *
 * Score in [−1, 1], positive = bullish. Primary (Ichimoku + Impulse, weights sum to 1): close vs
 * cloud ±0.4, tenkan vs kijun ±0.2, cloud colour (leading span A vs B) ±0.15, impulse ±0.25.
 * Secondary confirmation (plan: "secondary, subject to analytics freshness gates") adds at most
 * ±0.1 each and never changes the class:
 *
 * | source    | used when (§4)          | effect                                                | stale (§4 table)                     |
 * |-----------|-------------------------|-------------------------------------------------------|--------------------------------------|
 * | PCR (OI)  | always (last known)     | > `pcrBullish` +0.1; < `pcrBearish` −0.1              | last known value used; PCR_STALE     |
 * | GEX       | ≤ `gexMaxAgeMs`         | close above the gamma flip +0.1, below −0.1;          | skipped (Ichimoku only); GEX_STALE   |
 * |           |                         | total GEX < 0 → NEGATIVE_GAMMA                        |                                      |
 * | Max Pain  | ≤ `maxPainMaxAgeMs`     | max-pain strike above close +0.1, below −0.1          | skipped; MAX_PAIN_STALE              |
 * | VIX       | always (last known)     | rows 2–3 and the HIGH_VOL / THIN_PREMIUM flags        | last known value used; VIX_STALE     |
 *
 * A secondary source that disagrees with a BULLISH/BEARISH class adds `<SOURCE>_DIVERGES`. Freshness
 * is judged by `assessAnalytics` (src/safety), so the thresholds and the "age > limit is stale" rule
 * are the gates' own. IV/greeks are not a regime input; their flags are not carried.
 */

/** Plan weights of the primary score (sum 1): position against the cloud dominates. */
export const PRIMARY_WEIGHTS = Object.freeze({ cloud: 0.4, tkCross: 0.2, cloudColour: 0.15, impulse: 0.25 });
/** Each fresh secondary source moves the score by at most this much. */
export const SECONDARY_WEIGHT = 0.1;
/** Wilder's ATR period for the blow-off test (not a plan threshold; the classic default). */
export const ATR_PERIOD = 14;

export type RegimeRuleParams = Pick<
  Config['regime'],
  | 'vixLow'
  | 'vixHigh'
  | 'vixNoTrade'
  | 'congestionBandPct'
  | 'blowoffAtrMultiple'
  | 'pcrBullish'
  | 'pcrBearish'
>;

export interface RegimeParams {
  readonly regime: RegimeRuleParams;
  readonly freshness: Partial<FreshnessParams>;
}

export interface RuleBar {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/** What the regime reads from a GEX result (src/quant/chain `gex`). */
export interface GexSummary {
  readonly total: number;
  readonly flip: number | null;
  readonly support: number | null;
  readonly resistance: number | null;
}

export interface RegimeInputs {
  /** Monotonic now: the analytics' ages are measured against it (§12). */
  readonly nowMs: number;
  /** The bar just closed. */
  readonly bar: RuleBar | null;
  readonly ichimoku: IchimokuValue | null;
  /** Ichimoku of the bar before, for the tenkan/kijun cross flag (optional). */
  readonly prevIchimoku?: IchimokuValue | null;
  readonly impulse: ImpulseColor | null;
  /** ATR(14) of the bars before `bar` (the blow-off yardstick excludes the bar it judges). */
  readonly atr: number | null;
  /** Cloud midline change over the last `ichimokuBase` bars, % of close (null while unknown). */
  readonly cloudSlopePct: number | null;
  readonly vix: Stamped<number> | null;
  readonly pcr: Stamped<number> | null;
  readonly gex: Stamped<GexSummary> | null;
  readonly maxPain: Stamped<number> | null;
}

export type IndicatorValue = number | string | null;

export interface RegimeDecision {
  readonly regime: RegimeClass;
  readonly score: number;
  /** Sorted, without duplicates (the agent compares flag sets to decide whether to publish). */
  readonly flags: readonly string[];
  /** Last known VIX (null when none). */
  readonly vix: number | null;
  readonly indicators: Readonly<Record<string, IndicatorValue>>;
}

/** Flag names the rules can raise, besides the §4 staleness codes. */
export const REGIME_FLAGS = [
  'INSUFFICIENT_DATA',
  'VIX_MISSING',
  'VIX_NO_TRADE',
  'HIGH_VOL',
  'THIN_PREMIUM',
  'IN_CLOUD',
  'NEAR_CLOUD',
  'FLAT_CLOUD',
  'IMPULSE_CONFLICT',
  'TK_CROSS_UP',
  'TK_CROSS_DOWN',
  'NEGATIVE_GAMMA',
  'PCR_DIVERGES',
  'GEX_DIVERGES',
  'MAX_PAIN_DIVERGES',
] as const;
export type RegimeFlag = (typeof REGIME_FLAGS)[number];

/** The §4 analytics flags the regime carries (greeks are not a regime input). */
const ANALYTICS_FLAGS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'PCR_STALE',
  'GEX_STALE',
  'MAX_PAIN_STALE',
  'VIX_STALE',
]);

const finiteOrNull = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0);
const round = (x: number, dp = 6): number => {
  const f = 10 ** dp;
  const r = Math.round(x * f) / f;
  return Number.isFinite(r) ? r : x;
};
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** Every numeric field of the Ichimoku value is finite (a NaN bar poisons the whole cloud). */
function ichimokuOk(v: IchimokuValue | null | undefined): v is IchimokuValue {
  return (
    v != null &&
    [v.tenkan, v.kijun, v.senkouA, v.senkouB, v.cloudA, v.cloudB].every((x) => Number.isFinite(x))
  );
}

function barOk(b: RuleBar | null): b is RuleBar {
  return (
    b !== null &&
    [b.open, b.high, b.low, b.close].every((x) => Number.isFinite(x)) &&
    b.high >= b.low &&
    b.close > 0
  );
}

/** The primary score (Ichimoku + Impulse) in [−1, 1]. */
export function primaryScore(close: number, ich: IchimokuValue, impulse: ImpulseColor): number {
  const top = Math.max(ich.cloudA, ich.cloudB);
  const bottom = Math.min(ich.cloudA, ich.cloudB);
  const W = PRIMARY_WEIGHTS;
  const cloud = close > top ? 1 : close < bottom ? -1 : 0;
  const impulseDir = impulse === 'green' ? 1 : impulse === 'red' ? -1 : 0;
  return (
    W.cloud * cloud +
    W.tkCross * sign(ich.tenkan - ich.kijun) +
    W.cloudColour * sign(ich.senkouA - ich.senkouB) +
    W.impulse * impulseDir
  );
}

/** Decides the regime of one underlying from its latest closed bar (see the table above). */
export function classifyRegime(inputs: RegimeInputs, params: RegimeParams): RegimeDecision {
  const p = params.regime;
  const flags = new Set<string>();
  const assessed = assessAnalytics(
    {
      pcr: inputs.pcr,
      gex: inputs.gex,
      maxPain: inputs.maxPain,
      greeksOwn: null,
      greeksApi: null,
      vix: inputs.vix,
    },
    inputs.nowMs,
    params.freshness,
  );
  for (const f of assessed.flags) if (ANALYTICS_FLAGS.has(f)) flags.add(f);

  // A negative VIX is not a reading (the contract's `vix` is non-negative): treated as missing.
  const rawVix = finiteOrNull(assessed.vix.value);
  const vix = rawVix !== null && rawVix >= 0 ? rawVix : null;
  const pcrValue = finiteOrNull(assessed.pcr.value);
  const gex = assessed.useGex ? (inputs.gex?.value ?? null) : null;
  const maxPain = assessed.useMaxPain ? finiteOrNull(inputs.maxPain?.value) : null;

  const bar = inputs.bar;
  const ich = inputs.ichimoku;
  const atr = finiteOrNull(inputs.atr);
  const close = bar !== null ? finiteOrNull(bar.close) : null;
  const indicators: Record<string, IndicatorValue> = {
    close,
    tenkan: ichimokuOk(ich) ? round(ich.tenkan) : null,
    kijun: ichimokuOk(ich) ? round(ich.kijun) : null,
    cloud_top: ichimokuOk(ich) ? round(Math.max(ich.cloudA, ich.cloudB)) : null,
    cloud_bottom: ichimokuOk(ich) ? round(Math.min(ich.cloudA, ich.cloudB)) : null,
    senkou_a: ichimokuOk(ich) ? round(ich.senkouA) : null,
    senkou_b: ichimokuOk(ich) ? round(ich.senkouB) : null,
    cloud_slope_pct: finiteOrNull(inputs.cloudSlopePct) === null ? null : round(inputs.cloudSlopePct!),
    impulse: inputs.impulse ?? null,
    atr: atr === null ? null : round(atr),
    bar_range: barOk(bar) ? round(bar.high - bar.low) : null,
    vix,
    pcr: pcrValue,
    gex_total: gex === null ? null : finiteOrNull(gex.total),
    gex_flip: gex === null ? null : finiteOrNull(gex.flip),
    gex_support: gex === null ? null : finiteOrNull(gex.support),
    gex_resistance: gex === null ? null : finiteOrNull(gex.resistance),
    max_pain: maxPain,
  };

  const done = (regime: RegimeClass, primary: number, secondary: number): RegimeDecision => {
    indicators.primary_score = round(primary);
    indicators.secondary_score = round(secondary);
    // Absurd but finite inputs can overflow a derived value (a range of ±1e308): report it as unknown.
    for (const [k, v] of Object.entries(indicators)) {
      if (typeof v === 'number' && !Number.isFinite(v)) indicators[k] = null;
    }
    return {
      regime,
      score: round(clamp(primary + secondary, -1, 1)),
      flags: [...flags].sort(),
      vix,
      indicators,
    };
  };

  // Row 1: without every primary input there is no regime to trade on.
  if (!barOk(bar) || !ichimokuOk(ich) || inputs.impulse == null || atr === null || !(atr >= 0)) {
    flags.add('INSUFFICIENT_DATA');
    return done('NO_TRADE', 0, 0);
  }
  const impulse = inputs.impulse;
  const c = bar.close;
  const primary = primaryScore(c, ich, impulse);

  // VIX flags are informative whatever the class.
  if (vix !== null) {
    if (vix > p.vixHigh) flags.add('HIGH_VOL');
    if (vix < p.vixLow) flags.add('THIN_PREMIUM');
  }
  const prev = inputs.prevIchimoku;
  if (ichimokuOk(prev)) {
    if (prev.tenkan <= prev.kijun && ich.tenkan > ich.kijun) flags.add('TK_CROSS_UP');
    if (prev.tenkan >= prev.kijun && ich.tenkan < ich.kijun) flags.add('TK_CROSS_DOWN');
  }

  // Secondary confirmation: score only.
  let secondary = 0;
  const dirs: Array<[RegimeFlag, number]> = [];
  if (pcrValue !== null) {
    const d = pcrValue > p.pcrBullish ? 1 : pcrValue < p.pcrBearish ? -1 : 0;
    secondary += SECONDARY_WEIGHT * d;
    dirs.push(['PCR_DIVERGES', d]);
  }
  if (gex !== null) {
    const total = finiteOrNull(gex.total);
    if (total !== null && total < 0) flags.add('NEGATIVE_GAMMA');
    const flip = finiteOrNull(gex.flip);
    if (flip !== null) {
      const d = sign(c - flip);
      secondary += SECONDARY_WEIGHT * d;
      dirs.push(['GEX_DIVERGES', d]);
    }
  }
  if (maxPain !== null) {
    const d = sign(maxPain - c);
    secondary += SECONDARY_WEIGHT * d;
    dirs.push(['MAX_PAIN_DIVERGES', d]);
  }

  // Rows 2–3: VIX cutoffs.
  if (vix === null) {
    flags.add('VIX_MISSING');
    return done('NO_TRADE', primary, secondary);
  }
  if (vix > p.vixNoTrade) {
    flags.add('VIX_NO_TRADE');
    return done('NO_TRADE', primary, secondary);
  }

  // Row 4: blow-off.
  if (bar.high - bar.low > p.blowoffAtrMultiple * atr) return done('BLOWOFF', primary, secondary);

  // Rows 5–6: congestion.
  const top = Math.max(ich.cloudA, ich.cloudB);
  const bottom = Math.min(ich.cloudA, ich.cloudB);
  if (c >= bottom && c <= top) {
    flags.add('IN_CLOUD');
    return done('CONGESTION', primary, secondary);
  }
  const distancePct = ((c > top ? c - top : bottom - c) / c) * 100;
  if (distancePct <= p.congestionBandPct) {
    flags.add('NEAR_CLOUD');
    return done('CONGESTION', primary, secondary);
  }
  const slope = finiteOrNull(inputs.cloudSlopePct);
  if (impulse === 'blue' && slope !== null && Math.abs(slope) <= p.congestionBandPct) {
    flags.add('FLAT_CLOUD');
    return done('CONGESTION', primary, secondary);
  }

  // Rows 7–9: trend, confirmed by the impulse.
  let regime: RegimeClass;
  if (c > top && impulse !== 'red' && primary > 0) regime = 'BULLISH';
  else if (c < bottom && impulse !== 'green' && primary < 0) regime = 'BEARISH';
  else {
    flags.add('IMPULSE_CONFLICT');
    return done('CONGESTION', primary, secondary);
  }
  const want = regime === 'BULLISH' ? 1 : -1;
  for (const [flag, d] of dirs) if (d === -want) flags.add(flag);
  return done(regime, primary, secondary);
}
