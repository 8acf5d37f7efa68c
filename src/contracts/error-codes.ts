/**
 * Every coded outcome TOMIC can report, in one registry (STYLE.md: "errors have codes, and the codes
 * are a registry"). `http` is the status the control API answers with when the code reaches it;
 * `alert` is the alert level the plan attaches to it, if any.
 */
export type AlertLevelName = 'CRITICAL' | 'RISK' | 'SIGNAL' | 'REGIME' | 'INFO';

interface CodeSpec {
  readonly message: string;
  readonly http: number;
  readonly section: string;
  readonly alert?: AlertLevelName;
}

const spec = <const T extends Record<string, CodeSpec>>(t: T) => t;

export const ERROR_CODES = spec({
  // §4 market-data freshness gates (block the order)
  STALE_QUOTE: { message: 'Quote is older than its freshness threshold', http: 409, section: '§4' },
  FEED_SWITCHING: { message: 'Feed switched primary/fallback within the cooldown', http: 409, section: '§4' },
  NO_DEPTH: { message: 'Depth data missing but required for the slippage check', http: 409, section: '§4' },
  // §4 analytics freshness (flags / fallbacks)
  PCR_STALE: { message: 'PCR older than 120 s; last known value used', http: 200, section: '§4' },
  GEX_STALE: { message: 'GEX older than 120 s; GEX support/resistance skipped', http: 200, section: '§4' },
  MAX_PAIN_STALE: { message: 'Max Pain older than 300 s; Max Pain bias skipped', http: 200, section: '§4' },
  GREEKS_STALE: { message: 'IV/greeks older than 60 s; API fallback used', http: 200, section: '§4' },
  GREEKS_API_STALE: {
    message: 'IV/greeks from the API older than 120 s; credit spread signals blocked',
    http: 409,
    section: '§4',
  },
  VIX_STALE: { message: 'VIX older than 60 s; last known value used', http: 200, section: '§4' },
  // §3 idempotency
  IDEMPOTENCY_SKIP: { message: 'Duplicate idempotency key; skipped', http: 409, section: '§3' },
  // §6 circuit breakers
  BREAKER_DAILY_LOSS: {
    message: 'Daily loss limit breached; kill switch',
    http: 423,
    section: '§6',
    alert: 'CRITICAL',
  },
  BREAKER_ORDER_RATE: {
    message: 'Order rate above limit; throttled',
    http: 429,
    section: '§6',
    alert: 'RISK',
  },
  BREAKER_NOTIONAL: {
    message: 'Gross notional above limit; rejected',
    http: 409,
    section: '§6',
    alert: 'RISK',
  },
  BREAKER_UNDERLYING_CAP: {
    message: 'Underlying above its share of used margin; rejected',
    http: 409,
    section: '§6',
    alert: 'RISK',
  },
  BREAKER_UNHEDGED: {
    message: 'Short option unhedged beyond the limit; force close',
    http: 409,
    section: '§6',
    alert: 'CRITICAL',
  },
  TRADING_HALTED: { message: 'Trading is halted (kill switch)', http: 423, section: '§6' },
  TRADING_REDUCING: {
    message: 'Trading is reducing: only risk-reducing orders allowed',
    http: 423,
    section: '§6',
  },
  TRADING_PAUSED: { message: 'Trading is paused', http: 423, section: 'Runbooks' },
  // §7 sizing chain
  SIZING_INVALID_INPUT: { message: 'Sizing input invalid; no size computed', http: 422, section: '§7' },
  SIZING_SECTOR_HEAT: { message: 'Sector margin above cap; rejected', http: 409, section: '§7' },
  SIZING_POSITION_CAP: { message: 'Position count at cap; rejected', http: 409, section: '§7' },
  SIZING_MARGIN_RESERVE: {
    message: 'Post-order free margin below reserve; rejected',
    http: 409,
    section: '§7',
  },
  SIZING_MARGIN_STALE: { message: 'Margin snapshot too old to size against', http: 409, section: '§7,§8' },
  SIZING_ZERO_LOTS: { message: 'Size rounds down to zero lots', http: 409, section: '§7' },
  // §5 execution invariants
  UNHEDGED_EXPOSURE: {
    message: 'Short option without its hedge; auto-closed at MARKET',
    http: 409,
    section: '§5',
    alert: 'CRITICAL',
  },
  LEGGING_POLICY_VIOLATION: { message: 'Order plan violates the legging policy', http: 409, section: '§5' },
  // §2 command table
  LEASE_LOST: { message: 'Lease expired or held by another owner', http: 409, section: '§2' },
  COMMAND_DEAD_LETTER: {
    message: 'Command exhausted its attempts; dead-lettered',
    http: 409,
    section: '§2',
    alert: 'CRITICAL',
  },
  COMMAND_NOT_FOUND: { message: 'No such command', http: 404, section: '§2' },
  // broker error classes (§2 retry table)
  BROKER_NETWORK_TIMEOUT: { message: 'Broker did not answer in time', http: 504, section: '§2' },
  BROKER_RATE_LIMIT: { message: 'Broker rate limit hit', http: 429, section: '§2' },
  BROKER_REJECT: { message: 'Broker rejected the order', http: 409, section: '§2' },
  BROKER_VALIDATION: { message: 'Request failed validation', http: 422, section: '§2' },
  BROKER_UNKNOWN: { message: 'Unclassified broker error', http: 502, section: '§2' },
  BROKER_AMBIGUOUS: {
    message: 'Order sent but outcome unknown; resolve via orderbook',
    http: 502,
    section: '§2,§3',
  },
  BROKER_AUTH: { message: 'Broker rejected the API key', http: 502, section: '§10' },
  // §8 positions
  POSITION_BOOK_WRITER_CONFLICT: { message: 'PositionBook already has a writer', http: 409, section: '§8' },
  RECONCILIATION_DISCREPANCY: { message: 'PositionBook differs from broker', http: 200, section: '§8' },
  SNAPSHOT_STALE: { message: 'Reader is too many versions behind; re-read', http: 409, section: '§8' },
  // §14 split failures and runbooks
  FEED_DOWN: { message: 'Market feed unavailable', http: 503, section: '§14', alert: 'CRITICAL' },
  EXECUTION_DOWN: { message: 'Execution broker unavailable', http: 503, section: '§14', alert: 'CRITICAL' },
  KILL_SWITCH: { message: 'Kill switch engaged', http: 423, section: 'Runbooks', alert: 'CRITICAL' },
  AGENT_HEARTBEAT_MISSED: {
    message: 'Agent heartbeat missed',
    http: 503,
    section: 'Runbooks',
    alert: 'RISK',
  },
  AGENT_RESTART_FAILED: {
    message: 'Agent could not be restarted',
    http: 503,
    section: 'Runbooks',
    alert: 'CRITICAL',
  },
  // §13 observability thresholds
  METRIC_THRESHOLD: {
    message: 'Metric crossed its alert threshold',
    http: 200,
    section: '§13',
    alert: 'RISK',
  },
  // §10 control API
  AUTH_REQUIRED: { message: 'Authentication required', http: 401, section: '§10' },
  AUTH_INVALID: { message: 'Invalid credentials', http: 403, section: '§10' },
  CSRF_INVALID: { message: 'Missing or invalid CSRF token', http: 403, section: '§10' },
  RATE_LIMITED: { message: 'Too many requests', http: 429, section: '§10' },
  APPROVAL_REQUIRED: { message: 'Order waits for approval (Semi-Auto)', http: 202, section: 'Phase 5' },
  // boundaries
  CONFIG_INVALID: { message: 'Configuration is invalid', http: 500, section: '§1' },
  MIGRATION_CHECKSUM_MISMATCH: {
    message: 'An applied migration file was changed',
    http: 500,
    section: '§11',
  },
  MALFORMED_MESSAGE: { message: 'Message failed schema validation; dropped', http: 400, section: '§3' },
  ROUTE_NOT_FOUND: { message: 'No such route', http: 404, section: '§10' },
  INTERNAL_ERROR: { message: 'Internal error; see the log', http: 500, section: '§10' },
  REGIME_CHANGE: { message: 'Market regime changed', http: 200, section: 'Phase 2', alert: 'REGIME' },
  // APPEND NEW CODES ABOVE THIS LINE (one entry, one edit)
});

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(s: string): s is ErrorCode {
  return Object.hasOwn(ERROR_CODES, s);
}

/** An expected failure as a value (STYLE.md: errors are values where they are expected). */
export interface Denial {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type Result<T> = ({ readonly ok: true } & T) | Denial;

export function deny(code: ErrorCode, details?: Record<string, unknown>, message?: string): Denial {
  return details === undefined
    ? { ok: false, code, message: message ?? ERROR_CODES[code].message }
    : { ok: false, code, message: message ?? ERROR_CODES[code].message, details };
}

/** A bug or an unrecoverable boundary failure, carrying a code for logs. */
export class TomicError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'TomicError';
  }
}
