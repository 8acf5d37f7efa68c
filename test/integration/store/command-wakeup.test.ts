import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkSignal } from '../../../src/store/command-wakeup.js';
import { tempDir } from './fixtures/commands.js';

const next = (signal: WorkSignal) =>
  new Promise<void>((resolve) => {
    const off = signal.subscribe(() => {
      off();
      resolve();
    });
  });

describe('work signal (wake-up across processes)', () => {
  it("a write to the notify file by anyone (another process's notify) wakes a subscriber", {
    timeout: 10_000,
  }, async () => {
    const db = join(tempDir('tomic-wake-'), 'tomic_commands.db');
    const consumer = new WorkSignal(db);
    const woke = next(consumer);
    writeFileSync(`${db}-notify`, '1'); // what another process's notify() amounts to
    await woke;
    consumer.close();
  });

  it('keeps working after the notify file is deleted and recreated', { timeout: 10_000 }, async () => {
    const db = join(tempDir('tomic-wake-'), 'tomic_commands.db');
    const consumer = new WorkSignal(db);
    const producer = new WorkSignal(db);
    producer.notify(); // the producer now holds an fd on the original file
    let wakes = 0;
    const off = consumer.subscribe(() => {
      wakes += 1;
    });
    rmSync(`${db}-notify`);
    // The deletion wakes the subscriber (a look at the table is harmless) and re-creates the watch.
    for (let i = 0; i < 500 && !existsSync(`${db}-notify`); i++) await new Promise((r) => setTimeout(r, 10));
    expect(existsSync(`${db}-notify`)).toBe(true);
    expect(wakes).toBeGreaterThan(0);
    const before = wakes;
    writeFileSync(`${db}-notify`, '1');
    for (let i = 0; i < 200 && wakes === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(wakes).toBeGreaterThan(before);
    // The producer notices its file is gone and writes to the new one, which watchers now see.
    writeFileSync(`${db}-notify`, '');
    producer.notify();
    expect(statSync(`${db}-notify`).size).toBe(1);
    off();
    consumer.close();
    producer.close();
  });

  it('same-process subscribers are called synchronously by notify()', () => {
    const db = join(tempDir('tomic-wake-'), 'tomic_commands.db');
    const consumer = new WorkSignal(db);
    const producer = new WorkSignal(db);
    let called = 0;
    const off = consumer.subscribe(() => {
      called += 1;
    });
    producer.notify();
    expect(called).toBe(1);
    off();
    producer.notify();
    expect(called).toBe(1);
    consumer.close();
    producer.close();
  });

  it('an in-memory database has no file: the instance wakes its own subscribers', () => {
    const s = new WorkSignal(null);
    let called = 0;
    const off = s.subscribe(() => {
      called += 1;
    });
    s.notify();
    expect(called).toBe(1);
    off();
    s.close();
  });
});
