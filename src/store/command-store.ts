import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { Clock, TimerHandle } from '../clock/index.js';
import type { Config } from '../config/index.js';
import {
  type Denial,
  deny,
  ERROR_CODES,
  type ErrorCode,
  type OrderRequest,
  parseEventOf,
  Redactor,
  TomicError,
} from '../contracts/index.js';
import { WriteGate } from './command-lock.js';
import {
  decideFailure,
  decideReclaim,
  type ErrorClass,
  maxBackoffMs,
  type RetryPolicy,
  retryPolicy,
} from './command-retry.js';
import { WorkSignal } from './command-wakeup.js';

export const COMMAND_STATUSES = [
  'PENDING',
  'PROCESSING',
  'DONE',
  'FAILED',
  'DEAD_LETTER',
  'AWAITING_APPROVAL',
] as const;
export type CommandRowStatus = (typeof COMMAND_STATUSES)[number];
export const TERMINAL_COMMAND_STATUSES: ReadonlySet<CommandRowStatus> = new Set([
  'DONE',
  'FAILED',
  'DEAD_LETTER',
]);

/** One row of the §2 command table, as stored. `payload` is the whole event as masked JSON. */
export interface CommandRow {
  readonly id: number;
  readonly event_id: string;
  readonly correlation_id: string;
  readonly idempotency_key: string;
  readonly event_type: string;
  readonly event_version: number;
  readonly source_agent: string;
  readonly payload: string;
  readonly status: CommandRowStatus;
  readonly attempt_count: number;
  readonly max_attempts: number;
  readonly last_error: string | null;
  readonly error_class: string | null;
  readonly next_retry_at: number | null;
  readonly owner_token: string | null;
  readonly lease_expires: number | null;
  readonly lease_ms: number | null;
  readonly broker_order_id: string | null;
  readonly strategy_id: string;
  readonly group_id: string | null;
  readonly created_at: string;
  readonly processed_at: string | null;
}

/** A command under lease: only `ownerToken` may ack, fail or renew it, and only before `leaseExpires`. */
export interface ClaimedCommand {
  readonly id: number;
  readonly event: OrderRequest;
  readonly ownerToken: string;
  /** Claims so far plus lease reclaims, this claim included. */
  readonly attemptCount: number;
  readonly maxAttempts: number;
  /** Host CLOCK_MONOTONIC ms (§12). */
  readonly leaseExpires: number;
  readonly groupId: string | null;
}

