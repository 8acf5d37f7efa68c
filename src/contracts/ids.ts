import { randomUUID } from 'node:crypto';

/** UUID v4 (§3: event_id is globally unique). */
export function newEventId(): string {
  return randomUUID();
}

/** §3: idempotency_key = {strategy_id}:{leg}:{action}. */
export function idempotencyKey(strategyId: string, leg: string, action: string): string {
  return `${strategyId}:${leg}:${action}`;
}

/**
 * Strategy instance id, e.g. TOMIC_VOL_BPS_NIFTY_20260215 (§3). `date` is the IST trading date.
 */
export function strategyInstanceId(
  agent: string,
  strategyCode: string,
  underlying: string,
  date: string,
): string {
  return `TOMIC_${agent}_${strategyCode}_${underlying}_${date.replaceAll('-', '')}`;
}
