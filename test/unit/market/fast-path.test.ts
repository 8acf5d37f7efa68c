import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastMarketTick, MarketDataFrame, toTick } from '../../../src/market/index.js';

/** What the schema path makes of a frame: the reference the hand-written fast path must match. */
function viaSchema(frame: unknown, at: number, source: string) {
  const f = MarketDataFrame.safeParse(frame);
  return f.success ? toTick(f.data, at, source) : undefined;
}

const FIELDS = [
  'bid',
  'ask',
  'best_bid_price',
  'best_ask_price',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'oi',
  'open_interest',
  'average_price',
  'avg_trade_price',
  'last_quantity',
  'last_trade_quantity',
  'total_buy_quantity',
  'total_sell_quantity',
  'upper_circuit',
  'lower_circuit',
  'timestamp',
  'ltt',
] as const;

/** Wire values as adapters send them: mostly numbers, sometimes strings, nulls, junk. */
const wireValue = fc.oneof(
  { weight: 30, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e13, max: 1e13 }) },
  { weight: 10, arbitrary: fc.integer({ min: 0, max: 2e12 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, '', '12.5', ' 7 ', 'abc', true, [], {}) },
);

const level = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record(
      { price: wireValue, quantity: wireValue, orders: wireValue },
      { requiredKeys: ['price'] },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, 3, 'x', [1, 2]) },
);

const depth = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      { buy: fc.array(level, { maxLength: 6 }), sell: fc.array(level, { maxLength: 6 }) },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, [], 'depth', { buy: 'x' }) },
);

const data = fc
  .tuple(
    wireValue,
    fc.dictionary(fc.constantFrom(...FIELDS), wireValue, { maxKeys: FIELDS.length }),
    fc.option(depth, { nil: undefined, freq: 3 }),
    fc.nat(20).map((n) => n > 0),
  )
  .map(([ltp, rest, d, withLtp]) => ({
    ...(withLtp ? { ltp } : {}),
    ...rest,
    ...(d === undefined ? {} : { depth: d }),
    symbol: 'ECHO',
    mode: 'full',
  }));

const frame = fc.record({
  type: fc.constant('market_data'),
  symbol: fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom('NIFTY', 'NIFTY28AUG2524000CE') },
    { weight: 1, arbitrary: fc.constantFrom('', 7) },
  ),
  exchange: fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom('NSE', 'NFO') },
    { weight: 1, arbitrary: fc.constantFrom('', null) },
  ),
  mode: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(1, 2, 3) },
    { weight: 3, arbitrary: fc.constantFrom(0, 4, 2.5, 'Quote', 'depth', 'bogus', null) },
  ),
  broker: fc.option(
    fc.oneof({ weight: 10, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.integer() }),
    {
      nil: undefined,
    },
  ),
  data: fc.oneof({ weight: 20, arbitrary: data }, { weight: 1, arbitrary: fc.constantFrom(null, [], 'x') }),
});

describe('market_data fast path', () => {
  it('agrees with the schema path: never accepts what zod refuses, and builds the same tick when it accepts', () => {
    let fastTaken = 0;
    let schemaOnly = 0;
    fc.assert(
      fc.property(frame, fc.integer({ min: 0, max: 1e9 }), (f, at) => {
        // Through JSON as on the wire (drops undefined keys like a real frame would not carry them).
        const wire = JSON.parse(JSON.stringify(f)) as Record<string, unknown>;
        const fast = fastMarketTick(wire, at, 'primary');
        const reference = viaSchema(wire, at, 'primary');
        if (fast !== undefined) {
          fastTaken++;
          expect(fast).toEqual(reference);
        } else if (reference !== undefined) schemaOnly++;
      }),
      { numRuns: 1_500 },
    );
    // The generator must exercise both branches, or the agreement above proves little.
    expect(fastTaken).toBeGreaterThan(50);
    expect(schemaOnly).toBeGreaterThan(50);
  });

  it('takes the common plain frame (int mode, number fields, depth) without the schema', () => {
    const wire = {
      type: 'market_data',
      symbol: 'NIFTY',
      exchange: 'NSE_INDEX',
      mode: 3,
      broker: 'tomicsim',
      data: {
        ltp: 24_000.5,
        open: 23_900,
        close: 23_950,
        volume: 10,
        ltt: 1_712_572_800,
        timestamp: 1_712_572_800_123,
        depth: {
          buy: [
            { price: 24_000.45, quantity: 50, orders: 2 },
            { price: 0, quantity: 0, orders: 0 },
          ],
          sell: [{ price: 24_000.55, quantity: 75 }],
        },
      },
    };
    const t = fastMarketTick(wire, 7, 'fallback');
    expect(t).toBeDefined();
    expect(t).toEqual(viaSchema(wire, 7, 'fallback'));
    expect(t).toMatchObject({ bid: 24_000.45, ask: 24_000.55, lttMs: 1_712_572_800_000, receivedMonoMs: 7 });
    expect(t?.depth?.buy).toEqual([{ price: 24_000.45, quantity: 50, orders: 2 }]);
  });

  it('leaves unusual but legal forms (numeric strings, nulls, label modes) to the schema', () => {
    const base = { type: 'market_data', symbol: 'X', exchange: 'NSE', mode: 2, data: { ltp: 1 } };
    expect(fastMarketTick({ ...base, data: { ltp: '1.5' } }, 0, 'p')).toBeUndefined();
    expect(fastMarketTick({ ...base, data: { ltp: 1, oi: null } }, 0, 'p')).toBeUndefined();
    expect(fastMarketTick({ ...base, mode: 'Quote' }, 0, 'p')).toBeUndefined();
    expect(viaSchema({ ...base, data: { ltp: '1.5', oi: null } }, 0, 'p')).toMatchObject({
      ltp: 1.5,
      oi: undefined,
    });
  });
});
