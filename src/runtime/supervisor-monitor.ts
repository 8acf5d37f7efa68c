import type { Clock } from '../clock/index.js';
import type { ErrorCode } from '../contracts/index.js';
import type { Logger } from '../log/index.js';
import {
  type AccountState,
  type BrokerHealth,
  type CircuitBreakers,
  type SplitFailureAction,
  splitFailureAction,
} from '../safety/index.js';
import type { SystemStateStore } from '../store/system-state.js';

/** The Execution agent's own view of the execution broker (ExecutionRuntime.health()). */
export interface ExecutionHealthReport {
  /** Broker calls in a row that timed out or went unanswered; reset by any answered call. */
  readonly consecutiveBrokerTimeouts: number;
  /** Monotonic ms of the agent's last successful broker call; null before the first. */
  readonly lastBrokerSuccessMonoMs: number | null;
  /** The claim loop is running. */
  readonly running: boolean;
}

export interface MonitorDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly state: SystemStateStore;
  readonly breakers: CircuitBreakers;
  /** Stale PROCESSING recovery (the command store's reclaim). */
  reclaimExpired(): Array<{ id: number; status: 'PENDING' | 'DEAD_LETTER' }>;
  /** WAL checkpoint, kept off the order path: the Supervisor runs it after each lease scan. */
  checkpoint(): void;
  health(): BrokerHealth;
  /**
   * The Execution agent's broker health, when the Supervisor has it (in-process, or the host's last
   * report); undefined while unknown (e.g. the agent is restarting). Merged into `health()` on the safe
   * side: the larger timeout streak counts, and a streak marks the execution broker down.
   */
  execution?(): ExecutionHealthReport | undefined;
  /** Account view from the last funds read; undefined until one succeeded. */
  account(): AccountState | undefined;
  killSwitch(reason: string, code: ErrorCode): Promise<void>;
  /** Lease reclaims per hour feed a §13 metric. */
  onReclaimed?(count: number): void;
}

export interface MonitorTick {
  readonly reclaimed: ReadonlyArray<{ id: number; status: 'PENDING' | 'DEAD_LETTER' }>;
  readonly split: SplitFailureAction;
  /** The broker health the split-failure table judged (after merging the Execution agent's report). */
  readonly health: BrokerHealth;
  readonly killed: string | null;
}

/**
 * What the Supervisor checks every second, above all strategy logic: expired leases come back
 * (Stale PROCESSING runbook; the retry's orderbook check finds orphaned orders), the §14 split-failure
 * table (both feeds down, or execution and feed down → kill switch), and the §6 daily loss limit.
 */
export class SupervisorMonitor {
  #killing = false;

  constructor(
    private readonly d: MonitorDeps,
    private readonly params: { consecutiveTimeoutsKill: number; feedSwitchCooldownMs: number },
  ) {}

  async tick(): Promise<MonitorTick> {
    const reclaimed = this.d.reclaimExpired();
    this.d.checkpoint();
    if (reclaimed.length > 0) {
      this.d.onReclaimed?.(reclaimed.length);
      this.d.logger.warn({ reclaimed }, 'expired leases reclaimed');
    }
    const now = this.d.clock.monotonicMs();
    const health = this.#health();
    const split = splitFailureAction(health, now, this.params);
    let killed: string | null = null;
    if (split.killSwitch) killed = await this.#kill(split.reason, split.code ?? 'KILL_SWITCH');
    const account = this.d.account();
    if (!killed && account) {
      const loss = this.d.breakers.checkDailyLoss(account);
      // Only a real loss kills; malformed account data is refused (REJECT), not a reason to halt.
      if (!loss.ok && loss.action === 'KILL_SWITCH') killed = await this.#kill(loss.message, loss.code);
      else if (!loss.ok)
        this.d.logger.error({ denial: loss.message }, 'account view refused by the daily-loss check');
    }
    return { reclaimed, split, health, killed };
  }

  #health(): BrokerHealth {
    const base = this.d.health();
    const ex = this.d.execution?.();
    if (!ex) return base;
    // NaN from a garbled report must not read as "no timeouts": splitFailureAction halts on it.
    const streak = Number.isFinite(ex.consecutiveBrokerTimeouts) ? ex.consecutiveBrokerTimeouts : Number.NaN;
    return {
      ...base,
      executionUp: base.executionUp && streak === 0,
      consecutiveExecutionTimeouts: Number.isNaN(streak)
        ? streak
        : Math.max(base.consecutiveExecutionTimeouts, streak),
    };
  }

  async #kill(reason: string, code: ErrorCode): Promise<string | null> {
    if (this.#killing || this.d.state.read().state === 'HALTED') return null;
    this.#killing = true;
    try {
      await this.d.killSwitch(reason, code);
      return reason;
    } finally {
      this.#killing = false;
    }
  }
}
