import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realDelay, VirtualClock } from '../../../src/clock/index.js';
import { type RunningSimulator, startSimulator } from '../../../src/sim/index.js';
import { authed, post, until, WsProbe } from './helpers.js';

/**
 * The simulator against OpenAlgo's protocol as recorded in ../shared/openalgo/ (REST.md, WEBSOCKET.md,
 * SANDBOX.md), over real HTTP and WebSocket on 127.0.0.1: shapes, types, the three validation-error
 * shapes, 403/404/405/429/500 bodies, sandbox extras, and the feed's frames and fan-out rule.
 */
const KEY = 'contract-test-key-0123456789';
let sim: RunningSimulator;
const k = { apikey: KEY };
const api = (path: string, body: unknown, opts?: Parameters<typeof post>[3]) =>
  post(sim.restUrl, path, body, opts);

const ORDER_ID = /^\d{14}$/;
const SANDBOX_TS = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

let expiry: string;
let chain: { strike: number; ce: { symbol: string }; pe: { symbol: string } }[];
let atmIndex: number;

beforeAll(async () => {
  sim = await startSimulator({
    apiKey: KEY,
    rateLimits: { orderPerSecond: 10_000, apiPerSecond: 10_000, greeksPerMinute: 10_000 },
    wsAuthGraceMs: 400,
    tickIntervalMs: 100,
  });
  const ex = await api('expiry', { ...k, symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'options' });
  expiry = (ex.json.data[0] as string).replaceAll('-', '');
  const ch = await api('optionchain', {
    ...k,
    underlying: 'NIFTY',
    exchange: 'NSE_INDEX',
    expiry_date: expiry,
    strike_count: 5,
  });
  chain = ch.json.chain;
  atmIndex = chain.findIndex((r) => r.strike === ch.json.atm_strike);
});
afterAll(async () => {
  await sim?.stop();
});

describe('transport (REST.md §1)', () => {
  it('trailing slash optional; GET is 405 from flask-restx; unknown /api path is 404 with the path', async () => {
    expect((await api('ping/', k)).json).toEqual({
      status: 'success',
      data: { message: 'pong', broker: 'tomicsim' },
    });
    const get = await api('ping', undefined, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.json).toEqual({ message: 'The method is not allowed for the requested URL.' });
    const nf = await api('doesnotexist', k);
    expect(nf.status).toBe(404);
    expect(nf.json).toEqual({ status: 'error', message: 'Not found', path: '/api/v1/doesnotexist' });
  });

  it('non-JSON bodies and non-JSON content types end as 500; a null body is a schema error', async () => {
    for (const r of [
      await api('funds', '{not json'),
      await api('funds', JSON.stringify(k), { contentType: 'text/plain' }),
    ]) {
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ status: 'error', message: 'An unexpected error occurred' });
    }
    const nul = await api('placeorder', 'null');
    expect(nul.status).toBe(400);
    expect(nul.json).toEqual({ status: 'error', message: "{'_schema': ['Invalid input type.']}" });
  });
});

describe('authentication (REST.md §1.1)', () => {
  it('a wrong key is 403; sandboxed endpoints answer with the sandbox text and mode', async () => {
    const q = await api('quotes', { apikey: 'wrong', symbol: 'NIFTY', exchange: 'NSE_INDEX' });
    expect(q.status).toBe(403);
    expect(q.json).toEqual({ status: 'error', message: 'Invalid openalgo apikey' });
    const f = await api('funds', { apikey: 'wrong' });
    expect(f.status).toBe(403);
    expect(f.json).toEqual({ status: 'error', message: 'Invalid API key', mode: 'analyze' });
  });

  it('schema validation runs before the key check', async () => {
    const r = await api('placeorder', { apikey: 'wrong', strategy: 's' });
    expect(r.status).toBe(400);
  });

  it('history from the Historify db never checks the key (quirk)', async () => {
    const r = await api('history', {
      apikey: 'x',
      symbol: 'NIFTY',
      exchange: 'NSE_INDEX',
      interval: 'D',
      start_date: '2025-08-01',
      end_date: '2025-08-29',
      source: 'db',
    });
    expect(r.status).toBe(200);
    expect(r.json.data.length).toBeGreaterThan(10);
  });
});

