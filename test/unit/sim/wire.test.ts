import { describe, expect, it } from 'vitest';
import { MovingWindowLimiter, perSecond } from '../../../src/sim/rate-limit.js';
import { load, pyRepr } from '../../../src/sim/wire/marshmallow.js';
import {
  BasketOrderSchema,
  MarginSchema,
  ModifyOrderSchema,
  OrderSchema,
  SmartOrderSchema,
} from '../../../src/sim/wire/schemas.js';

const ORDER = { apikey: 'k', strategy: 's', exchange: 'NSE', symbol: 'SBIN', action: 'BUY', quantity: 1 };

describe('marshmallow emulation (REST.md §1.3–1.4)', () => {
  it('fills defaults and accepts numeric strings', () => {
    const r = load(OrderSchema, { ...ORDER, quantity: '10', price: '0' });
    expect(r).toEqual({
      ok: true,
      value: {
        ...ORDER,
        quantity: 10,
        pricetype: 'MARKET',
        product: 'MIS',
        price: 0,
        trigger_price: 0,
        disclosed_quantity: 0,
      },
    });
  });

  it('upper-cases action, rejects bad enums with the OneOf text', () => {
    const ok = load(OrderSchema, { ...ORDER, action: 'buy' });
    expect(ok.ok && ok.value.action).toBe('BUY');
    const bad = load(OrderSchema, { ...ORDER, exchange: 'nse', pricetype: 'STOP' });
    expect(bad).toEqual({
      ok: false,
      errors: {
        exchange: [
          'Must be one of: NSE, NFO, CDS, BSE, BFO, BCD, MCX, NCDEX, NCO, NSE_INDEX, BSE_INDEX, MCX_INDEX, GLOBAL_INDEX, CRYPTO.',
        ],
        pricetype: ['Must be one of: MARKET, LIMIT, SL, SL-M.'],
      },
    });
  });

  it('strategy is required; unknown fields are rejected after the declared ones', () => {
    const { strategy: _s, ...noStrategy } = ORDER;
    const r = load(OrderSchema, { ...noStrategy, target: 5, stoploss: 1 });
    expect(r).toEqual({
      ok: false,
      errors: {
        strategy: ['Missing data for required field.'],
        target: ['Unknown field.'],
        stoploss: ['Unknown field.'],
      },
    });
  });

  it('type errors use marshmallow’s messages; booleans are not numbers; Integer truncates floats', () => {
    expect(load(OrderSchema, { ...ORDER, quantity: true })).toMatchObject({
      errors: { quantity: ['Not a valid number.'] },
    });
    expect(load(OrderSchema, { ...ORDER, symbol: 5 })).toMatchObject({
      errors: { symbol: ['Not a valid string.'] },
    });
    expect(load(OrderSchema, { ...ORDER, quantity: 0 })).toMatchObject({
      errors: { quantity: ['Must be greater than 0.'] },
    });
    const m = load(ModifyOrderSchema, {
      ...ORDER,
      orderid: '1',
      product: 'MIS',
      pricetype: 'LIMIT',
      price: 1,
      quantity: '2.5',
      disclosed_quantity: 1.7,
      trigger_price: 0,
    });
    expect(m).toMatchObject({ ok: false, errors: { quantity: ['Not a valid integer.'] } });
    expect(load(OrderSchema, null)).toEqual({ ok: false, errors: { _schema: ['Invalid input type.'] } });
  });

  it('smart orders require position_size and allow quantity 0', () => {
    expect(load(SmartOrderSchema, { ...ORDER, quantity: 0 })).toMatchObject({
      ok: false,
      errors: { position_size: ['Missing data for required field.'] },
    });
    expect(load(SmartOrderSchema, { ...ORDER, quantity: 0, position_size: '0' }).ok).toBe(true);
  });

  it('nested list errors are keyed by index, and margin quantities must be strings', () => {
    const b = load(BasketOrderSchema, {
      apikey: 'k',
      strategy: 's',
      orders: [{ exchange: 'NSE', symbol: 'SBIN', action: 'BUY', quantity: 1 }, { symbol: 'X' }],
    });
    expect(b.ok).toBe(false);
    if (!b.ok) {
      expect(b.errors).toEqual({
        orders: {
          1: {
            exchange: ['Missing data for required field.'],
            action: ['Missing data for required field.'],
            quantity: ['Missing data for required field.'],
          },
        },
      });
      expect(pyRepr(b.errors)).toBe(
        "{'orders': {1: {'exchange': ['Missing data for required field.'], 'action': ['Missing data for required field.'], 'quantity': ['Missing data for required field.']}}}",
      );
    }
    const m = load(MarginSchema, {
      apikey: 'k',
      positions: [
        { symbol: 'SBIN', exchange: 'NSE', action: 'BUY', quantity: 1, product: 'MIS', pricetype: 'MARKET' },
      ],
    });
    expect(m).toMatchObject({
      ok: false,
      errors: { positions: { 0: { quantity: ['Not a valid string.'] } } },
    });
  });

  it('pyRepr matches Python for the shape-A message', () => {
    expect(pyRepr({ quantity: ['Missing data for required field.'] })).toBe(
      "{'quantity': ['Missing data for required field.']}",
    );
    expect(pyRepr({ x: ["it's"] })).toBe(`{'x': ["it's"]}`);
  });
});

describe('moving-window rate limit (Flask-Limiter)', () => {
  it('allows N per window, refuses the next, and refused hits do not count', () => {
    const l = new MovingWindowLimiter();
    const lim = perSecond(3);
    expect([0, 10, 20].map((t) => l.hit('k', lim, t))).toEqual([true, true, true]);
    expect(l.hit('k', lim, 500)).toBe(false);
    expect(l.hit('k', lim, 999)).toBe(false);
    expect(l.hit('k', lim, 1_000)).toBe(true); // the hit at 0 left the window
    expect(l.hit('k', lim, 1_005)).toBe(false);
    expect(l.hit('other', lim, 1_005)).toBe(true);
    expect(lim.text).toBe('3 per 1 second');
  });
});
