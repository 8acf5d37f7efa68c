import { describe, expect, it } from 'vitest';
import {
  findOrdersByTag,
  normalizeOrderStatus,
  type OrderRow,
  parseBrokerTimestamp,
  toExpiryInput,
} from '../../../src/broker/index.js';

const row = (o: Partial<OrderRow>): OrderRow => ({
  orderId: '1',
  symbol: 'NIFTY28AUG2524000PE',
  exchange: 'NFO',
  action: 'SELL',
  quantity: 75,
  price: 0,
  triggerPrice: 0,
  pricetype: 'MARKET',
  product: 'NRML',
  status: 'complete',
  rawStatus: 'complete',
  timestamp: '2025-08-28 10:00:00',
  averagePrice: undefined,
  filledQuantity: undefined,
  pendingQuantity: undefined,
  strategy: undefined,
  rejectionReason: undefined,
  ...o,
});

// 2025-08-28 10:00:00 IST
const T0 = Date.UTC(2025, 7, 28, 4, 30, 0);

describe('findOrdersByTag (§3 broker-side idempotency)', () => {
  it('sandbox rows match on the strategy tag exactly', () => {
    const book = [
      row({ orderId: 'a', strategy: 'S1:short_put:SELL' }),
      row({ orderId: 'b', strategy: 'S1:long_put:BUY', action: 'BUY' }),
      row({ orderId: 'c', strategy: 'S1:short_put:SELL', status: 'rejected' }),
    ];
    expect(findOrdersByTag(book, 'S1:short_put:SELL')).toEqual({ orders: [book[0]], matchedBy: 'tag' });
    expect(findOrdersByTag({ mode: 'analyze', orders: book, statistics: {} }, 'nope').matchedBy).toBe('none');
  });

  it('cancelled-without-fill rows left nothing behind; cancelled remainders after a fill count', () => {
    const book = [
      row({ orderId: 'x', strategy: 'T', status: 'cancelled', filledQuantity: 0 }),
      row({ orderId: 'y', strategy: 'T', status: 'cancelled', filledQuantity: 25 }),
    ];
    expect(findOrdersByTag(book, 'T').orders.map((o) => o.orderId)).toEqual(['y']);
  });

  it('live rows without tags fall back to symbol+action+quantity inside the time window', () => {
    const fb = {
      symbol: 'NIFTY28AUG2524000PE',
      action: 'SELL' as const,
      quantity: 75,
      sinceWallMs: T0 - 1_000,
      untilWallMs: T0 + 5_000,
    };
    const book = [
      row({ orderId: 'ok', timestamp: '28-Aug-2025 10:00:00' }),
      row({ orderId: 'old', timestamp: '28-Aug-2025 09:00:00' }),
      row({ orderId: 'qty', quantity: 50 }),
      row({ orderId: 'side', action: 'BUY' }),
      row({ orderId: 'linked' }),
      row({ orderId: 'notime', timestamp: 'garbage' }),
    ];
    const r = findOrdersByTag(book, 'S1:short_put:SELL', { ...fb, excludeOrderIds: new Set(['linked']) });
    expect(r.matchedBy).toBe('fallback');
    expect(r.orders.map((o) => o.orderId)).toEqual(['ok', 'notime']);
    expect(
      findOrdersByTag(book, 'S1', { ...fb, clockSkewMs: 0, sinceWallMs: T0 + 1 }).orders.map(
        (o) => o.orderId,
      ),
    ).toEqual(['notime']);
  });

  it('tagged rows never satisfy the fallback (they belong to some other tag)', () => {
    const book = [row({ orderId: 'z', strategy: 'OTHER' })];
    const fb = {
      symbol: 'NIFTY28AUG2524000PE',
      action: 'SELL' as const,
      quantity: 75,
      sinceWallMs: T0,
      untilWallMs: T0,
    };
    expect(findOrdersByTag(book, 'MINE', fb).matchedBy).toBe('none');
  });
});

describe('formats', () => {
  it('broker timestamps are IST wall time', () => {
    expect(parseBrokerTimestamp('08-Apr-2025 13:58:03')).toBe(Date.UTC(2025, 3, 8, 8, 28, 3));
    expect(parseBrokerTimestamp('2025-04-08 13:58:03')).toBe(Date.UTC(2025, 3, 8, 8, 28, 3));
    expect(parseBrokerTimestamp('2025-04-08T13:58:03+05:30')).toBe(Date.UTC(2025, 3, 8, 8, 28, 3));
    expect(parseBrokerTimestamp('13:58')).toBeUndefined();
  });

  it('order statuses: lower-case, "trigger pending" with its space, variants folded', () => {
    expect(normalizeOrderStatus('TRIGGER PENDING')).toBe('trigger pending');
    expect(normalizeOrderStatus('trigger_pending')).toBe('trigger pending');
    expect(normalizeOrderStatus('Canceled')).toBe('cancelled');
    expect(normalizeOrderStatus('open')).toBe('open');
    expect(normalizeOrderStatus('validation pending')).toBe('unknown');
  });

  it('expiry dates: master-contract and optiongreeks formats → DDMMMYY input', () => {
    expect(toExpiryInput('25-AUG-26')).toBe('25AUG26');
    expect(toExpiryInput('25-Aug-2026')).toBe('25AUG26');
    expect(toExpiryInput('5-Sep-2026')).toBe('05SEP26');
    expect(toExpiryInput('25AUG26')).toBe('25AUG26');
    expect(toExpiryInput('2026-08-25')).toBeUndefined();
  });
});
