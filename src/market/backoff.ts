/**
 * Reconnect delays of OpenAlgo's own feed client (`openalgo/feed.py`, WEBSOCKET.md §5): 1, 2, 5, 10,
 * 30, then 60 s for every later attempt.
 */
export const FEED_BACKOFF_MS: readonly number[] = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000];

/** Delay before reconnect attempt `attempt` (0-based), capped at the schedule's last entry. */
export function backoffDelay(attempt: number, schedule: readonly number[] = FEED_BACKOFF_MS): number {
  if (schedule.length === 0) return 0;
  const i = Math.min(Math.max(0, Math.floor(attempt)), schedule.length - 1);
  return schedule[i]!;
}
