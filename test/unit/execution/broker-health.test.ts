import { describe, expect, it } from 'vitest';
import { BrokerHealthTracker } from '../../../src/agents/execution/broker-health.js';

describe('BrokerHealthTracker (§14 consecutive execution timeouts)', () => {
  it('counts timeouts and ambiguous results in a row; a success resets and stamps the time', () => {
    const h = new BrokerHealthTracker();
    expect(h.snapshot(false, 0)).toEqual({
      running: false,
      consecutiveBrokerTimeouts: 0,
      lastBrokerSuccessMonoMs: null,
      lastBrokerTimeoutMonoMs: null,
      msSinceBrokerSuccess: null,
    });
    h.record({ ok: true }, 10);
    h.record({ ok: false, errorClass: 'NETWORK_TIMEOUT', ambiguous: false }, 20);
    h.record({ ok: false, errorClass: 'UNKNOWN', ambiguous: true }, 30);
    h.record({ ok: false, errorClass: 'NETWORK_TIMEOUT' }, 40);
    expect(h.snapshot(true, 45)).toEqual({
      running: true,
      consecutiveBrokerTimeouts: 3,
      lastBrokerSuccessMonoMs: 10,
      lastBrokerTimeoutMonoMs: 40,
      msSinceBrokerSuccess: 35,
    });
    h.record({ ok: true }, 50);
    expect(h.consecutiveTimeouts).toBe(0);
    expect(h.snapshot(true, 50).lastBrokerSuccessMonoMs).toBe(50);
  });

  it('an answered refusal (reject, validation, rate limit) proves the broker is there: streak reset, no success stamp', () => {
    const h = new BrokerHealthTracker();
    h.record({ ok: true }, 1);
    for (const errorClass of ['BROKER_REJECT', 'VALIDATION', 'RATE_LIMIT', 'AUTH'] as const) {
      h.record({ ok: false, errorClass: 'NETWORK_TIMEOUT' }, 2);
      h.record({ ok: false, errorClass, ambiguous: false }, 3);
      expect(h.consecutiveTimeouts).toBe(0);
    }
    expect(h.snapshot(true, 3).lastBrokerSuccessMonoMs).toBe(1);
  });
});
