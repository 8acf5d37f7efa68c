import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database, Statement } from 'better-sqlite3';
import { z } from 'zod';
import {
  Action,
  type Denial,
  deny,
  type ErrorCode,
  type PayloadOf,
  type PositionRow,
  Product,
} from '../contracts/index.js';

/**
 * §8 PositionBook — versioned snapshot model over `tomic_positions.db` (migration 002).
 * - Single writer (the Execution agent): a lock row holds the owner's token and process id; a second
 *   writer is refused while the owner lives, and every write re-checks that it still owns the lock.
 * - Every write bumps `snapshot_version` in the same transaction as the data (crash-safe: a reopened
 *   book equals the last committed snapshot).
 * - Readers (Risk, Journal, API) open their own connection and get deep-frozen snapshots.
 * - Reconciliation diffs the broker's positionbook, logs each discrepancy, adopts the broker as the
 *   authority and records the RECONCILIATION payload.
 */

export type ReconciliationPayload = PayloadOf<'RECONCILIATION'>;
export type Discrepancy = ReconciliationPayload['discrepancies'][number];

export interface PositionSnapshot {
  readonly version: number;
  readonly positions: readonly PositionRow[];
  /** Realized P&L since the last reset (the daily-loss breaker adds unrealized to it). */
  readonly realizedPnl: number;
}

/** §8: a reader more than `maxLag` (5) versions behind must re-read before sizing. */
export function mustReread(lastReadVersion: number, currentVersion: number, maxLag = 5): boolean {
  // The plan's lag is the loosest allowed; NaN or a larger lag falls back to it.
  const lag = Number.isFinite(maxLag) ? Math.min(maxLag, 5) : 5;
  return !(currentVersion - lastReadVersion <= lag);
}

// ---------------------------------------------------------------------------------------------
// Single-writer lock (shared with AtomicRegimeState)

export interface WriterIdentity {
  readonly ownerToken: string;
  readonly pid: number;
  readonly hostname: string;
}

export interface WriterOptions {
  readonly ownerToken?: string;
  readonly pid?: number;
  readonly hostname?: string;
  /**
   * Take the lock even from a live owner: the crash-recovery runbook's operator override, for a pid
   * that was reused by another process. Never used automatically.
   */
  readonly takeover?: boolean;
}

/** Whether a process id is alive on this host (EPERM: it exists but is not ours). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SingleWriterLock {
  readonly identity: WriterIdentity;
  readonly #get: Statement;
  readonly #put: Statement;
  readonly #del: Statement;

  constructor(
    private readonly db: Database,
    readonly store: string,
    opts: WriterOptions = {},
  ) {
    this.identity = {
      ownerToken: opts.ownerToken ?? randomUUID(),
      pid: opts.pid ?? process.pid,
      hostname: opts.hostname ?? hostname(),
    };
    this.#get = db.prepare('SELECT owner_token, pid, hostname FROM writer_locks WHERE store = ?');
    this.#put = db.prepare(
      'INSERT OR REPLACE INTO writer_locks (store, owner_token, pid, hostname) VALUES (?, ?, ?, ?)',
    );
    this.#del = db.prepare('DELETE FROM writer_locks WHERE store = ? AND owner_token = ?');
  }

  /**
   * Takes the lock when it is free, already ours, or held by a dead process on this host. A live
   * owner (including another instance in this very process) keeps it: the caller is refused.
   */
  acquire(takeover = false): { ok: true; tookOverFrom: number | null } | Denial {
    return this.db
      .transaction(() => {
        const row = this.#get.get(this.store) as
          | { owner_token: string; pid: number; hostname: string }
          | undefined;
        const me = this.identity;
        let tookOverFrom: number | null = null;
        if (row && row.owner_token !== me.ownerToken) {
          const sameHost = row.hostname === me.hostname;
          const ownerDead = sameHost && !processAlive(row.pid);
          if (!ownerDead && !takeover) {
            return deny(
              'POSITION_BOOK_WRITER_CONFLICT',
              { store: this.store, ownerPid: row.pid, ownerHost: row.hostname },
              `${this.store} already has a writer (pid ${row.pid} on ${row.hostname})`,
            );
          }
          tookOverFrom = row.pid;
        }
        this.#put.run(this.store, me.ownerToken, me.pid, me.hostname);
        return { ok: true as const, tookOverFrom };
      })
      .immediate();
  }

  /** Call inside the write transaction: false when another writer has taken the lock since. */
  held(): boolean {
    const row = this.#get.get(this.store) as { owner_token: string } | undefined;
    return row?.owner_token === this.identity.ownerToken;
  }

  release(): void {
    this.#del.run(this.store, this.identity.ownerToken);
  }

  conflict(): Denial {
    return deny(
      'POSITION_BOOK_WRITER_CONFLICT',
      { store: this.store },
      `${this.store}: this writer no longer holds the lock; write refused`,
    );
  }
}

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Pure position arithmetic