export interface CommandAlert {
  readonly level: 'CRITICAL' | 'RISK';
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface CommandStoreOptions {
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  /** §2 lease, 30 s by default (config.commands.leaseMs). */
  readonly leaseMs: number;
  /** Masks secrets in stored payloads and error texts (§10). Default: key-based masking only. */
  readonly redactor?: Redactor;
  /** Dead letters raise a [CRITICAL] alert (§2, §13); called after the transaction commits. */
  readonly onAlert?: (alert: CommandAlert) => void;
  /** Backstop for a lost wake-up notification; at most 1 s (issue 3). */
  readonly safetyPollMs?: number;
}

export type EnqueueSkip = {
  readonly ok: false;
  readonly code: 'IDEMPOTENCY_SKIP';
  readonly message: string;
  /** The command that already holds the duplicate key. */
  readonly existingId: number;
  readonly existingStatus: CommandRowStatus;
  /** The key that collided: the leg's own key, or in a group a sibling leg's key (the whole group is skipped). */
  readonly duplicateKey: string;
};
export type EnqueueResult = { readonly ok: true; readonly id: number } | EnqueueSkip;

export type FailResult =
  | {
      readonly ok: true;
      readonly status: 'PENDING' | 'FAILED' | 'DEAD_LETTER';
      /** PENDING only: host-monotonic ms at which the command becomes claimable again. */
      readonly nextRetryAt?: number;
    }
  | Denial;

export interface ListFilter {
  readonly status?: CommandRowStatus;
  readonly strategyId?: string;
  readonly limit?: number;
  readonly offset?: number;
}

const MAX_SAFETY_POLL_MS = 1_000;
/**
 * Automatic checkpoints run inside the committing transaction and stall that claim or ack for
 * milliseconds. The store moves them off the order path: `checkpoint()` is meant to be called by the
 * Supervisor with every lease scan, and this large automatic threshold (~40 MB of WAL) is only the
 * backstop for when nobody does.
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;
const LIST_DEFAULT_LIMIT = 100;
const LIST_MAX_LIMIT = 1_000;

// A lease is valid while now <= lease_expires and it was granted no later than now. A grant "in the
// future" (lease_expires - lease_ms > now) predates a reboot that reset CLOCK_MONOTONIC (§12).
const LEASE_VALID = 'lease_expires >= @now AND lease_expires - lease_ms <= @now';
const LEASE_EXPIRED = '(lease_expires IS NULL OR lease_expires < @now OR lease_expires - lease_ms > @now)';
// Due: no backoff, backoff elapsed, or a retry time further ahead than any backoff (pre-reboot value).
const DUE = '(next_retry_at IS NULL OR next_retry_at <= @now OR next_retry_at > @now + @maxBackoff)';
// Oldest due command, FIFO by id: fresh ones (no backoff) are one seek in idx_commands_status; those
// in backoff are a short range of it. Two seeks instead of a scan keep a claim O(log n) at any backlog.
const OLDEST_FRESH =
  "SELECT id FROM commands WHERE status = 'PENDING' AND next_retry_at IS NULL ORDER BY id LIMIT 1";
const OLDEST_RETRY = `SELECT id FROM commands WHERE status = 'PENDING' AND next_retry_at IS NOT NULL
  AND (next_retry_at <= @now OR next_retry_at > @now + @maxBackoff) ORDER BY id LIMIT 1`;
// Larger than any id: min() of two absent candidates matches no row.
const NO_ROW = '9223372036854775807';
const CLAIM_SET =
  "status = 'PROCESSING', owner_token = @token, lease_expires = @now + @lease, lease_ms = @lease, attempt_count = attempt_count + 1";
const CLAIM_RETURNING =
  'RETURNING id, payload, owner_token, attempt_count, max_attempts, lease_expires, group_id';

interface ClaimRow {
  id: number;
  payload: string;
  owner_token: string;
  attempt_count: number;
  max_attempts: number;
  lease_expires: number;
  group_id: string | null;
}

class GroupSkip extends Error {}

/**
 * The durable command table of §2 over SQLite WAL: at-least-once delivery of ORDER_REQUESTs from the
 * Risk agent to the Execution agent, across processes.
 *
 * State machine: AWAITING_APPROVAL → PENDING → PROCESSING → DONE | FAILED | DEAD_LETTER, with
 * PROCESSING → PENDING on a retryable failure (after its backoff) or a lease reclaim. Every
 * transition is one SQLite write transaction, so two processes can never both hold a command; a
 * lease holder whose lease expired can no longer ack, fail or renew.
 */
export class CommandStore {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #policy: RetryPolicy;
  readonly #leaseMs: number;
  readonly #maxBackoff: number;
  readonly #redactor: Redactor;
  readonly #onAlert: ((a: CommandAlert) => void) | undefined;
  readonly #safetyPollMs: number;
  readonly #signal: WorkSignal;
  readonly #gate: WriteGate;
  readonly #waiters = new Set<() => void>();
  readonly #listCache = new Map<string, Statement>();
  #closed = false;

  readonly #insert: Statement;
  readonly #findDuplicate: Statement;
  readonly #claimOne: Statement;
  readonly #claimGroup: Statement;
  readonly #poison: Statement;
  readonly #renew: Statement;
  readonly #renewAll: Statement;
  readonly #ack: Statement;
  readonly #held: Statement;
  readonly #toPending: Statement;
  readonly #toFinal: Statement;
  readonly #expired: Statement;
  readonly #reclaim: Statement;
  readonly #failQueued: Statement;
  readonly #approve: Statement;
  readonly #reject: Statement;
  readonly #get: Statement;
  readonly #counts: Statement;
  readonly #hasDue: Statement;
  readonly #nextDue: Statement;

