import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heartbeatMissed, onAgentFailure } from '../../../src/runtime/restart-policy.js';

const params = { maxRestarts: 3, restartBackoffMs: 10_000, heartbeatTimeoutMs: 60_000 };

describe('Agent Crash Recovery decision (runbook: restart max 3, 10 s backoff, else kill switch)', () => {
  it('restarts three times after the backoff, cancelling open orders first, then kills', () => {
    const seq = [0, 1, 2, 3].map((n) => onAgentFailure('execution', 'EXIT', n, params));
    expect(seq.slice(0, 3)).toEqual(
      [1, 2, 3].map((attempt) => ({
        action: 'RESTART',
        attempt,
        afterMs: 10_000,
        cancelOpenOrders: true,
      })),
    );
    expect(seq[3]).toMatchObject({ action: 'KILL_SWITCH', restartsUsed: 3 });
  });

  it('property: for any limit, exactly maxRestarts restarts precede the kill switch', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom('EXIT', 'HEARTBEAT_MISSED', 'SPAWN_FAILED' as const),
        (max, cause) => {
          const p = { ...params, maxRestarts: max };
          let restarts = 0;
          for (;;) {
            const d = onAgentFailure('risk', cause, restarts, p);
            if (d.action === 'KILL_SWITCH') break;
            restarts = d.attempt;
          }
          expect(restarts).toBe(max);
        },
      ),
    );
  });

  it('a heartbeat is missed only after more than the timeout, counted from spawn when none came', () => {
    expect(heartbeatMissed(1_000, 0, 61_000, 60_000)).toBe(false);
    expect(heartbeatMissed(1_000, 0, 61_001, 60_000)).toBe(true);
    expect(heartbeatMissed(null, 5_000, 65_000, 60_000)).toBe(false);
    expect(heartbeatMissed(null, 5_000, 65_001, 60_000)).toBe(true);
  });
});
