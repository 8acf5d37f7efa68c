import type { ErrorCode } from '../contracts/index.js';
import { type SizingParams, tightenSizing } from './limits.js';

/**
 * §7 Sizing Precedence Chain: a deterministic pipeline where each step can only reduce the size.
 *
 * Units. The whole chain works in lots (fractional until the final round-down), so every step
 * compares like with like:
 * - Step 1 (Carver): the plan's "(Capital × 20%) / (35-day EWMA daily vol)" is Carver's volatility
 *   target. Capital × 20 % is an annual rupee risk target, so the daily vol (a fraction of price per
 *   day, e.g. 0.012) is annualised with Carver's √256 = 16 trading-day convention: the result is the
 *   rupee exposure whose annual volatility equals 20 % of capital. Dividing by the rupee exposure of
 *   one lot (`exposurePerLot`, e.g. lot size × underlying × |delta|) gives lots.
 * - Step 2 (half-Kelly): Kelly's fraction f* = W − L/RR (L = 1 − W) is the share of capital to put at
 *   risk; half of it times capital is a rupee risk budget. One lot risks `slDistancePerLot` rupees (its
 *   loss if the stop is hit), so kelly lots = (f* ÷ 2) × capital / slDistancePerLot. No edge (f* ≤ 0) → 0.
 * - Step 3 (2 % rule): capital × 2 % / slDistancePerLot lots.
 * - Steps 4–5 multiply; steps 6–8 reject (size 0 with a code); the final step rounds down to lots.
 *
 * Step 6 (sector heat) and step 7 (position cap) look at the book as it is ("the sector already uses
 * more than 20 % of margin"; "10 positions open"). Step 8 looks at the book after the order: free
 * margin once this order's whole lots are blocked must stay ≥ 25 % of total margin, measured on a
 * funds snapshot no older than `marginMaxAgeMs` (§8: cached with its timestamp, checked before use).
 * Any invalid input rejects with SIZING_INVALID_INPUT: never a size from bad data.
 */

/** Carver's annualisation: √256 = 16 (trading days per year in his convention). */
export const TRADING_DAYS_PER_YEAR = 256;
const ANNUALISE = Math.sqrt(TRADING_DAYS_PER_YEAR);

export interface MarginSnapshot {
  /** Free (available) margin, ₹. */
  readonly availableMargin: number;
  /** Margin in use, ₹. Total margin = available + used. */
  readonly usedMargin: number;
  /** Monotonic time the funds were fetched (§8: cached with its timestamp). */
  readonly asOfMs: number;
}

export interface SizingInput {
  readonly capital: number;
  /** 35-day EWMA of daily returns' volatility, as a fraction per day (0.012 = 1.2 %). */
  readonly ewmaDailyVol: number;
  /** Rupee exposure of one lot (lot size × underlying × |delta| for an option position). */
  readonly exposurePerLot: number;
  /** Probability of a win, 0..1 (loss probability = 1 − win). */
  readonly winRate: number;
  /** Average win / average loss. */
  readonly rewardRisk: number;
  /** Rupees one lot loses if the stop-loss is hit. */
  readonly slDistancePerLot: number;
  readonly lotSize: number;
  readonly vix: number;
  /** Highest correlation of the instrument with the open book, −1..1. */
  readonly correlation: number;
  /** Margin (₹) the instrument's sector already uses. */
  readonly sectorMarginUsed: number;
  readonly openPositions: number;
  /** Margin (₹) one lot blocks. */
  readonly marginPerLot: number;
  readonly margin: MarginSnapshot | null;
  /** Monotonic now. */
  readonly nowMs: number;
}

export interface SizingStep {
  readonly step: number;
  readonly name: string;
  /** Size in lots before the step (null for step 1, which sets the first size). */
  readonly input: number | null;
  readonly output: number;
  readonly note: string;
  /** The numbers the step used (thresholds, intermediate amounts), for the journal. */
  readonly values: Readonly<Record<string, number>>;
  readonly rejected?: ErrorCode;
}

export type SizingResult =
  | {
      readonly ok: true;
      readonly lots: number;
      readonly quantity: number;
      readonly trace: readonly SizingStep[];
    }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly message: string;
      readonly trace: readonly SizingStep[];
    };

const STEP_NAMES = [
  'carver_vol_target',
  'half_kelly_cap',
  'two_percent_rule',
  'vix_overlay',
  'idm_correlation',
  'sector_heat_cap',
  'position_cap',
  'margin_reserve_gate',
  'round_down_lots',
] as const;

const fin = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const DEFAULT_PARAMS = tightenSizing();
const tightened = new WeakMap<object, SizingParams>();
/**
 * Tightened params. The chain runs on every order, so a frozen params object (the loaded config,
 * or `safetyParams()`) is tightened once and remembered; anything mutable is tightened each call.
 */
