import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import {
  backoffMs,
  decideFailure,
  decideReclaim,
  maxAttemptsOverall,
  maxBackoffMs,
  retryPolicy,
} from '../../../src/store/command-retry.js';
import { CommandStore } from '../../../src/store/command-store.js';

const plan = retryPolicy();

describe('§2 retry table (pure)', () => {
  it('network timeout: 3 attempts, exponential backoff 1 s then 2 s, then DEAD_LETTER', () => {
    expect(decideFailure(plan, 'NETWORK_TIMEOUT', 1)).toEqual({
      status: 'PENDING',
      delayMs: 1_000,
      maxAttempts: 3,
    });
    expect(decideFailure(plan, 'NETWORK_TIMEOUT', 2)).toEqual({
      status: 'PENDING',
      delayMs: 2_000,
      maxAttempts: 3,
    });
    expect(decideFailure(plan, 'NETWORK_TIMEOUT', 3)).toEqual({ status: 'DEAD_LETTER', maxAttempts: 3 });
    // The series continues 4 s, 8 s … if an operator ever allows more attempts.
    expect(backoffMs(plan.NETWORK_TIMEOUT, 3)).toBe(4_000);
  });

  it('rate limit: 5 attempts, fixed 2 × SMART_ORDER_DELAY, then DEAD_LETTER', () => {
    for (let a = 1; a <= 4; a++) {
      expect(decideFailure(plan, 'RATE_LIMIT', a)).toEqual({
        status: 'PENDING',
        delayMs: 1_000,
        maxAttempts: 5,
      });
    }
    expect(decideFailure(plan, 'RATE_LIMIT', 5)).toEqual({ status: 'DEAD_LETTER', maxAttempts: 5 });
  });

  it('broker reject and validation: FAILED at the first attempt, never retried', () => {
    expect(decideFailure(plan, 'BROKER_REJECT', 1)).toEqual({ status: 'FAILED', maxAttempts: 1 });
    expect(decideFailure(plan, 'VALIDATION', 1)).toEqual({ status: 'FAILED', maxAttempts: 1 });
  });

  it('unknown: 2 attempts, fixed 5 s, then DEAD_LETTER', () => {
    expect(decideFailure(plan, 'UNKNOWN', 1)).toEqual({ status: 'PENDING', delayMs: 5_000, maxAttempts: 2 });
    expect(decideFailure(plan, 'UNKNOWN', 2)).toEqual({ status: 'DEAD_LETTER', maxAttempts: 2 });
  });

  it('an attempt count inflated by lease reclaims dead-letters earlier, never later', () => {
    expect(decideFailure(plan, 'UNKNOWN', 3).status).toBe('DEAD_LETTER');
    expect(decideFailure(plan, 'NETWORK_TIMEOUT', 4).status).toBe('DEAD_LETTER');
  });

  it('lease reclaim: attempt + 1, DEAD_LETTER once it reaches max_attempts', () => {
    expect(decideReclaim(1, 3)).toEqual({ status: 'PENDING', attemptCount: 2 });
    expect(decideReclaim(2, 3)).toEqual({ status: 'DEAD_LETTER', attemptCount: 3 });
  });

  it('the longest backoff the table can ask for bounds pre-reboot retry times', () => {
    expect(maxBackoffMs(plan)).toBe(5_000);
    expect(maxBackoffMs(retryPolicy({ ...defaults(), networkTimeoutBaseBackoffMs: 4_000 }))).toBe(8_000);
    expect(maxAttemptsOverall(plan)).toBe(5);
  });

  it('is built from config: attempts, backoffs and SMART_ORDER_DELAY', () => {
    const r = loadConfig({
      env: {
        TOMIC_SMART_ORDER_DELAY_MS: '700',
        TOMIC_RETRY_NETWORK_BASE_MS: '250',
        TOMIC_RETRY_UNKNOWN_BACKOFF_MS: '3000',
      },
      envFile: null,
      cwd: '/tmp',
    });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const p = CommandStore.retryPolicyFromConfig(r.config);
    expect(decideFailure(p, 'RATE_LIMIT', 1)).toMatchObject({ delayMs: 1_400 });
    expect(decideFailure(p, 'NETWORK_TIMEOUT', 2)).toMatchObject({ delayMs: 500 });
    expect(decideFailure(p, 'UNKNOWN', 1)).toMatchObject({ delayMs: 3_000 });
    expect(CommandStore.retryPolicyFromConfig(defaultConfig())).toEqual(plan);
  });
});

function defaults() {
  return {
    networkTimeoutMaxAttempts: 3,
    networkTimeoutBaseBackoffMs: 1_000,
    rateLimitMaxAttempts: 5,
    unknownMaxAttempts: 2,
    unknownBackoffMs: 5_000,
    smartOrderDelayMs: 500,
  };
}

function defaultConfig() {
  const r = loadConfig({ env: {}, envFile: null, cwd: '/tmp' });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}
