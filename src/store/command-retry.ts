/**
 * The §2 retry table as pure data and pure decisions (no I/O, no clock): what happens to a command
 * whose attempt failed with a given error class. The command store applies the decision.
 */

/** §2 error classes, as the broker client classifies a failure (one place decides fatal vs transient). */
export const ERROR_CLASSES = [
  'NETWORK_TIMEOUT',
  'RATE_LIMIT',
  'BROKER_REJECT',
  'VALIDATION',
  'UNKNOWN',
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export interface ClassRetry {
  /** False: the first failure is final (FAILED). True: retried until maxAttempts, then DEAD_LETTER. */
  readonly retryable: boolean;
  /** Attempts in total, the first one included (§2 "Max Attempts"). */
  readonly maxAttempts: number;
  readonly backoff: 'EXPONENTIAL' | 'FIXED' | 'NONE';
  /** FIXED: the delay; EXPONENTIAL: the first delay, doubled after every further failure. */
  readonly baseMs: number;
}

export type RetryPolicy = Readonly<Record<ErrorClass, ClassRetry>>;

export interface RetryParams {
  readonly networkTimeoutMaxAttempts: number;
  readonly networkTimeoutBaseBackoffMs: number;
  readonly rateLimitMaxAttempts: number;
  readonly unknownMaxAttempts: number;
  readonly unknownBackoffMs: number;
  /** §5 invariant 3 SMART_ORDER_DELAY; the rate-limit backoff is twice this (§2). */
  readonly smartOrderDelayMs: number;
}

/** The plan's defaults (§2 table, §5 SMART_ORDER_DELAY 0.5 s). */
export const PLAN_RETRY_PARAMS: RetryParams = Object.freeze({
  networkTimeoutMaxAttempts: 3,
  networkTimeoutBaseBackoffMs: 1_000,
  rateLimitMaxAttempts: 5,
  unknownMaxAttempts: 2,
  unknownBackoffMs: 5_000,
  smartOrderDelayMs: 500,
});

/** §2: "Broker rate limit — fixed (SMART_ORDER_DELAY × 2)". */
const RATE_LIMIT_DELAY_FACTOR = 2;

export function retryPolicy(p: RetryParams = PLAN_RETRY_PARAMS): RetryPolicy {
  const fatal: ClassRetry = { retryable: false, maxAttempts: 1, backoff: 'NONE', baseMs: 0 };
  return Object.freeze({
    NETWORK_TIMEOUT: {
      retryable: true,
      maxAttempts: p.networkTimeoutMaxAttempts,
      backoff: 'EXPONENTIAL',
      baseMs: p.networkTimeoutBaseBackoffMs,
    },
    RATE_LIMIT: {
      retryable: true,
      maxAttempts: p.rateLimitMaxAttempts,
      backoff: 'FIXED',
      baseMs: RATE_LIMIT_DELAY_FACTOR * p.smartOrderDelayMs,
    },
    BROKER_REJECT: fatal,
    VALIDATION: fatal,
    UNKNOWN: {
      retryable: true,
      maxAttempts: p.unknownMaxAttempts,
      backoff: 'FIXED',
      baseMs: p.unknownBackoffMs,
    },
  });
}

/** Delay before the next attempt after attempt number `failedAttempt` (1-based) failed. */
export function backoffMs(c: ClassRetry, failedAttempt: number): number {
  switch (c.backoff) {
    case 'NONE':
      return 0;
    case 'FIXED':
      return c.baseMs;
    case 'EXPONENTIAL':
      return c.baseMs * 2 ** Math.max(0, failedAttempt - 1);
  }
}

/**
 * The longest delay the policy can ever ask for. A stored next_retry_at further ahead than this
 * was written before a reboot reset CLOCK_MONOTONIC, so it counts as due.
 */
export function maxBackoffMs(policy: RetryPolicy): number {
  let max = 0;
  for (const c of Object.values(policy)) {
    if (c.retryable) max = Math.max(max, backoffMs(c, Math.max(1, c.maxAttempts - 1)));
  }
  return max;
}

/** The largest maxAttempts of any class: no command is ever claimed more often than this. */
export function maxAttemptsOverall(policy: RetryPolicy): number {
  return Math.max(...Object.values(policy).map((c) => c.maxAttempts));
}

export type FailureDecision =
  | { readonly status: 'PENDING'; readonly delayMs: number; readonly maxAttempts: number }
  | { readonly status: 'FAILED'; readonly maxAttempts: number }
  | { readonly status: 'DEAD_LETTER'; readonly maxAttempts: number };

/**
 * §2: a non-retryable class fails at once; a retryable one goes back to PENDING after its backoff
 * while attempts remain, and to DEAD_LETTER when the class's attempts are used up. `attemptCount`
 * is the row's attempt_count, i.e. claims so far plus lease reclaims (runbook "Stale PROCESSING").
 */
export function decideFailure(
  policy: RetryPolicy,
  errorClass: ErrorClass,
  attemptCount: number,
): FailureDecision {
  const c = policy[errorClass];
  if (!c.retryable) return { status: 'FAILED', maxAttempts: c.maxAttempts };
  if (attemptCount >= c.maxAttempts) return { status: 'DEAD_LETTER', maxAttempts: c.maxAttempts };
  return { status: 'PENDING', delayMs: backoffMs(c, attemptCount), maxAttempts: c.maxAttempts };
}

/** Runbook "Stale PROCESSING Recovery": attempt_count + 1, DEAD_LETTER once it reaches max_attempts. */
export function decideReclaim(
  attemptCount: number,
  maxAttempts: number,
): { status: 'PENDING' | 'DEAD_LETTER'; attemptCount: number } {
  const next = attemptCount + 1;
  return { status: next >= maxAttempts ? 'DEAD_LETTER' : 'PENDING', attemptCount: next };
}
