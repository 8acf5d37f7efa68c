import { CONFIG_TREE, type Config } from '../config/index.js';

/**
 * §5: "Non-bypassable — no config flag can disable these." `loadConfig` already refuses any value
 * looser than the plan's, but a rule must also hold when someone builds the params by hand (a test,
 * a script, a future config source). So every safety component passes its params through these
 * functions: a value may be tighter than the plan's, never looser, and a non-finite value falls back to
 * the plan's. The plan's values are read from CONFIG_TREE's defaults so the numbers live in one place.
 */

type NumLeaf = { readonly default: number | undefined };

function planValue(leaf: NumLeaf, name: string): number {
  if (leaf.default === undefined) throw new Error(`CONFIG_TREE ${name} has no plan default`);
  return leaf.default;
}

/** A limit where smaller is stricter (a max age, a max loss, a max count). */
function atMost(v: number, plan: number): number {
  return Number.isFinite(v) ? Math.min(v, plan) : plan;
}

/** A limit where larger is stricter (a cooldown, a reserve, a delay). */
function atLeast(v: number, plan: number): number {
  return Number.isFinite(v) ? Math.max(v, plan) : plan;
}

const F = CONFIG_TREE.freshness;
const B = CONFIG_TREE.breakers;
const S = CONFIG_TREE.sizing;
const E = CONFIG_TREE.execution;
const P = CONFIG_TREE.positionBook;

/** The plan's thresholds: the loosest each rule may ever be. */
export const PLAN_LIMITS = Object.freeze({
  freshness: Object.freeze({
    underlyingQuoteMaxAgeMs: planValue(F.underlyingQuoteMaxAgeMs, 'underlyingQuoteMaxAgeMs'),
    optionQuoteMaxAgeMs: planValue(F.optionQuoteMaxAgeMs, 'optionQuoteMaxAgeMs'),
    feedSwitchCooldownMs: planValue(F.feedSwitchCooldownMs, 'feedSwitchCooldownMs'),
    pcrMaxAgeMs: planValue(F.pcrMaxAgeMs, 'pcrMaxAgeMs'),
    gexMaxAgeMs: planValue(F.gexMaxAgeMs, 'gexMaxAgeMs'),
    maxPainMaxAgeMs: planValue(F.maxPainMaxAgeMs, 'maxPainMaxAgeMs'),
    greeksMaxAgeMs: planValue(F.greeksMaxAgeMs, 'greeksMaxAgeMs'),
    greeksApiMaxAgeMs: planValue(F.greeksApiMaxAgeMs, 'greeksApiMaxAgeMs'),
    vixMaxAgeMs: planValue(F.vixMaxAgeMs, 'vixMaxAgeMs'),
  }),
  breakers: Object.freeze({
    dailyMaxLossPct: planValue(B.dailyMaxLossPct, 'dailyMaxLossPct'),
    maxOrdersPerMinute: planValue(B.maxOrdersPerMinute, 'maxOrdersPerMinute'),
    maxGrossNotionalMultiple: planValue(B.maxGrossNotionalMultiple, 'maxGrossNotionalMultiple'),
    perUnderlyingMarginPct: planValue(B.perUnderlyingMarginPct, 'perUnderlyingMarginPct'),
    maxUnhedgedMs: planValue(B.maxUnhedgedMs, 'maxUnhedgedMs'),
  }),
  sizing: Object.freeze({
    volTargetPct: planValue(S.volTargetPct, 'volTargetPct'),
    kellyFraction: planValue(S.kellyFraction, 'kellyFraction'),
    riskPerTradePct: planValue(S.riskPerTradePct, 'riskPerTradePct'),
    vixHighThreshold: planValue(S.vixHighThreshold, 'vixHighThreshold'),
    vixHighMultiplier: planValue(S.vixHighMultiplier, 'vixHighMultiplier'),
    correlationThreshold: planValue(S.correlationThreshold, 'correlationThreshold'),
    correlationMultiplier: planValue(S.correlationMultiplier, 'correlationMultiplier'),
    sectorHeatMaxPct: planValue(S.sectorHeatMaxPct, 'sectorHeatMaxPct'),
    maxPositions: planValue(S.maxPositions, 'maxPositions'),
    marginReserveMinPct: planValue(S.marginReserveMinPct, 'marginReserveMinPct'),
    marginMaxAgeMs: planValue(S.marginMaxAgeMs, 'marginMaxAgeMs'),
  }),
  execution: Object.freeze({
    smartOrderDelayMs: planValue(E.smartOrderDelayMs, 'smartOrderDelayMs'),
    riskReversalHedgeMs: planValue(E.riskReversalHedgeMs, 'riskReversalHedgeMs'),
    consecutiveTimeoutsKill: planValue(E.consecutiveTimeoutsKill, 'consecutiveTimeoutsKill'),
  }),
  positionBook: Object.freeze({
    maxVersionLag: planValue(P.maxVersionLag, 'maxVersionLag'),
  }),
});

export type FreshnessParams = { readonly [K in keyof typeof PLAN_LIMITS.freshness]: number };
export type BreakerParams = { readonly [K in keyof typeof PLAN_LIMITS.breakers]: number };
export type SizingParams = { readonly [K in keyof typeof PLAN_LIMITS.sizing]: number };
export type ExecutionSafetyParams = { readonly [K in keyof typeof PLAN_LIMITS.execution]: number };

