import type { Database, Statement } from 'better-sqlite3';
import { z } from 'zod';
import { type Denial, deny, type PayloadOf, RegimeUpdatePayload } from '../contracts/index.js';
import { deepFreeze, SingleWriterLock, type WriterOptions } from './position-book.js';

/**
 * §8 AtomicRegimeState: the Regime agent's latest REGIME_UPDATE per underlying, with the PositionBook's
 * pattern — one writer (lock row with owner token + pid), one version counter bumped by every write
 * in the same transaction as the data, deep-frozen snapshots for readers. A write of several
 * underlyings is one transaction and one version: readers never see half an update.
 */

export type RegimeUpdate = PayloadOf<'REGIME_UPDATE'>;

export interface RegimeSnapshot {
  readonly version: number;
  readonly regimes: Readonly<Record<string, RegimeUpdate>>;
}

const Incoming = RegimeUpdatePayload.omit({ version: true });
export type RegimeUpdateInput = z.infer<typeof Incoming>;

export class RegimeStateReader {
  readonly #meta: Statement;
  readonly #rows: Statement;
  #cached: RegimeSnapshot | null = null;

  constructor(protected readonly db: Database) {
    this.#meta = db.prepare('SELECT version FROM regime_state_meta WHERE id = 1');
    this.#rows = db.prepare('SELECT payload FROM regime_state ORDER BY underlying');
  }

  currentVersion(): number {
    return (this.#meta.get() as { version: number }).version;
  }

  readSnapshot(): RegimeSnapshot {
    const v = this.currentVersion();
    if (this.#cached && this.#cached.version === v) return this.#cached;
    const snap = this.db.transaction((): RegimeSnapshot => {
      const version = this.currentVersion();
      const regimes: Record<string, RegimeUpdate> = {};
      for (const r of this.#rows.all() as Array<{ payload: string }>) {
        const p = RegimeUpdatePayload.parse(JSON.parse(r.payload));
        regimes[p.underlying] = p;
      }
      return { version, regimes };
    })();
    this.#cached = deepFreeze(snap);
    return this.#cached;
  }
}

export class AtomicRegimeState extends RegimeStateReader {
  readonly #lock: SingleWriterLock;
  readonly #bump: Statement;
  readonly #upsert: Statement;

  private constructor(db: Database, lock: SingleWriterLock) {
    super(db);
    this.#lock = lock;
    this.#bump = db.prepare(
      'UPDATE regime_state_meta SET version = version + 1, updated_at = CURRENT_TIMESTAMP WHERE id = 1 RETURNING version',
    );
    this.#upsert = db.prepare(
      `INSERT INTO regime_state (underlying, version, regime, payload) VALUES (?, ?, ?, ?)
       ON CONFLICT (underlying) DO UPDATE SET version = excluded.version, regime = excluded.regime,
         payload = excluded.payload, updated_at = CURRENT_TIMESTAMP`,
    );
  }

  /** Opens the single writer (the Regime agent); refused while another writer lives. */
  static open(db: Database, opts: WriterOptions = {}): { ok: true; state: AtomicRegimeState } | Denial {
    const lock = new SingleWriterLock(db, 'regime_state', opts);
    const got = lock.acquire(opts.takeover ?? false);
    if (!got.ok) return got;
    return { ok: true, state: new AtomicRegimeState(db, lock) };
  }

  /** Writes one or several underlyings atomically; every written payload carries the new version. */
  write(
    updates: RegimeUpdateInput | readonly RegimeUpdateInput[],
  ): { ok: true; version: number; updates: RegimeUpdate[] } | Denial {
    const list = Array.isArray(updates) ? updates : [updates as RegimeUpdateInput];
    const parsed = z.array(Incoming).min(1).safeParse(list);
    if (!parsed.success) {
      return deny(
        'MALFORMED_MESSAGE',
        { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
        'regime update invalid',
      );
    }
    const names = parsed.data.map((u) => u.underlying);
    if (new Set(names).size !== names.length) {
      return deny('MALFORMED_MESSAGE', { underlyings: names }, 'one underlying twice in one regime write');
    }
    return this.db
      .transaction((): { ok: true; version: number; updates: RegimeUpdate[] } | Denial => {
        if (!this.#lock.held()) return this.#lock.conflict();
        const version = (this.#bump.get() as { version: number }).version;
        const out: RegimeUpdate[] = [];
        for (const u of parsed.data) {
          const full: RegimeUpdate = { ...u, version };
          this.#upsert.run(u.underlying, version, u.regime, JSON.stringify(full));
          out.push(full);
        }
        return { ok: true, version, updates: out };
      })
      .immediate();
  }

  release(): void {
    this.#lock.release();
  }
}
