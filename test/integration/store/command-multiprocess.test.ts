import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { realDelay, SystemClock } from '../../../src/clock/index.js';
import { retryPolicy } from '../../../src/store/command-retry.js';
import { CommandStore } from '../../../src/store/command-store.js';
import { openDatabase } from '../../../src/store/index.js';
import { order, tempDir } from './fixtures/commands.js';

const COMMANDS = 2_000;
const LEASE_MS = 300;
const WORKER = join(import.meta.dirname, 'fixtures', 'command-worker.ts');

function start(dir: string, name: string, hangAfter: number): Promise<ChildProcess> {
  const child = fork(WORKER, [dir, name, String(LEASE_MS), String(hangAfter)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => (m === 'ready' ? resolve(child) : reject(new Error(String(m)))));
    child.once('exit', (code) => reject(new Error(`${name} exited early (${code})`)));
  });
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  for (let waited = 0; !cond(); waited += 20) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await realDelay(20);
  }
}

describe('command table across processes', () => {
  it('4 workers drain 2,000 commands while one is SIGKILLed mid-lease: every command acked exactly once', async () => {
    const dir = tempDir('tomic-cmd-mp-');
    const side = new BetterSqlite3(join(dir, 'side.db'));
    side.pragma('journal_mode = WAL');
    side.exec(`CREATE TABLE executions (command_id INTEGER NOT NULL, worker TEXT NOT NULL, token TEXT NOT NULL);
               CREATE TABLE acks (command_id INTEGER NOT NULL, worker TEXT NOT NULL);`);
    const db = openDatabase(dir, 'commands');
    const clock = new SystemClock();
    const store = new CommandStore(db, { clock, retry: retryPolicy(), leaseMs: LEASE_MS });

    const workers = await Promise.all([
      start(dir, 'w1', 0),
      start(dir, 'w2', 0),
      start(dir, 'w3', 0),
      start(dir, 'victim', 20),
    ]);
    const victim = workers[3]!;
    let held: number | undefined;
    const killed = new Promise<void>((resolve) => {
      victim.on('message', (m) => {
        if (typeof m === 'object' && m !== null && 'holding' in m) {
          held = Number((m as { holding: number }).holding);
          victim.kill('SIGKILL'); // mid-lease: the command is PROCESSING under the victim's token
          resolve();
        }
      });
    });

    // The Supervisor's reclaim loop (runbook "Stale PROCESSING Recovery").
    const reclaimed: Array<{ id: number; status: string }> = [];
    let supervising = true;
    const supervisor = (async () => {
      while (supervising) {
        reclaimed.push(...store.reclaimExpired());
        await realDelay(50);
      }
    })();

    try {
      for (let i = 0; i < COMMANDS; i++) {
        const r = store.enqueue(order(clock, i));
        expect(r.ok).toBe(true);
        if (i % 100 === 99) await realDelay(1); // let the workers interleave with the producer
      }
      await killed;
      await until(() => store.counts().DONE === COMMANDS, 30_000, 'all commands DONE');
    } finally {
      supervising = false;
      await supervisor;
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.send('stop');
      await Promise.all(
        workers.map((w) =>
          w.exitCode !== null || w.signalCode !== null ? null : new Promise((r) => w.once('exit', r)),
        ),
      );
    }

    expect(store.counts()).toMatchObject({ DONE: COMMANDS, PENDING: 0, PROCESSING: 0, DEAD_LETTER: 0 });
    // Every command was executed by exactly one successful ack.
    const acks = side
      .prepare('SELECT command_id, COUNT(*) AS n FROM acks GROUP BY command_id')
      .all() as Array<{
      command_id: number;
      n: number;
    }>;
    expect(acks).toHaveLength(COMMANDS);
    expect(acks.every((a) => a.n === 1)).toBe(true);
    // The killed worker's lease was reclaimed, and another worker executed and acked the command.
    expect(held).toBeDefined();
    expect(reclaimed).toContainEqual({ id: held, status: 'PENDING' });
    const heldRow = store.get(held!);
    expect(heldRow).toMatchObject({ status: 'DONE', broker_order_id: `B-${held}` });
    expect(heldRow?.attempt_count).toBeGreaterThanOrEqual(3); // claim, reclaim, claim
    const heldAck = side.prepare('SELECT worker FROM acks WHERE command_id = ?').get(held) as {
      worker: string;
    };
    expect(heldAck.worker).not.toBe('victim');
    const heldExec = side
      .prepare('SELECT worker FROM executions WHERE command_id = ? ORDER BY rowid')
      .all(held);
    expect(heldExec[0]).toEqual({ worker: 'victim' });
    // At-least-once: an execution without an ack happens only for a reclaimed lease.
    const execs = side
      .prepare('SELECT command_id, COUNT(*) AS n FROM executions GROUP BY command_id')
      .all() as Array<{
      command_id: number;
      n: number;
    }>;
    const reclaimsOf = (id: number) => reclaimed.filter((r) => r.id === id).length;
    for (const e of execs) expect(e.n - 1).toBeLessThanOrEqual(reclaimsOf(e.command_id));
    const perWorker = side.prepare('SELECT worker, COUNT(*) AS n FROM acks GROUP BY worker').all();
    expect(perWorker.length).toBeGreaterThanOrEqual(3); // the work was really shared
    store.close();
    db.close();
    side.close();
  });
});
