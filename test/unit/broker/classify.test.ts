import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classify,
  fieldErrorsOf,
  isRetryableClass,
  parsePythonLiteral,
  type RawOutcome,
} from '../../../src/broker/index.js';
import { Redactor } from '../../../src/contracts/index.js';

const http = (status: number, json: unknown, bodyText = JSON.stringify(json)): RawOutcome => ({
  kind: 'http',
  status,
  json,
  bodyText,
});

describe('classify: one place for every error class (§2)', () => {
  const table: Array<[string, RawOutcome, boolean, Record<string, unknown>]> = [
    [
      '429 un-enveloped',
      http(429, { message: '10 per 1 second' }),
      true,
      { class: 'RATE_LIMIT', ambiguous: false },
    ],
    ['403 key', http(403, { status: 'error', message: 'Invalid openalgo apikey' }), false, { class: 'AUTH' }],
    [
      '403 sandbox key',
      http(403, { status: 'error', message: 'Invalid API key', mode: 'analyze' }),
      true,
      { class: 'AUTH' },
    ],
    ['401', http(401, undefined, 'no'), false, { class: 'AUTH' }],
    [
      '400 shape A',
      http(400, { status: 'error', message: "{'symbol': ['Missing data for required field.']}" }),
      true,
      { class: 'VALIDATION' },
    ],
    [
      '400 shape B',
      http(400, { status: 'error', message: { symbol: ['Not a valid string.'] } }),
      false,
      { class: 'VALIDATION' },
    ],
    [
      '400 shape C',
      http(400, { status: 'error', message: 'Validation failed', errors: { x: ['bad'] } }),
      false,
      { class: 'VALIDATION' },
    ],
    [
      '400 reject',
      http(400, { status: 'error', message: 'Quantity must be in multiples of lot size 75' }),
      true,
      { class: 'BROKER_REJECT' },
    ],
    [
      '200 status error',
      http(200, { status: 'error', message: 'RMS: margin exceeds' }),
      true,
      { class: 'BROKER_REJECT', ambiguous: false },
    ],
    [
      '404 path',
      http(404, { status: 'error', message: 'Not found', path: '/api/v1/x' }),
      true,
      { class: 'BROKER_REJECT' },
    ],
    [
      '500 order',
      http(500, { status: 'error', message: 'x' }),
      true,
      { class: 'UNKNOWN', ambiguous: true, code: 'BROKER_AMBIGUOUS' },
    ],
    [
      '500 read',
      http(500, { status: 'error', message: 'x' }),
      false,
      { class: 'UNKNOWN', ambiguous: false, code: 'BROKER_UNKNOWN' },
    ],
    ['503', http(503, undefined, 'down'), true, { class: 'UNKNOWN', ambiguous: false }],
    ['504 order', http(504, undefined, 'gw'), true, { class: 'NETWORK_TIMEOUT', ambiguous: true }],
    ['408', http(408, undefined, ''), true, { class: 'NETWORK_TIMEOUT', ambiguous: false }],
    [
      'timeout after send',
      { kind: 'transport', reason: 'timeout', sent: true, message: 'x' },
      true,
      { class: 'NETWORK_TIMEOUT', ambiguous: true, sent: true, code: 'BROKER_AMBIGUOUS' },
    ],
    [
      'timeout before send',
      { kind: 'transport', reason: 'timeout', sent: false, message: 'x' },
      true,
      { class: 'NETWORK_TIMEOUT', ambiguous: false, sent: false, code: 'BROKER_NETWORK_TIMEOUT' },
    ],
    [
      'refused',
      { kind: 'transport', reason: 'connect', sent: false, message: 'x' },
      true,
      { class: 'NETWORK_TIMEOUT', sent: false },
    ],
    [
      'dns',
      { kind: 'transport', reason: 'dns', sent: false, message: 'x' },
      true,
      { class: 'NETWORK_TIMEOUT', ambiguous: false },
    ],
    [
      'reset after send',
      { kind: 'transport', reason: 'reset', sent: true, message: 'x' },
      true,
      { class: 'NETWORK_TIMEOUT', ambiguous: true },
    ],
    [
      'reset after send (read)',
      { kind: 'transport', reason: 'reset', sent: true, message: 'x' },
      false,
      { ambiguous: false, sent: true },
    ],
    [
      'caller abort',
      { kind: 'transport', reason: 'aborted', sent: false, message: 'x' },
      true,
      { class: 'UNKNOWN', sent: false },
    ],
    [
      'unreadable 200',
      { kind: 'unreadable', status: 200, detail: 'x' },
      true,
      { class: 'UNKNOWN', ambiguous: true },
    ],
    [
      'throttled',
      { kind: 'throttled', route: 'placeorder', waitedMs: 5 },
      true,
      { class: 'RATE_LIMIT', sent: false, ambiguous: false },
    ],
    ['invalid', { kind: 'invalid', fieldErrors: { q: ['bad'] } }, true, { class: 'VALIDATION', sent: false }],
  ];
  for (const [name, outcome, mutating, expected] of table) {
    it(name, () => {
      expect(classify(outcome, { mutating })).toMatchObject(expected);
    });
  }

  it('retry table: timeouts, rate limits and unknowns retry; rejects, validation and auth do not', () => {
    expect(['NETWORK_TIMEOUT', 'RATE_LIMIT', 'UNKNOWN'].every((c) => isRetryableClass(c as never))).toBe(
      true,
    );
    expect(['BROKER_REJECT', 'VALIDATION', 'AUTH'].some((c) => isRetryableClass(c as never))).toBe(false);
  });

  it('scrubs the API key from messages', () => {
    const key = 'secret-key-abcdefgh';
    const e = classify(http(400, { status: 'error', message: `bad key ${key}` }), {
      mutating: false,
      redactor: new Redactor([key]),
    });
    expect(e.message).not.toContain(key);
  });

  it('property: never throws; ambiguous ⇒ mutating and sent; code matches class', () => {
    const outcome: fc.Arbitrary<RawOutcome> = fc.oneof(
      fc.record({
        kind: fc.constant('http' as const),
        status: fc.integer({ min: 100, max: 599 }),
        json: fc.oneof(fc.constant(undefined), fc.jsonValue()),
        bodyText: fc.string(),
      }),
      fc.record({
        kind: fc.constant('transport' as const),
        reason: fc.constantFrom('timeout', 'connect', 'dns', 'reset', 'aborted', 'other'),
        sent: fc.boolean(),
        message: fc.string(),
      }),
      fc.record({
        kind: fc.constant('unreadable' as const),
        status: fc.integer({ min: 200, max: 299 }),
        detail: fc.string(),
      }),
    );
    fc.assert(
      fc.property(outcome, fc.boolean(), (o, mutating) => {
        const e = classify(o, { mutating });
        if (e.ambiguous) {
          expect(mutating && e.sent).toBe(true);
          expect(e.code).toBe('BROKER_AMBIGUOUS');
        } else expect(e.code).not.toBe('BROKER_AMBIGUOUS');
        if (o.kind === 'http' && o.status === 429) expect(e.class).toBe('RATE_LIMIT');
        if (o.kind === 'transport' && !o.sent) expect(e.ambiguous).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('validation shapes and the Python-repr parser', () => {
  it('parses dicts, nested int keys, lists, tuples, both quote styles and escapes', () => {
    expect(parsePythonLiteral("{'a': ['x', \"it's\"], 0: {'b': (1, 2.5, True, None)}}")).toEqual({
      a: ['x', "it's"],
      0: { b: [1, 2.5, true, null] },
    });
    expect(parsePythonLiteral("{'m': ['line\\nbreak \\'q\\'']}")).toEqual({ m: ["line\nbreak 'q'"] });
    expect(parsePythonLiteral('not a literal {')).toBeUndefined();
    expect(parsePythonLiteral("{'a': [1,]}")).toEqual({ a: [1] });
    // A broker-supplied "__proto__" key stays plain data (found by the property test below).
    const p = parsePythonLiteral("{'__proto__': ['x']}") as Record<string, unknown>;
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(Object.hasOwn(p, '__proto__')).toBe(true);
    expect(fieldErrorsOf({ message: "{'__proto__': ['x']}" })).toEqual(JSON.parse('{"__proto__":["x"]}'));
  });

  it('fieldErrorsOf reads shapes A, B and C and ignores plain messages', () => {
    expect(fieldErrorsOf({ message: "{'quantity': ['Missing data for required field.']}" })).toEqual({
      quantity: ['Missing data for required field.'],
    });
    expect(fieldErrorsOf({ message: { exchange: ['Must be one of: NSE.'] } })).toEqual({
      exchange: ['Must be one of: NSE.'],
    });
    expect(fieldErrorsOf({ message: 'Validation error', errors: { offset: ['bad'] } })).toEqual({
      offset: ['bad'],
    });
    expect(fieldErrorsOf({ message: 'Insufficient funds. Required: ₹1' })).toBeUndefined();
    expect(fieldErrorsOf({ message: { _schema: ['Invalid input type.'] } })).toEqual({
      _schema: ['Invalid input type.'],
    });
  });

  it('property: any repr of a dict of string lists round-trips', () => {
    const pyStr = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.array(fc.string())), (d) => {
        const repr = `{${Object.entries(d)
          .map(([k, v]) => `${pyStr(k)}: [${v.map(pyStr).join(', ')}]`)
          .join(', ')}}`;
        expect(parsePythonLiteral(repr)).toEqual(d);
      }),
      { numRuns: 200 },
    );
  });
});