  constructor(db: Database, opts: CommandStoreOptions) {
    if (!(opts.leaseMs > 0)) throw new RangeError('leaseMs must be positive');
    this.#db = db;
    this.#clock = opts.clock;
    this.#policy = opts.retry;
    this.#leaseMs = Math.round(opts.leaseMs);
    this.#maxBackoff = maxBackoffMs(opts.retry);
    this.#redactor = opts.redactor ?? new Redactor();
    this.#onAlert = opts.onAlert;
    this.#safetyPollMs = Math.min(opts.safetyPollMs ?? MAX_SAFETY_POLL_MS, MAX_SAFETY_POLL_MS);
    this.#signal = new WorkSignal(db.memory ? null : db.name);
    this.#gate = new WriteGate(db);
    if (!db.memory) db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);

    this.#insert = db.prepare(
      `INSERT INTO commands (event_id, correlation_id, idempotency_key, event_type, event_version, source_agent,
         payload, status, strategy_id, group_id)
       VALUES (@event_id, @correlation_id, @idempotency_key, 'ORDER_REQUEST', @event_version, @source_agent,
         @payload, @status, @strategy_id, @group_id)
       ON CONFLICT DO NOTHING RETURNING id`,
    );
    this.#findDuplicate = db.prepare(
      'SELECT id, status, idempotency_key FROM commands WHERE idempotency_key = ? OR event_id = ? LIMIT 1',
    );
    this.#claimOne = db.prepare(
      `UPDATE commands SET ${CLAIM_SET}
       WHERE id = min(ifnull((${OLDEST_FRESH}), ${NO_ROW}), ifnull((${OLDEST_RETRY}), ${NO_ROW}))
       ${CLAIM_RETURNING}`,
    );
    this.#claimGroup = db.prepare(
      `UPDATE commands SET ${CLAIM_SET}
       WHERE group_id = @group AND status = 'PENDING' AND ${DUE} ${CLAIM_RETURNING}`,
    );
    this.#poison = db.prepare(
      `UPDATE commands SET status = 'FAILED', error_class = 'VALIDATION', last_error = @error,
         processed_at = CURRENT_TIMESTAMP
       WHERE id = @id AND owner_token = @token AND status = 'PROCESSING'`,
    );
    this.#renew = db.prepare(
      `UPDATE commands SET lease_expires = @now + @lease, lease_ms = @lease
       WHERE id = @id AND owner_token = @token AND status = 'PROCESSING' AND ${LEASE_VALID}`,
    );
    this.#renewAll = db.prepare(
      `UPDATE commands SET lease_expires = @now + @lease, lease_ms = @lease
       WHERE owner_token = @token AND status = 'PROCESSING' AND ${LEASE_VALID}`,
    );
    this.#ack = db.prepare(
      `UPDATE commands SET status = 'DONE', broker_order_id = @brokerOrderId, processed_at = CURRENT_TIMESTAMP
       WHERE id = @id AND owner_token = @token AND status = 'PROCESSING' AND ${LEASE_VALID}`,
    );
    this.#held = db.prepare(
      `SELECT id, attempt_count, max_attempts, idempotency_key, strategy_id FROM commands
       WHERE id = @id AND owner_token = @token AND status = 'PROCESSING' AND ${LEASE_VALID}`,
    );
    this.#toPending = db.prepare(
      `UPDATE commands SET status = 'PENDING', owner_token = NULL, lease_expires = NULL, lease_ms = NULL,
         next_retry_at = @nextRetryAt, error_class = @errorClass, last_error = @error, max_attempts = @maxAttempts
       WHERE id = @id`,
    );
    this.#toFinal = db.prepare(
      `UPDATE commands SET status = @status, error_class = @errorClass, last_error = @error,
         max_attempts = @maxAttempts, processed_at = CURRENT_TIMESTAMP
       WHERE id = @id`,
    );
    this.#expired = db.prepare(
      `SELECT id, attempt_count, max_attempts, owner_token, idempotency_key, strategy_id, error_class, last_error
       FROM commands WHERE status = 'PROCESSING' AND ${LEASE_EXPIRED} ORDER BY id`,
    );
    this.#reclaim = db.prepare(
      `UPDATE commands SET status = @status, owner_token = NULL, lease_expires = NULL, lease_ms = NULL,
         next_retry_at = NULL, attempt_count = @attemptCount, last_error = @error,
         processed_at = CASE WHEN @status = 'DEAD_LETTER' THEN CURRENT_TIMESTAMP ELSE processed_at END
       WHERE id = @id AND status = 'PROCESSING'`,
    );
    this.#failQueued = db.prepare(
      `UPDATE commands SET status = 'FAILED', last_error = ?, processed_at = CURRENT_TIMESTAMP
       WHERE status IN ('PENDING', 'AWAITING_APPROVAL')`,
    );
    this.#approve = db.prepare(
      "UPDATE commands SET status = 'PENDING' WHERE id = ? AND status = 'AWAITING_APPROVAL'",
    );
    this.#reject = db.prepare(
      `UPDATE commands SET status = 'FAILED', last_error = ?, processed_at = CURRENT_TIMESTAMP
       WHERE id = ? AND status = 'AWAITING_APPROVAL'`,
    );
    this.#get = db.prepare('SELECT * FROM commands WHERE id = ?');
    this.#counts = db.prepare('SELECT status, COUNT(*) AS n FROM commands GROUP BY status');
    this.#hasDue = db.prepare(`SELECT 1 FROM commands WHERE status = 'PENDING' AND ${DUE} LIMIT 1`);
    this.#nextDue = db.prepare(
      `SELECT MIN(next_retry_at) AS t FROM commands
       WHERE status = 'PENDING' AND next_retry_at > @now AND next_retry_at <= @now + @maxBackoff`,
    );
  }

  /** The §2 retry table with the configured attempts and backoffs (config.commands, SMART_ORDER_DELAY). */
  static retryPolicyFromConfig(config: Config): RetryPolicy {
    const c = config.commands;
    return retryPolicy({
      networkTimeoutMaxAttempts: c.networkTimeoutMaxAttempts,
      networkTimeoutBaseBackoffMs: c.networkTimeoutBaseBackoffMs,
      rateLimitMaxAttempts: c.rateLimitMaxAttempts,
      unknownMaxAttempts: c.unknownMaxAttempts,
      unknownBackoffMs: c.unknownBackoffMs,
      smartOrderDelayMs: config.execution.smartOrderDelayMs,
    });
  }

  get leaseMs(): number {
    return this.#leaseMs;
  }

  /**
   * Adds one ORDER_REQUEST (PENDING, or AWAITING_APPROVAL in Semi-Auto). A duplicate
   * idempotency_key (or a re-sent event) is a value, never an exception (§3).
   */
  enqueue(cmd: OrderRequest, opts: { awaitApproval?: boolean } = {}): EnqueueResult {
    const row = this.#toInsert(cmd, opts);
    const r = this.#gate.run(() => this.#insert.get(row)) as { id: number } | undefined;
    if (r === undefined) return this.#skip(row.idempotency_key, row.event_id, row.idempotency_key);
    if (row.status === 'PENDING') this.#signal.notify();
    return { ok: true, id: r.id };
  }

  /**
   * Adds every leg of one multi-leg group in one transaction: all legs or none. When any leg's key is
   * already taken, no leg is added (half a spread must never reach the Execution agent) and every leg
   * reports IDEMPOTENCY_SKIP, naming the key that collided.
   */
  enqueueGroup(cmds: readonly OrderRequest[], opts: { awaitApproval?: boolean } = {}): EnqueueResult[] {
    if (cmds.length === 0) return [];
    const rows = cmds.map((c) => this.#toInsert(c, opts));
    const groups = new Set(cmds.map((c) => c.payload.group.group_id));
    const indexes = new Set(cmds.map((c) => c.payload.group.leg_index));
    if (
      groups.size !== 1 ||
      cmds.some((c) => c.payload.group.leg_count !== cmds.length) ||
      indexes.size !== cmds.length
    ) {
      // A partial or mixed group is a bug at the caller: the Execution agent plans legging over the
      // whole group, so it must arrive whole.
      throw new TomicError('MALFORMED_MESSAGE', 'enqueueGroup: pass every leg of exactly one group', {
        groups: [...groups],
        legs: cmds.length,
        leg_count: cmds[0]?.payload.group.leg_count,
      });
    }
    try {
      const ids = this.#gate.run(() =>
        this.#db
          .transaction(() =>
            rows.map((r) => {
              const inserted = this.#insert.get(r) as { id: number } | undefined;
              if (inserted === undefined) throw new GroupSkip(r.idempotency_key);
              return inserted.id;
            }),
          )
          .immediate(),
      );
      if (rows[0]?.status === 'PENDING') this.#signal.notify();
      return ids.map((id) => ({ ok: true, id }));
    } catch (err) {
      if (!(err instanceof GroupSkip)) throw err;
      return this.#groupSkip(rows);
    }
  }

  /** Claims the oldest due PENDING command under a fresh owner token and lease (§2 dequeue flow). */
  claim(): ClaimedCommand | null {
    for (;;) {
      if (!this.#anyDue()) return null;
      const row = this.#gate.run(() => this.#claimOne.get(this.#claimParams())) as ClaimRow | undefined;
      if (row === undefined) return null;
      const claimed = this.#toClaimed(row);
      if (claimed !== null) return claimed;
    }
  }

  /** Claims every due PENDING leg of one group under ONE owner token, atomically. */
  claimGroup(groupId: string): ClaimedCommand[] {
    const rows = this.#gate.run(() =>
      this.#claimGroup.all({ ...this.#claimParams(), group: groupId }),
    ) as ClaimRow[];
    return this.#toClaimedList(rows);
  }

  /**
   * Claims the oldest due command and, if it belongs to a group, the group's other due PENDING legs
   * under the same token, in one transaction: what the Execution agent needs to plan legging (§5).
   */
  claimNextGroup(): ClaimedCommand[] {
    for (;;) {
      if (!this.#anyDue()) return [];
      const rows = this.#gate.run(() =>
        this.#db
          .transaction((): ClaimRow[] => {
            const params = this.#claimParams();
            const first = this.#claimOne.get(params) as ClaimRow | undefined;
            if (first === undefined) return [];
            if (first.group_id === null) return [first];
            return [first, ...(this.#claimGroup.all({ ...params, group: first.group_id }) as ClaimRow[])];
          })
          .immediate(),
      );
      if (rows.length === 0) return [];
      const claimed = this.#toClaimedList(rows);
      if (claimed.length > 0) return claimed;
    }
  }

  /** Extends the lease of a command the caller still validly holds. */
  renewLease(id: number, ownerToken: string): boolean {
    return (
      this.#gate.run(() => this.#renew.run({ id, token: ownerToken, now: this.#now(), lease: this.#leaseMs }))
        .changes === 1
    );
  }

  /** Extends the lease of every command held under `ownerToken` (a claimed group); returns how many. */
  renewAll(ownerToken: string): number {
    return this.#gate.run(() =>
      this.#renewAll.run({ token: ownerToken, now: this.#now(), lease: this.#leaseMs }),
    ).changes;
  }

  /** Success: DONE with the broker's order id. Refused unless the caller holds a live lease. */
  ack(id: number, ownerToken: string, result: { brokerOrderId: string }): { ok: true } | Denial {
    const changes = this.#gate.run(() =>
      this.#ack.run({ id, token: ownerToken, now: this.#now(), brokerOrderId: result.brokerOrderId }),
    ).changes;
    return changes === 1 ? { ok: true } : deny('LEASE_LOST', { id });
  }

  /** A failed attempt: the §2 retry table decides PENDING (after backoff), FAILED or DEAD_LETTER. */
  fail(id: number, ownerToken: string, errorClass: ErrorClass, message: string): FailResult {
    const error = this.#redactor.scrubString(message);
    const alerts: CommandAlert[] = [];
    const out = this.#gate.run(() =>
      this.#db
        .transaction((): FailResult => {
          const now = this.#now();
          const row = this.#held.get({ id, token: ownerToken, now }) as
            | {
                id: number;
                attempt_count: number;
                max_attempts: number;
                idempotency_key: string;
                strategy_id: string;
              }
            | undefined;
          if (row === undefined) return deny('LEASE_LOST', { id });
          const d = decideFailure(this.#policy, errorClass, row.attempt_count);
          if (d.status === 'PENDING') {
            const nextRetryAt = now + d.delayMs;
            this.#toPending.run({ id, nextRetryAt, errorClass, error, maxAttempts: d.maxAttempts });
            return { ok: true, status: 'PENDING', nextRetryAt };
          }
          this.#toFinal.run({ id, status: d.status, errorClass, error, maxAttempts: d.maxAttempts });
          if (d.status === 'DEAD_LETTER') {
            alerts.push(
              deadLetterAlert('RETRIES_EXHAUSTED', {
                command_id: id,
                idempotency_key: row.idempotency_key,
                strategy_id: row.strategy_id,
                attempt_count: row.attempt_count,
                max_attempts: d.maxAttempts,
                error_class: errorClass,
                last_error: error,
              }),
            );
          }
          return { ok: true, status: d.status };
        })
        .immediate(),
    );
    if (out.ok && out.status === 'PENDING') this.#signal.notify();
    this.#raise(alerts);
    return out;
  }

  /**
   * Runbook "Stale PROCESSING Recovery" (run by the Supervisor): every PROCESSING row whose lease
   * expired goes back to PENDING with its owner cleared and attempt_count + 1, or to DEAD_LETTER with
   * a [CRITICAL] alert once attempt_count reaches max_attempts. The Execution agent checks the broker
   * orderbook for an orphaned order before it retries (§3).
   */
  reclaimExpired(): Array<{ id: number; status: 'PENDING' | 'DEAD_LETTER' }> {
    const alerts: CommandAlert[] = [];
    const out = this.#gate.run(() =>
      this.#db
        .transaction(() => {
          const now = this.#now();
          const rows = this.#expired.all({ now }) as Array<{
            id: number;
            attempt_count: number;
            max_attempts: number;
            owner_token: string | null;
            idempotency_key: string;
            strategy_id: string;
            error_class: string | null;
            last_error: string | null;
          }>;
          return rows.map((r) => {
            const d = decideReclaim(r.attempt_count, r.max_attempts);
            const error = `lease expired (owner ${r.owner_token ?? 'none'})`;
            this.#reclaim.run({ id: r.id, status: d.status, attemptCount: d.attemptCount, error });
            if (d.status === 'DEAD_LETTER') {
              alerts.push(
                deadLetterAlert('LEASE_EXPIRED', {
                  command_id: r.id,
                  idempotency_key: r.idempotency_key,
                  strategy_id: r.strategy_id,
                  attempt_count: d.attemptCount,
                  max_attempts: r.max_attempts,
                  error_class: r.error_class,
                  last_error: r.last_error,
                }),
              );
            }
            return { id: r.id, status: d.status };
          });
        })
        .immediate(),
    );
    if (out.some((r) => r.status === 'PENDING')) this.#signal.notify();
    this.#raise(alerts);
    return out;
  }

  /**
   * Copies committed WAL frames into the database file without blocking anyone (PASSIVE). Call it
   * from a process that is not on the order path (the Supervisor, after reclaimExpired()).
   */
  checkpoint(): { walFrames: number; checkpointed: number } {
    if (this.#db.memory) return { walFrames: 0, checkpointed: 0 };
    const r = this.#db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
    return { walFrames: Math.max(0, r[0]?.log ?? 0), checkpointed: Math.max(0, r[0]?.checkpointed ?? 0) };
  }

  /** Kill switch runbook: every queued command (PENDING, AWAITING_APPROVAL) → FAILED. In-flight ones stay. */
  failAllQueued(reason: string): number {
    const error = this.#redactor.scrubString(reason);
    return this.#gate.run(() => this.#failQueued.run(error)).changes;
  }

  /** Semi-Auto: the operator approved; the command becomes claimable. */
  approve(id: number): boolean {
    const ok = this.#gate.run(() => this.#approve.run(id)).changes === 1;
    if (ok) this.#signal.notify();
    return ok;
  }

  /** Semi-Auto: the operator rejected; the command is FAILED with the reason. */
  reject(id: number, reason: string): boolean {
    const error = this.#redactor.scrubString(reason);
    return this.#gate.run(() => this.#reject.run(error, id)).changes === 1;
  }

  get(id: number): CommandRow | undefined {
    return this.#get.get(id) as CommandRow | undefined;
  }

  /** Newest first. */
  list(filter: ListFilter = {}): CommandRow[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {
      limit: Math.max(0, Math.min(filter.limit ?? LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT)),
      offset: Math.max(0, filter.offset ?? 0),
    };
    if (filter.status !== undefined) {
      where.push('status = @status');
      params.status = filter.status;
    }
    if (filter.strategyId !== undefined) {
      where.push('strategy_id = @strategyId');
      params.strategyId = filter.strategyId;
    }
    const sql = `SELECT * FROM commands ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT @limit OFFSET @offset`;
    let stmt = this.#listCache.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#listCache.set(sql, stmt);
    }
    return stmt.all(params) as CommandRow[];
  }

  counts(): Record<CommandRowStatus, number> {
    const out = Object.fromEntries(COMMAND_STATUSES.map((s) => [s, 0])) as Record<CommandRowStatus, number>;
    for (const r of this.#counts.all() as Array<{ status: CommandRowStatus; n: number }>) out[r.status] = r.n;
    return out;
  }

  /**
   * Resolves as soon as a command may be claimable: at once when one is due, else on the next
   * enqueue/approve/retry/reclaim in any process (in-process listeners + inotify), when the earliest
   * backoff ends, or after the safety poll. Also resolves when `signal` aborts or the store closes;
   * the caller checks `signal.aborted`. Another consumer may win the claim: claim() then returns null.
   */
  async waitForWork(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.#closed) {
      let wake = () => {};
      const woke = new Promise<void>((r) => {
        wake = r;
      });
      // Subscribe before looking, so a notification between the look and the wait is not lost.
      const unsubscribe = this.#signal.subscribe(wake);
      signal.addEventListener('abort', wake, { once: true });
      this.#waiters.add(wake);
      let timer: TimerHandle | undefined;
      try {
        if (this.#anyDue()) return;
        const now = this.#now();
        const next = (this.#nextDue.get({ now, maxBackoff: this.#maxBackoff }) as { t: number | null }).t;
        const waitMs = next === null ? this.#safetyPollMs : Math.min(this.#safetyPollMs, next - now);
        timer = this.#clock.setTimeout(wake, Math.max(0, waitMs));
        await woke;
      } finally {
        unsubscribe();
        signal.removeEventListener('abort', wake);
        this.#waiters.delete(wake);
        if (timer !== undefined) this.#clock.clearTimeout(timer);
      }
    }
  }

  /** Stops watching for work and wakes every waiter. The database stays open: its opener closes it. */
  close(): void {
    this.#closed = true;
    for (const w of [...this.#waiters]) w();
    this.#signal.close();
  }

  /**
   * A read, which never waits for or blocks a writer. An UPDATE that finds nothing still takes the
   * write lock, so consumers polling an empty queue would steal lock time from the producer.
   */
  #anyDue(): boolean {
    const now = this.#now();
    return this.#hasDue.get({ now, maxBackoff: this.#maxBackoff }) !== undefined;
  }

  #now(): number {
    return Math.floor(this.#clock.monotonicMs());
  }

  #claimParams() {
    return { token: randomUUID(), now: this.#now(), lease: this.#leaseMs, maxBackoff: this.#maxBackoff };
  }

  #toInsert(cmd: OrderRequest, opts: { awaitApproval?: boolean }) {
    // Mask first and parse what will be stored: the claimer must be able to parse it back (§3 boundary).
    const parsed = parseEventOf('ORDER_REQUEST', this.#redactor.redact(cmd));
    if (!parsed.ok) throw new TomicError('MALFORMED_MESSAGE', parsed.message);
    const e = parsed.value;
    return {
      event_id: e.event_id,
      correlation_id: e.correlation_id,
      idempotency_key: e.idempotency_key,
      event_version: e.event_version,
      source_agent: e.source_agent,
      payload: JSON.stringify(e),
      status: opts.awaitApproval ? ('AWAITING_APPROVAL' as const) : ('PENDING' as const),
      strategy_id: e.strategy_id,
      group_id: e.payload.group.group_id,
    };
  }

  #skip(key: string, eventId: string, duplicateKey: string): EnqueueSkip {
    const existing = this.#findDuplicate.get(key, eventId) as
      | { id: number; status: CommandRowStatus; idempotency_key: string }
      | undefined;
    if (existing === undefined) throw new TomicError('IDEMPOTENCY_SKIP', `conflict without a row for ${key}`);
    return {
      ok: false,
      code: 'IDEMPOTENCY_SKIP',
      message: ERROR_CODES.IDEMPOTENCY_SKIP.message,
      existingId: existing.id,
      existingStatus: existing.status,
      duplicateKey,
    };
  }

  #groupSkip(rows: ReadonlyArray<{ idempotency_key: string; event_id: string }>): EnqueueSkip[] {
    const own = rows.map((r) => {
      const e = this.#findDuplicate.get(r.idempotency_key, r.event_id) as { id: number } | undefined;
      return e === undefined ? null : this.#skip(r.idempotency_key, r.event_id, r.idempotency_key);
    });
    // The same key twice inside the batch collides with itself and has no stored row.
    const first = own.find((s) => s !== null) ?? null;
    return rows.map((r, i) => {
      const mine = own[i];
      if (mine) return mine;
      if (first) return first;
      throw new TomicError(
        'IDEMPOTENCY_SKIP',
        `duplicate idempotency_key inside the group: ${r.idempotency_key}`,
      );
    });
  }

  #toClaimed(row: ClaimRow): ClaimedCommand | null {
    let json: unknown;
    try {
      json = JSON.parse(row.payload);
    } catch (err) {
      const error = `payload is not JSON: ${String(err)}`;
      this.#gate.run(() => this.#poison.run({ id: row.id, token: row.owner_token, error }));
      return null;
    }
    const parsed = parseEventOf('ORDER_REQUEST', json);
    if (!parsed.ok) {
      // A row that cannot be parsed can never succeed: fail it now rather than retry it forever.
      this.#gate.run(() => this.#poison.run({ id: row.id, token: row.owner_token, error: parsed.message }));
      return null;
    }
    return {
      id: row.id,
      event: parsed.value,
      ownerToken: row.owner_token,
      attemptCount: row.attempt_count,
      maxAttempts: row.max_attempts,
      leaseExpires: row.lease_expires,
      groupId: row.group_id,
    };
  }

  #toClaimedList(rows: ClaimRow[]): ClaimedCommand[] {
    return rows
      .map((r) => this.#toClaimed(r))
      .filter((c): c is ClaimedCommand => c !== null)
      .sort((a, b) => a.event.payload.group.leg_index - b.event.payload.group.leg_index || a.id - b.id);
  }

  #raise(alerts: CommandAlert[]): void {
    if (!this.#onAlert) return;
    let first: unknown;
    for (const a of alerts) {
      try {
        this.#onAlert(a);
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }
}

function deadLetterAlert(
  reason: 'RETRIES_EXHAUSTED' | 'LEASE_EXPIRED',
  details: Record<string, unknown>,
): CommandAlert {
  return {
    level: 'CRITICAL',
    code: 'COMMAND_DEAD_LETTER',
    message: `Command ${String(details.command_id)} (${String(details.idempotency_key)}) dead-lettered: ${
      reason === 'LEASE_EXPIRED' ? 'lease expired at its last attempt' : 'retries exhausted'
    }`,
    details: { reason, ...details },
  };
}
