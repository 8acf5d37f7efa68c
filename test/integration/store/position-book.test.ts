import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ReconciliationPayload } from '../../../src/contracts/index.js';
import { openDatabase } from '../../../src/store/index.js';
import {
  applyFillMath,
  type FillRecord,
  mustReread,
  PositionBook,
  PositionBookReader,
} from '../../../src/store/position-book.js';

// test_position_book: §8 versioned reads, single writer, persistence, reconciliation.

const tempDir = () => mkdtempSync(join(tmpdir(), 'tomic-pb-'));
const ROOT = resolve(import.meta.dirname, '../../..');
const url = (p: string) => pathToFileURL(join(ROOT, p)).href;

function openBook(dir: string): PositionBook {
  const r = PositionBook.open(openDatabase(dir, 'positions'));
  if (!r.ok) throw new Error(r.message);
  return r.book;
}
const fill = (
  symbol: string,
  action: 'BUY' | 'SELL',
  quantity: number,
  price: number,
  over: Partial<FillRecord> = {},
) => ({
  symbol,
  exchange: 'NFO',
  product: 'NRML' as const,
  action,
  quantity,
  price,
  ...over,
});

// A child process running the real PositionBook over the same file (the Execution agent's place).
const CHILD = `
const { openDatabase } = await import(${JSON.stringify(url('src/store/index.ts'))});
const { PositionBook } = await import(${JSON.stringify(url('src/store/position-book.ts'))});
const db = openDatabase(process.env.PB_DIR, 'positions');
const r = PositionBook.open(db);
if (!r.ok) { process.send({ refused: r.code }); process.disconnect(); }
else if (process.env.PB_MODE === 'hold') { process.send({ holding: process.pid }); }
else {
  let i = 0;
  const burst = () => {
    for (let k = 0; k < 25; k++, i++) {
      const w = r.book.applyFill({ symbol: 'S' + (i % 7), exchange: 'NFO', product: 'NRML',
        action: i % 3 === 0 ? 'SELL' : 'BUY', quantity: 65 * (1 + (i % 3)), price: 100 + (i % 11),
        fillId: 'f' + i });
      if (!w.ok) throw new Error(w.message);
    }
    process.send({ written: i });
    setImmediate(burst);
  };
  burst();
}
`;
const children: ChildProcess[] = [];
function child(dir: string, mode: 'hold' | 'write'): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    cwd: ROOT,
    env: { ...process.env, PB_DIR: dir, PB_MODE: mode },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(c);
  return c;
}
const firstMessage = (c: ChildProcess) =>
  new Promise<Record<string, unknown>>((res, rej) => {
    c.once('message', (m) => res(m as Record<string, unknown>));
    c.once('exit', (code) => rej(new Error(`child exited early (${code})`)));
  });
