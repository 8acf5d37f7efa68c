import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import type { OrderRequest } from '../../../src/sim/account.js';
import { createSimCore, type SimCore } from '../../../src/sim/index.js';

const START = 10_000_000;

function core(microstructure: boolean, seed = 1, tickIntervalMs = 1_000): SimCore {
  return createSimCore({
    clock: new VirtualClock(),
    seed,
    microstructure,
    startingCapital: START,
    tickIntervalMs,
  });
}

/** Instruments of the test universe on the replay's first day (lot 75). */
function universe(c: SimCore) {
  const expiry = c.registry.listedExpiries('NIFTY', 'options')[0]!;
  const chain = c.registry.chain('NIFTY', expiry);
  const atm = chain.findIndex((r) => r.strike >= c.market.spot('NIFTY')!);
  return [
    { symbol: 'RELIANCE', exchange: 'NSE', lot: 1, products: ['CNC', 'MIS'] as const },
    { symbol: 'SBIN', exchange: 'NSE', lot: 1, products: ['MIS'] as const },
    { symbol: chain[atm]!.ce!.symbol, exchange: 'NFO', lot: 75, products: ['NRML', 'MIS'] as const },
    { symbol: chain[atm - 1]!.pe!.symbol, exchange: 'NFO', lot: 75, products: ['NRML'] as const },
    { symbol: chain[atm - 4]!.pe!.symbol, exchange: 'NFO', lot: 75, products: ['NRML'] as const },
    {
      symbol: c.registry.listedExpiries('NIFTY', 'futures').map((e) => c.registry.futureOf('NIFTY', e)!)[0]!
        .symbol,
      exchange: 'NFO',
      lot: 75,
      products: ['NRML'] as const,
    },
  ];
}

const NO_PRICE = { pricetype: 'MARKET' as const, price: 0, trigger_price: 0, disclosed_quantity: 0 };

const command = fc.oneof(
  fc.record({
    kind: fc.constant('place' as const),
    inst: fc.integer({ min: 0, max: 5 }),
    product: fc.integer({ min: 0, max: 1 }),
    action: fc.constantFrom('BUY' as const, 'SELL' as const),
    lots: fc.integer({ min: 1, max: 12 }),
    pricetype: fc.constantFrom('MARKET' as const, 'LIMIT' as const, 'SL-M' as const),
    offsetTicks: fc.integer({ min: -6, max: 6 }),
  }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('step' as const),
    // Mostly intraday steps; now and then a jump over closes (expiry settlement, session rollover).
    ms: fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 90_000 }), weight: 9 },
      { arbitrary: fc.integer({ min: 0, max: 30 * 3_600_000 }), weight: 1 },
    ),
  }),
);

function run(c: SimCore, cmds: readonly (typeof command extends fc.Arbitrary<infer T> ? T : never)[]) {
  const u = universe(c);
  for (const cmd of cmds) {
    if (cmd.kind === 'step') c.market.step(cmd.ms);
    else if (cmd.kind === 'cancel') {
      const working = c.account
        .allOrders()
        .filter((o) => o.status === 'open' || o.status === 'trigger pending');
      if (working.length) c.account.cancel(working[cmd.pick % working.length]!.orderid);
    } else {
      const i = u[cmd.inst]!;
      const inst = c.registry.get(i.symbol, i.exchange);
      if (!inst) {
        // The contract expired and left the master: the broker must refuse it.
        const r = c.account.place({
          ...NO_PRICE,
          strategy: 'PROP',
          symbol: i.symbol,
          exchange: i.exchange,
          action: cmd.action,
          quantity: i.lot,
          product: 'NRML',
        });
        expect(r).toMatchObject({ ok: false, message: `Symbol ${i.symbol} not found on NFO` });
        continue;
      }
      const ltp = c.market.quote(inst).ltp;
      const px = Math.max(
        inst.tickSize,
        Math.round((ltp + cmd.offsetTicks * inst.tickSize) / inst.tickSize) * inst.tickSize,
      );
      const req: OrderRequest = {
        strategy: 'PROP',
        symbol: i.symbol,
        exchange: i.exchange,
        action: cmd.action,
        quantity: cmd.lots * i.lot,
        pricetype: cmd.pricetype,
        product: i.products[cmd.product % i.products.length]!,
        price: cmd.pricetype === 'LIMIT' ? Number(px.toFixed(2)) : 0,
        trigger_price: cmd.pricetype === 'SL-M' ? Number(px.toFixed(2)) : 0,
        disclosed_quantity: 0,
      };
      c.account.place(req);
    }
  }
}

