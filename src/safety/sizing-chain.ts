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
const r6 = (v: number) => Math.round(v * 1e6) / 1e6;

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
export function runSizingChain(input: SizingInput, params: Partial<SizingParams> = {}): SizingResult {
  const p = tightenSizing(params);
  const trace: SizingStep[] = [];
  const invalid = validate(input);
  if (invalid !== null) {
    trace.push({
      step: 0,
      name: 'validate_input',
      input: null,
      output: 0,
      note: invalid,
      rejected: 'SIZING_INVALID_INPUT',
    });
    return { ok: false, code: 'SIZING_INVALID_INPUT', message: `Sizing input invalid: ${invalid}`, trace };
  }
  const i = input;
  const m = i.margin!;
  const totalMargin = m.availableMargin + m.usedMargin;

  const reject = (step: number, before: number, code: ErrorCode, note: string): SizingResult => {
    trace.push({ step, name: STEP_NAMES[step - 1]!, input: before, output: 0, note, rejected: code });
    return { ok: false, code, message: note, trace };
  };
  const record = (step: number, before: number | null, after: number, note: string): number => {
    // Each step may only reduce: a step that would grow the size keeps the size it was given.
    const out = before === null ? after : Math.min(before, after);
    trace.push({ step, name: STEP_NAMES[step - 1]!, input: before, output: out, note });
    return out;
  };

  // Step 1 — Carver volatility target.
  const annualVol = i.ewmaDailyVol * ANNUALISE;
  const targetExposure = (i.capital * p.volTargetPct) / 100 / annualVol;
  let size = record(
    1,
    null,
    Math.max(0, targetExposure / i.exposurePerLot),
    `capital ${i.capital} × ${p.volTargetPct}% / (daily vol ${i.ewmaDailyVol} × √${TRADING_DAYS_PER_YEAR} = ${r6(annualVol)}) = ₹${r6(targetExposure)} exposure / ₹${i.exposurePerLot} per lot`,
  );

  // Step 2 — half-Kelly cap.
  const fullKelly = i.winRate - (1 - i.winRate) / i.rewardRisk;
  const kellyRisk = Math.max(0, fullKelly) * p.kellyFraction * i.capital;
  size = record(
    2,
    size,
    kellyRisk / i.slDistancePerLot,
    `kelly f* = ${r6(fullKelly)} × ${p.kellyFraction} × capital = ₹${r6(kellyRisk)} at risk / ₹${i.slDistancePerLot} per lot`,
  );

  // Step 3 — 2 % rule.
  const maxRisk = (i.capital * p.riskPerTradePct) / 100;
  size = record(
    3,
    size,
    maxRisk / i.slDistancePerLot,
    `capital × ${p.riskPerTradePct}% = ₹${r6(maxRisk)} / SL ₹${i.slDistancePerLot} per lot`,
  );

  // Step 4 — VIX overlay (VIX exactly at the threshold does not cut).
  const vixHigh = i.vix > p.vixHighThreshold;
  size = record(
    4,
    size,
    vixHigh ? size * p.vixHighMultiplier : size,
    vixHigh
      ? `VIX ${i.vix} > ${p.vixHighThreshold}: × ${p.vixHighMultiplier}`
      : `VIX ${i.vix} ≤ ${p.vixHighThreshold}`,
  );

  // Step 5 — IDM: correlated with the book.
  const correlated = i.correlation > p.correlationThreshold;
  size = record(
    5,
    size,
    correlated ? size * p.correlationMultiplier : size,
    correlated
      ? `correlation ${i.correlation} > ${p.correlationThreshold}: × ${p.correlationMultiplier}`
      : `correlation ${i.correlation} ≤ ${p.correlationThreshold}`,
  );

  // Step 6 — sector heat.
  const sectorPct = (i.sectorMarginUsed / totalMargin) * 100;
  if (sectorPct > p.sectorHeatMaxPct) {
    return reject(
      6,
      size,
      'SIZING_SECTOR_HEAT',
      `sector uses ${r6(sectorPct)}% of margin > ${p.sectorHeatMaxPct}%`,
    );
  }
  size = record(6, size, size, `sector uses ${r6(sectorPct)}% of margin ≤ ${p.sectorHeatMaxPct}%`);

  // Step 7 — position cap.
  if (i.openPositions >= p.maxPositions) {
    return reject(7, size, 'SIZING_POSITION_CAP', `${i.openPositions} positions open ≥ ${p.maxPositions}`);
  }
  size = record(7, size, size, `${i.openPositions} positions open < ${p.maxPositions}`);

  // Step 8 — margin reserve, on a fresh funds snapshot, after this order's whole lots.
  const ageMs = i.nowMs - m.asOfMs;
  if (!(ageMs <= p.marginMaxAgeMs)) {
    return reject(8, size, 'SIZING_MARGIN_STALE', `funds snapshot ${ageMs} ms old > ${p.marginMaxAgeMs} ms`);
  }
  const lotsToOrder = Math.floor(size);
  const freeAfter = m.availableMargin - lotsToOrder * i.marginPerLot;
  const freePct = (freeAfter / totalMargin) * 100;
  if (freePct < p.marginReserveMinPct) {
    return reject(
      8,
      size,
      'SIZING_MARGIN_RESERVE',
      `free margin after ${lotsToOrder} lot(s) ₹${r6(freeAfter)} = ${r6(freePct)}% of ₹${totalMargin} < ${p.marginReserveMinPct}%`,
    );
  }
  size = record(
    8,
    size,
    size,
    `free margin after ${lotsToOrder} lot(s) = ${r6(freePct)}% ≥ ${p.marginReserveMinPct}%`,
  );

  // Final — round down to whole lots.
  const lots = Math.floor(size);
  trace.push({
    step: 9,
    name: STEP_NAMES[8],
    input: size,
    output: lots,
    note: `floor(${r6(size)}) = ${lots} lot(s) of ${i.lotSize}`,
  });
  if (!Number.isSafeInteger(lots)) {
    trace[trace.length - 1] = { ...trace[trace.length - 1]!, rejected: 'SIZING_INVALID_INPUT' };
    return {
      ok: false,
      code: 'SIZING_INVALID_INPUT',
      message: `size ${size} is not a whole number of lots`,
      trace,
    };
  }
  if (lots < 1) {
    trace[trace.length - 1] = { ...trace[trace.length - 1]!, rejected: 'SIZING_ZERO_LOTS' };
    return {
      ok: false,
      code: 'SIZING_ZERO_LOTS',
      message: `size ${r6(size)} rounds down to zero lots`,
      trace,
    };
  }
  return { ok: true, lots, quantity: lots * i.lotSize, trace };
}