function sizingParamsOf(params: Partial<SizingParams> | undefined): SizingParams {
  if (params === undefined) return DEFAULT_PARAMS;
  if (!Object.isFrozen(params)) return tightenSizing(params);
  let p = tightened.get(params);
  if (!p) {
    p = tightenSizing(params);
    tightened.set(params, p);
  }
  return p;
}

function validate(i: SizingInput): string | null {
  if (!i || typeof i !== 'object') return 'input missing';
  if (!(fin(i.capital) && i.capital > 0)) return 'capital must be > 0';
  if (!(fin(i.ewmaDailyVol) && i.ewmaDailyVol > 0)) return 'ewmaDailyVol must be > 0';
  if (!(fin(i.exposurePerLot) && i.exposurePerLot > 0)) return 'exposurePerLot must be > 0';
  if (!(fin(i.winRate) && i.winRate >= 0 && i.winRate <= 1)) return 'winRate must be within 0..1';
  if (!(fin(i.rewardRisk) && i.rewardRisk > 0)) return 'rewardRisk must be > 0';
  if (!(fin(i.slDistancePerLot) && i.slDistancePerLot > 0)) return 'slDistancePerLot must be > 0';
  if (!(Number.isInteger(i.lotSize) && i.lotSize > 0)) return 'lotSize must be a positive integer';
  if (!(fin(i.vix) && i.vix >= 0)) return 'vix must be >= 0';
  if (!(fin(i.correlation) && i.correlation >= -1 && i.correlation <= 1))
    return 'correlation must be within -1..1';
  if (!(fin(i.sectorMarginUsed) && i.sectorMarginUsed >= 0)) return 'sectorMarginUsed must be >= 0';
  if (!(Number.isInteger(i.openPositions) && i.openPositions >= 0))
    return 'openPositions must be an integer >= 0';
  if (!(fin(i.marginPerLot) && i.marginPerLot > 0)) return 'marginPerLot must be > 0';
  if (!fin(i.nowMs)) return 'nowMs must be finite';
  const m = i.margin;
  if (!m || typeof m !== 'object') return 'margin snapshot missing';
  if (!(fin(m.availableMargin) && m.availableMargin >= 0)) return 'margin.availableMargin must be >= 0';
  if (!(fin(m.usedMargin) && m.usedMargin >= 0)) return 'margin.usedMargin must be >= 0';
  if (!(m.availableMargin + m.usedMargin > 0)) return 'total margin must be > 0';
  if (!fin(m.asOfMs)) return 'margin.asOfMs must be finite';
  return null;
}

/**
 * Runs the 8 steps in the plan's order and the final round-down. `params` are tightened against the
 * plan (a config can make a step stricter, never looser or off).
 */
