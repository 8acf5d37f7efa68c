import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  classify,
  findOrdersByTag,
  formatCompatTable,
  OpenAlgoClient,
  type OpenAlgoClientOptions,
  type PlaceOrderInput,
  runCompatMatrix,
  toExpiryInput,
} from '../../../src/broker/index.js';
import { type Clock, realDelay, SystemClock, VirtualClock } from '../../../src/clock/index.js';
import { FeedManager, type FeedSwitch } from '../../../src/market/index.js';
import { startSimulator } from '../../../src/sim/index.js';

/**
 * Client ↔ simulator over real HTTP and WebSocket on 127.0.0.1 (issue 5, "Tests"): every endpoint,
 * every error class produced by the simulator's fault injection and classified right, the ambiguous
 * placement resolved through the orderbook, feed failover and back with the 30 s block visible, and
 * the Broker Compatibility Matrix (`test_broker_compat`).
 */

type Sim = Awaited<ReturnType<typeof startSimulator>>;
let sim: Sim;
const clients: OpenAlgoClient[] = [];
const managers: FeedManager[] = [];

const NIFTY = { symbol: 'NIFTY', exchange: 'NSE_INDEX' } as const;
const EQUITY = { symbol: 'RELIANCE', exchange: 'NSE' } as const;

function client(opts: Partial<OpenAlgoClientOptions> & { clock?: Clock } = {}): OpenAlgoClient {
  const c = new OpenAlgoClient({
    baseUrl: sim.restUrl,
    apiKey: sim.apiKey,
    timeoutMs: 3_000,
    clock: new SystemClock(),
    rateLimits: { ordersPerSecond: 10, apiPerSecond: 50 },
    ...opts,
  });
  clients.push(c);
  return c;
}

async function until(cond: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  for (let waited = 0; !cond(); waited += 10) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await realDelay(10);
  }
}

/** Picks option symbols from the simulator's own chain (nearest expiry, strikes around ATM). */
async function optionLegs(c: OpenAlgoClient) {
  const ex = await c.expiry({ symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'options' });
  if (!ex.ok) throw new Error(ex.error.message);
  const expiry = toExpiryInput(ex.data[0]!)!;
  const ch = await c.optionChain({
    underlying: 'NIFTY',
    exchange: 'NSE_INDEX',
    expiry_date: expiry,
    strike_count: 5,
  });
  if (!ch.ok) throw new Error(ch.error.message);
  const rows = [...ch.data.chain].sort((a, b) => a.strike - b.strike);
  const atm = rows.findIndex((r) => r.strike === ch.data.atmStrike);
  const i = atm >= 2 ? atm : Math.floor(rows.length / 2);
  return {
    expiry,
    lot: rows[i]!.ce?.lotSize ?? rows[i]!.pe?.lotSize ?? 75,
    atmCall: rows[i]!.ce!.symbol,
    shortPut: rows[i - 1]!.pe!.symbol,
    longPut: rows[i - 2]!.pe!.symbol,
  };
}

beforeAll(async () => {
  sim = await startSimulator({});
});
afterEach(async () => {
  sim.faults.clear();
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await sim?.stop();
});

