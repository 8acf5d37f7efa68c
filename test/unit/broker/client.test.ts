import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type OpenAlgoClient as Client,
  OpenAlgoClient,
  type PlaceOrderInput,
} from '../../../src/broker/index.js';
import { realDelay, SystemClock, VirtualClock } from '../../../src/clock/index.js';
import { createLogger } from '../../../src/log/index.js';
import { type FakeOpenAlgo, startFakeOpenAlgo } from './fake-openalgo.js';

const KEY = 'test-api-key-0123456789abcdef';
const ORDER: PlaceOrderInput = {
  strategy: 'TOMIC_T1:long_put:BUY',
  symbol: 'NIFTY28AUG2524000PE',
  exchange: 'NFO',
  action: 'BUY',
  quantity: 75,
  pricetype: 'MARKET',
  product: 'NRML',
};

let fake: FakeOpenAlgo;
const clients: Client[] = [];

function client(opts: Partial<ConstructorParameters<typeof OpenAlgoClient>[0]> = {}): OpenAlgoClient {
  const c = new OpenAlgoClient({
    baseUrl: fake.url,
    apiKey: KEY,
    timeoutMs: 2_000,
    clock: new SystemClock(),
    rateLimits: { ordersPerSecond: 1_000, apiPerSecond: 1_000 },
    ...opts,
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  fake = await startFakeOpenAlgo();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  fake.release({ reset: true });
  fake.received.clear();
});
afterAll(async () => {
  await fake.close();
});

describe('requests: what goes on the wire', () => {
  it('apikey travels in the JSON body with strategy; only schema fields are sent', async () => {
    fake.script('placeorder', { json: { status: 'success', orderid: '250408000989443' } });
    const r = await client().placeOrder({ ...ORDER, target: 5, stoploss: 1 } as PlaceOrderInput);
    expect(r).toEqual({
      ok: true,
      data: { queued: false, orderId: '250408000989443', mode: 'live', message: undefined },
    });
    const body = fake.received.get('placeorder')![0]!;
    expect(body.apikey).toBe(KEY);
    expect(body.strategy).toBe(ORDER.strategy);
    expect(Object.keys(body).sort()).toEqual(
      [
        'action',
        'apikey',
        'disclosed_quantity',
        'exchange',
        'price',
        'pricetype',
        'product',
        'quantity',
        'strategy',
        'symbol',
        'trigger_price',
      ].sort(),
    );
  });

  it('margin positions carry quantity, price and trigger_price as strings (fields.Str)', async () => {
    fake.script('margin', {
      json: {
        status: 'success',
        data: { total_margin_required: 91555.7625, span_margin: 0.0, exposure_margin: 91555.7625 },
      },
    });
    const r = await client().margin({
      positions: [
        {
          symbol: 'NIFTY28AUG2524000PE',
          exchange: 'NFO',
          action: 'SELL',
          quantity: 75,
          product: 'NRML',
          pricetype: 'MARKET',
        },
      ],
    });
    expect(r.ok && r.data.totalMarginRequired).toBe(91555.7625);
    const pos = (fake.received.get('margin')![0]!.positions as Record<string, unknown>[])[0]!;
    expect(pos).toMatchObject({ quantity: '75', price: '0', trigger_price: '0' });
  });

  it('a request failing OpenAlgo schema rules is refused before send (VALIDATION, sent=false)', async () => {
    const r = await client().placeOrder({ ...ORDER, exchange: 'NSE', quantity: 1.5 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({
      class: 'VALIDATION',
      code: 'BROKER_VALIDATION',
      sent: false,
      ambiguous: false,
    });
    expect(r.error.fieldErrors?.quantity).toBeDefined();
    const missing = await client().cancelOrder({ strategy: '', orderid: '1' });
    expect(!missing.ok && missing.error.fieldErrors?.strategy).toBeTruthy();
    expect(fake.count('placeorder') + fake.count('cancelorder')).toBe(0);
  });
});

describe('responses: quirks normalised', () => {
  it('orderid numbers become strings; sandbox mode and semi-auto queueing are recognised', async () => {
    fake.script(
      'placeorder',
      { json: { status: 'success', orderid: 25100112345678, mode: 'analyze' } },
      {
        json: {
          status: 'success',
          message: 'Order queued for approval in Action Center',
          mode: 'semi_auto',
          pending_order_id: 17,
        },
      },
    );
    const c = client();
    expect(await c.placeOrder(ORDER)).toEqual({
      ok: true,
      data: { queued: false, orderId: '25100112345678', mode: 'analyze', message: undefined },
    });
    const q = await c.placeOrder(ORDER);
    expect(q.ok && q.data).toMatchObject({ queued: true, pendingOrderId: '17', mode: 'semi_auto' });
  });

  it('orderstatus: live `pricetype` and sandbox `price_type`, lower-case statuses with "trigger pending"', async () => {
    fake.script(
      'orderstatus',
      {
        json: {
          status: 'success',
          data: {
            action: 'BUY',
            average_price: 18.95,
            exchange: 'NSE',
            order_status: 'complete',
            orderid: '250828000185002',
            price: 0,
            pricetype: 'MARKET',
            product: 'MIS',
            quantity: '1',
            symbol: 'YESBANK',
            timestamp: '28-Aug-2025 09:59:10',
            trigger_price: 0,
          },
        },
      },
      {
        json: {
          status: 'success',
          mode: 'analyze',
          data: {
            action: 'SELL',
            exchange: 'NFO',
            order_status: 'trigger pending',
            orderid: 25100112345678,
            price: 0,
            price_type: 'SL-M',
            product: 'NRML',
            quantity: 75,
            filled_quantity: 0,
            pending_quantity: 75,
            strategy: 'TOMIC_T1:short_put:SELL',
            symbol: 'NIFTY28AUG2524000PE',
            timestamp: '2025-08-28 09:59:10',
            trigger_price: 12.5,
          },
        },
      },
    );
    const c = client();
    const live = await c.orderStatus({ strategy: 's', orderid: '250828000185002' });
    expect(live.ok && live.data).toMatchObject({
      orderId: '250828000185002',
      quantity: 1,
      pricetype: 'MARKET',
      status: 'complete',
      averagePrice: 18.95,
      strategy: undefined,
      mode: 'live',
    });
    const sb = await c.orderStatus({ strategy: 's', orderid: '25100112345678' });
    expect(sb.ok && sb.data).toMatchObject({
      orderId: '25100112345678',
      pricetype: 'SL-M',
      status: 'trigger pending',
      rawStatus: 'trigger pending',
      triggerPrice: 12.5,
      filledQuantity: 0,
      pendingQuantity: 75,
      strategy: 'TOMIC_T1:short_put:SELL',
      mode: 'analyze',
    });
    expect(fake.received.get('orderstatus')![0]).toMatchObject({ strategy: 's', orderid: '250828000185002' });
  });

  it('orderbook rows with string quantities; empty books in every shape', async () => {
    fake.script(
      'orderbook',
      {
        json: {
          status: 'success',
          data: {
            orders: [
              {
                action: 'BUY',
                symbol: 'RELIANCE',
                exchange: 'NSE',
                orderid: '250408000989443',
                product: 'MIS',
                quantity: '1',
                price: 1186.0,
                pricetype: 'MARKET',
                order_status: 'complete',
                trigger_price: 0.0,
                timestamp: '08-Apr-2025 13:58:03',
              },
              {
                action: 'sell',
                symbol: 'SBIN',
                exchange: 'NSE',
                orderid: 250408000989444,
                product: 'MIS',
                quantity: 5,
                price: '780.5',
                pricetype: 'LIMIT',
                order_status: 'TRIGGER PENDING',
                trigger_price: '0',
                timestamp: '08-Apr-2025 13:58:04',
              },
            ],
            statistics: {
              total_buy_orders: 1,
              total_sell_orders: 1,
              total_completed_orders: 1,
              total_open_orders: 0,
              total_rejected_orders: 0,
            },
          },
        },
      },
      { json: { status: 'success', data: [] } },
      { json: { status: 'success', data: { orders: null, statistics: {} } } },
    );
    const c = client();
    const r = await c.orderBook();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.data.orders.map((o) => [o.orderId, o.action, o.quantity, o.price, o.status])).toEqual([
      ['250408000989443', 'BUY', 1, 1186, 'complete'],
      ['250408000989444', 'SELL', 5, 780.5, 'trigger pending'],
    ]);
    expect(r.data.statistics.total_buy_orders).toBe(1);
    const e1 = await c.orderBook();
    const e2 = await c.orderBook();
    expect(e1.ok && e1.data.orders).toEqual([]);
    expect(e2.ok && e2.data.orders).toEqual([]);
  });

  it('positionbook strings and funds strings (live) or numbers (sandbox) parse to numbers', async () => {
    fake.script('positionbook', {
      json: {
        status: 'success',
        data: [
          {
            symbol: 'NHPC',
            exchange: 'NSE',
            product: 'MIS',
            quantity: '-1',
            average_price: '83.74',
            ltp: 83.72,
            pnl: 0.02,
          },
          {
            symbol: 'SBIN',
            exchange: 'NSE',
            product: 'MIS',
            quantity: 0,
            average_price: '0.00',
            ltp: '780',
            pnl: '-12.5',
          },
        ],
      },
    });
    fake.script(
      'funds',
      {
        json: {
          status: 'success',
          data: {
            availablecash: '320.66',
            collateral: '0.00',
            m2mrealized: '3.27',
            m2munrealized: '-7.88',
            utiliseddebits: '679.34',
          },
        },
      },
      {
        json: {
          status: 'success',
          mode: 'analyze',
          data: {
            availablecash: 9_950_000,
            collateral: 0,
            m2mrealized: 0,
            m2munrealized: 125.5,
            utiliseddebits: 50_000,
            grossexposure: 50_000,
            totalpnl: 125.5,
            last_reset: '2025-08-28 00:00:00',
            reset_count: 0,
          },
        },
      },
    );
    const c = client();
    const p = await c.positionBook();
    expect(p.ok && p.data.positions).toEqual([
      {
        symbol: 'NHPC',
        exchange: 'NSE',
        product: 'MIS',
        quantity: -1,
        averagePrice: 83.74,
        ltp: 83.72,
        pnl: 0.02,
      },
      { symbol: 'SBIN', exchange: 'NSE', product: 'MIS', quantity: 0, averagePrice: 0, ltp: 780, pnl: -12.5 },
    ]);
    const live = await c.funds();
    expect(live.ok && live.data).toMatchObject({
      availableCash: 320.66,
      m2mUnrealized: -7.88,
      numericStrings: true,
      mode: 'live',
    });
    const sb = await c.funds();
    expect(sb.ok && sb.data).toMatchObject({
      availableCash: 9_950_000,
      utilisedDebits: 50_000,
      numericStrings: false,
      mode: 'analyze',
    });
  });

  it('basket: per-item results in completion order, matched back to the request; top-level success ≠ all legs', async () => {
    fake.script('basketorder', {
      json: {
        status: 'success',
        results: [
          { symbol: 'NIFTY28AUG2524000PE', status: 'error', message: 'Insufficient funds' },
          {
            symbol: 'NIFTY28AUG2523900PE',
            exchange: 'NFO',
            product: 'NRML',
            status: 'success',
            orderid: 250408000999544,
          },
        ],
      },
    });
    const r = await client().basketOrder({
      strategy: 'TOMIC_T1:G1:BASKET',
      orders: [
        { symbol: 'NIFTY28AUG2523900PE', exchange: 'NFO', action: 'BUY', quantity: 75, product: 'NRML' },
        { symbol: 'NIFTY28AUG2524000PE', exchange: 'NFO', action: 'SELL', quantity: 75, product: 'NRML' },
      ],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.data.allOk).toBe(false);
    expect(r.data.results.map((x) => x.symbol)).toEqual(['NIFTY28AUG2524000PE', 'NIFTY28AUG2523900PE']);
    expect(r.data.byRequest.map((x) => [x?.symbol, x?.ok, x?.orderId])).toEqual([
      ['NIFTY28AUG2523900PE', true, '250408000999544'],
      ['NIFTY28AUG2524000PE', false, undefined],
    ]);
    const items = fake.received.get('basketorder')![0]!.orders as Record<string, unknown>[];
    expect(items[0]).not.toHaveProperty('strategy');
  });

  it('cancelallorder: failed_cancellations as ids, {orderid,message} or {orderid,reason}', async () => {
    fake.script('cancelallorder', {
      json: {
        status: 'success',
        message: 'Canceled 1 orders. Failed to cancel 3 orders.',
        canceled_orders: [250408001042620],
        failed_cancellations: ['1', { orderid: '2', message: 'complete' }, { orderid: 3, reason: 'gone' }],
      },
    });
    const r = await client().cancelAllOrders({ strategy: 'KILL' });
    expect(r.ok && r.data).toMatchObject({
      canceled: ['250408001042620'],
      failed: [
        { orderId: '1', message: undefined },
        { orderId: '2', message: 'complete' },
        { orderId: '3', message: 'gone' },
      ],
    });
    expect(fake.received.get('cancelallorder')![0]).toEqual({ apikey: KEY, strategy: 'KILL' });
  });

  it('market data: quotes (bid 0 → none), multiquotes inline errors, depth padding dropped, history seconds → ms', async () => {
    fake.script('quotes', {
      json: {
        status: 'success',
        data: {
          open: 1172.0,
          high: 1196.6,
          low: 1163.3,
          ltp: 1187.75,
          ask: 1188.0,
          bid: 0,
          prev_close: 1165.7,
          volume: 14414545,
          oi: 0,
        },
      },
    });
    fake.script('multiquotes', {
      json: {
        status: 'success',
        results: [
          { symbol: 'RELIANCE', exchange: 'NSE', data: { ltp: 1187.75, bid: 1187.7, ask: 1187.8 } },
          { symbol: 'BAD', exchange: 'NSE', error: "Symbol 'BAD' not found for exchange 'NSE'." },
        ],
      },
    });
    fake.script('depth', {
      json: {
        status: 'success',
        data: {
          ltp: 100,
          ltq: 5,
          totalbuyqty: 10,
          totalsellqty: 12,
          bids: [
            { price: 99.95, quantity: 10 },
            { price: 0, quantity: 0 },
          ],
          asks: [{ price: 100.05, quantity: 12 }],
        },
      },
    });
    fake.script('history', {
      json: {
        status: 'success',
        data: [
          {
            timestamp: 1743479100,
            open: 766.5,
            high: 774.0,
            low: 763.2,
            close: 772.5,
            volume: 318625,
            oi: 0,
          },
        ],
      },
    });
    const c = client();
    const q = await c.quotes({ symbol: 'RELIANCE', exchange: 'NSE' });
    expect(q.ok && q.data).toMatchObject({ ltp: 1187.75, bid: undefined, ask: 1188, prevClose: 1165.7 });
    const mq = await c.multiQuotes({
      symbols: [
        { symbol: 'RELIANCE', exchange: 'NSE' },
        { symbol: 'BAD', exchange: 'NSE' },
      ],
    });
    expect(mq.ok && mq.data.map((x) => [x.symbol, x.quote?.ltp, x.error !== undefined])).toEqual([
      ['RELIANCE', 1187.75, false],
      ['BAD', undefined, true],
    ]);
    const d = await c.depth({ symbol: 'RELIANCE', exchange: 'NSE' });
    expect(d.ok && [d.data.bids.length, d.data.asks[0]?.price]).toEqual([1, 100.05]);
    const h = await c.history({
      symbol: 'RELIANCE',
      exchange: 'NSE',
      interval: '5m',
      start_date: '2025-04-01',
      end_date: '2025-04-01',
    });
    expect(h.ok && h.data[0]?.timeMs).toBe(1743479100_000);
  });

  it('symbols and options: expiry, symbol, optionchain (epoch s), optiongreeks, ping, analyzer', async () => {
    fake.script('expiry', {
      json: { status: 'success', message: 'Found 2', data: ['28-AUG-25', '04-SEP-25'] },
    });
    fake.script('symbol', {
      json: {
        status: 'success',
        data: {
          id: 1,
          name: 'NIFTY',
          symbol: 'NIFTY28AUG2524000PE',
          brsymbol: 'NIFTY25AUG24000PE',
          exchange: 'NFO',
          brexchange: 'NFO',
          instrumenttype: 'OPTIDX',
          expiry: '28-AUG-25',
          strike: 24000.0,
          lotsize: 75,
          tick_size: 0.05,
          freeze_qty: 1800,
          token: 44,
        },
      },
    });
    fake.script('optionchain', {
      json: {
        status: 'success',
        underlying: 'NIFTY',
        underlying_ltp: 24010,
        expiry_date: '28AUG25',
        expiry_ts: 1756375200,
        server_ts: 1756200000,
        atm_strike: 24000,
        chain: [
          {
            strike: 24000,
            ce: {
              symbol: 'NIFTY28AUG2524000CE',
              label: 'ATM',
              ltp: 120,
              bid: 119.9,
              ask: 120.1,
              lotsize: 75,
            },
            pe: null,
          },
        ],
      },
    });
    fake.script('optiongreeks', {
      json: {
        status: 'success',
        symbol: 'NIFTY25AUG2626000CE',
        exchange: 'NFO',
        underlying: 'NIFTY',
        strike: 26000.0,
        option_type: 'CE',
        expiry_date: '25-Aug-2026',
        days_to_expiry: 28.5071,
        spot_price: 25966.05,
        option_price: 435,
        interest_rate: 0.0,
        implied_volatility: 15.6,
        greeks: { delta: 0.4967, gamma: 0.000352, theta: -7.919, vega: 28.9489, rho: -0.339742 },
      },
    });
    fake.script('ping', { json: { status: 'success', data: { message: 'pong', broker: 'zerodha' } } });
    fake.script('analyzer', {
      json: { status: 'success', data: { analyze_mode: true, mode: 'analyze', total_logs: 2 } },
    });
    const c = client();
    const e = await c.expiry({ symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'options' });
    expect(e.ok && e.data).toEqual(['28-AUG-25', '04-SEP-25']);
    const s = await c.symbol({ symbol: 'NIFTY28AUG2524000PE', exchange: 'NFO' });
    expect(s.ok && s.data).toMatchObject({ lotSize: 75, tickSize: 0.05, token: '44', freezeQty: 1800 });
    const oc = await c.optionChain({
      underlying: 'NIFTY',
      exchange: 'NSE_INDEX',
      expiry_date: '28AUG25',
      strike_count: 1,
    });
    expect(oc.ok && oc.data).toMatchObject({
      expiryMs: 1756375200_000,
      serverMs: 1756200000_000,
      atmStrike: 24000,
    });
    expect(oc.ok && oc.data.chain[0]?.pe).toBeUndefined();
    const g = await c.optionGreeks({ symbol: 'NIFTY25AUG2626000CE', exchange: 'NFO' });
    expect(g.ok && g.data).toMatchObject({
      impliedVolatility: 15.6,
      delta: 0.4967,
      expiryDate: '25-Aug-2026',
    });
    expect(await c.ping()).toEqual({ ok: true, data: { message: 'pong', broker: 'zerodha' } });
    expect(await c.analyzerStatus()).toEqual({
      ok: true,
      data: { analyzeMode: true, mode: 'analyze', totalLogs: 2 },
    });
    for (const r of ['expiry', 'symbol', 'optionchain', 'optiongreeks', 'ping', 'analyzer']) {
      expect(fake.received.get(r)![0]!.apikey).toBe(KEY);
    }
  });

  it('smart order, modify and cancel', async () => {
    fake.script(
      'placesmartorder',
      { json: { status: 'success', message: 'Positions Already Matched. No Action needed.' } },
      { json: { status: 'success', orderid: '9' } },
    );
    fake.script('modifyorder', {
      json: { status: 'success', orderid: '9', message: 'Order modified successfully', mode: 'analyze' },
    });
    fake.script('cancelorder', { json: { status: 'success', orderid: '9' } });
    const c = client();
    const noop = await c.placeSmartOrder({ ...ORDER, position_size: 0, quantity: 0 });
    expect(noop.ok && noop.data).toMatchObject({ queued: false, orderId: undefined });
    const sm = await c.placeSmartOrder({ ...ORDER, position_size: 75 });
    expect(sm.ok && !sm.data.queued && sm.data.orderId).toBe('9');
    const m = await c.modifyOrder({
      strategy: 's',
      exchange: 'NFO',
      symbol: ORDER.symbol,
      orderid: '9',
      action: 'BUY',
      product: 'NRML',
      pricetype: 'LIMIT',
      price: 10,
      quantity: 75,
      disclosed_quantity: 0,
      trigger_price: 0,
    });
    expect(m.ok && m.data).toMatchObject({ orderId: '9', mode: 'analyze' });
    const x = await c.cancelOrder({ strategy: 's', orderid: '9' });
    expect(x.ok && !x.data.queued && x.data.orderId).toBe('9');
  });
});

describe('error classes over real HTTP', () => {
  const err = async (
    route: string,
    answer: Parameters<FakeOpenAlgo['script']>[1],
    call: (c: OpenAlgoClient) => Promise<unknown>,
  ) => {
    fake.script(route, answer);
    const r = (await call(client())) as { ok: boolean; error?: Record<string, unknown> };
    expect(r.ok).toBe(false);
    return r.error!;
  };

  it('validation shape A (python-repr string) → VALIDATION with field errors', async () => {
    const e = await err(
      'placeorder',
      {
        status: 400,
        json: {
          status: 'error',
          message: "{'quantity': ['Missing data for required field.'], 'target': ['Unknown field.']}",
        },
      },
      (c) => c.placeOrder(ORDER),
    );
    expect(e).toMatchObject({ class: 'VALIDATION', httpStatus: 400, ambiguous: false, sent: true });
    expect(e.fieldErrors).toEqual({
      quantity: ['Missing data for required field.'],
      target: ['Unknown field.'],
    });
  });

  it('validation shape A nested (basket items) is flattened', async () => {
    const e = await err(
      'basketorder',
      {
        status: 400,
        json: { status: 'error', message: "{'orders': {0: {'quantity': ['Not a valid number.']}}}" },
      },
      (c) =>
        c.basketOrder({
          strategy: 's',
          orders: [{ symbol: 'A', exchange: 'NSE', action: 'BUY', quantity: 1 }],
        }),
    );
    expect(e.fieldErrors).toEqual({ 'orders.0.quantity': ['Not a valid number.'] });
  });

  it('validation shape B (message object) → VALIDATION', async () => {
    const e = await err(
      'quotes',
      { status: 400, json: { status: 'error', message: { exchange: ['Must be one of: NSE, NFO.'] } } },
      (c) => c.quotes({ symbol: 'X', exchange: 'NSE' }),
    );
    expect(e).toMatchObject({
      class: 'VALIDATION',
      fieldErrors: { exchange: ['Must be one of: NSE, NFO.'] },
    });
  });

  it('validation shape C (fixed message + errors) → VALIDATION', async () => {
    const e = await err(
      'optionchain',
      {
        status: 400,
        json: {
          status: 'error',
          message: 'Validation error',
          errors: { expiry_date: ['Missing data for required field.'] },
        },
      },
      (c) => c.optionChain({ underlying: 'NIFTY', exchange: 'NSE_INDEX', expiry_date: '28AUG25' }),
    );
    expect(e).toMatchObject({ class: 'VALIDATION', message: 'Validation error' });
    expect(e.fieldErrors).toEqual({ expiry_date: ['Missing data for required field.'] });
  });

  it('broker/sandbox reject (400 plain message) → BROKER_REJECT, not ambiguous; a recorded reject keeps its orderid', async () => {
    const e = await err(
      'placeorder',
      {
        status: 400,
        json: {
          status: 'error',
          orderid: 25100112345678,
          message: 'Cannot sell RELIANCE in CNC.',
          mode: 'analyze',
        },
      },
      (c) => c.placeOrder(ORDER),
    );
    expect(e).toMatchObject({
      class: 'BROKER_REJECT',
      code: 'BROKER_REJECT',
      ambiguous: false,
      orderId: '25100112345678',
    });
  });

  it('429 without envelope → RATE_LIMIT, keyed on the status code', async () => {
    const e = await err('placeorder', { status: 429, json: { message: '10 per 1 second' } }, (c) =>
      c.placeOrder(ORDER),
    );
    expect(e).toMatchObject({
      class: 'RATE_LIMIT',
      code: 'BROKER_RATE_LIMIT',
      httpStatus: 429,
      message: '10 per 1 second',
      ambiguous: false,
    });
  });

  it('403 invalid key → AUTH; 403 semi-auto restriction → BROKER_REJECT', async () => {
    const a = await err(
      'funds',
      { status: 403, json: { status: 'error', message: 'Invalid openalgo apikey' } },
      (c) => c.funds(),
    );
    expect(a).toMatchObject({ class: 'AUTH', code: 'BROKER_AUTH' });
    const s = await err(
      'cancelorder',
      { status: 403, json: { status: 'error', message: 'Cancel order is not allowed in Semi-Auto mode' } },
      (c) => c.cancelOrder({ strategy: 's', orderid: '1' }),
    );
    expect(s).toMatchObject({ class: 'BROKER_REJECT' });
  });

  it('500: UNKNOWN; ambiguous for placement (its broker call may have gone through), not for reads', async () => {
    const p = await err(
      'placeorder',
      { status: 500, json: { status: 'error', message: 'Failed to place order due to internal error' } },
      (c) => c.placeOrder(ORDER),
    );
    expect(p).toMatchObject({ class: 'UNKNOWN', code: 'BROKER_AMBIGUOUS', ambiguous: true, sent: true });
    const f = await err('funds', { status: 500, raw: 'oops', contentType: 'text/plain' }, (c) => c.funds());
    expect(f).toMatchObject({ class: 'UNKNOWN', code: 'BROKER_UNKNOWN', ambiguous: false, message: 'oops' });
  });

  it('malformed JSON or a success without orderid → UNKNOWN, ambiguous only for placement', async () => {
    const p = await err('placeorder', { raw: '{"status":"succ' }, (c) => c.placeOrder(ORDER));
    expect(p).toMatchObject({ class: 'UNKNOWN', ambiguous: true });
    const p2 = await err('placeorder', { json: { status: 'success' } }, (c) => c.placeOrder(ORDER));
    expect(p2).toMatchObject({ class: 'UNKNOWN', ambiguous: true });
    const b = await err('orderbook', { raw: '<html>' }, (c) => c.orderBook());
    expect(b).toMatchObject({ class: 'UNKNOWN', ambiguous: false });
  });

  it('404 order not found → BROKER_REJECT', async () => {
    const e = await err(
      'orderstatus',
      { status: 404, json: { status: 'error', message: 'Order 1 not found' } },
      (c) => c.orderStatus({ strategy: 's', orderid: '1' }),
    );
    expect(e).toMatchObject({ class: 'BROKER_REJECT', httpStatus: 404 });
  });

  it('connection refused → NETWORK_TIMEOUT, not sent, never ambiguous', async () => {
    const dead = await startFakeOpenAlgo();
    const url = dead.url;
    await dead.close();
    const c = client({ baseUrl: url });
    const r = await c.placeOrder(ORDER);
    expect(!r.ok && r.error).toMatchObject({
      class: 'NETWORK_TIMEOUT',
      sent: false,
      ambiguous: false,
      code: 'BROKER_NETWORK_TIMEOUT',
    });
  });

  it('socket reset after send → NETWORK_TIMEOUT, ambiguous for placement', async () => {
    const e = await err('placeorder', { reset: true }, (c) => c.placeOrder(ORDER));
    expect(e).toMatchObject({
      class: 'NETWORK_TIMEOUT',
      sent: true,
      ambiguous: true,
      code: 'BROKER_AMBIGUOUS',
    });
  });
});

describe('timeouts on the injected clock', () => {
  it('timeout after send: ambiguous for placeorder, plain timeout for a read', async () => {
    const clock = new VirtualClock();
    const c = client({ clock, timeoutMs: 1_000 });
    fake.script('placeorder', { hang: true });
    const pending = c.placeOrder(ORDER);
    await fake.waitFor('placeorder');
    clock.advance(1_000);
    const r = await pending;
    expect(!r.ok && r.error).toMatchObject({
      class: 'NETWORK_TIMEOUT',
      code: 'BROKER_AMBIGUOUS',
      sent: true,
      ambiguous: true,
    });

    fake.script('orderbook', { hang: true });
    const ob = c.orderBook();
    await fake.waitFor('orderbook');
    clock.advance(1_000);
    const rb = await ob;
    expect(!rb.ok && rb.error).toMatchObject({
      class: 'NETWORK_TIMEOUT',
      code: 'BROKER_NETWORK_TIMEOUT',
      sent: true,
      ambiguous: false,
    });
  });

  it('timeout while queued for a pool connection → not sent, and the request never reaches the broker', async () => {
    const clock = new VirtualClock();
    const c = client({ clock, timeoutMs: 1_000, connections: 1 });
    fake.script('placeorder', { hang: true });
    const first = c.placeOrder(ORDER, { timeoutMs: 60_000 });
    await fake.waitFor('placeorder');
    const second = c.placeOrder({ ...ORDER, symbol: 'SECOND' });
    await realDelay(20);
    clock.advance(1_000);
    const r2 = await second;
    expect(!r2.ok && r2.error).toMatchObject({ class: 'NETWORK_TIMEOUT', sent: false, ambiguous: false });
    fake.script('placeorder', { json: { status: 'success', orderid: '1' } });
    fake.release({ json: { status: 'success', orderid: 'first' } });
    const r1 = await first;
    expect(r1.ok && !r1.data.queued && r1.data.orderId).toBe('first');
    await realDelay(50);
    expect(fake.received.get('placeorder')!.map((b) => b.symbol)).toEqual([ORDER.symbol]);
  });
});

describe('token buckets per route', () => {
  it('orders beyond ORDER_RATE_LIMIT queue on the clock instead of earning 429; routes count separately', async () => {
    const clock = new VirtualClock();
    fake.script('placeorder', { json: { status: 'success', orderid: '1' } });
    fake.script('funds', { json: { status: 'success', data: { availablecash: 1 } } });
    const c = client({ clock, rateLimits: { ordersPerSecond: 2, apiPerSecond: 10 }, maxQueueMs: 10_000 });
    const all = Array.from({ length: 5 }, () => c.placeOrder(ORDER));
    await fake.waitFor('placeorder', 2);
    expect((await c.funds()).ok).toBe(true);
    await realDelay(30);
    expect(fake.count('placeorder')).toBe(2);
    clock.advance(1_000);
    await realDelay(30);
    expect(fake.count('placeorder')).toBe(2);
    clock.advance(20); // window + jitter margin
    await fake.waitFor('placeorder', 4);
    clock.advance(1_020);
    const results = await Promise.all(all);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(fake.count('placeorder')).toBe(5);
  });

  it('a call that would wait past maxQueueMs fails as RATE_LIMIT, unsent', async () => {
    const clock = new VirtualClock();
    fake.script('placeorder', { json: { status: 'success', orderid: '1' } });
    const c = client({ clock, rateLimits: { ordersPerSecond: 1, apiPerSecond: 10 }, maxQueueMs: 500 });
    expect((await c.placeOrder(ORDER)).ok).toBe(true);
    const second = c.placeOrder(ORDER);
    clock.advance(500);
    const r = await second;
    expect(!r.ok && r.error).toMatchObject({ class: 'RATE_LIMIT', sent: false, ambiguous: false });
    expect(fake.count('placeorder')).toBe(1);
  });
});

describe('caller aborts', () => {
  it('abort while queued for a token → UNKNOWN, not sent; abort in flight → ambiguous for placement', async () => {
    const clock = new VirtualClock();
    fake.script('placeorder', { json: { status: 'success', orderid: '1' } });
    const c = client({ clock, rateLimits: { ordersPerSecond: 1, apiPerSecond: 10 }, maxQueueMs: 10_000 });
    expect((await c.placeOrder(ORDER)).ok).toBe(true);
    const ac = new AbortController();
    const queued = c.placeOrder(ORDER, { signal: ac.signal });
    ac.abort();
    const r = await queued;
    expect(!r.ok && r.error).toMatchObject({ class: 'UNKNOWN', sent: false, ambiguous: false });
    clock.advance(2_000);
    fake.script('placeorder', { hang: true });
    const ac2 = new AbortController();
    const inflight = c.placeOrder(ORDER, { signal: ac2.signal });
    await fake.waitFor('placeorder', 2);
    ac2.abort();
    const r2 = await inflight;
    expect(!r2.ok && r2.error).toMatchObject({ class: 'UNKNOWN', sent: true, ambiguous: true });
  });
});

describe('the API key never reaches a log line', () => {
  it('even when the broker echoes it in an error message', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = createLogger({ name: 't', level: 'debug', destination });
    fake.script('funds', {
      status: 403,
      json: { status: 'error', message: `Invalid openalgo apikey ${KEY}` },
    });
    fake.script('ping', { json: { status: 'success', data: { message: 'pong', broker: 'x' } } });
    const c = client({ logger });
    const r = await c.funds();
    expect(!r.ok && r.error.message).not.toContain(KEY);
    await c.ping();
    await realDelay(20);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l).not.toContain(KEY);
  });
});