describe('the three validation-error shapes (REST.md §1.3)', () => {
  const order = {
    ...k,
    strategy: 'C',
    symbol: 'RELIANCE',
    exchange: 'NSE',
    action: 'BUY',
    quantity: 1,
    product: 'CNC',
  };

  it('A: message is a Python-repr string (missing field, unknown field, fractional quantity)', async () => {
    const { quantity: _q, ...noQty } = order;
    const miss = await api('placeorder', noQty);
    expect(miss.status).toBe(400);
    expect(miss.json).toEqual({
      status: 'error',
      message: "{'quantity': ['Missing data for required field.']}",
    });
    const unknown = await api('placeorder', { ...order, target: 5 });
    expect(unknown.json).toEqual({ status: 'error', message: "{'target': ['Unknown field.']}" });
    const frac = await api('placeorder', { ...order, quantity: '1.5' });
    expect(frac.json.message).toBe(
      "{'quantity': ['Fractional quantity (1.5) is not allowed for non-crypto exchanges.']}",
    );
  });

  it('A: `strategy` is required on every order/status schema', async () => {
    const expected = "{'strategy': ['Missing data for required field.']}";
    for (const [path, body] of [
      ['placeorder', { ...order, strategy: undefined }],
      ['cancelorder', { ...k, orderid: '1' }],
      ['cancelallorder', k],
      ['closeposition', k],
      ['orderstatus', { ...k, orderid: '1' }],
      ['openposition', { ...k, symbol: 'SBIN', exchange: 'NSE', product: 'MIS' }],
    ] as const) {
      const r = await api(path, body);
      expect(r.status, path).toBe(400);
      expect(r.json, path).toEqual({ status: 'error', message: expected });
    }
  });

  it('A: margin quantities must be strings', async () => {
    const r = await api('margin', {
      ...k,
      positions: [
        { symbol: 'SBIN', exchange: 'NSE', action: 'BUY', quantity: 1, product: 'MIS', pricetype: 'MARKET' },
      ],
    });
    expect(r.json).toEqual({
      status: 'error',
      message: "{'positions': {0: {'quantity': ['Not a valid string.']}}}",
    });
  });

  it('B: message is a JSON object', async () => {
    const r = await api('quotes', { ...k, symbol: 'SBIN', exchange: 'nse' });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      status: 'error',
      message: {
        exchange: [
          'Must be one of: NSE, NFO, CDS, BSE, BFO, BCD, MCX, NCDEX, NCO, NSE_INDEX, BSE_INDEX, MCX_INDEX, GLOBAL_INDEX, CRYPTO.',
        ],
      },
    });
  });

  it('C: fixed message plus errors ("Validation error"; optiongreeks "Validation failed")', async () => {
    const r = await api('optionsymbol', {
      ...k,
      underlying: 'NIFTY',
      exchange: 'NSE_INDEX',
      expiry_date: expiry,
      offset: 'XTM',
      option_type: 'CE',
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      status: 'error',
      message: 'Validation error',
      errors: { offset: ['Offset must be ATM, ITM1-ITM50, or OTM1-OTM50'] },
    });
    const g = await api('optiongreeks', { ...k, symbol: 'X', exchange: 'NSE' });
    expect(g.json.message).toBe('Validation failed');
    expect(g.json.errors.exchange[0]).toMatch(/^Must be one of: NFO, BFO/);
  });
});

