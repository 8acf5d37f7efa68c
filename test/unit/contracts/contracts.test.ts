import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import {
  ERROR_CODES,
  type EventType,
  EventType as EventTypeSchema,
  idempotencyKey,
  makeEvent,
  type OrderRequestPayload,
  parseEvent,
  parseEventOf,
  SCHEMAS,
  strategyInstanceId,
} from '../../../src/contracts/index.js';

const clock = new VirtualClock();
const STRATEGY = 'TOMIC_VOL_BPS_NIFTY_20260215';

function orderPayload(over: Partial<OrderRequestPayload> = {}): OrderRequestPayload {
  return {
    leg: 'short_put',
    action: 'SELL',
    intent: 'ENTRY',
    symbol: 'NIFTY26FEB2625000PE',
    exchange: 'NFO',
    underlying: 'NIFTY',
    quantity: 65,
    lot_size: 65,
    pricetype: 'MARKET',
    product: 'NRML',
    price: 0,
    trigger_price: 0,
    option_type: 'PE',
    strike: 25000,
    expiry: '2026-02-26',
    group: {
      group_id: 'g1',
      strategy_type: 'BULL_PUT_SPREAD',
      leg_count: 2,
      leg_index: 1,
      role: 'SHORT',
      pair_leg: 'long_put',
    },
    expected_price: 120.5,
    ...over,
  };
}

describe('test_contracts: idempotency and schemas (§3)', () => {
  it('every event carries the §3 fields; event_id is a UUID v4', () => {
    const e = makeEvent(
      clock,
      'ORDER_REQUEST',
      { source_agent: 'risk', strategy_id: STRATEGY },
      orderPayload(),
    );
    expect(e.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(e.correlation_id).toBe(e.event_id);
    expect(e.strategy_id).toBe(STRATEGY);
    expect(e.event_version).toBe(1);
    expect(e.idempotency_key).toBe(`${STRATEGY}:short_put:SELL`);
  });

  it('idempotency_key = {strategy_id}:{leg}:{action} is enforced on ORDER_REQUEST', () => {
    expect(idempotencyKey(STRATEGY, 'long_put', 'BUY')).toBe(`${STRATEGY}:long_put:BUY`);
    expect(() =>
      makeEvent(
        clock,
        'ORDER_REQUEST',
        { source_agent: 'risk', strategy_id: STRATEGY, idempotency_key: 'something-else' },
        orderPayload(),
      ),
    ).toThrow(/idempotency_key must be/);
    const good = makeEvent(
      clock,
      'ORDER_REQUEST',
      { source_agent: 'risk', strategy_id: STRATEGY },
      orderPayload(),
    );
    const tampered = { ...good, payload: { ...good.payload, action: 'BUY' } };
    const r = parseEvent(tampered);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('MALFORMED_MESSAGE');
  });

  it('event ids are unique across many events', () => {
    const ids = new Set(
      Array.from(
        { length: 2000 },
        () =>
          makeEvent(
            clock,
            'HEARTBEAT',
            { source_agent: 'execution' },
            { agent: 'execution', pid: 1, seq: 0, uptime_ms: 0, status: 'RUNNING' },
          ).event_id,
      ),
    );
    expect(ids.size).toBe(2000);
  });

  it('correlation_id links SIGNAL → ORDER_REQUEST → ORDER_FILL', () => {
    const signal = makeEvent(
      clock,
      'SIGNAL',
      { source_agent: 'regime', strategy_id: STRATEGY },
      {
        underlying: 'NIFTY',
        strategy_type: 'BULL_PUT_SPREAD',
        direction: 'BULLISH',
        strength: 0.8,
        reason: 'cloud breakout',
      },
    );
    const req = makeEvent(
      clock,
      'ORDER_REQUEST',
      { source_agent: 'risk', strategy_id: STRATEGY, correlation_id: signal.correlation_id },
      orderPayload(),
    );
    const fill = makeEvent(
      clock,
      'ORDER_FILL',
      { source_agent: 'execution', strategy_id: STRATEGY, correlation_id: req.correlation_id },
      {
        leg: 'short_put',
        action: 'SELL',
        symbol: 'NIFTY26FEB2625000PE',
        exchange: 'NFO',
        product: 'NRML',
        broker_order_id: '26021512345678',
        filled_quantity: 65,
        ordered_quantity: 65,
        average_price: 119.9,
        expected_price: 120.5,
      },
    );
    expect(new Set([signal.correlation_id, req.correlation_id, fill.correlation_id]).size).toBe(1);
  });

  it('every event type has a schema, and malformed input is a coded value, never a throw', () => {
    for (const t of EventTypeSchema.options) expect(SCHEMAS[t as EventType]).toBeDefined();
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        const r = parseEvent(junk);
        return r.ok === false && r.code === 'MALFORMED_MESSAGE';
      }),
      { numRuns: 300 },
    );
  });

  it('rejects wrong types, unknown error codes and negative quantities with a reason', () => {
    const e = makeEvent(
      clock,
      'ORDER_REQUEST',
      { source_agent: 'risk', strategy_id: STRATEGY },
      orderPayload(),
    );
    const r1 = parseEventOf('ORDER_REQUEST', { ...e, payload: { ...e.payload, quantity: -65 } });
    expect(r1.ok).toBe(false);
    if (!r1.ok) expect(r1.message).toMatch(/payload\.quantity/);
    const r2 = parseEvent({ ...e, event_id: 'not-a-uuid' });
    expect(r2.ok).toBe(false);
    const alert = makeEvent(
      clock,
      'ALERT',
      { source_agent: 'supervisor' },
      { level: 'CRITICAL', code: 'KILL_SWITCH', message: 'x' },
    );
    expect(parseEvent({ ...alert, payload: { ...alert.payload, code: 'NOT_A_CODE' } }).ok).toBe(false);
  });

  it('strategy instance ids follow TOMIC_{AGENT}_{STRATEGY}_{UNDERLYING}_{DATE}', () => {
    expect(strategyInstanceId('VOL', 'BPS', 'NIFTY', '2026-02-15')).toBe(STRATEGY);
  });

  it('the error-code registry is the documented one', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../../docs/error-codes.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
});
