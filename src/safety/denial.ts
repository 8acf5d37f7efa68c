import {
  type AlertLevelName,
  type Denial,
  deny,
  ERROR_CODES,
  type ErrorCode,
  type PayloadOf,
} from '../contracts/index.js';

export type OrderDeniedEvent = PayloadOf<'ORDER_DENIED'>;

/**
 * A gate's refusal (STYLE.md: a denied order is an event, not a silence). It is a `Denial` value and
 * carries the ORDER_DENIED payload the runtime journals and counts, plus the alert level the plan
 * attaches to it.
 */
export interface GateDenial extends Denial {
  /** Which gate said no, e.g. `freshness.underlying`, `breaker.order_rate`, `sizing.step6`. */
  readonly gate: string;
  readonly alert: AlertLevelName | null;
  readonly event: OrderDeniedEvent;
}

export interface DenialContext {
  readonly leg?: string;
  readonly symbol?: string;
}

export function gateDenial(
  code: ErrorCode,
  gate: string,
  details: Record<string, unknown>,
  ctx: DenialContext = {},
  message?: string,
): GateDenial {
  const d = deny(code, details, message);
  const spec = ERROR_CODES[code] as { readonly alert?: AlertLevelName };
  const event: OrderDeniedEvent = {
    code,
    message: d.message,
    gate,
    details,
    ...(ctx.leg !== undefined ? { leg: ctx.leg } : {}),
    ...(ctx.symbol !== undefined ? { symbol: ctx.symbol } : {}),
  };
  return { ...d, details, gate, alert: spec.alert ?? null, event };
}

export type Allow = { readonly ok: true };
export const ALLOW: Allow = Object.freeze({ ok: true as const });
