import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { DB_NAMES, type DbName, loadMigrations, type Migration, migrate } from './migrate.js';

export type { Database } from 'better-sqlite3';

export interface OpenOptions {
  /** SQLite `synchronous`: NORMAL is durable across process crashes in WAL mode (see bench). */
  synchronous?: 'NORMAL' | 'FULL';
  busyTimeoutMs?: number;
  migrations?: Migration[];
}

export function dbPath(dataDir: string, name: DbName): string {
  return join(dataDir, `tomic_${name}.db`);
}

/** Opens (creating if needed) one of the plan's databases in WAL mode and applies its migrations. */
export function openDatabase(dataDir: string, name: DbName, opts: OpenOptions = {}): Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new BetterSqlite3(dbPath(dataDir, name));
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  migrate(db, name, opts.migrations ?? loadMigrations());
  return db;
}

/** `tomic migrate`: applies pending migrations to every database; returns what was applied where. */
export function migrateAll(
  dataDir: string,
  migrations: Migration[] = loadMigrations(),
): Record<DbName, string[]> {
  const out = {} as Record<DbName, string[]>;
  mkdirSync(dataDir, { recursive: true });
  for (const name of DB_NAMES) {
    const db = new BetterSqlite3(dbPath(dataDir, name));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      out[name] = migrate(db, name, migrations);
    } finally {
      db.close();
    }
  }
  return out;
}
