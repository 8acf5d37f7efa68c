import type { Database, Statement } from 'better-sqlite3';
import {
  type ErrorCode,
  type EventOf,
  type OrderRequest,
  parseEventOf,
  Redactor,
  TomicError,
} from '../contracts/index.js';

export const JOURNAL_ENTRY_TYPES = [
  'COMMAND_OUTCOME',
  'FILL',
  'REJECT',
  'DENIAL',
  'IDEMPOTENCY_SKIP',
  'UNHEDGED_INCIDENT',
] as const;
export type JournalEntryType = (typeof JOURNAL_ENTRY_TYPES)[number];
export type TradingMode = 'paper' | 'live';

/** Events the Journaling agent records as they arrive (a command's outcome is recorded with recordOutcome). */
export type JournalableEvent =
  | EventOf<'ORDER_FILL'>
  | EventOf<'ORDER_REJECT'>
  | EventOf<'ORDER_DENIED'>
  | EventOf<'IDEMPOTENCY_SKIP'>
  | EventOf<'UNHEDGED_INCIDENT'>;

/** What the decision was made under: journaled whole beside the entry (plan: journaling agent). */
export interface DecisionContext {
  /** paper (sandbox/replay) or live; defaults to the store's mode. Splits the slippage statistics. */
  readonly mode?: TradingMode;
  /** Regime state at decision time, e.g. the REGIME_UPDATE payload the Risk agent sized against. */
  readonly regime?: unknown;
  /** Parameters at decision time (sizing constants, thresholds…). */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** The §7 sizing chain, when it is not already inside the event. */
  readonly sizingTrace?: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

/** A command's final state, as the Journaling agent reads it from the command table. */
export interface CommandOutcome {
  readonly event: OrderRequest;
  readonly commandId: number;
  readonly status: 'DONE' | 'FAILED' | 'DEAD_LETTER';
  readonly error?: string | null;
  /** The §2 error class of the last failure; maps to a BROKER_* code when `code` is not given. */
  readonly errorClass?: string | null;
  readonly code?: ErrorCode;
}

export interface JournalEntry {
  readonly id: number;
  readonly event_id: string;
  readonly entry_type: JournalEntryType;
  readonly event_type: string;
  readonly correlation_id: string;
  readonly strategy_id: string;
  readonly leg: string | null;
  readonly symbol: string | null;
  readonly action: string | null;
  readonly command_id: number | null;
  readonly status: 'DONE' | 'FAILED' | 'DEAD_LETTER' | null;
  readonly code: string | null;
  readonly message: string | null;
  readonly mode: TradingMode | null;
  readonly quantity: number | null;
  readonly expected_price: number | null;
  readonly actual_price: number | null;
  readonly slippage: number | null;
  readonly slippage_bps: number | null;
  readonly sizing_trace: unknown;
  readonly regime: unknown;
  readonly parameters: unknown;
  readonly detail: unknown;
  readonly wall_ms: number;
  readonly recorded_at: string;
}

export interface JournalFilter {
  readonly strategyId?: string;
  readonly type?: JournalEntryType;
  readonly code?: string;
  /** Wall-clock epoch ms, inclusive. */
  readonly sinceWallMs?: number;
  readonly limit?: number;
  readonly offset?: number;
}

export interface SlippageSide {
  readonly fills: number;
  readonly quantity: number;
  /** Quantity-weighted mean, basis points of the expected price; positive = worse than expected. */
  readonly mean_bps: number | null;
  readonly worst_bps: number | null;
  /** Σ slippage × quantity, in price units (rupees). */
  readonly total_cost: number;
}

export interface SlippageStats {
  readonly paper: SlippageSide;
  readonly live: SlippageSide;
  /** live mean_bps / paper mean_bps; null until both have fills and paper slippage is positive. */
  readonly live_to_paper: number | null;
  /** §13: paper-vs-live slippage drift above the multiple → flag for review. */
  readonly drift_flagged: boolean;
}

/** §13 "Paper-vs-live slippage drift > 2× expected → flag for review". */
export const SLIPPAGE_DRIFT_MULTIPLE = 2;
const LIST_DEFAULT_LIMIT = 100;
const LIST_MAX_LIMIT = 1_000;
const BPS = 10_000;

const ERROR_CLASS_CODE: Readonly<Record<string, ErrorCode>> = {
  NETWORK_TIMEOUT: 'BROKER_NETWORK_TIMEOUT',
  RATE_LIMIT: 'BROKER_RATE_LIMIT',
  BROKER_REJECT: 'BROKER_REJECT',
  VALIDATION: 'BROKER_VALIDATION',
  UNKNOWN: 'BROKER_UNKNOWN',
};

type Row = Omit<JournalEntry, 'sizing_trace' | 'regime' | 'parameters' | 'detail'> & {
  sizing_trace: string | null;
  regime: string | null;
  parameters: string | null;
  detail: string;
};

interface Insert {
  event_id: string;
  entry_type: JournalEntryType;
  event_type: string;
  correlation_id: string;
  strategy_id: string;
  leg: string | null;
  symbol: string | null;
  action: string | null;
  command_id: number | null;
  status: string | null;
  code: string | null;
  message: string | null;
  mode: TradingMode | null;
  quantity: number | null;
  expected_price: number | null;
  actual_price: number | null;
  slippage: number | null;
  slippage_bps: number | null;
  sizing_trace: string | null;
  regime: string | null;
  parameters: string | null;
  detail: string;
  wall_ms: number;
}

/**
 * The journal database (tomic_journal.db): one row per journaled event_id. Recording the same event
 * again returns false and changes nothing, so the Journaling agent can re-read after a restart.
 * Secrets (API keys, broker order ids in payloads, §10) are masked before anything is stored.
 */
export class JournalStore {
  readonly #db: Database;
  readonly #redactor: Redactor;
  readonly #mode: TradingMode;
  readonly #driftMultiple: number;
  readonly #insert: Statement;
  readonly #has: Statement;
  readonly #countByCode: Statement;
  readonly #listCache = new Map<string, Statement>();