export interface FillMath {
  readonly quantity: number;
  readonly averagePrice: number;
  readonly realized: number;
}

/**
 * One fill on a signed position: adding keeps a quantity-weighted average price; reducing realizes
 * P&L on the closed quantity at the old average; flipping through zero opens the rest at the fill
 * price.
 */
export function applyFillMath(
  quantity: number,
  averagePrice: number,
  action: Action,
  fillQty: number,
  price: number,
): FillMath {
  const d = action === 'BUY' ? fillQty : -fillQty;
  const q1 = quantity + d;
  if (quantity === 0 || Math.sign(quantity) === Math.sign(d)) {
    return {
      quantity: q1,
      averagePrice: (Math.abs(quantity) * averagePrice + Math.abs(d) * price) / Math.abs(q1),
      realized: 0,
    };
  }
  const closed = Math.min(Math.abs(d), Math.abs(quantity));
  const realized = closed * (price - averagePrice) * Math.sign(quantity);
  const averageAfter = q1 === 0 ? 0 : Math.sign(q1) === Math.sign(quantity) ? averagePrice : price;
  return { quantity: q1, averagePrice: averageAfter, realized };
}

const keyOf = (r: { symbol: string; exchange: string; product: string }) =>
  `${r.exchange}\u0000${r.symbol}\u0000${r.product}`;

/** Broker positionbook row, already parsed to numbers. */
export const BrokerPositionRow = z.object({
  symbol: z.string().min(1),
  exchange: z.string().min(1),
  product: Product,
  quantity: z.number().int(),
  average_price: z.number().finite().nonnegative(),
});
export type BrokerPositionRow = z.infer<typeof BrokerPositionRow>;

/**
 * Local book vs broker: MISSING_LOCALLY (broker has it, we do not), EXTRA_LOCALLY (we have it, the
 * broker does not), QUANTITY_MISMATCH, PRICE_MISMATCH (same quantity, average differs by more than
 * `priceTolerance`). A broker row with quantity 0 is a closed position, the same as no row.
 */