export function runSizingChain(input: SizingInput, params?: Partial<SizingParams>): SizingResult {
  const p = sizingParamsOf(params);
  const trace: SizingStep[] = [];
  const invalid = validate(input);
  if (invalid !== null) {
    trace.push({
      step: 0,
      name: 'validate_input',
      input: null,
      output: 0,
      note: invalid,
      values: {},
      rejected: 'SIZING_INVALID_INPUT',
    });
    return { ok: false, code: 'SIZING_INVALID_INPUT', message: `Sizing input invalid: ${invalid}`, trace };
  }
  const i = input;
  const m = i.margin!;
  const totalMargin = m.availableMargin + m.usedMargin;

  const reject = (
    step: number,
    before: number,
    code: ErrorCode,
    note: string,
    values: Readonly<Record<string, number>>,
  ): SizingResult => {
    trace.push({ step, name: STEP_NAMES[step - 1]!, input: before, output: 0, note, values, rejected: code });
    return { ok: false, code, message: `step ${step} ${STEP_NAMES[step - 1]}: ${note}`, trace };
  };
  const record = (
    step: number,
    before: number | null,
    after: number,
    note: string,
    values: Readonly<Record<string, number>>,
  ): number => {
    // Each step may only reduce: a step that would grow the size keeps the size it was given.
    const out = before === null ? after : Math.min(before, after);
    trace.push({ step, name: STEP_NAMES[step - 1]!, input: before, output: out, note, values });
    return out;
  };

  // Step 1 — Carver volatility target.
  const annualVol = i.ewmaDailyVol * ANNUALISE;
  const targetExposure = (i.capital * p.volTargetPct) / 100 / annualVol;
  let size = record(
    1,
    null,
    Math.max(0, targetExposure / i.exposurePerLot),
    'capital × vol target / (daily vol × √256) = rupee exposure; ÷ exposure per lot',
    {
      capital: i.capital,
      volTargetPct: p.volTargetPct,
      ewmaDailyVol: i.ewmaDailyVol,
      annualVol,
      targetExposure,
      exposurePerLot: i.exposurePerLot,
    },
  );

  // Step 2 — half-Kelly cap.
  const fullKelly = i.winRate - (1 - i.winRate) / i.rewardRisk;
  const kellyRisk = Math.max(0, fullKelly) * p.kellyFraction * i.capital;
  size = record(
    2,
    size,
    kellyRisk / i.slDistancePerLot,
    'f* = W − L/RR; f* × fraction × capital ÷ SL per lot',
    {
      winRate: i.winRate,
      rewardRisk: i.rewardRisk,
      fullKelly,
      kellyFraction: p.kellyFraction,
      kellyRisk,
      slDistancePerLot: i.slDistancePerLot,
    },
  );

  // Step 3 — 2 % rule.
  const maxRisk = (i.capital * p.riskPerTradePct) / 100;
  size = record(3, size, maxRisk / i.slDistancePerLot, 'capital × risk % ÷ SL per lot', {
    riskPerTradePct: p.riskPerTradePct,
    maxRisk,
    slDistancePerLot: i.slDistancePerLot,
  });

  // Step 4 — VIX overlay (VIX exactly at the threshold does not cut).
  const vixHigh = i.vix > p.vixHighThreshold;
  size = record(
    4,
    size,
    vixHigh ? size * p.vixHighMultiplier : size,
    vixHigh ? 'VIX above threshold: cut' : 'VIX not above threshold',
    {
      vix: i.vix,
      vixHighThreshold: p.vixHighThreshold,
      multiplier: vixHigh ? p.vixHighMultiplier : 1,
    },
  );

  // Step 5 — IDM: correlated with the book.
  const correlated = i.correlation > p.correlationThreshold;
  size = record(
    5,
    size,
    correlated ? size * p.correlationMultiplier : size,
    correlated ? 'correlation above threshold: cut' : 'correlation not above threshold',
    {
      correlation: i.correlation,
      correlationThreshold: p.correlationThreshold,
      multiplier: correlated ? p.correlationMultiplier : 1,
    },
  );

  // Step 6 — sector heat.
  const sectorPct = (i.sectorMarginUsed / totalMargin) * 100;
  const heat = {
    sectorMarginUsed: i.sectorMarginUsed,
    totalMargin,
    sectorPct,
    sectorHeatMaxPct: p.sectorHeatMaxPct,
  };
  if (sectorPct > p.sectorHeatMaxPct) {
    return reject(6, size, 'SIZING_SECTOR_HEAT', 'sector already uses more than its share of margin', heat);
  }
  size = record(6, size, size, 'sector within its share of margin', heat);

  // Step 7 — position cap.
  const cap = { openPositions: i.openPositions, maxPositions: p.maxPositions };
  if (i.openPositions >= p.maxPositions) {
    return reject(7, size, 'SIZING_POSITION_CAP', 'position count at the cap', cap);
  }
  size = record(7, size, size, 'position count below the cap', cap);

  // Step 8 — margin reserve, on a fresh funds snapshot, after this order's whole lots.
  const ageMs = i.nowMs - m.asOfMs;
  if (!(ageMs <= p.marginMaxAgeMs)) {
    return reject(8, size, 'SIZING_MARGIN_STALE', 'funds snapshot too old to size against', {
      marginAgeMs: ageMs,
      marginMaxAgeMs: p.marginMaxAgeMs,
    });
  }
  const lotsToOrder = Math.floor(size);
  const freeAfter = m.availableMargin - lotsToOrder * i.marginPerLot;
  const freePct = (freeAfter / totalMargin) * 100;
  const reserve = {
    lots: lotsToOrder,
    marginPerLot: i.marginPerLot,
    availableMargin: m.availableMargin,
    totalMargin,
    freeAfter,
    freePct,
    marginReserveMinPct: p.marginReserveMinPct,
    marginAgeMs: ageMs,
  };
  if (freePct < p.marginReserveMinPct) {
    return reject(8, size, 'SIZING_MARGIN_RESERVE', 'free margin after the order below the reserve', reserve);
  }
  size = record(8, size, size, 'free margin after the order within the reserve', reserve);

  // Final — round down to whole lots.
  const lots = Math.floor(size);
  const final: SizingStep = {
    step: 9,
    name: STEP_NAMES[8],
    input: size,
    output: lots,
    note: 'round down to whole lots',
    values: { lots, lotSize: i.lotSize },
  };
  if (!Number.isSafeInteger(lots)) {
    trace.push({ ...final, rejected: 'SIZING_INVALID_INPUT' });
    return {
      ok: false,
      code: 'SIZING_INVALID_INPUT',
      message: `size ${size} is not a whole number of lots`,
      trace,
    };
  }
  if (lots < 1) {
    trace.push({ ...final, rejected: 'SIZING_ZERO_LOTS' });
    return { ok: false, code: 'SIZING_ZERO_LOTS', message: `size ${size} rounds down to zero lots`, trace };
  }
  trace.push(final);
  return { ok: true, lots, quantity: lots * i.lotSize, trace };
}