export function tightenFreshness(p: Partial<FreshnessParams> = {}): FreshnessParams {
  const L = PLAN_LIMITS.freshness;
  return Object.freeze({
    underlyingQuoteMaxAgeMs: atMost(p.underlyingQuoteMaxAgeMs ?? NaN, L.underlyingQuoteMaxAgeMs),
    optionQuoteMaxAgeMs: atMost(p.optionQuoteMaxAgeMs ?? NaN, L.optionQuoteMaxAgeMs),
    feedSwitchCooldownMs: atLeast(p.feedSwitchCooldownMs ?? NaN, L.feedSwitchCooldownMs),
    pcrMaxAgeMs: atMost(p.pcrMaxAgeMs ?? NaN, L.pcrMaxAgeMs),
    gexMaxAgeMs: atMost(p.gexMaxAgeMs ?? NaN, L.gexMaxAgeMs),
    maxPainMaxAgeMs: atMost(p.maxPainMaxAgeMs ?? NaN, L.maxPainMaxAgeMs),
    greeksMaxAgeMs: atMost(p.greeksMaxAgeMs ?? NaN, L.greeksMaxAgeMs),
    greeksApiMaxAgeMs: atMost(p.greeksApiMaxAgeMs ?? NaN, L.greeksApiMaxAgeMs),
    vixMaxAgeMs: atMost(p.vixMaxAgeMs ?? NaN, L.vixMaxAgeMs),
  });
}

export function tightenBreakers(p: Partial<BreakerParams> = {}): BreakerParams {
  const L = PLAN_LIMITS.breakers;
  return Object.freeze({
    dailyMaxLossPct: atMost(p.dailyMaxLossPct ?? NaN, L.dailyMaxLossPct),
    maxOrdersPerMinute: Math.floor(atMost(p.maxOrdersPerMinute ?? NaN, L.maxOrdersPerMinute)),
    maxGrossNotionalMultiple: atMost(p.maxGrossNotionalMultiple ?? NaN, L.maxGrossNotionalMultiple),
    perUnderlyingMarginPct: atMost(p.perUnderlyingMarginPct ?? NaN, L.perUnderlyingMarginPct),
    maxUnhedgedMs: atMost(p.maxUnhedgedMs ?? NaN, L.maxUnhedgedMs),
  });
}

export function tightenSizing(p: Partial<SizingParams> = {}): SizingParams {
  const L = PLAN_LIMITS.sizing;
  return Object.freeze({
    volTargetPct: atMost(p.volTargetPct ?? NaN, L.volTargetPct),
    kellyFraction: atMost(p.kellyFraction ?? NaN, L.kellyFraction),
    riskPerTradePct: atMost(p.riskPerTradePct ?? NaN, L.riskPerTradePct),
    vixHighThreshold: atMost(p.vixHighThreshold ?? NaN, L.vixHighThreshold),
    vixHighMultiplier: atMost(p.vixHighMultiplier ?? NaN, L.vixHighMultiplier),
    correlationThreshold: atMost(p.correlationThreshold ?? NaN, L.correlationThreshold),
    correlationMultiplier: atMost(p.correlationMultiplier ?? NaN, L.correlationMultiplier),
    sectorHeatMaxPct: atMost(p.sectorHeatMaxPct ?? NaN, L.sectorHeatMaxPct),
    maxPositions: Math.floor(atMost(p.maxPositions ?? NaN, L.maxPositions)),
    marginReserveMinPct: atLeast(p.marginReserveMinPct ?? NaN, L.marginReserveMinPct),
    marginMaxAgeMs: atMost(p.marginMaxAgeMs ?? NaN, L.marginMaxAgeMs),
  });
}

export function tightenExecution(p: Partial<ExecutionSafetyParams> = {}): ExecutionSafetyParams {
  const L = PLAN_LIMITS.execution;
  return Object.freeze({
    smartOrderDelayMs: atLeast(p.smartOrderDelayMs ?? NaN, L.smartOrderDelayMs),
    riskReversalHedgeMs: atMost(p.riskReversalHedgeMs ?? NaN, L.riskReversalHedgeMs),
    consecutiveTimeoutsKill: Math.floor(atMost(p.consecutiveTimeoutsKill ?? NaN, L.consecutiveTimeoutsKill)),
  });
}

/** §8: a reader further behind than this re-reads before sizing (never looser than 5). */
export function tightenVersionLag(v: number | undefined): number {
  return Math.floor(atMost(v ?? NaN, PLAN_LIMITS.positionBook.maxVersionLag));
}

/** All safety params of a loaded config, each tightened against the plan (defence in depth). */
export interface SafetyParams {
  readonly freshness: FreshnessParams;
  readonly breakers: BreakerParams;
  readonly sizing: SizingParams;
  readonly execution: ExecutionSafetyParams;
  readonly maxVersionLag: number;
}

export function safetyParams(
  config: Pick<Config, 'freshness' | 'breakers' | 'sizing' | 'execution' | 'positionBook'>,
): SafetyParams {
  return Object.freeze({
    freshness: tightenFreshness(config.freshness),
    breakers: tightenBreakers(config.breakers),
    sizing: tightenSizing(config.sizing),
    execution: tightenExecution(config.execution),
    maxVersionLag: tightenVersionLag(config.positionBook.maxVersionLag),
  });
}