describe('every endpoint against the simulator', () => {
  it('account, market data, symbols and options', async () => {
    const c = client();
    const ping = await c.ping();
    expect(ping.ok && ping.data.message).toBe('pong');
    const an = await c.analyzerStatus();
    expect(an.ok).toBe(true);
    const funds = await c.funds();
    expect(funds.ok && funds.data.availableCash).toBeGreaterThan(0);
    const q = await c.quotes(NIFTY);
    expect(q.ok && q.data.ltp).toBeGreaterThan(0);
    const eq = await c.quotes(EQUITY);
    expect(eq.ok && eq.data.ltp).toBeGreaterThan(0);
    const mq = await c.multiQuotes({ symbols: [NIFTY, EQUITY] });
    expect(mq.ok && mq.data.every((x) => x.quote !== undefined)).toBe(true);
    const d = await c.depth(EQUITY);
    expect(d.ok && d.data.bids.length).toBeGreaterThan(0);
    const h = await c.history({ ...NIFTY, interval: 'D', start_date: '2025-01-01', end_date: '2026-12-31' });
    expect(h.ok).toBe(true);
    if (h.ok && h.data.length > 1) expect(h.data[1]!.timeMs).toBeGreaterThan(h.data[0]!.timeMs);
    const legs = await optionLegs(c);
    const sym = await c.symbol({ symbol: legs.atmCall, exchange: 'NFO' });
    expect(sym.ok && sym.data.lotSize).toBe(legs.lot);
    const g = await c.optionGreeks({ symbol: legs.atmCall, exchange: 'NFO' });
    expect(g.ok && g.data.impliedVolatility).toBeGreaterThan(0);
    const m = await c.margin({
      positions: [
        {
          symbol: legs.shortPut,
          exchange: 'NFO',
          action: 'SELL',
          quantity: legs.lot,
          product: 'NRML',
          pricetype: 'MARKET',
        },
      ],
    });
    expect(m.ok && m.data.totalMarginRequired).toBeGreaterThan(0);
  });

  it('orders: place (equity, option), status, books, smart order, modify, cancel, basket, cancel-all', async () => {
    const c = client();
    const legs = await optionLegs(c);
    const tag = 'IT_GATEWAY:orders';
    const buy = await c.placeOrder({
      strategy: tag,
      ...EQUITY,
      action: 'BUY',
      quantity: 1,
      pricetype: 'MARKET',
      product: 'CNC',
    });
    expect(buy.ok).toBe(true);
    if (!buy.ok || buy.data.queued) return;
    expect(typeof buy.data.orderId).toBe('string');
    const st = await c.orderStatus({ strategy: tag, orderid: buy.data.orderId });
    expect(st.ok && st.data.orderId).toBe(buy.data.orderId);
    const opt = await c.placeOrder({
      strategy: tag,
      symbol: legs.atmCall,
      exchange: 'NFO',
      action: 'BUY',
      quantity: legs.lot,
      pricetype: 'MARKET',
      product: 'NRML',
    });
    expect(opt.ok || opt.error.class === 'BROKER_REJECT').toBe(true);

    const book = await c.orderBook();
    expect(book.ok).toBe(true);
    if (book.ok)
      expect(findOrdersByTag(book.data, tag).orders.map((o) => o.orderId)).toContain(buy.data.orderId);
    expect((await c.tradeBook()).ok).toBe(true);
    const pos = await c.positionBook();
    expect(pos.ok && pos.data.positions.some((p) => p.symbol === EQUITY.symbol)).toBe(true);

    const smart = await c.placeSmartOrder({
      strategy: tag,
      ...EQUITY,
      action: 'SELL',
      quantity: 1,
      position_size: 0,
      pricetype: 'MARKET',
      product: 'CNC',
    });
    expect(smart.ok || smart.error.class === 'BROKER_REJECT').toBe(true);

    const ltp = (await c.quotes(EQUITY)) as { ok: true; data: { ltp: number } };
    const low = Number((Math.round((ltp.data.ltp * 0.8) / 0.05) * 0.05).toFixed(2));
    const rest = await c.placeOrder({
      strategy: tag,
      ...EQUITY,
      action: 'BUY',
      quantity: 1,
      pricetype: 'LIMIT',
      product: 'CNC',
      price: low,
    });
    expect(rest.ok).toBe(true);
    if (!rest.ok || rest.data.queued) return;
    const mod = await c.modifyOrder({
      strategy: tag,
      ...EQUITY,
      orderid: rest.data.orderId,
      action: 'BUY',
      product: 'CNC',
      pricetype: 'LIMIT',
      price: Number((low - 0.05).toFixed(2)),
      quantity: 1,
      disclosed_quantity: 0,
      trigger_price: 0,
    });
    expect(mod.ok).toBe(true);
    const cancel = await c.cancelOrder({ strategy: tag, orderid: rest.data.orderId });
    expect(cancel.ok).toBe(true);
    const after = await c.orderStatus({ strategy: tag, orderid: rest.data.orderId });
    expect(after.ok && after.data.status).toBe('cancelled');

    const basket = await c.basketOrder({
      strategy: `${tag}:BASKET`,
      orders: [
        {
          symbol: legs.longPut,
          exchange: 'NFO',
          action: 'BUY',
          quantity: legs.lot,
          pricetype: 'MARKET',
          product: 'NRML',
        },
        {
          symbol: legs.shortPut,
          exchange: 'NFO',
          action: 'SELL',
          quantity: legs.lot,
          pricetype: 'MARKET',
          product: 'NRML',
        },
      ],
    });
    expect(basket.ok).toBe(true);
    if (basket.ok) {
      expect(basket.data.byRequest.map((r) => r?.symbol)).toEqual([legs.longPut, legs.shortPut]);
      for (const r of basket.data.results) expect(r.ok || typeof r.message === 'string').toBe(true);
    }

    const rest2 = await c.placeOrder({
      strategy: tag,
      ...EQUITY,
      action: 'BUY',
      quantity: 1,
      pricetype: 'LIMIT',
      product: 'CNC',
      price: low,
    });
    expect(rest2.ok).toBe(true);
    const all = await c.cancelAllOrders({ strategy: tag });
    expect(all.ok).toBe(true);
    if (all.ok && rest2.ok && !rest2.data.queued) expect(all.data.canceled).toContain(rest2.data.orderId);
  });
});

