import type { AlertLevelName, ErrorCode } from '../contracts/index.js';
import { type FreshnessParams, PLAN_LIMITS, tightenExecution, tightenFreshness } from './limits.js';

export interface BrokerHealth {
  readonly primaryFeedUp: boolean;
  readonly fallbackFeedUp: boolean;
  readonly executionUp: boolean;
  /** Execution calls that timed out in a row (reset by any answered call). */
  readonly consecutiveExecutionTimeouts: number;
  /** Monotonic time the primary feed went down; null when it is up or the time is unknown. */
  readonly feedDownSinceMs: number | null;
}

export interface SplitFailureAction {
  /** New orders must not be sent (existing positions are managed on last known state). */
  readonly blockNewOrders: boolean;
  /** Run the kill-switch runbook now. */
  readonly killSwitch: boolean;
  /** Commands stay queued in the durable command table and retry per policy. */
  readonly queueCommands: boolean;
  readonly reason: string;
  readonly code: ErrorCode | null;
  readonly alert: AlertLevelName | null;
}

export interface SplitFailureParams {
  readonly consecutiveTimeoutsKill: number;
  readonly feedSwitchCooldownMs: number;
}

const act = (a: SplitFailureAction): SplitFailureAction => a;

/**
 * §14 split-failure behaviour as a pure function of broker health. Readings, chosen on the safe side:
 * - "Both down" means the execution broker and the primary feed broker are down (they are often one
 *   OpenAlgo instance): immediate kill switch, whether or not the fallback feed is up.
 * - Feed down, execution up: the fallback takes over and the 30 s freshness gate (FEED_SWITCHING)
 *   blocks new orders; when the fallback is down too, kill switch.
 * - Execution down, feed up: commands queue durably, analysis continues; after 5 consecutive execution
 *   timeouts, kill switch + CRITICAL. The timeout count is authoritative even when the health flag
 *   still says "up".
 */
export function splitFailureAction(
  h: BrokerHealth,
  nowMs: number,
  params: Partial<SplitFailureParams> = {},
): SplitFailureAction {
  const killAfter = tightenExecution({
    consecutiveTimeoutsKill: params.consecutiveTimeoutsKill ?? PLAN_LIMITS.execution.consecutiveTimeoutsKill,
  }).consecutiveTimeoutsKill;
  const fp: Partial<FreshnessParams> =
    params.feedSwitchCooldownMs === undefined ? {} : { feedSwitchCooldownMs: params.feedSwitchCooldownMs };
  const cooldown = tightenFreshness(fp).feedSwitchCooldownMs;
  const anyFeedUp = h.primaryFeedUp || h.fallbackFeedUp;

  if (!h.executionUp && !h.primaryFeedUp) {
    return act({
      blockNewOrders: true,
      killSwitch: true,
      queueCommands: false,
      reason: 'execution broker and feed broker both down: immediate kill switch',
      code: 'KILL_SWITCH',
      alert: 'CRITICAL',
    });
  }
  if (!anyFeedUp) {
    return act({
      blockNewOrders: true,
      killSwitch: true,
      queueCommands: false,
      reason: 'primary and fallback feeds both down: kill switch',
      code: 'FEED_DOWN',
      alert: 'CRITICAL',
    });
  }
  // NaN or a negative count is a bug upstream; it must not read as "no timeouts".
  const timeouts = h.consecutiveExecutionTimeouts;
  if (!(timeouts >= 0) || timeouts >= killAfter) {
    return act({
      blockNewOrders: true,
      killSwitch: true,
      queueCommands: false,
      reason: `${timeouts} consecutive execution timeouts (limit ${killAfter}): kill switch`,
      code: 'EXECUTION_DOWN',
      alert: 'CRITICAL',
    });
  }
  if (!h.executionUp) {
    return act({
      blockNewOrders: false,
      killSwitch: false,
      queueCommands: true,
      reason: `execution broker down (${timeouts} consecutive timeouts): commands queue and retry per policy`,
      code: 'EXECUTION_DOWN',
      alert: 'RISK',
    });
  }
  if (!h.primaryFeedUp) {
    const since = h.feedDownSinceMs === null ? Number.NaN : nowMs - h.feedDownSinceMs;
    // Unknown since when: assume the switch just happened.
    if (!(since > cooldown)) {
      return act({
        blockNewOrders: true,
        killSwitch: false,
        queueCommands: false,
        reason: `primary feed down, on fallback; freshness cooldown ${cooldown} ms blocks new orders`,
        code: 'FEED_SWITCHING',
        alert: 'RISK',
      });
    }
    return act({
      blockNewOrders: false,
      killSwitch: false,
      queueCommands: false,
      reason: 'primary feed down, trading on the fallback feed',
      code: null,
      alert: null,
    });
  }
  return act({
    blockNewOrders: false,
    killSwitch: false,
    queueCommands: false,
    reason: h.fallbackFeedUp ? 'all healthy' : 'fallback feed down (no spare feed)',
    code: null,
    alert: h.fallbackFeedUp ? null : 'RISK',
  });
}