function checkConservation(c: SimCore) {
  const trades = c.account.allTrades();
  // Quantity: every order's filled + still working + never-to-fill = ordered; trades add up to fills.
  for (const o of c.account.allOrders()) {
    expect(o.filledQuantity + o.pendingQuantity + o.cancelledQuantity).toBe(o.quantity);
    const traded = trades.filter((t) => t.orderid === o.orderid).reduce((a, t) => a + t.quantity, 0);
    expect(traded).toBe(o.filledQuantity);
    if (o.status === 'complete') expect(o.filledQuantity).toBe(o.quantity);
    if (o.status === 'open' || o.status === 'trigger pending') expect(o.pendingQuantity).toBeGreaterThan(0);
    else expect(o.pendingQuantity).toBe(0);
  }
  // Positions are the signed sum of trades.
  const net = new Map<string, number>();
  for (const t of trades) {
    const k = `${t.exchange}:${t.symbol}:${t.product}`;
    net.set(k, (net.get(k) ?? 0) + (t.action === 'BUY' ? t.quantity : -t.quantity));
  }
  const rows = new Map(
    c.account.positions().map((p) => [`${p.exchange}:${p.symbol}:${p.product}`, p.quantity]),
  );
  for (const [key, q] of net) expect(rows.get(key) ?? 0, key).toBe(q);
  for (const [key, q] of rows) expect(net.get(key) ?? 0, key).toBe(q);
  // Cash: cash + open positions at their fill (average) prices − realized P&L = start capital.
  const atCost = c.account.positions().reduce((a, p) => a + p.quantity * p.averagePrice, 0);
  const f = c.account.funds();
  expect(c.account.cash() + atCost - f.realizedTotal).toBeCloseTo(START, 4);
  // Funds (sandbox identity, SANDBOX.md A.8): available + used margin = capital + realized.
  expect(f.available + f.usedMargin).toBeCloseTo(START + f.realizedTotal, 4);
}