export function diffPositions(
  local: readonly PositionRow[],
  broker: readonly BrokerPositionRow[],
  priceTolerance = 0.01,
): Discrepancy[] {
  const out: Discrepancy[] = [];
  const localByKey = new Map(local.map((r) => [keyOf(r), r]));
  const seen = new Set<string>();
  const asRow = (b: BrokerPositionRow): PositionRow => ({
    symbol: b.symbol,
    exchange: b.exchange,
    product: b.product,
    quantity: b.quantity,
    average_price: b.average_price,
  });
  for (const b of broker) {
    const k = keyOf(b);
    seen.add(k);
    const l = localByKey.get(k);
    const where = { symbol: b.symbol, exchange: b.exchange, product: b.product };
    if (!l) {
      if (b.quantity !== 0) out.push({ kind: 'MISSING_LOCALLY', ...where, local: null, broker: asRow(b) });
    } else if (l.quantity !== b.quantity) {
      out.push({ kind: 'QUANTITY_MISMATCH', ...where, local: l, broker: asRow(b) });
    } else if (Math.abs(l.average_price - b.average_price) > priceTolerance) {
      out.push({ kind: 'PRICE_MISMATCH', ...where, local: l, broker: asRow(b) });
    }
  }
  for (const l of local) {
    if (!seen.has(keyOf(l))) {
      out.push({
        kind: 'EXTRA_LOCALLY',
        symbol: l.symbol,
        exchange: l.exchange,
        product: l.product,
        local: l,
        broker: null,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reader and writer

interface DbPosition {
  symbol: string;
  exchange: string;
  product: PositionRow['product'];
  quantity: number;
  average_price: number;
  strategy_id: string | null;
  leg: string | null;
  underlying: string | null;
}

function toRow(r: DbPosition): PositionRow {
  return {
    symbol: r.symbol,
    exchange: r.exchange,
    product: r.product,
    quantity: r.quantity,
    average_price: r.average_price,
    ...(r.strategy_id !== null ? { strategy_id: r.strategy_id } : {}),
    ...(r.leg !== null ? { leg: r.leg } : {}),
    ...(r.underlying !== null ? { underlying: r.underlying } : {}),
  };
}

/** Read side: any process, its own connection, no lock. */
export class PositionBookReader {
  readonly #meta: Statement;
  readonly #rows: Statement;
  #cached: PositionSnapshot | null = null;

  constructor(protected readonly db: Database) {
    this.#meta = db.prepare('SELECT snapshot_version, realized_pnl FROM position_book_meta WHERE id = 1');
    this.#rows = db.prepare(
      'SELECT symbol, exchange, product, quantity, average_price, strategy_id, leg, underlying FROM positions ORDER BY exchange, symbol, product',
    );
  }

  currentVersion(): number {
    return (this.#meta.get() as { snapshot_version: number }).snapshot_version;
  }

  /** `(version, positions)` as one consistent, deep-frozen copy; cached while the version holds. */
  readSnapshot(): PositionSnapshot {
    const v = this.currentVersion();
    if (this.#cached && this.#cached.version === v) return this.#cached;
    const snap = this.db.transaction(() => {
      const meta = this.#meta.get() as { snapshot_version: number; realized_pnl: number };
      const rows = (this.#rows.all() as DbPosition[]).map(toRow);
      return { version: meta.snapshot_version, positions: rows, realizedPnl: meta.realized_pnl };
    })();
    this.#cached = deepFreeze(snap);
    return this.#cached;
  }

  reconciliations(limit = 20): Array<{ id: number } & ReconciliationPayload> {
    const rows = this.db
      .prepare(
        'SELECT id, version_before, version_after, discrepancies FROM reconciliations ORDER BY id DESC LIMIT ?',
      )
      .all(limit) as Array<{
      id: number;
      version_before: number;
      version_after: number;
      discrepancies: string;
    }>;
    return rows.map((r) => ({
      id: r.id,
      version_before: r.version_before,
      version_after: r.version_after,
      discrepancies: JSON.parse(r.discrepancies) as Discrepancy[],
    }));
  }
}

export const FillRecord = z.object({
  symbol: z.string().min(1),
  exchange: z.string().min(1),
  product: Product,
  action: Action,
  quantity: z.number().int().positive(),
  price: z.number().finite().nonnegative(),
  /** Unique per broker fill (e.g. `${broker_order_id}:${cumulative_qty}`): at-least-once delivery. */
  fillId: z.string().min(1).optional(),
  strategy_id: z.string().min(1).optional(),
  leg: z.string().min(1).optional(),
  underlying: z.string().min(1).optional(),
});
export type FillRecord = z.infer<typeof FillRecord>;

export type FillOutcome =
  | {
      readonly ok: true;
      readonly duplicate: boolean;
      readonly version: number;
      readonly position: PositionRow | null;
      readonly realized: number;
    }
  | Denial;

export interface DiscrepancyLog {
  warn(obj: object, msg: string): void;
}

export interface PositionBookOptions extends WriterOptions {
  /** Average prices closer than this (₹) are the same price. */
  readonly priceTolerance?: number;
  readonly log?: DiscrepancyLog;
}

const invalid = (code: ErrorCode, error: z.ZodError, what: string): Denial =>
  deny(code, { issues: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, `${what} invalid`);

/** Write side: the Execution agent's single writer. */
export class PositionBook extends PositionBookReader {
  readonly #lock: SingleWriterLock;
  readonly #priceTolerance: number;
  readonly #log: DiscrepancyLog | undefined;
  readonly #getPos: Statement;
  readonly #upsert: Statement;
  readonly #delete: Statement;
  readonly #deleteAll: Statement;
  readonly #bump: Statement;
  readonly #fillSeen: Statement;
  readonly #insertFill: Statement;
  readonly #insertRecon: Statement;
  readonly #resetPnl: Statement;

  private constructor(db: Database, lock: SingleWriterLock, opts: PositionBookOptions) {
    super(db);
    this.#lock = lock;
    this.#priceTolerance = opts.priceTolerance ?? 0.01;
    this.#log = opts.log;
    this.#getPos = db.prepare(
      'SELECT symbol, exchange, product, quantity, average_price, strategy_id, leg, underlying FROM positions WHERE symbol = ? AND exchange = ? AND product = ?',
    );
    this.#upsert = db.prepare(
      `INSERT INTO positions (symbol, exchange, product, quantity, average_price, strategy_id, leg, underlying, version)
       VALUES (@symbol, @exchange, @product, @quantity, @average_price, @strategy_id, @leg, @underlying, @version)
       ON CONFLICT (symbol, exchange, product) DO UPDATE SET quantity = excluded.quantity,
         average_price = excluded.average_price, strategy_id = excluded.strategy_id, leg = excluded.leg,
         underlying = excluded.underlying, version = excluded.version`,
    );
    this.#delete = db.prepare('DELETE FROM positions WHERE symbol = ? AND exchange = ? AND product = ?');
    this.#deleteAll = db.prepare('DELETE FROM positions');
    this.#bump = db.prepare(
      'UPDATE position_book_meta SET snapshot_version = snapshot_version + 1, realized_pnl = realized_pnl + ?, updated_at = CURRENT_TIMESTAMP WHERE id = 1 RETURNING snapshot_version',
    );
    this.#fillSeen = db.prepare('SELECT 1 FROM position_fills WHERE fill_id = ?');
    this.#insertFill = db.prepare(
      'INSERT INTO position_fills (fill_id, version, symbol, exchange, product, action, quantity, price, realized_pnl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#insertRecon = db.prepare(
      'INSERT INTO reconciliations (version_before, version_after, discrepancy_count, discrepancies) VALUES (?, ?, ?, ?)',
    );
    this.#resetPnl = db.prepare(
      'UPDATE position_book_meta SET snapshot_version = snapshot_version + 1, realized_pnl = 0, updated_at = CURRENT_TIMESTAMP WHERE id = 1 RETURNING snapshot_version',
    );
  }

  /** Opens the single writer; refused (POSITION_BOOK_WRITER_CONFLICT) while another writer lives. */
  static open(db: Database, opts: PositionBookOptions = {}): { ok: true; book: PositionBook } | Denial {
    const lock = new SingleWriterLock(db, 'position_book', opts);
    const got = lock.acquire(opts.takeover ?? false);
    if (!got.ok) return got;
    return { ok: true, book: new PositionBook(db, lock, opts) };
  }

  get ownerToken(): string {
    return this.#lock.identity.ownerToken;
  }

  /** Applies one fill (signed quantity, weighted average, realized P&L on reduce) and bumps the version. */
  applyFill(fill: FillRecord): FillOutcome {
    const parsed = FillRecord.safeParse(fill);
    if (!parsed.success) return invalid('MALFORMED_MESSAGE', parsed.error, 'fill');
    const f = parsed.data;
    return this.db
      .transaction((): FillOutcome => {
        if (!this.#lock.held()) return this.#lock.conflict();
        if (f.fillId !== undefined && this.#fillSeen.get(f.fillId)) {
          const cur = this.#getPos.get(f.symbol, f.exchange, f.product) as DbPosition | undefined;
          return {
            ok: true,
            duplicate: true,
            version: this.currentVersion(),
            position: cur ? toRow(cur) : null,
            realized: 0,
          };
        }
        const cur = this.#getPos.get(f.symbol, f.exchange, f.product) as DbPosition | undefined;
        const m = applyFillMath(cur?.quantity ?? 0, cur?.average_price ?? 0, f.action, f.quantity, f.price);
        const version = (this.#bump.get(m.realized) as { snapshot_version: number }).snapshot_version;
        let position: PositionRow | null = null;
        if (m.quantity === 0) {
          this.#delete.run(f.symbol, f.exchange, f.product);
        } else {
          const row: DbPosition = {
            symbol: f.symbol,
            exchange: f.exchange,
            product: f.product,
            quantity: m.quantity,
            average_price: m.averagePrice,
            strategy_id: f.strategy_id ?? cur?.strategy_id ?? null,
            leg: f.leg ?? cur?.leg ?? null,
            underlying: f.underlying ?? cur?.underlying ?? null,
          };
          this.#upsert.run({ ...row, version });
          position = toRow(row);
        }
        this.#insertFill.run(
          f.fillId ?? null,
          version,
          f.symbol,
          f.exchange,
          f.product,
          f.action,
          f.quantity,
          f.price,
          m.realized,
        );
        return { ok: true, duplicate: false, version, position, realized: m.realized };
      })
      .immediate();
  }

  /**
   * Startup (and on-demand) reconciliation: diff against the broker's positionbook, log each
   * discrepancy, adopt the broker's rows as the book (keeping our strategy/leg tags where the key
   * matches), bump the version and record the RECONCILIATION payload. Malformed broker rows are
   * refused whole: the book is never replaced by data that failed validation.
   */
  reconcile(brokerRows: readonly unknown[]): { ok: true; payload: ReconciliationPayload } | Denial {
    const parsed = z.array(BrokerPositionRow).safeParse(brokerRows);
    if (!parsed.success) return invalid('MALFORMED_MESSAGE', parsed.error, 'broker positionbook');
    const broker = parsed.data;
    const keys = new Set<string>();
    for (const b of broker) {
      const k = keyOf(b);
      if (keys.has(k)) {
        return deny(
          'MALFORMED_MESSAGE',
          { symbol: b.symbol, exchange: b.exchange, product: b.product },
          'broker positionbook lists one position twice',
        );
      }
      keys.add(k);
    }
    const result = this.db
      .transaction((): { ok: true; payload: ReconciliationPayload } | Denial => {
        if (!this.#lock.held()) return this.#lock.conflict();
        const before = this.readSnapshotUncached();
        const discrepancies = diffPositions(before.positions, broker, this.#priceTolerance);
        const localByKey = new Map(before.positions.map((r) => [keyOf(r), r]));
        const version = (this.#bump.get(0) as { snapshot_version: number }).snapshot_version;
        this.#deleteAll.run();
        for (const b of broker) {
          if (b.quantity === 0) continue;
          const l = localByKey.get(keyOf(b));
          this.#upsert.run({
            symbol: b.symbol,
            exchange: b.exchange,
            product: b.product,
            quantity: b.quantity,
            average_price: b.average_price,
            strategy_id: l?.strategy_id ?? null,
            leg: l?.leg ?? null,
            underlying: l?.underlying ?? null,
            version,
          });
        }
        const payload: ReconciliationPayload = {
          discrepancies,
          version_before: before.version,
          version_after: version,
        };
        this.#insertRecon.run(before.version, version, discrepancies.length, JSON.stringify(discrepancies));
        return { ok: true, payload };
      })
      .immediate();
    if (result.ok && this.#log) {
      for (const d of result.payload.discrepancies) {
        this.#log.warn({ code: 'RECONCILIATION_DISCREPANCY', ...d }, `reconciliation: ${d.kind} ${d.symbol}`);
      }
    }
    return result;
  }

  /** Start of a trading day: realized P&L back to zero (a write: bumps the version). */
  resetRealizedPnl(): { ok: true; version: number } | Denial {
    return this.db
      .transaction((): { ok: true; version: number } | Denial => {
        if (!this.#lock.held()) return this.#lock.conflict();
        return { ok: true, version: (this.#resetPnl.get() as { snapshot_version: number }).snapshot_version };
      })
      .immediate();
  }

  /** Releases the writer lock (safe shutdown). The instance refuses writes afterwards. */
  release(): void {
    this.#lock.release();
  }

  private readSnapshotUncached(): { version: number; positions: PositionRow[] } {
    const version = this.currentVersion();
    const rows = (
      this.db
        .prepare(
          'SELECT symbol, exchange, product, quantity, average_price, strategy_id, leg, underlying FROM positions',
        )
        .all() as DbPosition[]
    ).map(toRow);
    return { version, positions: rows };
  }
}