describe('rate limits: per route, per IP, moving window; 429 is not enveloped (REST.md §2)', () => {
  it('order routes 10/s, other routes 50/s, counted separately', async () => {
    const clock = new VirtualClock();
    const limited = await startSimulator({ apiKey: KEY, clock });
    try {
      const order = {
        ...k,
        strategy: 'RL',
        symbol: 'SBIN',
        exchange: 'NSE',
        action: 'BUY',
        quantity: 1,
        product: 'MIS',
      };
      const orders = [];
      for (let i = 0; i < 11; i++) orders.push(await post(limited.restUrl, 'placeorder', order));
      expect(orders.slice(0, 10).every((r) => r.status === 200)).toBe(true);
      expect(orders[10]!.status).toBe(429);
      expect(orders[10]!.json).toEqual({ message: '10 per 1 second' });
      // Another route still has its own budget.
      expect((await post(limited.restUrl, 'orderbook', k)).status).toBe(200);
      const funds = [];
      for (let i = 0; i < 51; i++) funds.push(await post(limited.restUrl, 'funds', k));
      expect(funds.filter((r) => r.status === 429)).toHaveLength(1);
      expect(funds[50]!.json).toEqual({ message: '50 per 1 second' });
      // The window moves with the (injected) clock.
      clock.advance(1_000);
      expect((await post(limited.restUrl, 'placeorder', order)).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});

describe('orders in the sandbox (REST.md §5–6, SANDBOX.md A.4–A.8)', () => {
  const tag = 'CONTRACT:orders';
  it('placeorder: 14-char string order id, "mode":"analyze"; numeric strings accepted', async () => {
    const r = await api('placeorder', {
      ...k,
      strategy: tag,
      symbol: 'RELIANCE',
      exchange: 'NSE',
      action: 'buy',
      quantity: '2',
      product: 'CNC',
      pricetype: 'MARKET',
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'success', orderid: expect.stringMatching(ORDER_ID), mode: 'analyze' });
    const st = await api('orderstatus', { ...k, strategy: tag, orderid: r.json.orderid });
    expect(st.json.mode).toBe('analyze');
    const d = st.json.data;
    expect(d).toMatchObject({
      orderid: r.json.orderid,
      action: 'BUY',
      quantity: 2,
      price_type: 'MARKET',
      product: 'CNC',
      order_status: 'complete',
      filled_quantity: 2,
      pending_quantity: 0,
      strategy: tag,
    });
    expect(d).not.toHaveProperty('pricetype');
    expect(d.timestamp).toMatch(SANDBOX_TS);
    expect(typeof d.average_price).toBe('number');
  });

  it('lot size, unknown symbol and order-not-found messages', async () => {
    const call = chain[atmIndex]!.ce.symbol;
    const lot = await api('placeorder', {
      ...k,
      strategy: tag,
      symbol: call,
      exchange: 'NFO',
      action: 'BUY',
      quantity: 10,
      product: 'NRML',
    });
    expect(lot.status).toBe(400);
    expect(lot.json).toEqual({
      status: 'error',
      message: 'Quantity must be in multiples of lot size 75',
      mode: 'analyze',
    });
    const unknown = await api('placeorder', {
      ...k,
      strategy: tag,
      symbol: 'NOPE',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 1,
    });
    expect(unknown.json.message).toBe('Symbol NOPE not found on NSE');
    const nf = await api('orderstatus', { ...k, strategy: tag, orderid: '99999999999999' });
    expect(nf.status).toBe(404);
    expect(nf.json).toEqual({ status: 'error', message: 'Order 99999999999999 not found', mode: 'analyze' });
  });

  it('books: orderbook rows carry the strategy tag; statistics are ints; tradebook has trade ids', async () => {
    const ob = await api('orderbook', k);
    const row = ob.json.data.orders.find((o: { strategy: string }) => o.strategy === tag);
    expect(row).toMatchObject({ exchange: 'NSE', symbol: 'RELIANCE', quantity: 2, order_status: 'complete' });
    expect(row.timestamp).toMatch(SANDBOX_TS);
    expect(Object.keys(ob.json.data.statistics).sort()).toEqual([
      'total_buy_orders',
      'total_completed_orders',
      'total_open_orders',
      'total_rejected_orders',
      'total_sell_orders',
      'total_trigger_pending_orders',
    ]);
    for (const v of Object.values(ob.json.data.statistics)) expect(Number.isInteger(v)).toBe(true);
    const tb = await api('tradebook', k);
    const t = tb.json.data.find((x: { strategy: string }) => x.strategy === tag);
    expect(t.tradeid).toMatch(/^TRADE-\d{8}-\d{6}-[0-9a-f]{8}$/);
    expect(t.trade_value).toBeCloseTo(t.average_price * t.quantity, 1);
  });

  it('positionbook, openposition and funds are numbers with the sandbox extras', async () => {
    const pb = await api('positionbook', k);
    const p = pb.json.data.find(
      (x: { symbol: string; product: string }) => x.symbol === 'RELIANCE' && x.product === 'CNC',
    );
    expect(p).toMatchObject({ exchange: 'NSE', quantity: 2, lot_size: 1 });
    for (const f of ['average_price', 'ltp', 'pnl', 'pnlpercent', 'unrealized_pnl', 'today_realized_pnl'])
      expect(typeof p[f]).toBe('number');
    expect(typeof pb.json.total_pnl).toBe('number');
    const op = await api('openposition', {
      ...k,
      strategy: tag,
      symbol: 'RELIANCE',
      exchange: 'NSE',
      product: 'CNC',
    });
    expect(op.json).toEqual({ status: 'success', quantity: 2, mode: 'analyze' });
    const f = await api('funds', k);
    expect(f.json.mode).toBe('analyze');
    for (const key of [
      'availablecash',
      'collateral',
      'm2mrealized',
      'm2munrealized',
      'utiliseddebits',
      'grossexposure',
      'totalpnl',
      'total_realized_pnl',
      'today_realized_pnl',
      'reset_count',
    ])
      expect(typeof f.json.data[key], key).toBe('number');
    expect(f.json.data.last_reset).toMatch(SANDBOX_TS);
  });

  it('limit order: modify, cancel, cancel again → "Cannot cancel order in cancelled status"', async () => {
    const q = await api('quotes', { ...k, symbol: 'SBIN', exchange: 'NSE' });
    const low = Math.round(q.json.data.ltp * 0.5);
    const r = await api('placeorder', {
      ...k,
      strategy: tag,
      symbol: 'SBIN',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 1,
      product: 'CNC',
      pricetype: 'LIMIT',
      price: low,
    });
    const id = r.json.orderid;
    expect((await api('orderstatus', { ...k, strategy: tag, orderid: id })).json.data.order_status).toBe(
      'open',
    );
    const m = await api('modifyorder', {
      ...k,
      strategy: tag,
      symbol: 'SBIN',
      exchange: 'NSE',
      orderid: id,
      action: 'BUY',
      product: 'CNC',
      pricetype: 'LIMIT',
      price: low - 1,
      quantity: 3,
      disclosed_quantity: 0,
      trigger_price: 0,
    });
    expect(m.json).toEqual({
      status: 'success',
      orderid: id,
      message: 'Order modified successfully',
      mode: 'analyze',
    });
    const after = (await api('orderstatus', { ...k, strategy: tag, orderid: id })).json.data;
    expect(after).toMatchObject({ quantity: 3, price: low - 1 });
    expect((await api('cancelorder', { ...k, strategy: tag, orderid: id })).json).toMatchObject({
      status: 'success',
      orderid: id,
    });
    const again = await api('cancelorder', { ...k, strategy: tag, orderid: id });
    expect(again.status).toBe(400);
    expect(again.json.message).toBe('Cannot cancel order in cancelled status');
  });

  it('smart order reaches the target position; "Positions Already Matched" when nothing to do', async () => {
    const base = {
      ...k,
      strategy: tag,
      symbol: 'INFY',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 0,
      product: 'MIS',
      pricetype: 'LIMIT',
      price: 1,
    };
    const a = await api('placesmartorder', { ...base, position_size: 5 });
    expect(a.json).toMatchObject({
      status: 'success',
      orderid: expect.stringMatching(ORDER_ID),
      mode: 'analyze',
    });
    // Sandbox quirk: smart orders are always MARKET, so it filled despite the silly limit.
    expect(
      (
        await api('openposition', {
          ...base,
          price: undefined,
          pricetype: undefined,
          quantity: undefined,
          action: undefined,
        })
      ).json.quantity,
    ).toBe(5);
    const b = await api('placesmartorder', { ...base, position_size: 5 });
    expect(b.json).toEqual({
      status: 'success',
      message: 'Positions Already Matched. No Action needed.',
      mode: 'analyze',
    });
    await api('placesmartorder', { ...base, position_size: 0 });
  });

  it('basketorder sends BUY legs first and reports per leg; cancelallorder; closeposition', async () => {
    const put1 = chain[atmIndex - 1]!.pe.symbol;
    const put2 = chain[atmIndex - 2]!.pe.symbol;
    const r = await api('basketorder', {
      ...k,
      strategy: `${tag}:basket`,
      orders: [
        { symbol: put1, exchange: 'NFO', action: 'SELL', quantity: 75, product: 'NRML', pricetype: 'MARKET' },
        { symbol: put2, exchange: 'NFO', action: 'BUY', quantity: 75, product: 'NRML', pricetype: 'MARKET' },
        { symbol: put2, exchange: 'NFO', action: 'BUY', quantity: 7, product: 'NRML', pricetype: 'MARKET' },
      ],
    });
    expect(r.json.status).toBe('success');
    expect(r.json.mode).toBe('analyze');
    expect(r.json.results.map((x: { symbol: string }) => x.symbol)).toEqual([put2, put2, put1]);
    expect(r.json.results[0]).toMatchObject({
      status: 'success',
      orderid: expect.stringMatching(ORDER_ID),
      batch_order: 1,
    });
    expect(r.json.results[1]).toMatchObject({
      status: 'error',
      message: 'Quantity must be in multiples of lot size 75',
    });
    expect(r.json.results[2]).toMatchObject({ status: 'success', is_last_order: true });

    const q = await api('quotes', { ...k, symbol: 'TCS', exchange: 'NSE' });
    const rest = await api('placeorder', {
      ...k,
      strategy: tag,
      symbol: 'TCS',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 1,
      product: 'CNC',
      pricetype: 'LIMIT',
      price: Math.round(q.json.data.ltp * 0.5),
    });
    const all = await api('cancelallorder', { ...k, strategy: tag });
    expect(all.json).toMatchObject({ status: 'success', failed_cancellations: [], mode: 'analyze' });
    expect(all.json.canceled_orders).toContain(rest.json.orderid);
    expect(all.json.message).toMatch(/^Canceled \d+ orders\. Failed to cancel 0 orders\.$/);
    expect((await api('cancelallorder', { ...k, strategy: tag })).json.message).toBe(
      'No open orders to cancel',
    );

    const close = await api('closeposition', { ...k, strategy: tag });
    expect(close.json).toMatchObject({ status: 'success', failed_closures: 0, mode: 'analyze' });
    expect(close.json.message).toBe(`Closed ${close.json.closed_positions} positions`);
    expect((await api('closeposition', { ...k, strategy: tag })).json.message).toBe(
      'No open positions to close',
    );
    const ob = await api('orderbook', k);
    expect(ob.json.data.orders.some((o: { strategy: string }) => o.strategy === 'AUTO_SQUARE_OFF')).toBe(
      true,
    );
  });

  it('a broker without basket support answers like OpenAlgo without the module', async () => {
    const noBasket = await startSimulator({ apiKey: KEY, basketSupported: false, clock: new VirtualClock() });
    try {
      const r = await post(noBasket.restUrl, 'basketorder', {
        ...k,
        strategy: 's',
        orders: [{ symbol: 'SBIN', exchange: 'NSE', action: 'BUY', quantity: 1 }],
      });
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ status: 'error', message: 'Broker-specific module not found' });
    } finally {
      await noBasket.stop();
    }
  });
});

describe('market data and symbols (REST.md §7–9)', () => {
  it('quotes, multiquotes with an inline error, depth padded to 5', async () => {
    const q = await api('quotes', { ...k, symbol: 'RELIANCE', exchange: 'NSE' });
    expect(Object.keys(q.json.data).sort()).toEqual([
      'ask',
      'bid',
      'high',
      'low',
      'ltp',
      'oi',
      'open',
      'prev_close',
      'volume',
    ]);
    expect(q.json).not.toHaveProperty('mode');
    const idx = await api('quotes', { ...k, symbol: 'NIFTY', exchange: 'NSE_INDEX' });
    expect(idx.json.data).toMatchObject({ bid: 0, ask: 0 });
    const bad = await api('quotes', { ...k, symbol: 'NOPE', exchange: 'NSE' });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe(
      "Symbol 'NOPE' not found for exchange 'NSE'. Please verify the symbol name and ensure master contracts are downloaded.",
    );
    const mq = await api('multiquotes', {
      ...k,
      symbols: [
        { symbol: 'SBIN', exchange: 'NSE' },
        { symbol: 'NOPE', exchange: 'NSE' },
      ],
    });
    expect(mq.json.results[0]).toMatchObject({
      symbol: 'SBIN',
      exchange: 'NSE',
      data: { ltp: expect.any(Number) },
    });
    expect(mq.json.results[1].error).toMatch(/^Symbol 'NOPE' not found/);
    const d = await api('depth', { ...k, symbol: chain[atmIndex]!.ce.symbol, exchange: 'NFO' });
    expect(d.json.data.bids).toHaveLength(5);
    expect(d.json.data.asks).toHaveLength(5);
    expect(d.json.data.asks[0].price).toBeGreaterThan(d.json.data.bids[0].price);
    expect(d.json.data.bids[0].quantity % 75).toBe(0);
    for (const f of ['ltq', 'totalbuyqty', 'totalsellqty', 'oi', 'prev_close'])
      expect(typeof d.json.data[f]).toBe('number');
  });

  it('history: epoch-second stamps, ascending, daily = 00:00 UTC of the date; intervals', async () => {
    const h = await api('history', {
      ...k,
      symbol: 'NIFTY',
      exchange: 'NSE_INDEX',
      interval: 'D',
      start_date: '2025-08-01',
      end_date: '2025-09-30',
    });
    const rows = h.json.data as { timestamp: number; close: number }[];
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.every((r, i) => i === 0 || r.timestamp > rows[i - 1]!.timestamp)).toBe(true);
    expect(rows[0]!.timestamp).toBe(Date.UTC(2025, 7, 1) / 1000);
    expect(Object.keys(rows[0]!).sort()).toEqual([
      'close',
      'high',
      'low',
      'oi',
      'open',
      'timestamp',
      'volume',
    ]);
    const opt = await api('history', {
      ...k,
      symbol: chain[atmIndex]!.ce.symbol,
      exchange: 'NFO',
      interval: '1m',
      start_date: '2025-09-04',
      end_date: '2025-09-04',
    });
    expect(opt.status).toBe(200);
    const iv = await api('intervals', k);
    expect(iv.json.data).toEqual({
      seconds: [],
      minutes: ['1m', '3m', '5m', '10m', '15m', '30m'],
      hours: ['1h'],
      days: ['D'],
      weeks: [],
      months: [],
    });
  });

  it('symbol, search, expiry in their formats', async () => {
    const call = chain[atmIndex]!.ce.symbol;
    const s = await api('symbol', { ...k, symbol: call, exchange: 'NFO' });
    expect(s.json.data).toMatchObject({
      symbol: call,
      exchange: 'NFO',
      instrumenttype: 'CE',
      lotsize: 75,
      tick_size: 0.05,
      freeze_qty: 1800,
    });
    expect(s.json.data.expiry).toMatch(/^\d{2}-[A-Z]{3}-\d{2}$/);
    expect(typeof s.json.data.token).toBe('string');
    const nf = await api('symbol', { ...k, symbol: 'NOPE', exchange: 'NSE' });
    expect(nf.status).toBe(404);
    expect(nf.json.message).toBe('Symbol NOPE not found in exchange NSE');
    const se = await api('search', { ...k, query: `NIFTY ${chain[atmIndex]!.strike} CE`, exchange: 'NFO' });
    expect(se.json.message).toMatch(/^Found \d+ matching symbols$/);
    expect(await api('search', { ...k, query: 'ZZZZ' })).toMatchObject({
      json: { status: 'success', message: 'No matching symbols found', data: [] },
    });
    const ex = await api('expiry', { ...k, symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'futures' });
    expect(ex.json.message).toBe('Found 3 expiry dates for NIFTY futures in NFO');
    for (const d of ex.json.data) expect(d).toMatch(/^\d{2}-[A-Z]{3}-\d{2}$/);
  });

  it('optionsymbol, optionchain (labels, greeks), optiongreeks', async () => {
    const os = await api('optionsymbol', {
      ...k,
      underlying: 'NIFTY',
      exchange: 'NSE_INDEX',
      expiry_date: expiry,
      offset: 'OTM2',
      option_type: 'PE',
    });
    expect(os.json).toMatchObject({
      status: 'success',
      symbol: chain[atmIndex - 2]!.pe.symbol,
      exchange: 'NFO',
      lotsize: 75,
      freeze_qty: 1800,
    });
    const ch = await api('optionchain', {
      ...k,
      underlying: 'NIFTY',
      exchange: 'NSE_INDEX',
      expiry_date: expiry,
      strike_count: 2,
      with_greeks: true,
    });
    expect(ch.json.chain).toHaveLength(5);
    expect(ch.json.chain.map((r: { ce: { label: string } }) => r.ce.label)).toEqual([
      'ITM2',
      'ITM1',
      'ATM',
      'OTM1',
      'OTM2',
    ]);
    expect(ch.json.chain.map((r: { pe: { label: string } }) => r.pe.label)).toEqual([
      'OTM2',
      'OTM1',
      'ATM',
      'ITM1',
      'ITM2',
    ]);
    expect(ch.json).toMatchObject({
      underlying: 'NIFTY',
      quotes_included: true,
      greeks_included: true,
      expiry_date: expiry,
    });
    expect(typeof ch.json.forward_price).toBe('number');
    expect(Number.isInteger(ch.json.expiry_ts) && Number.isInteger(ch.json.server_ts)).toBe(true);
    const atm = ch.json.chain[2];
    expect(atm.ce.delta).toBeGreaterThan(0.3);
    expect(atm.pe.delta).toBeLessThan(-0.3);
    expect(atm.ce.theta).toBeLessThan(0);
    expect(atm.ce.implied_volatility).toBeGreaterThan(5);
    const g = await api('optiongreeks', { ...k, symbol: atm.ce.symbol, exchange: 'NFO' });
    expect(g.json).toMatchObject({
      status: 'success',
      symbol: atm.ce.symbol,
      option_type: 'CE',
      strike: atm.strike,
    });
    expect(g.json.expiry_date).toMatch(/^\d{2}-[A-Z][a-z]{2}-\d{4}$/);
    expect(Object.keys(g.json.greeks).sort()).toEqual(['delta', 'gamma', 'rho', 'theta', 'vega']);
  });

  it('margin: a hedged spread needs less than its naked short, and reports margin_benefit', async () => {
    const leg = (symbol: string, action: string) => ({
      symbol,
      exchange: 'NFO',
      action,
      quantity: '75',
      product: 'NRML',
      pricetype: 'MARKET',
    });
    const naked = await api('margin', { ...k, positions: [leg(chain[atmIndex - 1]!.pe.symbol, 'SELL')] });
    const spread = await api('margin', {
      ...k,
      positions: [leg(chain[atmIndex - 1]!.pe.symbol, 'SELL'), leg(chain[atmIndex - 3]!.pe.symbol, 'BUY')],
    });
    expect(naked.json.data.total_margin_required).toBeGreaterThan(spread.json.data.total_margin_required);
    expect(spread.json.data.margin_benefit).toBeGreaterThan(0);
    expect(Object.keys(naked.json.data).sort()).toEqual([
      'exposure_margin',
      'span_margin',
      'total_margin_required',
    ]);
  });

  it('analyzer status and toggle; live mode drops "mode" and answers funds as 2-dp strings', async () => {
    expect((await api('analyzer', k)).json).toMatchObject({
      status: 'success',
      data: { analyze_mode: true, mode: 'analyze' },
    });
    const off = await api('analyzer/toggle', { ...k, mode: 'false' });
    expect(off.json.data).toMatchObject({
      analyze_mode: false,
      mode: 'live',
      message: 'Analyzer mode switched to live',
    });
    const f = await api('funds', k);
    expect(f.json).not.toHaveProperty('mode');
    expect(f.json.data.availablecash).toMatch(/^-?\d+\.\d{2}$/);
    await api('analyzer/toggle', { ...k, mode: true });
    expect(typeof (await api('funds', k)).json.data.availablecash).toBe('number');
  });
});

describe('WebSocket proxy protocol (WEBSOCKET.md)', () => {
  it('auth failures are bare error frames (no type); the socket closes with 4401 after the grace', async () => {
    const p = new WsProbe(sim.wsPrimaryUrl);
    await p.opened;
    expect(await p.reply({ action: 'authenticate', api_key: 'nope' }, (f) => f.status === 'error')).toEqual({
      status: 'error',
      code: 'AUTHENTICATION_ERROR',
      message: 'Invalid API key',
    });
    expect(await p.reply({ action: 'auth' }, (f) => f.status === 'error')).toEqual({
      status: 'error',
      code: 'AUTHENTICATION_ERROR',
      message: 'API key is required',
    });
    expect(
      await p.reply(
        { action: 'subscribe', symbol: 'NIFTY', exchange: 'NSE_INDEX' },
        (f) => f.status === 'error',
      ),
    ).toEqual({
      status: 'error',
      code: 'NOT_AUTHENTICATED',
      message: 'You must authenticate first',
    });
    expect(p.closed).toBeUndefined();
    await until(() => p.closed !== undefined, 5_000, 'close');
    expect(p.closed).toEqual({ code: 4401, reason: 'auth timeout' });
  });

  it('auth success frame; authenticated sockets are not closed by the grace timer', async () => {
    const p = new WsProbe(sim.wsPrimaryUrl);
    await p.opened;
    const ok = await p.reply({ action: 'authenticate', apikey: KEY }, (f) => f.type === 'auth');
    expect(ok).toEqual({
      type: 'auth',
      status: 'success',
      message: 'Authentication successful',
      broker: 'tomicsim',
      user_id: 'tomic',
      supported_features: { ltp: true, quote: true, depth: true },
    });
    await realDelay(600);
    expect(p.closed).toBeUndefined();
    p.close();
  });

  it('subscribe ack: label modes, depth, "partial" when a symbol fails; bad modes, bad JSON, bad action', async () => {
    const p = await authed(sim.wsPrimaryUrl, KEY);
    const ack = await p.reply(
      {
        action: 'subscribe',
        symbols: [
          { symbol: 'NIFTY', exchange: 'NSE_INDEX' },
          { symbol: 'BAD', exchange: 'NSE' },
          { symbol: 'X' },
        ],
        mode: 2,
        request_id: 's1',
      },
      (f) => f.type === 'subscribe',
    );
    expect(ack).toEqual({
      type: 'subscribe',
      status: 'partial',
      message: 'Subscription processing complete',
      broker: 'tomicsim',
      request_id: 's1',
      subscriptions: [
        {
          symbol: 'NIFTY',
          exchange: 'NSE_INDEX',
          status: 'success',
          mode: 'Quote',
          depth: 5,
          broker: 'tomicsim',
        },
        {
          symbol: 'BAD',
          exchange: 'NSE',
          status: 'error',
          message: 'Token not found for BAD on NSE',
          broker: 'tomicsim',
        },
      ],
    });
    const err = (f: { status: string; code?: string }) => f.status === 'error';
    expect(
      await p.reply({ action: 'subscribe', symbol: 'SBIN', exchange: 'NSE', mode: 4 }, err),
    ).toMatchObject({
      code: 'INVALID_MODE',
      message: 'Invalid mode 4; expected 1 (LTP), 2 (Quote), or 3 (Depth)',
    });
    expect(
      await p.reply({ action: 'subscribe', symbol: 'SBIN', exchange: 'NSE', mode: 'full' }, err),
    ).toMatchObject({
      message: "Invalid mode 'full'; expected 'LTP', 'Quote', or 'Depth' (case-insensitive)",
    });
    expect(
      await p.reply({ action: 'subscribe', symbol: 'SBIN', exchange: 'NSE', mode: true }, err),
    ).toMatchObject({
      message: 'Mode must be int or str, got bool (True)',
    });
    expect(await p.reply({ action: 'subscribe', symbols: [] }, err)).toMatchObject({
      code: 'INVALID_PARAMETERS',
      message: 'At least one symbol must be specified',
    });
    expect(await p.reply('{oops', err)).toEqual({
      status: 'error',
      code: 'INVALID_JSON',
      message: 'Invalid JSON message',
    });
    expect(await p.reply({ action: 'dance' }, err)).toEqual({
      status: 'error',
      code: 'INVALID_ACTION',
      message: 'Invalid action: dance',
    });
    const pong = await p.reply({ action: 'ping', timestamp: 123, _pingId: 'p1' }, (f) => f.type === 'pong');
    expect(pong).toMatchObject({ type: 'pong', status: 'success', client_timestamp: 123, _pingId: 'p1' });
    expect(Number.isInteger(pong.server_timestamp)).toBe(true);
    p.close();
  });

  it('market_data: int envelope mode, per-mode payloads; fan-out: LTP subscribers also get Depth ticks', async () => {
    const ltp = await authed(sim.wsPrimaryUrl, KEY);
    const depth = await authed(sim.wsPrimaryUrl, KEY);
    await depth.reply(
      { action: 'subscribe', symbol: 'RELIANCE', exchange: 'NSE', mode: 'Depth' },
      (f) => f.type === 'subscribe',
    );
    await ltp.reply(
      { action: 'subscribe', symbol: 'RELIANCE', exchange: 'NSE', mode: 'ltp' },
      (f) => f.type === 'subscribe',
    );
    await until(
      () => ltp.marketData().filter((f) => f.data.depth).length >= 2,
      5_000,
      'depth ticks at the LTP client',
    );
    const l = ltp.marketData();
    expect(
      l.every(
        (f) => f.mode === 1 && f.broker === 'tomicsim' && f.symbol === 'RELIANCE' && f.exchange === 'NSE',
      ),
    ).toBe(true);
    // The LTP client receives its own LTP ticks and the Depth ticks (full payload, tagged 1).
    expect(l.some((f) => f.data.depth === undefined)).toBe(true);
    const full = l.find((f) => f.data.depth)!;
    expect(full.data.depth.buy).toHaveLength(5);
    expect(full.data.depth.buy[0]).toEqual({
      price: expect.any(Number),
      quantity: expect.any(Number),
      orders: expect.any(Number),
    });
    // The Depth client never receives the LTP topic.
    const d = depth.marketData();
    expect(d.length).toBeGreaterThan(0);
    expect(d.every((f) => f.mode === 3 && f.data.depth !== undefined && f.data.mode === 3)).toBe(true);
    const data = d.at(-1).data;
    for (const key of [
      'ltp',
      'ltt',
      'timestamp',
      'open',
      'high',
      'low',
      'close',
      'volume',
      'last_quantity',
      'upper_circuit',
      'lower_circuit',
    ])
      expect(typeof data[key], key).toBe('number');
    expect(data.timestamp).toBeGreaterThan(1e12);
    ltp.close();
    depth.close();
  });

  it('unsubscribe must repeat the mode (default 2): a mismatch reports success and removes nothing', async () => {
    const p = await authed(sim.wsPrimaryUrl, KEY);
    await p.reply(
      { action: 'subscribe', symbols: [{ symbol: 'SBIN', exchange: 'NSE' }], mode: 1 },
      (f) => f.type === 'subscribe',
    );
    const un = await p.reply(
      { action: 'unsubscribe', symbols: [{ symbol: 'SBIN', exchange: 'NSE' }], request_id: 'u1' },
      (f) => f.type === 'unsubscribe',
    );
    expect(un).toEqual({
      type: 'unsubscribe',
      status: 'success',
      message: 'Unsubscription processing complete',
      successful: [{ symbol: 'SBIN', exchange: 'NSE', status: 'success', broker: 'tomicsim' }],
      failed: [],
      broker: 'tomicsim',
      request_id: 'u1',
    });
    const n = p.marketData('SBIN').length;
    await until(() => p.marketData('SBIN').length > n + 2, 5_000, 'ticks still flowing');
    await p.reply(
      { action: 'unsubscribe', symbols: [{ symbol: 'SBIN', exchange: 'NSE', mode: 1 }] },
      (f) => f.type === 'unsubscribe',
    );
    await realDelay(50);
    const stopped = p.marketData('SBIN').length;
    await realDelay(400);
    expect(p.marketData('SBIN').length).toBe(stopped);
    await p.reply(
      { action: 'subscribe', symbol: 'SBIN', exchange: 'NSE', mode: 2 },
      (f) => f.type === 'subscribe',
    );
    const all = await p.reply({ action: 'unsubscribe_all' }, (f) => f.type === 'unsubscribe');
    expect(all.successful).toEqual([
      { symbol: 'SBIN', exchange: 'NSE', status: 'success', broker: 'tomicsim' },
    ]);
    p.close();
  });

  it('order_update frames after subscribe_orders', async () => {
    const p = await authed(sim.wsFallbackUrl, KEY);
    expect(
      await p.reply({ action: 'subscribe_orders', request_id: 'o1' }, (f) => f.type === 'subscribe_orders'),
    ).toEqual({
      type: 'subscribe_orders',
      status: 'success',
      message: 'Subscribed to order updates',
      request_id: 'o1',
    });
    const r = await api('placeorder', {
      ...k,
      strategy: 'WS',
      symbol: 'ITC',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 3,
      product: 'MIS',
    });
    const done = await p.next(
      (f) => f.type === 'order_update' && f.orderid === r.json.orderid && f.order_status === 'complete',
    );
    expect(done).toMatchObject({
      type: 'order_update',
      user_id: 'tomic',
      mode: 'analyze',
      broker: 'sandbox',
      symbol: 'ITC',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 3,
      pricetype: 'MARKET',
      product: 'MIS',
      filled_quantity: 3,
      pending_quantity: 0,
      rejection_reason: '',
    });
    expect(
      p.frames.some(
        (f) => f.type === 'order_update' && f.orderid === r.json.orderid && f.order_status === 'open',
      ),
    ).toBe(true);
    p.close();
  });

  it('option contracts tick at Depth in whole lots while subscribed', async () => {
    const p = await authed(sim.wsFallbackUrl, KEY);
    const call = chain[atmIndex]!.ce.symbol;
    const ack = await p.reply(
      { action: 'subscribe', symbol: call, exchange: 'NFO', mode: 3 },
      (f) => f.type === 'subscribe',
    );
    expect(ack.status).toBe('success');
    await until(() => p.marketData(call).length >= 3, 5_000, 'option ticks');
    const f = p.marketData(call).at(-1);
    expect(f).toMatchObject({ exchange: 'NFO', mode: 3, broker: 'tomicsim-fallback' });
    expect(f.data.depth.sell[0].quantity % 75).toBe(0);
    expect(f.data.oi).toBeGreaterThan(0);
    p.close();
  });

  it('the server heartbeat is the protocol-level ping', async () => {
    const fast = await startSimulator({ apiKey: KEY, wsPingIntervalMs: 50, clock: new VirtualClock() });
    try {
      const p = await authed(fast.wsPrimaryUrl, KEY);
      await until(() => p.pings >= 2, 5_000, 'protocol pings');
      expect(p.frames.some((f) => f.type === 'ping' || f.type === 'heartbeat')).toBe(false);
      p.close();
    } finally {
      await fast.stop();
    }
  });
});

describe('microstructure mode over HTTP (the plan’s replay model in the sandbox)', () => {
  it('orders are accepted open, reach the exchange after the latency, and then fill or not', async () => {
    const clock = new VirtualClock();
    const micro = await startSimulator({ apiKey: KEY, clock, microstructure: true, seed: 11 });
    try {
      micro.market.step(3 * 3_600_000); // 12:15 IST, outside the edge windows
      const r = await post(micro.restUrl, 'placeorder', {
        ...k,
        strategy: 'MICRO',
        symbol: 'HDFCBANK',
        exchange: 'NSE',
        action: 'BUY',
        quantity: 10,
        product: 'MIS',
      });
      expect(r.json).toMatchObject({ status: 'success', mode: 'analyze' });
      const status = async () =>
        (await post(micro.restUrl, 'orderstatus', { ...k, strategy: 'MICRO', orderid: r.json.orderid })).json
          .data;
      expect(await status()).toMatchObject({
        order_status: 'open',
        filled_quantity: 0,
        pending_quantity: 10,
      });
      clock.advance(100); // one pacer step: 100 ms of market time, the order's latency
      const s = await status();
      expect(['complete', 'rejected']).toContain(s.order_status);
      expect(s.filled_quantity + s.pending_quantity + (s.order_status === 'rejected' ? 10 : 0)).toBe(10);
      expect(micro.market.ltp('HDFCBANK', 'NSE')).toBeGreaterThan(0);
      expect(micro.market.instruments().map((i) => i.symbol)).toEqual(
        expect.arrayContaining(['NIFTY', 'INDIAVIX', 'RELIANCE']),
      );
    } finally {
      await micro.stop();
    }
  });
});
