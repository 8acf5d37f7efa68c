/**
 * Runbook "Agent Crash Recovery" as a pure decision: an agent that exits unexpectedly or misses its
 * heartbeat is restarted after a backoff, at most `maxRestarts` times; one more failure runs the kill
 * switch. Open orders are cancelled before any restart (the caller does that; the decision says so).
 */
export interface RestartParams {
  readonly maxRestarts: number;
  readonly restartBackoffMs: number;
  readonly heartbeatTimeoutMs: number;
}

export type CrashCause = 'EXIT' | 'HEARTBEAT_MISSED' | 'SPAWN_FAILED';

export type RestartDecision =
  | {
      readonly action: 'RESTART';
      readonly attempt: number;
      readonly afterMs: number;
      readonly cancelOpenOrders: true;
    }
  | { readonly action: 'KILL_SWITCH'; readonly restartsUsed: number; readonly reason: string };

/** What to do about the `restartsSoFar + 1`-th failure of an agent. */
export function onAgentFailure(
  agent: string,
  cause: CrashCause,
  restartsSoFar: number,
  params: RestartParams,
): RestartDecision {
  if (restartsSoFar >= params.maxRestarts) {
    return {
      action: 'KILL_SWITCH',
      restartsUsed: restartsSoFar,
      reason: `agent ${agent} failed (${cause}) after ${restartsSoFar} restart(s)`,
    };
  }
  return {
    action: 'RESTART',
    attempt: restartsSoFar + 1,
    afterMs: params.restartBackoffMs,
    cancelOpenOrders: true,
  };
}

/**
 * A heartbeat is missed when none arrived for `heartbeatTimeoutMs` (monotonic) since the last one,
 * or since the agent was spawned when it never sent one.
 */
export function heartbeatMissed(
  lastBeatMonoMs: number | null,
  spawnedMonoMs: number,
  nowMonoMs: number,
  heartbeatTimeoutMs: number,
): boolean {
  return nowMonoMs - (lastBeatMonoMs ?? spawnedMonoMs) > heartbeatTimeoutMs;
}
