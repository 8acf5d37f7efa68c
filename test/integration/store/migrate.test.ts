import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DB_NAMES, migrateAll, openDatabase } from '../../../src/store/index.js';
import { loadMigrations, migrate } from '../../../src/store/migrate.js';

function tempMigrations(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tomic-mig-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

describe('migrations (§11)', () => {
  it('applies pending migrations in order, once, and reports what it applied', () => {
    const dir = tempMigrations({
      '001_a.sql': '-- db: commands\nCREATE TABLE a (x INTEGER);',
      '002_b.sql': '-- db: journal\nCREATE TABLE b (x INTEGER);',
      '003_c.sql': '-- db: commands\nALTER TABLE a ADD COLUMN y TEXT;',
    });
    const db = new BetterSqlite3(':memory:');
    expect(migrate(db, 'commands', loadMigrations(dir))).toEqual(['001_a.sql', '003_c.sql']);
    expect(migrate(db, 'commands', loadMigrations(dir))).toEqual([]);
    const versions = db.prepare('SELECT version FROM schema_version ORDER BY version').all();
    expect(versions).toEqual([{ version: 1 }, { version: 3 }]);
  });

  it('refuses to run when an applied migration was edited (checksum)', () => {
    const dir = tempMigrations({ '001_a.sql': '-- db: commands\nCREATE TABLE a (x INTEGER);' });
    const db = new BetterSqlite3(':memory:');
    migrate(db, 'commands', loadMigrations(dir));
    writeFileSync(join(dir, '001_a.sql'), '-- db: commands\nCREATE TABLE a (x INTEGER, z INTEGER);');
    expect(() => migrate(db, 'commands', loadMigrations(dir))).toThrow(/001_a\.sql was changed after it ran/);
  });

  it('a failing migration rolls back whole and is not recorded', () => {
    const dir = tempMigrations({
      '001_a.sql': '-- db: commands\nCREATE TABLE a (x INTEGER);',
      '002_bad.sql': '-- db: commands\nCREATE TABLE c (x INTEGER);\nINSERT INTO nope VALUES (1);',
    });
    const db = new BetterSqlite3(':memory:');
    expect(() => migrate(db, 'commands', loadMigrations(dir))).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'c'").get()).toBeUndefined();
    expect(db.prepare('SELECT count(*) n FROM schema_version').get()).toEqual({ n: 1 });
  });

  it('rejects files without a db header', () => {
    const dir = tempMigrations({ '001_a.sql': 'CREATE TABLE a (x INTEGER);' });
    expect(() => loadMigrations(dir)).toThrow(/first line must be/);
  });

  it('the shipped migrations create every database in WAL mode', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tomic-db-'));
    const applied = migrateAll(dataDir);
    expect(Object.keys(applied).sort()).toEqual([...DB_NAMES].sort());
    expect(migrateAll(dataDir)).toEqual(Object.fromEntries(DB_NAMES.map((n) => [n, []])));
    const db = openDatabase(dataDir, 'commands');
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'commands'").get()).toEqual({
      name: 'commands',
    });
    db.close();
  });
});