const exited = (c: ChildProcess) =>
  new Promise<void>((res) =>
    c.exitCode !== null || c.signalCode !== null ? res() : c.once('exit', () => res()),
  );
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('versioned snapshots', () => {
  it('starts at version 0; every write bumps the version by one', () => {
    const book = openBook(tempDir());
    expect(book.readSnapshot()).toEqual({ version: 0, positions: [], realizedPnl: 0 });
    const a = book.applyFill(fill('A', 'BUY', 130, 100));
    const b = book.applyFill(fill('B', 'SELL', 65, 50));
    expect([a.ok && a.version, b.ok && b.version, book.currentVersion()]).toEqual([1, 2, 2]);
  });

  it('readSnapshot returns a deep-frozen copy: callers cannot change the book', () => {
    const book = openBook(tempDir());
    book.applyFill(fill('A', 'BUY', 130, 100, { strategy_id: 'S1', leg: 'long_put', underlying: 'NIFTY' }));
    const snap = book.readSnapshot();
    expect(
      Object.isFrozen(snap) && Object.isFrozen(snap.positions) && Object.isFrozen(snap.positions[0]),
    ).toBe(true);
    expect(() => {
      (snap.positions[0] as { quantity: number }).quantity = 0;
    }).toThrow(TypeError);
    expect(() => (snap.positions as unknown[]).push({})).toThrow(TypeError);
    expect(book.readSnapshot().positions[0]).toMatchObject({
      quantity: 130,
      strategy_id: 'S1',
      leg: 'long_put',
    });
    // Same version → same cached object; a write → a new snapshot.
    expect(book.readSnapshot()).toBe(snap);
    book.applyFill(fill('A', 'BUY', 65, 100));
    expect(book.readSnapshot()).not.toBe(snap);
  });

  it('signed quantities, weighted average price, realized P&L on reduce and through a flip', () => {
    const book = openBook(tempDir());
    book.applyFill(fill('A', 'BUY', 130, 100));
    book.applyFill(fill('A', 'BUY', 65, 130)); // avg (130×100 + 65×130)/195 = 110
    expect(book.readSnapshot().positions[0]).toMatchObject({ quantity: 195, average_price: 110 });
    const r1 = book.applyFill(fill('A', 'SELL', 65, 150)); // realize 65 × 40
    expect(r1.ok && [r1.realized, r1.position?.quantity, r1.position?.average_price]).toEqual([
      2_600, 130, 110,
    ]);
    const r2 = book.applyFill(fill('A', 'SELL', 195, 90)); // close 130 at −20, open −65 at 90
    expect(r2.ok && [r2.realized, r2.position?.quantity, r2.position?.average_price]).toEqual([
      -2_600, -65, 90,
    ]);
    const r3 = book.applyFill(fill('A', 'BUY', 65, 80)); // short bought back 10 lower: +650, flat
    expect(r3.ok && [r3.realized, r3.position]).toEqual([650, null]);
    expect(book.readSnapshot()).toMatchObject({ positions: [], realizedPnl: 650, version: 5 });
    expect(applyFillMath(-65, 90, 'SELL', 65, 70)).toEqual({ quantity: -130, averagePrice: 80, realized: 0 });
  });

  it('a fill delivered twice (at-least-once) is applied once', () => {
    const book = openBook(tempDir());
    book.applyFill(fill('A', 'BUY', 130, 100, { fillId: 'ord1:130' }));
    const again = book.applyFill(fill('A', 'BUY', 130, 100, { fillId: 'ord1:130' }));
    expect(again.ok && [again.duplicate, again.version, again.position?.quantity]).toEqual([true, 1, 130]);
  });

  it('a malformed fill is refused without a version bump', () => {
    const book = openBook(tempDir());
    for (const bad of [fill('A', 'BUY', 0, 100), fill('A', 'BUY', 65, Number.NaN), fill('', 'BUY', 65, 1)]) {
      const r = book.applyFill(bad);
      expect(r.ok ? null : r.code).toBe('MALFORMED_MESSAGE');
    }
    expect(book.currentVersion()).toBe(0);
  });

  it('staleness: a reader more than 5 versions behind must re-read before sizing', () => {
    expect(mustReread(10, 15)).toBe(false);
    expect(mustReread(10, 16)).toBe(true);
    expect(mustReread(10, 16, 50)).toBe(true); // the lag can only be tightened
    expect(mustReread(10, 12, 1)).toBe(true);
    const dir = tempDir();
    const book = openBook(dir);
    const reader = new PositionBookReader(openDatabase(dir, 'positions'));
    const seen = reader.readSnapshot().version;
    for (let i = 0; i < 5; i++) book.applyFill(fill('A', 'BUY', 65, 100));
    expect(mustReread(seen, reader.currentVersion())).toBe(false);
    book.applyFill(fill('A', 'BUY', 65, 100));
    expect(mustReread(seen, reader.currentVersion())).toBe(true);
    expect(reader.readSnapshot()).toMatchObject({ version: 6, positions: [{ quantity: 390 }] });
  });
});

