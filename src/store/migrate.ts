import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from 'better-sqlite3';
import { TomicError } from '../contracts/error-codes.js';

/** The plan's databases (§11), one SQLite file each: `tomic_<name>.db` in the data folder. */
export const DB_NAMES = ['commands', 'positions', 'journal', 'audit', 'metrics'] as const;
export type DbName = (typeof DB_NAMES)[number];

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly db: DbName;
  readonly sql: string;
  readonly checksum: string;
}

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Reads `NNN_name.sql` files. The first line names the database: `-- db: commands`. Numbers are
 * global and unique across databases; files are forward-only (no down migrations, §11).
 */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const m = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new Error(`migration file name must be NNN_name.sql: ${file}`);
    const sql = readFileSync(join(dir, file), 'utf8');
    const db = /^--\s*db:\s*([a-z]+)/.exec(sql)?.[1];
    if (!db || !(DB_NAMES as readonly string[]).includes(db)) {
      throw new Error(`${file}: first line must be "-- db: <${DB_NAMES.join('|')}>"`);
    }
    const version = Number(m[1]);
    if (out.some((x) => x.version === version))
      throw new Error(`${file}: duplicate migration number ${m[1]}`);
    out.push({
      version,
      name: file,
      db: db as DbName,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return out;
}

/**
 * Applies the pending migrations of one database in order, each in its own transaction, and
 * returns the names applied. Refuses to run when an applied file changed or disappeared.
 */
export function migrate(db: Database, name: DbName, migrations: Migration[] = loadMigrations()): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
  )`);
  const mine = migrations.filter((m) => m.db === name);
  const applied = db
    .prepare('SELECT version, name, checksum FROM schema_version ORDER BY version')
    .all() as Array<{
    version: number;
    name: string;
    checksum: string;
  }>;
  for (const row of applied) {
    const file = mine.find((m) => m.version === row.version);
    if (!file) {
      throw new TomicError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `Applied migration ${row.name} is missing from the migrations folder`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new TomicError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `Applied migration ${row.name} was changed after it ran (checksum ${row.checksum.slice(0, 12)} != ${file.checksum.slice(0, 12)}). Migrations are forward-only: add a new numbered file instead.`,
      );
    }
  }
  const done = new Set(applied.map((r) => r.version));
  const insert = db.prepare('INSERT INTO schema_version (version, name, checksum) VALUES (?, ?, ?)');
  const ran: string[] = [];
  for (const m of mine) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      insert.run(m.version, m.name, m.checksum);
    })();
    ran.push(m.name);
  }
  return ran;
}
