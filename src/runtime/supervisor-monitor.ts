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
  /** Account view from the last funds read; undefined until one succeeded. */
  account(): AccountState | undefined;
  killSwitch(reason: string, code: ErrorCode): Promise<void>;
  /** Lease reclaims per hour feed a §13 metric. */
  onReclaimed?(count: number): void;
}

export interface MonitorTick {
  readonly reclaimed: ReadonlyArray<{ id: number; status: 'PENDING' | 'DEAD_LETTER' }>;
  readonly split: SplitFailureAction;
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
    const split = splitFailureAction(this.d.health(), now, this.params);
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
    return { reclaimed, split, killed };
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
