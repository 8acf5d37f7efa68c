import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import { Redactor } from '../../../src/contracts/index.js';
import { AuditStore } from '../../../src/store/audit-store.js';
import { loadMigrations, openDatabase } from '../../../src/store/index.js';

const KEY = 'tomic-audit-key-0123456789abcdef';
const BROKER_ID = '250117000999888';

function fresh() {
  const dir = mkdtempSync(join(tmpdir(), 'tomic-audit-'));
  const clock = new VirtualClock();
  const db = openDatabase(dir, 'audit');
  const store = new AuditStore(db, { clock, redactor: new Redactor([KEY]) });
  return { dir, clock, db, store };
}

describe('audit store (§10, db/tomic_audit.db)', () => {
  it('004 migration belongs to the audit database', () => {
    const m = loadMigrations().find((x) => x.version === 4)!;
    expect(m).toMatchObject({ name: '004_create_audit.sql', db: 'audit' });
    expect(m.sql.split('\n')[0]).toBe('-- db: audit');
  });

  it('records wall time from the injected clock, user, action, channel, IP, outcome, code and detail', () => {
    const { clock, store } = fresh();
    const id = store.record({
      user: 'admin',
      action: 'kill',
      channel: 'api',
      ip: '127.0.0.1',
      outcome: 'ok',
      detail: { reason: 'drill' },
    });
    clock.advance(1_500);
    store.record({
      user: 'telegram:42',
      action: 'telegram:/pause',
      channel: 'telegram',
      ip: 'telegram:chat:42',
      outcome: 'failed',
      code: 'TRADING_HALTED',
    });
    const { rows, total } = store.list();
    expect(total).toBe(2);
    expect(rows.map((r) => r.id)).toEqual([id + 1, id]);
    expect(rows[1]).toMatchObject({
      wall_ms: Date.UTC(2026, 0, 5, 3, 45, 0),
      ts: '2026-01-05T03:45:00.000Z',
      user: 'admin',
      action: 'kill',
      channel: 'api',
      ip: '127.0.0.1',
      outcome: 'ok',
      code: null,
      detail: { reason: 'drill' },
    });
    expect(rows[0]).toMatchObject({
      wall_ms: Date.UTC(2026, 0, 5, 3, 45, 1, 500),
      code: 'TRADING_HALTED',
      detail: null,
    });
    expect(rows[0]!.recorded_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it('filters by action, user, outcome, channel and time, with totals for paging', () => {
    const { clock, store } = fresh();
    for (let i = 0; i < 12; i++) {
      store.record({
        user: i % 3 === 0 ? 'admin' : 'api-key',
        action: i % 2 === 0 ? 'pause' : 'resume',
        channel: i % 4 === 0 ? 'telegram' : 'api',
        ip: '127.0.0.1',
        outcome: i % 5 === 0 ? 'denied' : 'ok',
      });
      clock.advance(1_000);
    }
    expect(store.list({ action: 'pause' }).total).toBe(6);
    expect(store.list({ user: 'admin' }).total).toBe(4);
    expect(store.list({ outcome: 'denied' }).total).toBe(3);
    expect(store.list({ channel: 'telegram' }).total).toBe(3);
    expect(store.list({ sinceWallMs: Date.UTC(2026, 0, 5, 3, 45, 10) }).total).toBe(2);
    const page = store.list({ action: 'pause', limit: 2, offset: 2 });
    expect(page.total).toBe(6);
    expect(page.rows).toHaveLength(2);
  });

  it('refuses UPDATE and DELETE at the database (triggers), whoever asks', () => {
    const { dir, store, db } = fresh();
    store.record({ user: 'admin', action: 'kill', channel: 'api', ip: '127.0.0.1', outcome: 'ok' });
    expect(() => db.prepare("UPDATE audit_log SET outcome = 'denied'").run()).toThrow(
      /append-only: UPDATE refused/,
    );
    expect(() => db.prepare('UPDATE audit_log SET user = ? WHERE id = 1').run('someone')).toThrow(
      /append-only/,
    );
    expect(() => db.prepare('DELETE FROM audit_log WHERE id = 1').run()).toThrow(
      /append-only: DELETE refused/,
    );
    // An unqualified DELETE would use SQLite's truncate shortcut were there no trigger.
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    // Another connection (another process) is refused the same way.
    const other = openDatabase(dir, 'audit');
    expect(() => other.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(store.list().rows[0]).toMatchObject({ user: 'admin', outcome: 'ok' });
  });

  it('has no update or delete path in code', () => {
    const methods = Object.getOwnPropertyNames(AuditStore.prototype).filter((n) => n !== 'constructor');
    expect(methods.sort()).toEqual(['list', 'record']);
    for (const m of methods) expect(m).not.toMatch(/update|delete|remove|clear|purge|truncate|prune/i);
  });

  it('refuses an outcome or channel outside the schema', () => {
    const { db } = fresh();
    expect(() =>
      db
        .prepare(
          "INSERT INTO audit_log (wall_ms, user, action, channel, ip, outcome) VALUES (0, 'a', 'b', 'api', NULL, 'maybe')",
        )
        .run(),
    ).toThrow(/CHECK/);
    expect(() =>
      db
        .prepare(
          "INSERT INTO audit_log (wall_ms, user, action, channel, ip, outcome) VALUES (0, 'a', 'b', 'email', NULL, 'ok')",
        )
        .run(),
    ).toThrow(/CHECK/);
  });

  it('masks with the one Redactor: sensitive keys at any depth and configured secrets in every text field', () => {
    const { dir, store } = fresh();
    store.record({
      user: `admin ${KEY}`,
      action: 'pause',
      channel: 'api',
      ip: '127.0.0.1',
      outcome: 'ok',
      detail: {
        reason: `pasted ${KEY}`,
        apikey: KEY,
        nested: { broker_order_id: BROKER_ID, password: 'hunter2-hunter2' },
      },
    });
    const row = store.list().rows[0]!;
    expect(row.detail).toEqual({
      reason: 'pasted ***cdef***',
      apikey: '***cdef***',
      nested: { broker_order_id: '***9888***', password: '***ter2***' },
    });
    expect(row.user).toBe('admin ***cdef***');
    // Nothing reached the file either (WAL included).
    const files = ['tomic_audit.db', 'tomic_audit.db-wal']
      .map((f) => {
        try {
          return readFileSync(join(dir, f)).toString('latin1');
        } catch {
          return '';
        }
      })
      .join('');
    expect(files).not.toContain(KEY);
    expect(files).not.toContain(BROKER_ID);
    expect(files).not.toContain('hunter2-hunter2');
  });

  it('bounds outside text: long fields are cut, an oversized detail stays valid JSON', () => {
    const { store } = fresh();
    store.record({
      user: 'u'.repeat(1_000),
      action: 'telegram:message',
      channel: 'telegram',
      ip: null,
      outcome: 'ignored',
      detail: { text: 'x'.repeat(10_000) },
    });
    const row = store.list().rows[0]!;
    expect(row.user).toHaveLength(200);
    expect(row.ip).toBeNull();
    expect(typeof (row.detail as { truncated: string }).truncated).toBe('string');
    expect((row.detail as { truncated: string }).truncated.length).toBe(4_000);
  });
});
