import type { Database, Statement } from 'better-sqlite3';

/**
 * Waits for SQLite's write lock in finer steps than SQLite's own busy handler.
 *
 * SQLite cannot block on the WAL write lock; a busy connection polls it, and the built-in handler
 * sleeps 1, 2, 5, 10 … 100 ms between polls. With several processes competing (Risk enqueues,
 * Execution claims and acks, Supervisor reclaims) a waiter then sleeps through the short gaps
 * between another process's transactions and falls further behind with every miss: claims stall for
 * tens of milliseconds and, under a producer burst, can exceed the whole busy_timeout. Polling every
 * 0.05–1 ms instead lets a waiter take the lock at the next gap.
 *
 * The connection's busy_timeout is switched off only for the duration of one store operation and
 * restored afterwards, so other stores sharing the connection keep SQLite's handler. The wait budget
 * is the connection's busy_timeout: past it the SQLITE_BUSY error is thrown as before.
 */
export const GATE_STATS = { busy: 0, waitedMs: 0 };
export class WriteGate {
  readonly #off: Statement;
  readonly #restore: Statement;
  readonly #budgetMs: number;
  readonly #pause = new Int32Array(new SharedArrayBuffer(4));

  constructor(db: Database) {
    const timeout = Number(db.pragma('busy_timeout', { simple: true }));
    this.#budgetMs = Number.isFinite(timeout) && timeout > 0 ? timeout : 5_000;
    this.#off = db.prepare('PRAGMA busy_timeout = 0');
    this.#restore = db.prepare(`PRAGMA busy_timeout = ${Math.round(this.#budgetMs)}`);
  }

  /** Runs one write (a statement or a whole transaction); retries it while the database is locked. */
  run<T>(write: () => T): T {
    this.#off.get();
    try {
      let waitedMs = 0;
      for (let attempt = 0; ; attempt++) {
        try {
          return write();
        } catch (err) {
          if (!isBusy(err) || waitedMs >= this.#budgetMs) throw err;
          const ms = pauseMs(attempt);
          // A blocking pause, as SQLite's own handler is: the operation is synchronous end to end.
          Atomics.wait(this.#pause, 0, 0, ms);
          waitedMs += ms;
          GATE_STATS.busy += 1;
          GATE_STATS.waitedMs += ms;
        }
      }
    } finally {
      this.#restore.get();
    }
  }
}

/** 0.05 ms doubling to 1 ms: short enough to catch the gap after a ~0.1 ms transaction. */
function pauseMs(attempt: number): number {
  return Math.min(1, 0.05 * 2 ** Math.min(attempt, 5));
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
