import { describe, expect, it } from 'vitest';
import { maskPayload } from '../../../src/api/index.js';
import { Redactor } from '../../../src/contracts/index.js';

const KEY = 'tomic-key-0123456789abcdef';

describe('maskPayload', () => {
  it('masks sensitive keys once (no double masking) and scrubs configured secrets anywhere', () => {
    const r = new Redactor([KEY]);
    expect(
      maskPayload(r, { rows: [{ broker_order_id: '250117000123456', note: `key=${KEY}` }], n: 1, ok: true }),
    ).toEqual({ rows: [{ broker_order_id: '***3456***', note: 'key=***cdef***' }], n: 1, ok: true });
  });

  it("scrubs a payload's own sensitive values from its free text", () => {
    const out = maskPayload(new Redactor(), {
      broker_order_id: '250117000123456',
      last_error: 'order 250117000123456 rejected',
      detail: { orderid: 250117000999888, message: 'see 250117000999888' },
    });
    expect(out).toEqual({
      broker_order_id: '***3456***',
      last_error: 'order ***3456*** rejected',
      detail: { orderid: '***9888***', message: 'see ***9888***' },
    });
  });

  it('leaves the input untouched and passes scalars through', () => {
    const input = { broker_order_id: '250117000123456' };
    maskPayload(new Redactor(), input);
    expect(input.broker_order_id).toBe('250117000123456');
    expect(maskPayload(new Redactor([KEY]), `x ${KEY}`)).toBe('x ***cdef***');
    expect(maskPayload(new Redactor(), 5)).toBe(5);
    expect(maskPayload(new Redactor(), null)).toBeNull();
  });
});
