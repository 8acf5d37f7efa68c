import { afterEach, describe, expect, it } from 'vitest';
import { formatCompatTable, OpenAlgoClient, runCompatMatrix } from '../../../src/broker/index.js';
import { realDelay, SystemClock } from '../../../src/clock/index.js';
import { type FakeFeed, startFakeFeed } from '../market/fake-feed.js';
import { type FakeOpenAlgo, startFakeOpenAlgo } from './fake-openalgo.js';

const KEY = 'compat-key-0123456789abcdef';
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const leg = (symbol: string) => ({
  symbol,
  label: 'X',
  ltp: 100,
  bid: 99.9,
  ask: 100.1,
  lotsize: 75,
  tick_size: 0.05,
});

function scriptMarket(fake: FakeOpenAlgo, analyze: boolean) {
  fake.script('ping', { json: { status: 'success', data: { message: 'pong', broker: 'sim' } } });
  fake.script('analyzer', {
    json: { status: 'success', data: { analyze_mode: analyze, mode: analyze ? 'analyze' : 'live' } },
  });
  fake.script('funds', {
    json: { status: 'success', data: { availablecash: 1e7, utiliseddebits: 0 }, mode: 'analyze' },
  });
  fake.script('quotes', { json: { status: 'success', data: { ltp: 1200, bid: 1199.95, ask: 1200.05 } } });
  fake.script('expiry', { json: { status: 'success', data: ['28-AUG-25', '04-SEP-25'] } });
  fake.script('optionchain', {
    json: {
      status: 'success',
      underlying: 'NIFTY',
      underlying_ltp: 24010,
      atm_strike: 24000,
      chain: [23900, 23950, 24000, 24050].map((k) => ({
        strike: k,
        ce: leg(`NIFTY28AUG25${k}CE`),
        pe: leg(`NIFTY28AUG25${k}PE`),
      })),
    },
  });
  fake.script(
    'margin',
    { json: { status: 'success', data: { total_margin_required: 120_000 } } },
    { json: { status: 'success', data: { total_margin_required: 30_000 } } },
  );
  fake.script('positionbook', { json: { status: 'success', data: [] } });
}

async function feedWithTicks(): Promise<FakeFeed> {
  const feed = await startFakeFeed({ apiKey: KEY });
  let on = true;
  const loop = (async () => {
    while (on) {
      feed.tick('NIFTY', 'NSE_INDEX', { ltp: 24010 }, 2);
      const lv = (p: number) =>
        Array.from({ length: 5 }, (_, i) => ({ price: p + i * 0.05, quantity: 10, orders: 1 }));
      feed.tick('RELIANCE', 'NSE', { ltp: 1200, depth: { buy: lv(1199), sell: lv(1200.05) } }, 3);
      await realDelay(10);
    }
  })();
  cleanup.push(async () => {
    on = false;
    await loop;
    await feed.stop();
  });
  return feed;
}

async function setup(analyze: boolean) {
  const fake = await startFakeOpenAlgo();
  cleanup.push(() => fake.close());
  scriptMarket(fake, analyze);
  const clock = new SystemClock();
  const client = new OpenAlgoClient({
    baseUrl: fake.url,
    apiKey: KEY,
    timeoutMs: 2_000,
    clock,
    rateLimits: { ordersPerSecond: 100, apiPerSecond: 100 },
  });
  cleanup.push(() => client.close());
  const feed = await feedWithTicks();
  return { fake, client, clock, feed };
}

const bookRow = (orderid: string, extra: Record<string, unknown>) => ({
  action: 'BUY',
  symbol: 'RELIANCE',
  exchange: 'NSE',
  orderid,
  quantity: 1,
  price: 0,
  pricetype: 'MARKET',
  ...extra,
});

/**
 * Scripts the order endpoints of an analyzer-mode run; the orderbook answers with `bookRows`. The
 * matrix records the ids orderstatus reports (`x` here) and the basket's (`b-short`, `b-long`).
 */
function scriptOrders(fake: FakeOpenAlgo, bookRows: Record<string, unknown>[]) {
  fake.script(
    'placeorder',
    { json: { status: 'success', orderid: 'eq-buy', mode: 'analyze' } },
    { json: { status: 'success', orderid: 'eq-sell', mode: 'analyze' } },
    { json: { status: 'success', orderid: 'opt-buy', mode: 'analyze' } },
    { json: { status: 'success', orderid: 'opt-sell', mode: 'analyze' } },
    { json: { status: 'success', orderid: 'rest-1', mode: 'analyze' } },
  );
  fake.script('orderstatus', {
    json: {
      status: 'success',
      mode: 'analyze',
      data: {
        action: 'BUY',
        exchange: 'NSE',
        order_status: 'complete',
        orderid: 'x',
        price: 0,
        price_type: 'MARKET',
        quantity: 1,
        symbol: 'RELIANCE',
      },
    },
  });
  fake.script('basketorder', {
    json: {
      status: 'success',
      mode: 'analyze',
      results: [
        { symbol: 'NIFTY28AUG2523950PE', exchange: 'NFO', status: 'success', orderid: 'b-short' },
        { symbol: 'NIFTY28AUG2523900PE', exchange: 'NFO', status: 'success', orderid: 'b-long' },
      ],
    },
  });
  fake.script('cancelallorder', {
    json: {
      status: 'success',
      message: 'Canceled 1 orders.',
      canceled_orders: ['rest-1'],
      failed_cancellations: [],
    },
  });
  fake.script('orderbook', { json: { status: 'success', data: { orders: bookRows } } });
}

