import type { ErrorClass } from './ports.js';

/** What the Supervisor reads from the Execution agent for the §14 split-failure table. */
export interface ExecutionHealth {
  /** The claim loop is running (started and not yet returned). */
  readonly running: boolean;
  /** Broker calls in a row that timed out or went unanswered (ambiguous); reset by any answered call. */
  readonly consecutiveBrokerTimeouts: number;
  /** Monotonic ms of the last broker call that succeeded; null before the first one. */
  readonly lastBrokerSuccessMonoMs: number | null;
  /** Monotonic ms of the last timed-out broker call; null when none happened yet. */
  readonly lastBrokerTimeoutMonoMs: number | null;
  /**
   * Age of the last success when the snapshot was taken. Monotonic clocks have a per-process origin:
   * another process (the Supervisor) reads this, not the stamps.
   */
  readonly msSinceBrokerSuccess: number | null;
}

/** One broker call's result, as the REST client's call hook or the broker port reports it. */
export interface BrokerCallResult {
  readonly ok: boolean;
  readonly errorClass?: ErrorClass | 'AUTH' | undefined;
  readonly ambiguous?: boolean;
}

/**
 * Counts execution-broker timeouts in a row (§14: "after 5 consecutive timeouts → kill switch").
 * A timeout is a NETWORK_TIMEOUT result or an ambiguous one (sent, no answer). Any answered call —
 * success, reject, validation error, rate limit — proves the broker is reachable and resets the
 * streak; only a success moves `lastBrokerSuccessMonoMs`.
 */
export class BrokerHealthTracker {
  #streak = 0;
  #lastOk: number | null = null;
  #lastTimeout: number | null = null;

  record(r: BrokerCallResult, nowMonoMs: number): void {
    if (r.ok) {
      this.#streak = 0;
      this.#lastOk = nowMonoMs;
      return;
    }
    if (r.ambiguous === true || r.errorClass === 'NETWORK_TIMEOUT') {
      this.#streak += 1;
      this.#lastTimeout = nowMonoMs;
      return;
    }
    this.#streak = 0;
  }

  get consecutiveTimeouts(): number {
    return this.#streak;
  }

  snapshot(running: boolean, nowMonoMs: number): ExecutionHealth {
    return {
      running,
      consecutiveBrokerTimeouts: this.#streak,
      lastBrokerSuccessMonoMs: this.#lastOk,
      lastBrokerTimeoutMonoMs: this.#lastTimeout,
      msSinceBrokerSuccess: this.#lastOk === null ? null : nowMonoMs - this.#lastOk,
    };
  }
}
