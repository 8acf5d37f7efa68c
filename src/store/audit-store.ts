import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '../clock/index.js';
import { type ErrorCode, Redactor } from '../contracts/index.js';

export const AUDIT_CHANNELS = ['api', 'telegram', 'system', 'cli'] as const;
export type AuditChannel = (typeof AUDIT_CHANNELS)[number];

/**
 * ok: done; denied: refused by auth, CSRF or a coded rule; failed: the action ran and failed;
 * rate_limited: refused before it ran; ignored: from an unauthorised source, dropped silently;
 * error: a bug surfaced while running it.
 */
export const AUDIT_OUTCOMES = ['ok', 'denied', 'failed', 'rate_limited', 'ignored', 'error'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditInput {
  readonly user: string;
  /** e.g. `start`, `kill`, `login`, `approve`, `telegram:/pause`. */
  readonly action: string;
  readonly channel: AuditChannel;
  /** Client IP for the API; `telegram:chat:<id>` for Telegram; null for the system itself. */
  readonly ip: string | null;
  readonly outcome: AuditOutcome;
  readonly code?: ErrorCode | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface AuditRow {
  readonly id: number;
  readonly wall_ms: number;
  /** ISO-8601 rendering of wall_ms, for humans. */
  readonly ts: string;
  readonly user: string;
  readonly action: string;
  readonly channel: AuditChannel;
  readonly ip: string | null;
  readonly outcome: AuditOutcome;
  readonly code: string | null;
  readonly detail: Record<string, unknown> | null;
  readonly recorded_at: string;
}

export interface AuditFilter {
  readonly action?: string | undefined;
  readonly user?: string | undefined;
  readonly outcome?: AuditOutcome | undefined;
  readonly channel?: AuditChannel | undefined;
  /** Wall-clock epoch ms, inclusive. */
  readonly sinceWallMs?: number | undefined;
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

/** What the API and the alert service need: append a row, read rows back. */
export interface AuditLog {
  record(entry: AuditInput): number;
  list(filter?: AuditFilter): { rows: AuditRow[]; total: number };
}

// Free text from outside (a typed username, a Telegram message) is bounded so one row stays small.
const MAX_FIELD_CHARS = 200;
const MAX_DETAIL_CHARS = 4_000;
const LIST_DEFAULT_LIMIT = 100;
const LIST_MAX_LIMIT = 1_000;

interface RawRow extends Omit<AuditRow, 'detail' | 'ts'> {
  detail: string | null;
}

/**
 * db/tomic_audit.db (§10). Append-only by construction: this class has no update or delete path,
 * and the 004 migration's triggers make SQLite refuse UPDATE and DELETE from anyone else. Every
 * string is masked with the one Redactor before it is written.
 */
export class AuditStore implements AuditLog {
  readonly #insert: Statement;
  readonly #listCache = new Map<string, { rows: Statement; count: Statement }>();
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #redactor: Redactor;

  constructor(db: Database, opts: { clock: Clock; redactor?: Redactor }) {
    this.#db = db;
    this.#clock = opts.clock;
    this.#redactor = opts.redactor ?? new Redactor();
    this.#insert = db.prepare(
      `INSERT INTO audit_log (wall_ms, user, action, channel, ip, outcome, code, detail)
       VALUES (@wall_ms, @user, @action, @channel, @ip, @outcome, @code, @detail)`,
    );
  }

  /** Appends one row; returns its id. */
  record(entry: AuditInput): number {
    const field = (s: string) => this.#redactor.scrubString(s).slice(0, MAX_FIELD_CHARS);
    const r = this.#insert.run({
      wall_ms: Math.floor(this.#clock.wallMs()),
      user: field(entry.user) || 'unknown',
      action: field(entry.action),
      channel: entry.channel,
      ip: entry.ip === null ? null : field(entry.ip),
      outcome: entry.outcome,
      code: entry.code ?? null,
      detail: entry.detail === undefined ? null : this.#detail(entry.detail),
    });
    return Number(r.lastInsertRowid);
  }

  /** Newest first, with the total matching the filter (for paging). */
  list(filter: AuditFilter = {}): { rows: AuditRow[]; total: number } {
    const where: string[] = [];
    const params: Record<string, unknown> = {
      limit: Math.max(0, Math.min(filter.limit ?? LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT)),
      offset: Math.max(0, filter.offset ?? 0),
    };
    for (const k of ['action', 'user', 'outcome', 'channel'] as const) {
      if (filter[k] !== undefined) {
        where.push(`${k} = @${k}`);
        params[k] = filter[k];
      }
    }
    if (filter.sinceWallMs !== undefined) {
      where.push('wall_ms >= @since');
      params.since = filter.sinceWallMs;
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    let stmts = this.#listCache.get(clause);
    if (!stmts) {
      stmts = {
        rows: this.#db.prepare(
          `SELECT * FROM audit_log ${clause} ORDER BY id DESC LIMIT @limit OFFSET @offset`,
        ),
        count: this.#db.prepare(`SELECT COUNT(*) AS n FROM audit_log ${clause}`),
      };
      this.#listCache.set(clause, stmts);
    }
    const { limit: _l, offset: _o, ...countParams } = params;
    const total = (stmts.count.get(countParams) as { n: number }).n;
    const rows = (stmts.rows.all(params) as RawRow[]).map(toRow);
    return { rows, total };
  }

  #detail(detail: Readonly<Record<string, unknown>>): string {
    const json = this.#redactor.scrubString(JSON.stringify(this.#redactor.redact(detail)) ?? 'null');
    // A truncated JSON text would not parse back; wrap the cut text instead.
    return json.length <= MAX_DETAIL_CHARS
      ? json
      : JSON.stringify({ truncated: json.slice(0, MAX_DETAIL_CHARS) });
  }
}

function toRow(r: RawRow): AuditRow {
  let detail: Record<string, unknown> | null = null;
  if (r.detail !== null) {
    try {
      detail = JSON.parse(r.detail) as Record<string, unknown>;
    } catch {
      detail = { unparsed: r.detail };
    }
  }
  return { ...r, ts: new Date(r.wall_ms).toISOString(), detail };
}