describe('runCompatMatrix', () => {
  it('refuses order checks when the instance is not in analyzer mode (no order reaches the broker)', async () => {
    const { fake, client, clock, feed } = await setup(false);
    const rows = await runCompatMatrix({
      client,
      clock,
      apiKey: KEY,
      feedUrls: [feed.url],
      feedTimeoutMs: 2_000,
    });
    const orderRows = rows.filter((r) =>
      ['placeorder', 'basketorder', 'cancelallorder'].includes(r.endpoint),
    );
    expect(orderRows).toHaveLength(4);
    for (const r of orderRows) {
      expect(r.status).toBe('skip');
      expect(r.detail).toContain('allowLive');
    }
    expect(fake.count('placeorder') + fake.count('basketorder') + fake.count('cancelallorder')).toBe(0);
    expect(rows.find((r) => r.endpoint === 'margin')?.status).toBe('pass');
    expect(rows.find((r) => r.test === 'spread margin benefit')?.detail).toMatch(/^yes/);
    expect(rows.find((r) => r.endpoint === 'websocket primary' && r.test === 'QUOTE')?.status).toBe('pass');
    expect(rows.find((r) => r.endpoint === 'websocket primary' && r.test === 'DEPTH')).toMatchObject({
      status: 'pass',
    });
  });

  it('runs every matrix row in analyzer mode and reports the behaviours', async () => {
    const { fake, client, clock, feed } = await setup(true);
    scriptOrders(fake, [
      bookRow('x', { order_status: 'complete', strategy: 'TOMIC_COMPAT', filled_quantity: 1 }),
    ]);
    const rows = await runCompatMatrix({
      client,
      clock,
      apiKey: KEY,
      feedUrls: [feed.url, feed.url],
      feedTimeoutMs: 2_000,
    });
    const status = Object.fromEntries(rows.map((r) => [`${r.endpoint}/${r.test}`, r.status]));
    expect(status).toMatchObject({
      'ping/API key and broker session': 'pass',
      'analyzer/analyzer (sandbox) mode': 'pass',
      'funds/margin reserve check': 'pass',
      'margin/pre-order margin': 'pass',
      'placeorder/single equity': 'pass',
      'placeorder/single option': 'pass',
      'basketorder/multi-leg spread': 'pass',
      'cancelallorder/kill switch path': 'pass',
      'positionbook/reconciliation': 'pass',
      'websocket primary/QUOTE': 'pass',
      'websocket primary/DEPTH': 'pass',
      'websocket fallback/QUOTE': 'pass',
      'websocket fallback/DEPTH': 'pass',
    });
    expect(rows.find((r) => r.test === 'basket result order')?.detail).toContain('completion order');
    expect(rows.find((r) => r.test === 'orderbook carries strategy tag')?.detail).toMatch(/^yes/);
    const basket = fake.received.get('basketorder')![0]!;
    expect(basket.strategy).toBe('TOMIC_COMPAT');
    expect(
      (basket.orders as Array<{ action: string; symbol: string }>).map((o) => `${o.action} ${o.symbol}`),
    ).toEqual(['BUY NIFTY28AUG2523900PE', 'SELL NIFTY28AUG2523950PE']);
    const rest = fake.received.get('placeorder')![4]!;
    expect(rest).toMatchObject({ pricetype: 'LIMIT', price: 960 });

    const table = formatCompatTable(rows);
    expect(table.split('\n')[0]).toMatch(/^ENDPOINT\s+TEST\s+STATUS\s+MS\s+DETAIL$/);
    expect(table).toContain('placeorder');
    expect(table.trim().split('\n').at(-1)).toMatch(/^\d+ pass, 0 fail, \d+ skip$/);
  });
  it('orderbook tag: our rows count whatever their status (the sandbox case: all cancelled by the kill-switch check)', async () => {
    const { fake, client, clock, feed } = await setup(true);
    scriptOrders(
      fake,
      ['x', 'b-short', 'b-long'].map((id) =>
        bookRow(id, { order_status: 'cancelled', strategy: 'TOMIC_COMPAT', filled_quantity: 0 }),
      ),
    );
    const rows = await runCompatMatrix({
      client,
      clock,
      apiKey: KEY,
      feedUrls: [feed.url],
      feedTimeoutMs: 2_000,
    });
    expect(rows.find((r) => r.test === 'orderbook carries strategy tag')?.detail).toMatch(
      /^yes \(3 of our 3 orders tagged TOMIC_COMPAT\)/,
    );
  });

  it('orderbook tag: live OpenAlgo rows carry no strategy field, reported as "no"', async () => {
    const { fake, client, clock, feed } = await setup(true);
    scriptOrders(fake, [
      bookRow('x', { order_status: 'complete' }),
      bookRow('b-long', { order_status: 'cancelled' }),
    ]);
    const rows = await runCompatMatrix({
      client,
      clock,
      apiKey: KEY,
      feedUrls: [feed.url],
      feedTimeoutMs: 2_000,
    });
    expect(rows.find((r) => r.test === 'orderbook carries strategy tag')?.detail).toMatch(
      /^no \(2 of our orders listed untagged\)/,
    );
  });
});
