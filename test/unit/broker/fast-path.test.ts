import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastPlaceOrderBody, PlaceOrderRequest } from '../../../src/broker/requests.js';
import { fastOrderAck, OrderAckResponse } from '../../../src/broker/responses.js';

/** Mostly valid values, with the edge and wrong forms the schema refuses mixed in. */
const maybe = <T>(good: fc.Arbitrary<T>, bad: readonly unknown[]) =>
  fc.oneof(
    { weight: 12, arbitrary: good as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: fc.constantFrom(...bad) },
  );
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });

const orderInput = fc.record(
  {
    strategy: maybe(fc.string({ minLength: 1, maxLength: 20 }), ['', 'x'.repeat(256), 7, null]),
    exchange: maybe(fc.constantFrom('NSE', 'NFO', 'CRYPTO', 'MCX'), ['nse', 'XYZ', '', 1]),
    symbol: maybe(fc.string({ minLength: 1, maxLength: 30 }), ['', 'S'.repeat(101), null]),
    action: maybe(fc.constantFrom('BUY', 'SELL'), ['buy', 'HOLD', 0]),
    quantity: maybe(fc.integer({ min: 1, max: 10_000 }), [0, -1, 1.5, Number.NaN, Infinity, '1']),
    pricetype: optional(maybe(fc.constantFrom('MARKET', 'LIMIT', 'SL', 'SL-M'), ['market', 'X', 3])),
    product: optional(maybe(fc.constantFrom('MIS', 'CNC', 'NRML'), ['mis', 'X', null])),
    price: optional(maybe(fc.double({ min: 0, max: 1e6, noNaN: true }), [-1, Number.NaN, Infinity, '10'])),
    trigger_price: optional(maybe(fc.double({ min: 0, max: 1e6, noNaN: true }), [-0.5, '0'])),
    disclosed_quantity: optional(maybe(fc.integer({ min: 0, max: 1_000 }), [-1, 0.5, 2 ** 60, '0'])),
    extra: optional(fc.string()),
  },
  { requiredKeys: ['strategy', 'exchange', 'symbol', 'action', 'quantity'] },
);

describe('placeorder fast paths', () => {
  it('request: when the hand check accepts, the body equals the schema output (values and key order)', () => {
    let fast = 0;
    fc.assert(
      fc.property(orderInput, (input) => {
        const quick = fastPlaceOrderBody(input);
        if (quick === undefined) return;
        fast++;
        const ref = PlaceOrderRequest.safeParse(input);
        expect(ref.success).toBe(true);
        expect(JSON.stringify(quick)).toBe(JSON.stringify(ref.data));
      }),
      { numRuns: 2_000 },
    );
    expect(fast).toBeGreaterThan(100);
  });

  it('request: every input the schema refuses is left to the schema (which reports the field errors)', () => {
    for (const bad of [
      { strategy: 'S', exchange: 'NSE', symbol: 'X', action: 'BUY', quantity: 1.5 },
      { strategy: '', exchange: 'NSE', symbol: 'X', action: 'BUY', quantity: 1 },
      { strategy: 'S', exchange: 'NSE', symbol: 'X', action: 'BUY', quantity: 1, price: -1 },
    ]) {
      expect(fastPlaceOrderBody(bad)).toBeUndefined();
      expect(PlaceOrderRequest.safeParse(bad).success).toBe(false);
    }
    // Fractional quantities are legal on CRYPTO only.
    expect(
      fastPlaceOrderBody({ strategy: 'S', exchange: 'CRYPTO', symbol: 'BTC', action: 'BUY', quantity: 0.5 }),
    ).toMatchObject({ quantity: 0.5, pricetype: 'MARKET', product: 'MIS', price: 0 });
  });

  const ackBody = fc.record(
    {
      status: maybe(fc.constant('success'), ['error', 'ok']),
      orderid: maybe(fc.oneof(fc.string({ maxLength: 16 }), fc.integer()), [null, true, {}]),
      mode: optional(maybe(fc.constantFrom('analyze', 'live', 'semi_auto', 'x'), [null, 3])),
      message: optional(maybe(fc.string(), [null, 1])),
      pending_order_id: optional(fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.constant(null))),
    },
    { requiredKeys: ['status'] },
  );

  it('response: when the hand reader accepts, it gives what OrderAckResponse gives', () => {
    let fast = 0;
    fc.assert(
      fc.property(ackBody, (body) => {
        const wire = JSON.parse(JSON.stringify(body)) as unknown;
        const quick = fastOrderAck(wire);
        if (quick === undefined) return;
        fast++;
        const ref = OrderAckResponse.safeParse(wire);
        expect(ref.success).toBe(true);
        expect(quick).toEqual(ref.data);
      }),
      { numRuns: 2_000 },
    );
    expect(fast).toBeGreaterThan(100);
  });
});
