import { daysToExpiry } from './chain-utils.js';
import { STRATEGIES } from './definitions.js';
import type { ExitDecision, ExitRule, OpenStrategy, StrategyParams } from './types.js';

/** Relative slack on the rupee comparisons, so a boundary computed in floating point still counts. */
const EPS = 1e-9;

export interface SpreadValue {
  /** Premium collected at entry (₹, whole position): Σ short qty × price − Σ hedge qty × price. */
  readonly credit: number;
  /** What buying the position back costs now (₹), or null when a leg has no mark. */
  readonly costToClose: number | null;
  readonly missingMarks: readonly string[];
}

/** Entry credit and current cost to close of an open credit position, from marks keyed by symbol. */
export function spreadValue(open: OpenStrategy, marks: Readonly<Record<string, number>>): SpreadValue {
  let credit = 0;
  let cost = 0;
  const missing: string[] = [];
  for (const l of open.legs) {
    const sign = l.role === 'SHORT' ? 1 : -1;
    credit += sign * l.quantity * l.entryPrice;
    const m = marks[l.symbol];
    if (m === undefined || !Number.isFinite(m) || m < 0) missing.push(l.symbol);
    else cost += sign * l.quantity * m;
  }
  return { credit, costToClose: missing.length > 0 ? null : cost, missingMarks: missing };
}

/**
 * The exit rules of a credit position, checked in the strategy's order (first hit wins):
 * - SHORT_STRIKE_BREACHED: the underlying is at or through a short strike (put: ≤, call: ≥).
 * - STOP_LOSS: the cost to close is at least `stopLossMultiple` × the credit.
 * - DYNAMIC_STOP: the underlying has moved against the position by at least the straddle-implied
 *   move × `impliedMoveMultiple` since entry (needs `entryUnderlying` and `impliedMove`).
 * - DTE_EXIT: at most `exitDte` calendar days to the expiry close.
 * - PROFIT_TARGET: at least `profitTargetPct` % of the credit has been captured.
 * Rules needing marks are skipped (and named in `details.missingMarks`) when a leg has none.
 */
export function evaluateExit(
  open: OpenStrategy,
  marks: Readonly<Record<string, number>>,
  underlyingPrice: number,
  params: StrategyParams,
  nowWallMs: number,
): ExitDecision {
  const v = spreadValue(open, marks);
  const dte = daysToExpiry(open.expiry, nowWallMs);
  const shorts = open.legs.filter((l) => l.role === 'SHORT');
  const details: Record<string, unknown> = {
    underlyingPrice,
    credit: v.credit,
    costToClose: v.costToClose,
    dte,
    ...(v.missingMarks.length > 0 ? { missingMarks: v.missingMarks } : {}),
  };
  const close = (reason: ExitRule, message: string, extra: Record<string, unknown> = {}): ExitDecision => ({
    action: 'CLOSE',
    reason,
    message,
    details: { ...details, ...extra },
  });

  for (const rule of STRATEGIES[open.strategyType].exits) {
    switch (rule) {
      case 'SHORT_STRIKE_BREACHED': {
        const hit = shorts.find((s) =>
          s.optionType === 'PE' ? underlyingPrice <= s.strike : underlyingPrice >= s.strike,
        );
        if (hit) {
          return close(
            rule,
            `underlying ${underlyingPrice} breached the short ${hit.strike}${hit.optionType}`,
            {
              shortStrike: hit.strike,
              leg: hit.name,
            },
          );
        }
        break;
      }
      case 'STOP_LOSS': {
        if (v.costToClose === null || !(v.credit > 0)) break;
        const stop = params.stopLossMultiple * v.credit;
        if (v.costToClose >= stop * (1 - EPS)) {
          return close(
            rule,
            `cost to close ${v.costToClose.toFixed(2)} ≥ ${params.stopLossMultiple}× credit`,
            {
              stopCost: stop,
            },
          );
        }
        break;
      }
      case 'DYNAMIC_STOP': {
        const entry = open.entryUnderlying;
        const move = open.impliedMove;
        if (entry === undefined || move === undefined || !(move > 0)) break;
        const distance = move * params.impliedMoveMultiple;
        const putSide = shorts.some((s) => s.optionType === 'PE');
        const callSide = shorts.some((s) => s.optionType === 'CE');
        const down = putSide && underlyingPrice <= entry - distance;
        const up = callSide && underlyingPrice >= entry + distance;
        if (down || up) {
          return close(
            rule,
            `underlying moved ${(underlyingPrice - entry).toFixed(2)} from entry, beyond the implied move × ${params.impliedMoveMultiple}`,
            { entryUnderlying: entry, impliedMove: move, stopDistance: distance },
          );
        }
        break;
      }
      case 'DTE_EXIT':
        if (dte <= params.exitDte + EPS) {
          return close(rule, `${dte.toFixed(2)} days to expiry ≤ ${params.exitDte}`);
        }
        break;
      case 'PROFIT_TARGET': {
        if (v.costToClose === null || !(v.credit > 0)) break;
        const captured = v.credit - v.costToClose;
        const target = (params.profitTargetPct / 100) * v.credit;
        if (captured >= target - EPS * v.credit) {
          return close(rule, `captured ${captured.toFixed(2)} ≥ ${params.profitTargetPct}% of the credit`, {
            captured,
            target,
          });
        }
        break;
      }
    }
  }
  return { action: 'HOLD', details };
}