  constructor(
    db: Database,
    opts: { redactor?: Redactor; mode?: TradingMode; slippageDriftMultiple?: number } = {},
  ) {
    this.#db = db;
    this.#redactor = opts.redactor ?? new Redactor();
    this.#mode = opts.mode ?? 'paper';
    this.#driftMultiple = opts.slippageDriftMultiple ?? SLIPPAGE_DRIFT_MULTIPLE;
    this.#insert = db.prepare(
      `INSERT INTO journal (event_id, entry_type, event_type, correlation_id, strategy_id, leg, symbol, action,
         command_id, status, code, message, mode, quantity, expected_price, actual_price, slippage, slippage_bps,
         sizing_trace, regime, parameters, detail, wall_ms)
       VALUES (@event_id, @entry_type, @event_type, @correlation_id, @strategy_id, @leg, @symbol, @action,
         @command_id, @status, @code, @message, @mode, @quantity, @expected_price, @actual_price, @slippage,
         @slippage_bps, @sizing_trace, @regime, @parameters, @detail, @wall_ms)
       ON CONFLICT(event_id) DO NOTHING`,
    );
    this.#has = db.prepare('SELECT 1 FROM journal WHERE event_id = ?');
    this.#countByCode = db.prepare(
      'SELECT code, COUNT(*) AS n FROM journal WHERE code IS NOT NULL AND wall_ms >= ? GROUP BY code ORDER BY code',
    );
  }

  /** Journals a fill, reject, denial, idempotency skip or unhedged incident. False if already journaled. */
  record(event: JournalableEvent, context: DecisionContext = {}): boolean {
    const parsed = parseEventOf(event.event_type, event);
    if (!parsed.ok) throw new TomicError('MALFORMED_MESSAGE', parsed.message);
    return this.#write(this.#fromEvent(parsed.value as JournalableEvent, context));
  }

  /**
   * Journals a command's final state (DONE, FAILED, DEAD_LETTER) with its sizing chain, regime and
   * parameters, keyed by the ORDER_REQUEST's event_id. False if already journaled.
   */
  recordOutcome(outcome: CommandOutcome, context: DecisionContext = {}): boolean {
    const parsed = parseEventOf('ORDER_REQUEST', outcome.event);
    if (!parsed.ok) throw new TomicError('MALFORMED_MESSAGE', parsed.message);
    const e = parsed.value;
    const p = e.payload;
    const code =
      outcome.code ??
      (outcome.status === 'DEAD_LETTER'
        ? 'COMMAND_DEAD_LETTER'
        : outcome.status === 'FAILED' && outcome.errorClass
          ? (ERROR_CLASS_CODE[outcome.errorClass] ?? null)
          : null);
    return this.#write({
      ...this.#base(e, 'COMMAND_OUTCOME', context),
      leg: p.leg,
      symbol: p.symbol,
      action: p.action,
      command_id: outcome.commandId,
      status: outcome.status,
      code,
      message: outcome.error ? this.#redactor.scrubString(outcome.error) : null,
      quantity: p.quantity,
      expected_price: p.expected_price > 0 ? p.expected_price : null,
      sizing_trace: this.#json(p.sizing_trace ?? context.sizingTrace),
      detail: JSON.stringify(
        this.#redactor.redact({
          event: e,
          outcome: {
            command_id: outcome.commandId,
            status: outcome.status,
            error: outcome.error ?? null,
            error_class: outcome.errorClass ?? null,
          },
        }),
      ),
    });
  }

  has(eventId: string): boolean {
    return this.#has.get(eventId) !== undefined;
  }

  /** Newest first. */
  list(filter: JournalFilter = {}): JournalEntry[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {
      limit: Math.max(0, Math.min(filter.limit ?? LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT)),
      offset: Math.max(0, filter.offset ?? 0),
    };
    if (filter.strategyId !== undefined) {
      where.push('strategy_id = @strategyId');
      params.strategyId = filter.strategyId;
    }
    if (filter.type !== undefined) {
      where.push('entry_type = @type');
      params.type = filter.type;
    }
    if (filter.code !== undefined) {
      where.push('code = @code');
      params.code = filter.code;
    }
    if (filter.sinceWallMs !== undefined) {
      where.push('wall_ms >= @since');
      params.since = filter.sinceWallMs;
    }
    const sql = `SELECT * FROM journal ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY wall_ms DESC, id DESC LIMIT @limit OFFSET @offset`;
    let stmt = this.#listCache.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#listCache.set(sql, stmt);
    }
    return (stmt.all(params) as Row[]).map(toEntry);
  }

  /** Denials, rejects, skips and failures per code since a wall time (stale-data blocks/hour, §13). */
  countByCode(sinceWallMs: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.#countByCode.all(sinceWallMs) as Array<{ code: string; n: number }>)
      out[r.code] = r.n;
    return out;
  }

  /** Fill slippage per mode, and the §13 paper-vs-live drift. */
  slippageStats(filter: { sinceWallMs?: number; strategyId?: string } = {}): SlippageStats {
    const where = ["entry_type = 'FILL'", 'slippage_bps IS NOT NULL', 'quantity > 0'];
    const params: Record<string, unknown> = {};
    if (filter.sinceWallMs !== undefined) {
      where.push('wall_ms >= @since');
      params.since = filter.sinceWallMs;
    }
    if (filter.strategyId !== undefined) {
      where.push('strategy_id = @strategyId');
      params.strategyId = filter.strategyId;
    }
    const rows = this.#db
      .prepare(
        `SELECT mode, COUNT(*) AS fills, SUM(quantity) AS quantity,
           SUM(slippage_bps * quantity) * 1.0 / SUM(quantity) AS mean_bps,
           MAX(slippage_bps) AS worst_bps, SUM(slippage * quantity) AS total_cost
         FROM journal WHERE ${where.join(' AND ')} GROUP BY mode`,
      )
      .all(params) as Array<SlippageSide & { mode: TradingMode }>;
    const side = (mode: TradingMode): SlippageSide => {
      const r = rows.find((x) => x.mode === mode);
      return r
        ? {
            fills: r.fills,
            quantity: r.quantity,
            mean_bps: r.mean_bps,
            worst_bps: r.worst_bps,
            total_cost: r.total_cost,
          }
        : { fills: 0, quantity: 0, mean_bps: null, worst_bps: null, total_cost: 0 };
    };
    const paper = side('paper');
    const live = side('live');
    const ratio =
      paper.mean_bps !== null && live.mean_bps !== null && paper.mean_bps > 0
        ? live.mean_bps / paper.mean_bps
        : null;
    return {
      paper,
      live,
      live_to_paper: ratio,
      drift_flagged: ratio !== null && ratio > this.#driftMultiple,
    };
  }

  #json(v: unknown): string | null {
    return v === undefined || v === null ? null : JSON.stringify(this.#redactor.redact(v));
  }

  #write(row: Insert): boolean {
    return this.#insert.run(row).changes === 1;
  }

  #base(
    e: { event_id: string; event_type: string; correlation_id: string; strategy_id: string; ts: number },
    type: JournalEntryType,
    context: DecisionContext,
  ): Insert {
    return {
      event_id: e.event_id,
      entry_type: type,
      event_type: e.event_type,
      correlation_id: e.correlation_id,
      strategy_id: e.strategy_id,
      leg: null,
      symbol: null,
      action: null,
      command_id: null,
      status: null,
      code: null,
      message: null,
      mode: context.mode ?? this.#mode,
      quantity: null,
      expected_price: null,
      actual_price: null,
      slippage: null,
      slippage_bps: null,
      sizing_trace: this.#json(context.sizingTrace),
      regime: this.#json(context.regime),
      parameters: this.#json(context.parameters),
      detail: JSON.stringify(this.#redactor.redact(e)),
      wall_ms: e.ts,
    };
  }

  #fromEvent(e: JournalableEvent, context: DecisionContext): Insert {
    switch (e.event_type) {
      case 'ORDER_FILL': {
        const p = e.payload;
        const qty = p.filled_quantity;
        const known = p.expected_price > 0 && qty > 0;
        const perUnit = known ? (p.action === 'BUY' ? 1 : -1) * (p.average_price - p.expected_price) : null;
        return {
          ...this.#base(e, 'FILL', context),
          leg: p.leg,
          symbol: p.symbol,
          action: p.action,
          command_id: p.command_id ?? null,
          quantity: qty,
          expected_price: p.expected_price > 0 ? p.expected_price : null,
          actual_price: p.average_price,
          slippage: perUnit,
          slippage_bps: perUnit === null ? null : (perUnit / p.expected_price) * BPS,
        };
      }
      case 'ORDER_REJECT': {
        const p = e.payload;
        return {
          ...this.#base(e, 'REJECT', context),
          leg: p.leg,
          symbol: p.symbol,
          action: p.action,
          command_id: p.command_id ?? null,
          code: p.code,
          message: this.#redactor.scrubString(p.message),
        };
      }
      case 'ORDER_DENIED': {
        const p = e.payload;
        const trace =
          context.sizingTrace ??
          (Array.isArray(p.details?.sizing_trace) ? p.details.sizing_trace : undefined);
        return {
          ...this.#base(e, 'DENIAL', context),
          leg: p.leg ?? null,
          symbol: p.symbol ?? null,
          code: p.code,
          message: this.#redactor.scrubString(`${p.gate}: ${p.message}`),
          sizing_trace: this.#json(trace),
        };
      }
      case 'IDEMPOTENCY_SKIP': {
        const p = e.payload;
        return {
          ...this.#base(e, 'IDEMPOTENCY_SKIP', context),
          command_id: p.existing_command_id ?? null,
          code: 'IDEMPOTENCY_SKIP',
          message: `duplicate ${p.duplicate_key} (${p.where})`,
        };
      }
      case 'UNHEDGED_INCIDENT': {
        const p = e.payload;
        return {
          ...this.#base(e, 'UNHEDGED_INCIDENT', context),
          leg: p.short_leg,
          symbol: p.symbol,
          quantity: p.unhedged_quantity,
          code: 'UNHEDGED_EXPOSURE',
          message: `${p.action} after ${Math.round(p.unhedged_ms)} ms unhedged (group ${p.group_id})`,
        };
      }
    }
  }
}

function parse(s: string | null): unknown {
  return s === null ? null : (JSON.parse(s) as unknown);
}

function toEntry(r: Row): JournalEntry {
  return {
    ...r,
    sizing_trace: parse(r.sizing_trace),
    regime: parse(r.regime),
    parameters: parse(r.parameters),
    detail: parse(r.detail),
  };
}
