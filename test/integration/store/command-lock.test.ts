import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { WriteGate } from '../../../src/store/command-lock.js';
import { openDatabase } from '../../../src/store/index.js';
import { tempDir } from './fixtures/commands.js';

/** Another connection (a worker thread) that holds the write lock until `releaseAfterMs` or a message. */
function holdWriteLock(dir: string, releaseAfterMs: number | null): Promise<Worker> {
  const file = join(dir, 'tomic_commands.db');
  const w = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require('better-sqlite3');
     const db = new Database(workerData.file);
     db.exec('BEGIN IMMEDIATE');
     const release = () => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); };
     parentPort.on('message', release);
     if (workerData.releaseAfterMs !== null) setTimeout(release, workerData.releaseAfterMs);
     parentPort.postMessage('holding');`,
    { eval: true, workerData: { file, releaseAfterMs } },
  );
  return new Promise((resolve) => w.once('message', () => resolve(w)));
}

describe('write gate (waiting for the SQLite write lock)', () => {
  it('waits for a lock held by another connection and then writes; busy_timeout is restored', async () => {
    const dir = tempDir('tomic-gate-');
    const db = openDatabase(dir, 'commands');
    db.exec('CREATE TABLE t (v INTEGER)');
    const gate = new WriteGate(db);
    const holder = await holdWriteLock(dir, 100);
    gate.run(() => db.prepare('INSERT INTO t VALUES (1)').run());
    expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    await holder.terminate();
    db.close();
  });

  it("gives up with SQLITE_BUSY once the connection's busy_timeout is spent", async () => {
    const dir = tempDir('tomic-gate-');
    const db = openDatabase(dir, 'commands', { busyTimeoutMs: 50 });
    db.exec('CREATE TABLE t (v INTEGER)');
    const gate = new WriteGate(db);
    const holder = await holdWriteLock(dir, null);
    expect(() => gate.run(() => db.prepare('INSERT INTO t VALUES (1)').run())).toThrow(
      expect.objectContaining({ code: 'SQLITE_BUSY' }),
    );
    expect(db.pragma('busy_timeout', { simple: true })).toBe(50);
    const released = new Promise((r) => holder.once('message', r));
    holder.postMessage('release');
    await released;
    gate.run(() => db.prepare('INSERT INTO t VALUES (1)').run());
    await holder.terminate();
    db.close();
  });

  it('does not retry errors other than SQLITE_BUSY', () => {
    const db = openDatabase(tempDir('tomic-gate-'), 'commands');
    const gate = new WriteGate(db);
    let calls = 0;
    expect(() =>
      gate.run(() => {
        calls += 1;
        return db.prepare('INSERT INTO no_such_table VALUES (1)').run();
      }),
    ).toThrow(/no such table/);
    expect(calls).toBe(1);
    db.close();
  });
});
