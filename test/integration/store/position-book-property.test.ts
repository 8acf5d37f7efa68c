import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/index.js';
import {
  type BrokerPositionRow,
  PositionBook,
  PositionBookReader,
} from '../../../src/store/position-book.js';

// Property: whatever the local book and the broker disagree on, reconciliation ends equal to the broker.

const SYMBOLS = ['A', 'B', 'C', 'D', 'E'];
const PRODUCTS = ['NRML', 'MIS'] as const;
const arbFill = fc.record({
  symbol: fc.constantFrom(...SYMBOLS),
  exchange: fc.constant('NFO'),
  product: fc.constantFrom(...PRODUCTS),
  action: fc.constantFrom('BUY' as const, 'SELL' as const),
  quantity: fc.integer({ min: 1, max: 6 }).map((l) => l * 65),
  price: fc.integer({ min: 100, max: 40_000 }).map((p) => p / 20),
});
const arbBroker = fc.uniqueArray(
  fc.record({
    symbol: fc.constantFrom(...SYMBOLS),
    exchange: fc.constant('NFO'),
    product: fc.constantFrom(...PRODUCTS),
    quantity: fc.integer({ min: -6, max: 6 }).map((l) => l * 65),
    average_price: fc.integer({ min: 0, max: 40_000 }).map((p) => p / 20),
  }),
  { selector: (r) => `${r.symbol}/${r.product}`, maxLength: 10 },
);

const norm = (
  rows: ReadonlyArray<{
    symbol: string;
    exchange: string;
    product: string;
    quantity: number;
    average_price: number;
  }>,
) =>
  rows
    .filter((r) => r.quantity !== 0)
    .map((r) => `${r.exchange}:${r.symbol}:${r.product}:${r.quantity}@${r.average_price}`)
    .sort();

describe('reconciliation property (fast-check, real SQLite)', () => {
  it('after random divergence the book always ends equal to the broker, and a re-run finds nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tomic-pb-prop-'));
    const opened = PositionBook.open(openDatabase(dir, 'positions'));
    if (!opened.ok) throw new Error(opened.message);
    const book = opened.book;
    const reader = new PositionBookReader(openDatabase(dir, 'positions'));
    fc.assert(
      fc.property(fc.array(arbFill, { maxLength: 12 }), arbBroker, (fills, broker: BrokerPositionRow[]) => {
        for (const f of fills) expect(book.applyFill(f).ok).toBe(true);
        const before = book.currentVersion();
        const r = book.reconcile(broker);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.payload.version_after).toBe(before + 1);
        // Another process's view (its own connection) equals the broker.
        expect(norm(reader.readSnapshot().positions)).toEqual(norm(broker));
        expect(reader.readSnapshot().version).toBe(before + 1);
        const again = book.reconcile(broker);
        expect(again.ok && again.payload.discrepancies).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