describe('account property: the matching engine conserves quantity and cash', () => {
  for (const micro of [false, true]) {
    it(`${micro ? 'microstructure' : 'sandbox'} fills`, () => {
      fc.assert(
        fc.property(
          fc.array(command, { minLength: 1, maxLength: 40 }),
          fc.integer({ min: 0, max: 1_000 }),
          (cmds, seed) => {
            // Coarse ticks keep multi-day runs (expiry settlement, session rollover) fast.
            const c = core(micro, seed, 60_000);
            run(c, cmds);
            checkConservation(c);
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});

describe('orders, positions and funds', () => {
  const base: Omit<OrderRequest, 'symbol' | 'exchange' | 'action' | 'quantity'> = {
    strategy: 'T',
    pricetype: 'MARKET',
    product: 'NRML',
    price: 0,
    trigger_price: 0,
    disclosed_quantity: 0,
  };

  it('sandbox MARKET fills whole at the ask at once; funds block the premium', () => {
    const c = core(false);
    const [, , call] = universe(c);
    const inst = c.registry.get(call!.symbol, 'NFO')!;
    const ask = c.market.quote(inst).ask;
    const r = c.account.place({
      ...base,
      symbol: call!.symbol,
      exchange: 'NFO',
      action: 'BUY',
      quantity: 150,
    });
    expect(r.ok && r.value).toMatchObject({ status: 'complete', filledQuantity: 150, averagePrice: ask });
    expect(c.account.funds().usedMargin).toBeCloseTo(150 * c.market.quote(inst).ltp, 6);
  });

  it('lot size, product/segment and price rules answer with the sandbox texts', () => {
    const c = core(false);
    const [, , call] = universe(c);
    const place = (o: Partial<OrderRequest>) =>
      c.account.place({ ...base, symbol: call!.symbol, exchange: 'NFO', action: 'BUY', quantity: 75, ...o });
    expect(place({ quantity: 70 })).toMatchObject({
      ok: false,
      status: 400,
      message: 'Quantity must be in multiples of lot size 75',
    });
    expect(place({ product: 'CNC' })).toMatchObject({
      message:
        'CNC product not allowed for NFO derivatives segment. Use NRML for carryforward or MIS for intraday.',
    });
    expect(place({ pricetype: 'LIMIT' })).toMatchObject({ message: 'LIMIT orders require price' });
    expect(place({ pricetype: 'SL-M' })).toMatchObject({ message: 'SL-M orders require trigger_price' });
    expect(place({ symbol: 'NIFTY09SEP2524975CE' })).toMatchObject({
      message: 'Symbol NIFTY09SEP2524975CE not found on NFO',
    });
    expect(
      c.account.place({
        ...base,
        symbol: 'RELIANCE',
        exchange: 'NSE',
        action: 'BUY',
        quantity: 1,
        product: 'NRML',
      }),
    ).toMatchObject({
      message: 'NRML product not allowed for NSE equity segment. Use CNC for delivery or MIS for intraday.',
    });
  });

  it('CNC sell without shares is recorded as rejected and answered 400 with its order id', () => {
    const c = core(false);
    const r = c.account.place({
      ...base,
      symbol: 'RELIANCE',
      exchange: 'NSE',
      action: 'SELL',
      quantity: 5,
      product: 'CNC',
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.orderid).toMatch(/^\d{14}$/);
      expect(c.account.get(r.orderid!)!.status).toBe('rejected');
    }
  });

  it('insufficient funds is refused before an order exists', () => {
    const c = createSimCore({ clock: new VirtualClock(), startingCapital: 10_000 });
    const r = c.account.place({
      ...base,
      symbol: 'RELIANCE',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 100,
      product: 'CNC',
    });
    expect(r).toMatchObject({ ok: false, status: 400 });
    if (!r.ok)
      expect(r.message).toMatch(
        /^Insufficient funds\. Required: ₹[\d.]+, Available: ₹10000\.00, Shortage: ₹[\d.]+$/,
      );
    expect(c.account.allOrders()).toHaveLength(0);
  });

  it('a hedge already held lowers the margin a short adds (spread_leverage)', () => {
    const naked = core(false);
    const hedged = core(false);
    const [, , , shortPut, longPut] = universe(naked);
    const sell = {
      ...base,
      symbol: shortPut!.symbol,
      exchange: 'NFO',
      action: 'SELL' as const,
      quantity: 75,
    };
    hedged.account.place({ ...base, symbol: longPut!.symbol, exchange: 'NFO', action: 'BUY', quantity: 75 });
    const hedgeCost = hedged.account.funds().usedMargin;
    naked.account.place(sell);
    hedged.account.place(sell);
    expect(hedged.account.funds().usedMargin).toBeLessThan(naked.account.funds().usedMargin);
    expect(hedged.account.funds().usedMargin - hedgeCost).toBeLessThan(naked.account.funds().usedMargin / 3);
  });

  it('microstructure: orders arrive after the latency, in market time', () => {
    const c = core(true, 5);
    c.market.step(3 * 3_600_000); // 12:15 IST: no edge-session partials for a large-cap
    const r = c.account.place({
      ...base,
      symbol: 'RELIANCE',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 10,
      product: 'CNC',
    });
    expect(r.ok && r.value.status).toBe('open');
    c.market.step(99);
    expect(r.ok && r.value.arrived).toBe(false);
    c.market.step(1);
    expect(r.ok && r.value.arrived).toBe(true);
    expect(r.ok && ['complete', 'rejected'].includes(r.value.status)).toBe(true);
  });

  it('MIS positions are squared off at 15:15 IST with AUTO_SQUARE_OFF orders; day orders die at the close', () => {
    const c = core(false);
    c.account.place({
      ...base,
      symbol: 'SBIN',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 10,
      product: 'MIS',
    });
    const low = c.market.quote(c.registry.get('RELIANCE', 'NSE')!).ltp * 0.5;
    const resting = c.account.place({
      ...base,
      symbol: 'RELIANCE',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 1,
      product: 'CNC',
      pricetype: 'LIMIT',
      price: Math.round(low),
    });
    c.market.step(6 * 3_600_000 + 60_000); // 15:16 IST
    expect(c.account.positionQty('SBIN', 'NSE', 'MIS')).toBe(0);
    expect(
      c.account.allOrders().some((o) => o.strategy === 'AUTO_SQUARE_OFF' && o.status === 'complete'),
    ).toBe(true);
    expect(
      c.account.place({
        ...base,
        symbol: 'SBIN',
        exchange: 'NSE',
        action: 'BUY',
        quantity: 1,
        product: 'MIS',
      }),
    ).toMatchObject({
      ok: false,
      message: expect.stringContaining('MIS orders cannot be placed after square-off time'),
    });
    c.market.step(15 * 60_000);
    expect(resting.ok && resting.value.status).toBe('cancelled');
  });

  it('expiring contracts settle at the close at intrinsic value, booked as an EXPIRY_SETTLEMENT trade', () => {
    const c = createSimCore({ clock: new VirtualClock(), seed: 4, tickIntervalMs: 60_000 });
    const [, , call] = universe(c);
    const inst = c.registry.get(call!.symbol, 'NFO')!;
    const r = c.account.place({
      ...base,
      symbol: call!.symbol,
      exchange: 'NFO',
      action: 'BUY',
      quantity: 75,
    });
    expect(r.ok).toBe(true);
    const paid = r.ok ? r.value.averagePrice : 0;
    let spotAtClose = 0;
    c.market.onSessionEnd((date) => {
      if (date === inst.expiry) spotAtClose = c.market.spot('NIFTY')!;
    });
    while (c.market.date() <= inst.expiry!) c.market.step(3_600_000);
    expect(c.account.positionQty(call!.symbol, 'NFO', 'NRML')).toBe(0);
    const settle = c.account.allOrders().find((o) => o.strategy === 'EXPIRY_SETTLEMENT')!;
    expect(settle).toMatchObject({ status: 'complete', action: 'SELL', filledQuantity: 75 });
    const intrinsic = Math.round(Math.max(0, spotAtClose - inst.strike!) * 100) / 100;
    expect(settle.averagePrice).toBeCloseTo(intrinsic, 6);
    const f = c.account.funds();
    expect(f.realizedTotal).toBeCloseTo((intrinsic - paid) * 75, 4);
    expect(f.usedMargin).toBe(0);
    expect(f.available).toBeCloseTo(START + f.realizedTotal, 4);
    // The contract has left the master contract.
    expect(c.registry.get(call!.symbol, 'NFO')).toBeUndefined();
  });
});