describe('single writer', () => {
  it('a second writer on the same file is refused; after release it may open', () => {
    const dir = tempDir();
    const first = PositionBook.open(openDatabase(dir, 'positions'));
    expect(first.ok).toBe(true);
    const second = PositionBook.open(openDatabase(dir, 'positions'));
    expect(second.ok ? null : second.code).toBe('POSITION_BOOK_WRITER_CONFLICT');
    if (first.ok) first.book.release();
    expect(PositionBook.open(openDatabase(dir, 'positions')).ok).toBe(true);
  });

  it('a writer whose lock was taken over by the operator can no longer write', () => {
    const dir = tempDir();
    const old = openBook(dir);
    const forced = PositionBook.open(openDatabase(dir, 'positions'), { takeover: true });
    expect(forced.ok).toBe(true);
    const w = old.applyFill(fill('A', 'BUY', 65, 100));
    expect(w.ok ? null : w.code).toBe('POSITION_BOOK_WRITER_CONFLICT');
    const rec = old.reconcile([]);
    expect(rec.ok ? null : rec.code).toBe('POSITION_BOOK_WRITER_CONFLICT');
    expect(old.currentVersion()).toBe(0);
  });

  it('across processes: refused while the owner lives, taken over once it is dead', async () => {
    const dir = tempDir();
    const holder = child(dir, 'hold');
    expect(await firstMessage(holder)).toMatchObject({ holding: holder.pid });
    const refused = PositionBook.open(openDatabase(dir, 'positions'));
    expect(refused.ok ? null : [refused.code, refused.details?.ownerPid]).toEqual([
      'POSITION_BOOK_WRITER_CONFLICT',
      holder.pid,
    ]);
    // And the other way round: our writer refuses a child.
    holder.kill('SIGKILL');
    await exited(holder);
    const mine = PositionBook.open(openDatabase(dir, 'positions'));
    expect(mine.ok).toBe(true);
    const intruder = child(dir, 'write');
    expect(await firstMessage(intruder)).toEqual({ refused: 'POSITION_BOOK_WRITER_CONFLICT' });
  });
});

describe('crash safety', () => {
  it('a writer SIGKILLed mid-stream: the reopened book equals the last committed snapshot', async () => {
    const dir = tempDir();
    const writer = child(dir, 'write');
    await new Promise<void>((res, rej) => {
      writer.on('message', (m) => {
        if ((m as { written?: number }).written !== undefined && (m as { written: number }).written >= 400) {
          writer.kill('SIGKILL');
          res();
        }
      });
      writer.once('exit', (code, sig) => (sig ? undefined : rej(new Error(`writer exited ${code}`))));
    });
    await exited(writer);

    // The dead writer's lock is taken over automatically (same host, pid gone).
    const book = openBook(dir);
    const snap = book.readSnapshot();
    const db = openDatabase(dir, 'positions');
    const fills = db
      .prepare(
        'SELECT symbol, action, quantity, price, realized_pnl, version FROM position_fills ORDER BY id',
      )
      .all() as Array<{
      symbol: string;
      action: 'BUY' | 'SELL';
      quantity: number;
      price: number;
      realized_pnl: number;
      version: number;
    }>;
    expect(fills.length).toBeGreaterThanOrEqual(400);
    expect(snap.version).toBe(fills.length);
    expect(fills.map((f) => f.version)).toEqual(fills.map((_, i) => i + 1));
    // Replay the committed fills: positions and realized P&L must match the committed book exactly.
    const replay = new Map<string, { q: number; p: number }>();
    let realized = 0;
    for (const f of fills) {
      const cur = replay.get(f.symbol) ?? { q: 0, p: 0 };
      const m = applyFillMath(cur.q, cur.p, f.action, f.quantity, f.price);
      realized += m.realized;
      if (m.quantity === 0) replay.delete(f.symbol);
      else replay.set(f.symbol, { q: m.quantity, p: m.averagePrice });
    }
    expect(snap.realizedPnl).toBeCloseTo(realized, 6);
    const got = Object.fromEntries(snap.positions.map((p) => [p.symbol, [p.quantity, p.average_price]]));
    expect(Object.keys(got).sort()).toEqual([...replay.keys()].sort());
    for (const [s, v] of replay) {
      expect(got[s]![0]).toBe(v.q);
      expect(got[s]![1]).toBeCloseTo(v.p, 9);
    }
    // And it keeps going from there.
    const next = book.applyFill(fill('S1', 'BUY', 65, 100));
    expect(next.ok && next.version).toBe(fills.length + 1);
  });

  it('close and reopen: same snapshot', () => {
    const dir = tempDir();
    const db = openDatabase(dir, 'positions');
    const r = PositionBook.open(db);
    if (!r.ok) throw new Error(r.message);
    r.book.applyFill(fill('A', 'BUY', 130, 101.25, { strategy_id: 'S', leg: 'l', underlying: 'NIFTY' }));
    r.book.applyFill(fill('B', 'SELL', 65, 40));
    const before = r.book.readSnapshot();
    r.book.release();
    db.close();
    expect(openBook(dir).readSnapshot()).toEqual(before);
  });
});

