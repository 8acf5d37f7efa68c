import type { ErrorCode, PayloadOf, TradingState } from '../contracts/index.js';
import { ALLOW, type Allow, type GateDenial, gateDenial } from './denial.js';

export type { TradingState } from '../contracts/index.js';

/**
 * What may move the trading state (STYLE.md: ACTIVE | REDUCING | HALTED is a value, not booleans).
 * - KILL_SWITCH: anything → HALTED.
 * - REDUCE: ACTIVE → REDUCING (only risk-reducing orders pass).
 * - AUTO_RESUME: REDUCING → ACTIVE when the cause cleared; never leaves HALTED.
 * - OPERATOR_RESUME: the only way out of HALTED (an explicit human decision).
 */
export type TradingStateEvent =
  | { readonly kind: 'KILL_SWITCH'; readonly reason: string; readonly code?: ErrorCode }
  | { readonly kind: 'REDUCE'; readonly reason: string; readonly code?: ErrorCode }
  | { readonly kind: 'AUTO_RESUME'; readonly reason: string }
  | { readonly kind: 'OPERATOR_RESUME'; readonly reason: string; readonly operator: string };

export interface StateTransition {
  readonly state: TradingState;
  readonly changed: boolean;
  /** The TRADING_STATE payload to publish when `changed`. */
  readonly event: PayloadOf<'TRADING_STATE'> | null;
}

export function nextTradingState(current: TradingState, ev: TradingStateEvent): StateTransition {
  let next: TradingState = current;
  switch (ev.kind) {
    case 'KILL_SWITCH':
      next = 'HALTED';
      break;
    case 'REDUCE':
      if (current === 'ACTIVE') next = 'REDUCING';
      break;
    case 'AUTO_RESUME':
      if (current === 'REDUCING') next = 'ACTIVE';
      break;
    case 'OPERATOR_RESUME':
      next = 'ACTIVE';
      break;
  }
  if (next === current) return { state: current, changed: false, event: null };
  const code = 'code' in ev ? ev.code : undefined;
  const reason = ev.kind === 'OPERATOR_RESUME' ? `${ev.reason} (operator ${ev.operator})` : ev.reason;
  return {
    state: next,
    changed: true,
    event: { state: next, previous: current, reason, ...(code !== undefined ? { code } : {}) },
  };
}

/** Who is asking: safety actions are the kill switch's own orders and the §5 unhedged force close. */
export type SafetyAction = 'KILL_SWITCH' | 'UNHEDGED_FORCE_CLOSE';

export interface StateGateOrder {
  /** The order only shrinks an open position (an exit, a buy-back of a short, a force close). */
  readonly reducesRisk: boolean;
  readonly safetyAction?: SafetyAction;
  readonly leg?: string;
  readonly symbol?: string;
}

/**
 * Checked before every order. HALTED passes nothing but safety actions: the kill switch's own orders,
 * and the §5 invariant-2 force close of an unhedged short (non-bypassable; the kill switch cancelling a
 * pending hedge must not leave a naked short open). REDUCING passes risk-reducing orders only.
 */
export function checkTradingState(state: TradingState, order: StateGateOrder): Allow | GateDenial {
  const ctx = {
    ...(order.leg !== undefined ? { leg: order.leg } : {}),
    ...(order.symbol !== undefined ? { symbol: order.symbol } : {}),
  };
  if (state === 'HALTED') {
    if (order.safetyAction !== undefined && order.reducesRisk) return ALLOW;
    return gateDenial('TRADING_HALTED', 'state.halted', { state }, ctx);
  }
  if (state === 'REDUCING' && !order.reducesRisk) {
    return gateDenial('TRADING_REDUCING', 'state.reducing', { state }, ctx);
  }
  return ALLOW;
}
