import type { Redactor } from '../contracts/index.js';
import { parsePythonLiteral } from './python-literal.js';
import type { BrokerError, BrokerErrorClass, BrokerErrorCode } from './types.js';

/**
 * The one place where a failed OpenAlgo call becomes an error class (STYLE.md: "fatal vs transient is
 * decided in one place"). The retry policy (§2) reads `class`; the execution agent reads `ambiguous`.
 *
 * Ambiguity: a state-changing call is ambiguous when its bytes reached the broker and no usable answer
 * came back — a timeout or reset after send, a gateway timeout, a 500 from OpenAlgo's catch-all (its
 * broker call may have gone through before it threw), or a success whose body we cannot read. Reads are
 * never ambiguous: repeating them is harmless.
 */
export type RawOutcome =
  | {
      readonly kind: 'http';
      readonly status: number;
      readonly bodyText: string;
      /** The parsed body, or undefined when it was not JSON. */
      readonly json: unknown;
    }
  | {
      /** A 2xx answer whose body is not what the endpoint's schema promises. */
      readonly kind: 'unreadable';
      readonly status: number;
      readonly detail: string;
    }
  | {
      readonly kind: 'transport';
      readonly reason: TransportFailure;
      /** True once the request was handed to a connected socket. */
      readonly sent: boolean;
      readonly message: string;
    }
  | {
      /** The request failed our copy of OpenAlgo's schema: nothing was sent. */
      readonly kind: 'invalid';
      readonly fieldErrors: Readonly<Record<string, readonly string[]>>;
    }
  | {
      /** Our own token bucket refused to wait any longer: nothing was sent. */
      readonly kind: 'throttled';
      readonly route: string;
      readonly waitedMs: number;
    };

export type TransportFailure = 'timeout' | 'connect' | 'dns' | 'reset' | 'aborted' | 'other';

export interface ClassifyContext {
  /** The call changes broker state (order placement, modify, cancel). */
  readonly mutating: boolean;
  readonly redactor?: Redactor;
}

