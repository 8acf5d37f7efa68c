import type { Denial } from './error-codes.js';
import { ERROR_CODES } from './error-codes.js';
import { EventEnvelope, type EventOf, type EventType, SCHEMAS, type TomicEvent } from './events.js';

export type Parsed<T> = { ok: true; value: T } | Denial;

function issues(err: {
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>;
}): string {
  return err.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Parses any event crossing a boundary (bus, command table, API). Failures are coded, never thrown. */
export function parseEvent(input: unknown): Parsed<TomicEvent> {
  const env = EventEnvelope.safeParse(input);
  if (!env.success) return malformed(issues(env.error));
  const schema = SCHEMAS[env.data.event_type];
  const full = schema.safeParse(input);
  if (!full.success) return malformed(`${env.data.event_type}: ${issues(full.error)}`);
  return { ok: true, value: full.data as TomicEvent };
}

/** Parses an event that must be of one given type. */
export function parseEventOf<T extends EventType>(type: T, input: unknown): Parsed<EventOf<T>> {
  const r = SCHEMAS[type].safeParse(input);
  if (!r.success) return malformed(`${type}: ${issues(r.error)}`);
  return { ok: true, value: r.data as EventOf<T> };
}

function malformed(message: string): Denial {
  return {
    ok: false,
    code: 'MALFORMED_MESSAGE',
    message: `${ERROR_CODES.MALFORMED_MESSAGE.message}: ${message}`,
  };
}
