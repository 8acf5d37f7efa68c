import type { Clock } from '../clock/index.js';
import {
  type AgentName,
  EVENT_VERSION,
  type EventOf,
  type EventType,
  type PayloadOf,
  SCHEMAS,
} from './events.js';
import { idempotencyKey, newEventId } from './ids.js';

export interface EventBase {
  source_agent: AgentName;
  strategy_id?: string;
  correlation_id?: string;
  idempotency_key?: string;
}

/**
 * Builds a valid event: fresh event_id, wall timestamp from the injected clock, and §3 defaults
 * (correlation = own id when it starts a chain; ORDER_REQUEST key = {strategy_id}:{leg}:{action}).
 * Throws on an invalid payload: building a bad event is a bug, not an expected failure.
 */
export function makeEvent<T extends EventType>(
  clock: Clock,
  type: T,
  base: EventBase,
  payload: PayloadOf<T>,
): EventOf<T> {
  const event_id = newEventId();
  const strategy_id = base.strategy_id ?? 'SYSTEM';
  const p = payload as { leg?: string; action?: string };
  const defaultKey =
    type === 'ORDER_REQUEST' && p.leg && p.action
      ? idempotencyKey(strategy_id, p.leg, p.action)
      : `${strategy_id}:${type}:${event_id}`;
  const candidate = {
    event_id,
    correlation_id: base.correlation_id ?? event_id,
    strategy_id,
    idempotency_key: base.idempotency_key ?? defaultKey,
    event_version: EVENT_VERSION,
    source_agent: base.source_agent,
    ts: Math.floor(clock.wallMs()),
    event_type: type,
    payload,
  };
  return SCHEMAS[type].parse(candidate) as EventOf<T>;
}
