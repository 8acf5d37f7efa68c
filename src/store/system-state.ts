import type { Database } from 'better-sqlite3';
import type { ErrorCode, TradingState } from '../contracts/index.js';

export interface SystemStateRow {
  readonly state: TradingState;
  readonly reason: string;
  readonly code: ErrorCode | null;
  readonly actor: string;
  readonly version: number;
}

export interface Transition {
  readonly changed: boolean;
  readonly previous: TradingState;
  readonly current: SystemStateRow;
}

/**
 * The durable trading state (Supervisor writes; every process may read). HALTED is sticky: only an
 * explicit operator `resume` leaves it, never an automatic transition.
 */
export class SystemStateStore {
  readonly #get;
  readonly #set;
  readonly #history;

  constructor(private readonly db: Database) {
    this.#get = db.prepare(
      'SELECT trading_state AS state, reason, code, actor, version FROM system_state WHERE id = 1',
    );
    this.#set = db.prepare(
      'UPDATE system_state SET trading_state = ?, reason = ?, code = ?, actor = ?, version = version + 1, changed_at = CURRENT_TIMESTAMP WHERE id = 1',
    );
    this.#history = db.prepare(
      'INSERT INTO system_state_history (trading_state, previous, reason, code, actor) VALUES (?, ?, ?, ?, ?)',
    );
  }

  read(): SystemStateRow {
    return this.#get.get() as SystemStateRow;
  }

  /** Moves to `state` unless that would leave HALTED without `operatorResume`. */
  transition(
    state: TradingState,
    reason: string,
    actor: string,
    opts: { code?: ErrorCode; operatorResume?: boolean } = {},
  ): Transition {
    return this.db
      .transaction((): Transition => {
        const before = this.read();
        if (before.state === state) return { changed: false, previous: before.state, current: before };
        if (before.state === 'HALTED' && !opts.operatorResume) {
          return { changed: false, previous: before.state, current: before };
        }
        this.#set.run(state, reason, opts.code ?? null, actor);
        this.#history.run(state, before.state, reason, opts.code ?? null, actor);
        return { changed: true, previous: before.state, current: this.read() };
      })
      .immediate();
  }

  history(limit = 50): Array<{
    state: TradingState;
    previous: TradingState;
    reason: string;
    actor: string;
    changed_at: string;
  }> {
    return this.db
      .prepare(
        'SELECT trading_state AS state, previous, reason, actor, changed_at FROM system_state_history ORDER BY id DESC LIMIT ?',
      )
      .all(limit) as Array<{
      state: TradingState;
      previous: TradingState;
      reason: string;
      actor: string;
      changed_at: string;
    }>;
  }
}