describe('error classes from fault injection', () => {
  const ORDER: PlaceOrderInput = {
    strategy: 'IT_GATEWAY:faults',
    ...EQUITY,
    action: 'BUY',
    quantity: 1,
    pricetype: 'MARKET',
    product: 'CNC',
  };

  it('rejectNext → BROKER_REJECT (not ambiguous)', async () => {
    sim.faults.set({ rejectNext: 1 });
    const r = await client().placeOrder(ORDER);
    expect(!r.ok && r.error).toMatchObject({ class: 'BROKER_REJECT', ambiguous: false, sent: true });
  });

  it('rateLimitNext → un-enveloped 429 → RATE_LIMIT', async () => {
    sim.faults.set({ rateLimitNext: 1 });
    const r = await client().placeOrder(ORDER);
    expect(!r.ok && r.error).toMatchObject({ class: 'RATE_LIMIT', httpStatus: 429, ambiguous: false });
  });

  it('the sim’s own limiter: bursts past the limit earn classified 429s; our bucket earns none', async () => {
    const raw = client({ rateLimits: { ordersPerSecond: 1_000, apiPerSecond: 1_000 } });
    const burst = await Promise.all(Array.from({ length: 15 }, () => raw.orderBook()));
    // Whatever the simulator's API limit, every refusal in the burst must be a classified 429.
    for (const r of burst) if (!r.ok) expect(r.error).toMatchObject({ class: 'RATE_LIMIT', httpStatus: 429 });
    await realDelay(1_100);
    const polite = client({ rateLimits: { ordersPerSecond: 10, apiPerSecond: 10 }, maxQueueMs: 5_000 });
    const queued = await Promise.all(Array.from({ length: 15 }, () => polite.orderBook()));
    expect(queued.every((r) => r.ok)).toBe(true);
  });

  it('timeoutAfterAcceptNext → ambiguous placement, resolved through the orderbook by tag', async () => {
    const clock = new VirtualClock();
    const c = client({ clock, timeoutMs: 2_000 });
    const tag = `IT_GATEWAY:ambiguous:${Date.now()}`;
    sim.faults.set({ timeoutAfterAcceptNext: 1 });
    const pending = c.placeOrder({ ...ORDER, strategy: tag });
    await until(
      () => sim.orders().some((o: { strategy?: string }) => o.strategy === tag),
      5_000,
      'order accepted by sim',
    );
    await realDelay(20);
    clock.advance(2_000);
    const r = await pending;
    expect(!r.ok && r.error).toMatchObject({
      class: 'NETWORK_TIMEOUT',
      code: 'BROKER_AMBIGUOUS',
      ambiguous: true,
      sent: true,
    });
    const book = await client().orderBook();
    expect(book.ok).toBe(true);
    if (book.ok) expect(findOrdersByTag(book.data, tag).orders).toHaveLength(1);
  });

  it('restDelayMs beyond the timeout → NETWORK_TIMEOUT on a read (not ambiguous)', async () => {
    const clock = new VirtualClock();
    const c = client({ clock, timeoutMs: 500 });
    sim.faults.set({ restDelayMs: 5_000 });
    const pending = c.funds();
    await realDelay(100);
    clock.advance(500);
    const r = await pending;
    expect(!r.ok && r.error).toMatchObject({ class: 'NETWORK_TIMEOUT', ambiguous: false, sent: true });
  });

  it('restDown → network class, never ambiguous for anything not sent', async () => {
    sim.faults.set({ restDown: true });
    const c = client({ timeoutMs: 1_000 });
    const r = await c.placeOrder(ORDER);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(['NETWORK_TIMEOUT', 'UNKNOWN']).toContain(r.error.class);
      if (!r.error.sent) expect(r.error.ambiguous).toBe(false);
    }
  });

  it('a wrong API key → AUTH', async () => {
    const r = await client({ apiKey: 'definitely-not-the-key' }).funds();
    expect(!r.ok && r.error).toMatchObject({ class: 'AUTH' });
  });

  it('the sim’s own validation shapes classify as VALIDATION; a non-JSON body as UNKNOWN', async () => {
    const post = async (route: string, body: string) => {
      const res = await request(`${sim.restUrl}/api/v1/${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return classify({ kind: 'http', status: res.statusCode, bodyText: text, json }, { mutating: true });
    };
    const missing = await post(
      'placeorder',
      JSON.stringify({
        apikey: sim.apiKey,
        strategy: 's',
        symbol: 'RELIANCE',
        exchange: 'NSE',
        action: 'BUY',
      }),
    );
    expect(missing).toMatchObject({ class: 'VALIDATION' });
    expect(Object.keys(missing.fieldErrors ?? {})).toContain('quantity');
    const unknownField = await post(
      'placeorder',
      JSON.stringify({
        apikey: sim.apiKey,
        strategy: 's',
        symbol: 'RELIANCE',
        exchange: 'NSE',
        action: 'BUY',
        quantity: 1,
        target: 5,
      }),
    );
    expect(unknownField.fieldErrors?.target).toEqual(['Unknown field.']);
    const garbage = await post('funds', '{not json');
    expect(garbage.class).toBe('UNKNOWN');
  });
});

describe('feed failover against the simulator', () => {
  async function manager(clock: Clock, extra: Partial<ConstructorParameters<typeof FeedManager>[0]> = {}) {
    const switches: FeedSwitch[] = [];
    const m = new FeedManager({
      primaryUrl: sim.wsPrimaryUrl,
      fallbackUrl: sim.wsFallbackUrl,
      apiKey: sim.apiKey,
      clock,
      frozenAfterMs: 500,
      recoveryStableMs: 2_000,
      checkIntervalMs: 50,
      onSwitch: (e) => switches.push(e),
      ...extra,
    });
    managers.push(m);
    m.subscribe('regime', [NIFTY, EQUITY]);
    m.subscribe('execution', [EQUITY]);
    m.start();
    await until(
      () => m.primary.isReady() && m.fallback!.isReady() && m.active() === 'primary',
      5_000,
      'both feeds up',
    );
    await until(() => m.cache.get('NIFTY') !== undefined, 5_000, 'first tick');
    return { m, switches };
  }

  it('ticks reach the quote cache stamped on our monotonic clock, with depth for the Execution role', async () => {
    const clock = new SystemClock();
    const { m } = await manager(clock);
    await until(() => m.cache.get('RELIANCE', 'NSE')?.depth !== undefined, 5_000, 'depth tick');
    const q = m.cache.get('RELIANCE', 'NSE')!;
    expect(q.depth!.buy.length).toBeGreaterThan(0);
    expect(q.receivedMonoMs).toBeLessThanOrEqual(clock.monotonicMs());
    expect(clock.monotonicMs() - q.receivedMonoMs).toBeLessThan(60_000);
  });

  it('primary down → fallback with no clock time elapsed; 30 s FEED_SWITCHING block; back when healthy', async () => {
    const clock = new VirtualClock({ monotonicMs: 1_000_000 });
    const { m, switches } = await manager(clock);
    const downAt = clock.monotonicMs();
    sim.faults.set({ primaryFeed: 'down' });
    await until(() => m.active() === 'fallback', 5_000, 'failover');
    expect(m.lastSwitchMonoMs()! - downAt).toBeLessThan(1_000);
    expect(m.isSwitching()).toBe(true);
    expect(m.isSwitching(m.lastSwitchMonoMs()! + 29_999)).toBe(true);
    expect(m.isSwitching(m.lastSwitchMonoMs()! + 30_000)).toBe(false);
    expect(m.health()).toMatchObject({
      active: 'fallback',
      primaryUp: false,
      fallbackUp: true,
      failoversToday: 1,
    });

    sim.faults.set({ primaryFeed: 'up' });
    for (let i = 0; i < 200 && m.active() !== 'primary'; i++) {
      await clock.advanceAsync(250);
      await realDelay(10);
    }
    expect(m.active()).toBe('primary');
    expect(switches.map((s) => s.to)).toEqual(['fallback', 'primary']);
    expect(m.isSwitching()).toBe(true);
  });

  it('a frozen primary is detected and failed over within a second of feed time', async () => {
    const clock = new VirtualClock({ monotonicMs: 5_000_000 });
    const { m, switches } = await manager(clock);
    const fallbackTicks = () => m.fallback!.stats().ticks;
    sim.faults.set({ primaryFeed: 'frozen' });
    const frozenAt = clock.monotonicMs();
    for (let i = 0; i < 40 && m.active() === 'primary'; i++) {
      const n = fallbackTicks();
      await until(() => fallbackTicks() > n, 5_000, 'fallback tick');
      await clock.advanceAsync(100);
    }
    expect(m.active()).toBe('fallback');
    expect(switches[0]!.reason).toContain('frozen');
    expect(m.lastSwitchMonoMs()! - frozenAt).toBeLessThanOrEqual(1_000);
  });

  it('both feeds down → active none', async () => {
    const clock = new VirtualClock({ monotonicMs: 9_000_000 });
    const { m } = await manager(clock);
    sim.faults.set({ primaryFeed: 'down', fallbackFeed: 'down' });
    await until(() => m.active() === 'none', 5_000, 'both down');
    expect(m.health()).toMatchObject({ primaryUp: false, fallbackUp: false });
  });
});

describe('Broker Compatibility Matrix against the simulator (test_broker_compat)', () => {
  it('every row passes or is skipped for a stated reason', async () => {
    const c = client({ rateLimits: { ordersPerSecond: 10, apiPerSecond: 50 } });
    const rows = await runCompatMatrix({
      client: c,
      clock: new SystemClock(),
      apiKey: sim.apiKey,
      feedUrls: [sim.wsPrimaryUrl, sim.wsFallbackUrl],
      feedTimeoutMs: 10_000,
    });
    const table = formatCompatTable(rows);
    expect(
      rows.filter((r) => r.status === 'fail'),
      table,
    ).toEqual([]);
    for (const e of ['placeorder', 'basketorder', 'cancelallorder', 'positionbook', 'funds', 'margin']) {
      expect(
        rows.some((r) => r.endpoint === e && r.status === 'pass'),
        `${e}\n${table}`,
      ).toBe(true);
    }
    expect(rows.filter((r) => r.endpoint.startsWith('websocket') && r.status === 'pass')).toHaveLength(4);
    // The simulator is OpenAlgo's sandbox: its orderbook rows carry `strategy` (REST.md §6.3), also on
    // the orders the matrix itself cancelled.
    expect(rows.find((r) => r.test === 'orderbook carries strategy tag')?.detail, table).toMatch(/^yes/);
  });
});
