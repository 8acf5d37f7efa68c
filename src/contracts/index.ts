export * from './error-codes.js';
export * from './events.js';
export { idempotencyKey, newEventId, strategyInstanceId } from './ids.js';
export { type EventBase, makeEvent } from './make-event.js';
export { type Parsed, parseEvent, parseEventOf } from './parse.js';
export { isSensitiveKey, maskValue, Redactor } from './redact.js';