const AUTH_MESSAGE = /invalid (openalgo )?api ?key|api key is required|apikey/i;
const PY_DICT = /^\s*\{\s*['"]/;

export function classify(outcome: RawOutcome, ctx: ClassifyContext): BrokerError {
  const scrub = (s: string) => (ctx.redactor ? ctx.redactor.scrubString(s) : s);
  switch (outcome.kind) {
    case 'invalid': {
      const fieldErrors = Object.fromEntries(
        Object.entries(outcome.fieldErrors).map(([k, v]) => [k, [...v]]),
      );
      const text = Object.entries(fieldErrors)
        .map(([k, v]) => `${k}: ${v.join(', ')}`)
        .join('; ');
      return err('VALIDATION', scrub(`request rejected before send: ${text}`), {
        sent: false,
        ambiguous: false,
        fieldErrors,
      });
    }
    case 'throttled':
      return err(
        'RATE_LIMIT',
        scrub(`local rate limit: waited ${outcome.waitedMs} ms for ${outcome.route}`),
        {
          sent: false,
          ambiguous: false,
        },
      );
    case 'transport': {
      const ambiguous = ctx.mutating && outcome.sent;
      const cls: BrokerErrorClass =
        outcome.reason === 'aborted' || outcome.reason === 'other' ? 'UNKNOWN' : 'NETWORK_TIMEOUT';
      const what = outcome.sent ? `${outcome.reason} after send` : `${outcome.reason} before send`;
      return err(cls, scrub(`${what}: ${outcome.message}`), { sent: outcome.sent, ambiguous });
    }
    case 'unreadable':
      return err('UNKNOWN', scrub(`unreadable ${outcome.status} response: ${outcome.detail}`), {
        sent: true,
        ambiguous: ctx.mutating,
        httpStatus: outcome.status,
      });
    case 'http':
      return classifyHttp(outcome.status, outcome.json, outcome.bodyText, ctx.mutating, scrub);
  }
}

function classifyHttp(
  status: number,
  json: unknown,
  bodyText: string,
  mutating: boolean,
  scrub: (s: string) => string,
): BrokerError {
  const body = isRecord(json) ? json : undefined;
  const message = scrub(messageOf(body, bodyText, status));
  const fieldErrors = body ? fieldErrorsOf(body) : undefined;
  const orderId =
    body && (typeof body.orderid === 'string' || typeof body.orderid === 'number')
      ? String(body.orderid)
      : undefined;
  const base = { sent: true, httpStatus: status, ...(orderId ? { orderId } : {}) };
  // 429 comes from flask-restx without the envelope ({"message":"10 per 1 second"}): key on the code.
  if (status === 429) return err('RATE_LIMIT', message, { ...base, ambiguous: false });
  if (status === 401) return err('AUTH', message, { ...base, ambiguous: false });
  if (status === 403) {
    return err(AUTH_MESSAGE.test(message) ? 'AUTH' : 'BROKER_REJECT', message, { ...base, ambiguous: false });
  }
  if (status === 408) return err('NETWORK_TIMEOUT', message, { ...base, ambiguous: false });
  if (status === 502 || status === 504)
    return err('NETWORK_TIMEOUT', message, { ...base, ambiguous: mutating });
  if (status === 503) return err('UNKNOWN', message, { ...base, ambiguous: false });
  if (status >= 500) return err('UNKNOWN', message, { ...base, ambiguous: mutating });
  if (status === 405 || status === 415 || status === 422) {
    return err('VALIDATION', message, { ...base, ambiguous: false, ...(fieldErrors ? { fieldErrors } : {}) });
  }
  if (status >= 400 || (status >= 200 && status < 300)) {
    // 400 carries both schema failures and broker/sandbox rejects (margin, lot size): the field-error
    // shapes tell them apart. A 2xx with status:"error" is a reject by the service layer.
    if (fieldErrors) return err('VALIDATION', message, { ...base, ambiguous: false, fieldErrors });
    return err('BROKER_REJECT', message, { ...base, ambiguous: false });
  }
  return err('UNKNOWN', message, { ...base, ambiguous: mutating });
}

function err(
  cls: BrokerErrorClass,
  message: string,
  extra: {
    sent: boolean;
    ambiguous: boolean;
    httpStatus?: number;
    fieldErrors?: Record<string, string[]>;
    orderId?: string;
  },
): BrokerError {
  return { class: cls, code: codeOf(cls, extra.ambiguous), message, ...extra };
}

function codeOf(cls: BrokerErrorClass, ambiguous: boolean): BrokerErrorCode {
  if (ambiguous) return 'BROKER_AMBIGUOUS';
  switch (cls) {
    case 'NETWORK_TIMEOUT':
      return 'BROKER_NETWORK_TIMEOUT';
    case 'RATE_LIMIT':
      return 'BROKER_RATE_LIMIT';
    case 'BROKER_REJECT':
      return 'BROKER_REJECT';
    case 'VALIDATION':
      return 'BROKER_VALIDATION';
    case 'AUTH':
      return 'BROKER_AUTH';
    case 'UNKNOWN':
      return 'BROKER_UNKNOWN';
  }
}

const MAX_MESSAGE = 500;

function messageOf(body: Record<string, unknown> | undefined, bodyText: string, status: number): string {
  const m = body?.message;
  if (typeof m === 'string' && m.length > 0) return m.slice(0, MAX_MESSAGE);
  if (m !== undefined && m !== null) return JSON.stringify(m).slice(0, MAX_MESSAGE);
  const text = bodyText.trim();
  return text.length > 0 ? text.slice(0, MAX_MESSAGE) : `HTTP ${status}`;
}

/**
 * OpenAlgo's three validation-error shapes (REST.md §1.3): A — `message` is a Python-repr dict string;
 * B — `message` is a JSON object; C — `errors` is an object beside a fixed message. Nested field errors
 * (basket items) are flattened to dotted paths: `orders.0.quantity`.
 */
export function fieldErrorsOf(body: Record<string, unknown>): Record<string, string[]> | undefined {
  if (isRecord(body.errors)) return flatten(body.errors);
  if (isRecord(body.message)) return flatten(body.message);
  if (typeof body.message === 'string' && PY_DICT.test(body.message)) {
    const parsed = parsePythonLiteral(body.message);
    if (isRecord(parsed)) return flatten(parsed);
  }
  return undefined;
}

/** Sets an own data property even for keys like "__proto__" (they come from the broker). */
function put(out: Record<string, string[]>, key: string, value: string[]): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function flatten(
  node: Record<string, unknown>,
  prefix = '',
  out: Record<string, string[]> = {},
): Record<string, string[]> {
  for (const [k, v] of Object.entries(node)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v)) {
      const strings = v.filter((x): x is string => typeof x === 'string');
      const nested = v.filter(isRecord);
      if (strings.length > 0 || nested.length === 0)
        put(out, key, strings.length > 0 ? strings : v.map((x) => String(x)));
      for (const [i, n] of nested.entries()) flatten(n, `${key}.${i}`, out);
    } else if (isRecord(v)) flatten(v, key, out);
    else put(out, key, [String(v)]);
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** §2 retry table: which classes the command store may retry. Ambiguous outcomes resolve first. */
export function isRetryableClass(cls: BrokerErrorClass): boolean {
  return cls === 'NETWORK_TIMEOUT' || cls === 'RATE_LIMIT' || cls === 'UNKNOWN';
}