describe('reconciliation (broker is the authority)', () => {
  it('finds every kind of discrepancy, logs each, adopts the broker, bumps the version, records it', () => {
    const dir = tempDir();
    const warnings: Array<{ obj: object; msg: string }> = [];
    const r = PositionBook.open(openDatabase(dir, 'positions'), {
      log: { warn: (obj, msg) => warnings.push({ obj, msg }) },
    });
    if (!r.ok) throw new Error(r.message);
    const book = r.book;
    book.applyFill(fill('SAME', 'BUY', 130, 100, { strategy_id: 'S1', leg: 'long_put' }));
    book.applyFill(fill('ROUND', 'BUY', 65, 100));
    book.applyFill(fill('PRICE', 'BUY', 65, 100));
    book.applyFill(fill('QTY', 'SELL', 65, 50, { strategy_id: 'S1', leg: 'short_put' }));
    book.applyFill(fill('EXTRA', 'BUY', 65, 10));
    const broker = [
      { symbol: 'SAME', exchange: 'NFO', product: 'NRML', quantity: 130, average_price: 100 },
      { symbol: 'ROUND', exchange: 'NFO', product: 'NRML', quantity: 65, average_price: 100.004 },
      { symbol: 'PRICE', exchange: 'NFO', product: 'NRML', quantity: 65, average_price: 101 },
      { symbol: 'QTY', exchange: 'NFO', product: 'NRML', quantity: -130, average_price: 50 },
      { symbol: 'MISSING', exchange: 'NFO', product: 'NRML', quantity: 65, average_price: 20 },
      { symbol: 'CLOSED', exchange: 'NFO', product: 'MIS', quantity: 0, average_price: 0 },
    ];
    const res = book.reconcile(broker);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(ReconciliationPayload.safeParse(res.payload).success).toBe(true);
    expect(res.payload.discrepancies.map((d) => [d.kind, d.symbol]).sort()).toEqual([
      ['EXTRA_LOCALLY', 'EXTRA'],
      ['MISSING_LOCALLY', 'MISSING'],
      ['PRICE_MISMATCH', 'PRICE'],
      ['QUANTITY_MISMATCH', 'QTY'],
    ]);
    expect([res.payload.version_before, res.payload.version_after]).toEqual([5, 6]);
    expect(warnings.map((w) => w.msg).sort()).toEqual([
      'reconciliation: EXTRA_LOCALLY EXTRA',
      'reconciliation: MISSING_LOCALLY MISSING',
      'reconciliation: PRICE_MISMATCH PRICE',
      'reconciliation: QUANTITY_MISMATCH QTY',
    ]);
    const snap = book.readSnapshot();
    expect(snap.version).toBe(6);
    expect(snap.positions.map((p) => [p.symbol, p.quantity, p.average_price])).toEqual([
      ['MISSING', 65, 20],
      ['PRICE', 65, 101],
      ['QTY', -130, 50],
      ['ROUND', 65, 100.004],
      ['SAME', 130, 100],
    ]);
    // Our tags survive where the key matched.
    expect(snap.positions.find((p) => p.symbol === 'QTY')).toMatchObject({
      strategy_id: 'S1',
      leg: 'short_put',
    });
    expect(book.reconciliations()[0]).toMatchObject({ version_before: 5, version_after: 6 });
    expect(book.reconciliations()[0]!.discrepancies).toHaveLength(4);
    // Reconciling again against the same broker book: nothing to report.
    const again = book.reconcile(broker);
    expect(again.ok && again.payload.discrepancies).toEqual([]);
  });

  it('malformed broker rows are refused whole: the book is untouched', () => {
    const book = openBook(tempDir());
    book.applyFill(fill('A', 'BUY', 65, 100));
    const bad = [
      [{ symbol: 'A', exchange: 'NFO', product: 'NRML', quantity: '65', average_price: 100 }],
      [{ symbol: 'A', exchange: 'NFO', product: 'NRML', quantity: 65, average_price: Number.NaN }],
      [{ symbol: 'A', exchange: 'NFO', product: 'XYZ', quantity: 65, average_price: 1 }],
      [
        { symbol: 'A', exchange: 'NFO', product: 'NRML', quantity: 65, average_price: 1 },
        { symbol: 'A', exchange: 'NFO', product: 'NRML', quantity: 65, average_price: 1 },
      ],
    ];
    for (const rows of bad) {
      const r = book.reconcile(rows);
      expect(r.ok ? null : r.code).toBe('MALFORMED_MESSAGE');
    }
    expect(book.readSnapshot()).toMatchObject({ version: 1, positions: [{ symbol: 'A', quantity: 65 }] });
  });
});
