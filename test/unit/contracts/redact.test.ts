import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskValue, Redactor } from '../../../src/contracts/index.js';
import { createLogger } from '../../../src/log/index.js';

const KEY = 'sk_live_0123456789abcdef';

describe('masking policy (§10)', () => {
  it('masks sensitive keys at any depth, leaving others', () => {
    const r = new Redactor([KEY]);
    const out = r.redact({
      apikey: KEY,
      nested: { broker_order_id: '26021512345678', api_key: KEY, list: [{ orderid: '26021599999999' }] },
      symbol: 'NIFTY',
    });
    expect(out).toEqual({
      apikey: '***cdef***',
      nested: { broker_order_id: '***5678***', api_key: '***cdef***', list: [{ orderid: '***9999***' }] },
      symbol: 'NIFTY',
    });
  });

  it('scrubs a secret pasted into free text', () => {
    const r = new Redactor([KEY]);
    expect(r.redact({ msg: `GET /api?apikey=${KEY} failed` })).toEqual({
      msg: 'GET /api?apikey=***cdef*** failed',
    });
  });

  it('never returns the secret, whatever surrounds it', () => {
    const r = new Redactor([KEY]);
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        (a, b) => !JSON.stringify(r.redact({ note: a + KEY + b })).includes(KEY),
      ),
      { numRuns: 300 },
    );
    expect(maskValue('short')).toBe('******');
  });

  it('the logger masks objects and message strings', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ name: 't', secrets: [KEY], destination: sink });
    log.info({ apikey: KEY, req: { body: { apikey: KEY } } }, `calling with ${KEY}`);
    log.error({ err: new Error(`boom ${KEY}`) }, 'failed');
    await new Promise((r) => setImmediate(r));
    const text = lines.join('');
    expect(text).not.toContain(KEY);
    expect(text).toContain('***cdef***');
  });
});
