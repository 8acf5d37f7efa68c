import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { realDelay, VirtualClock } from '../../../src/clock/index.js';
import { createLogger } from '../../../src/log/index.js';
import { FeedClient, type FeedClientOptions, type Tick } from '../../../src/market/index.js';
import { type FakeFeed, startFakeFeed, until } from './fake-feed.js';

const KEY = 'feed-key-0123456789abcdef';
const NIFTY = { symbol: 'NIFTY', exchange: 'NSE_INDEX' };
const RELIANCE = { symbol: 'RELIANCE', exchange: 'NSE' };
const OPT = { symbol: 'NIFTY28AUG2524000PE', exchange: 'NFO' };

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(opts: Partial<FeedClientOptions> = {}, feedOpts: { apiKey?: string } = {}) {
  const feed = await startFakeFeed({ apiKey: feedOpts.apiKey ?? KEY });
  cleanup.push(() => feed.stop());
  const clock = new VirtualClock({ monotonicMs: 10_000 });
  const client = new FeedClient({ url: feed.url, apiKey: KEY, clock, name: 'primary', ...opts });
  cleanup.push(() => client.stop());
  const ticks: Tick[] = [];
  client.onTick((t) => ticks.push(t));
  return { feed, clock, client, ticks };
}

const subscribes = (feed: FakeFeed) => feed.messages.filter((m) => m.action === 'subscribe');

describe('FeedClient', () => {
  it('authenticates with api_key, then one bulk subscribe per mode; depth key for DEPTH', async () => {
    const { feed, client } = await setup();
    client.subscribe([NIFTY, RELIANCE], 2);
    client.subscribe([OPT], 3);
    client.subscribe([NIFTY], 2); // already held: nothing new
    client.start();
    await until(() => subscribes(feed).length === 2, 3_000, 'subscribes');
    expect(feed.messages[0]).toEqual({ action: 'authenticate', api_key: KEY });
    const [q, d] = subscribes(feed);
    expect(q).toMatchObject({ mode: 2, symbols: [NIFTY, RELIANCE] });
    expect(q).not.toHaveProperty('depth');
    expect(d).toMatchObject({ mode: 3, depth: 5, symbols: [OPT] });
    expect(client.isReady()).toBe(true);
  });

  it('stamps each tick with the injected monotonic clock at receipt; mode-1 subscribers get full payloads', async () => {
    const { feed, client, clock, ticks } = await setup();
    client.subscribe([RELIANCE], 1);
    client.start();
    await until(() => feed.subscribed().has('NSE:RELIANCE'));
    clock.advance(250);
    feed.tick('RELIANCE', 'NSE', { ltp: 1187.75, bid: 1187.7, ask: 1187.8, volume: 5, timestamp: 1 }, 2);
    await until(() => ticks.length === 1);
    expect(ticks[0]).toMatchObject({
      mode: 1,
      ltp: 1187.75,
      bid: 1187.7,
      ask: 1187.8,
      receivedMonoMs: 10_250,
      source: 'primary',
    });
  });

  it('a bare error frame during auth is an auth failure: no subscribe, socket dropped, retried with back-off', async () => {
    const { feed, client, clock } = await setup({}, { apiKey: 'another-key-xxxxxxxx' });
    client.subscribe([NIFTY], 2);
    client.start();
    await until(() => client.stats().authFailures === 1, 3_000, 'auth failure');
    await until(() => client.state() === 'backoff');
    expect(subscribes(feed)).toEqual([]);
    expect(client.stats().lastError).toContain('AUTHENTICATION_ERROR');
    clock.advance(999);
    await realDelay(20);
    expect(feed.messages.filter((m) => m.action === 'authenticate').length).toBe(1);
    clock.advance(1);
    await until(() => client.stats().authFailures === 2, 3_000, 'second attempt');
  });

  it('partial ack: the refused symbol is reported, the others tick', async () => {
    const { feed, client, ticks } = await setup();
    feed.refuse.add('BAD');
    client.subscribe([NIFTY, { symbol: 'BAD', exchange: 'NSE' }], 2);
    client.start();
    await until(() => client.failedSubscriptions().length === 1, 3_000, 'ack');
    expect(client.failedSubscriptions()[0]).toMatchObject({
      symbol: 'BAD',
      mode: 2,
      message: 'Token not found for BAD',
    });
    feed.tick('NIFTY', 'NSE_INDEX', { ltp: 24000 });
    await until(() => ticks.length === 1);
    expect(client.stats().subscribeFailures).toBe(1);
  });

  it('malformed frames are counted and logged, never thrown; the connection survives', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      name: 't',
      level: 'debug',
      destination: new Writable({
        write(c, _e, cb) {
          lines.push(String(c));
          cb();
        },
      }),
    });
    const { feed, client, ticks } = await setup({ logger });
    client.subscribe([NIFTY], 2);
    client.start();
    await until(() => feed.subscribed().has('NSE_INDEX:NIFTY'));
    feed.raw('{not json');
    feed.raw('[1,2,3]');
    feed.raw('"just a string"');
    feed.raw(
      JSON.stringify({
        type: 'market_data',
        symbol: 'NIFTY',
        exchange: 'NSE_INDEX',
        mode: 2,
        data: { ltp: 'abc' },
      }),
    );
    feed.raw(JSON.stringify({ type: 'market_data', symbol: 'NIFTY', mode: 2, data: { ltp: 1 } }));
    feed.raw(JSON.stringify({ type: 'mystery' }));
    feed.raw(JSON.stringify({ type: 'order_update', orderid: '1' }));
    feed.raw(JSON.stringify({ status: 'error', code: 'INVALID_JSON', message: 'Invalid JSON message' }));
    feed.tick('NIFTY', 'NSE_INDEX', { ltp: 24001 });
    await until(() => ticks.length === 1);
    const s = client.stats();
    expect(s.malformed).toBe(6);
    expect(s.serverErrors).toBe(1);
    expect(s.state).toBe('ready');
    expect(feed.connections()).toBe(1);
    expect(lines.filter((l) => l.includes('malformed feed frame')).length).toBe(6);
    for (const l of lines) expect(l).not.toContain(KEY);
  });

  it('an oversize frame is refused (maxPayload), counted, and the client reconnects and resubscribes', async () => {
    const { feed, client, clock, ticks } = await setup({ maxPayloadBytes: 2_048 });
    client.subscribe([NIFTY], 2);
    client.start();
    await until(() => feed.subscribed().has('NSE_INDEX:NIFTY'));
    feed.tick('NIFTY', 'NSE_INDEX', { ltp: 1, pad: 'x'.repeat(10_000) });
    await until(() => client.state() === 'backoff', 3_000, 'drop after oversize');
    expect(client.stats()).toMatchObject({ oversize: 1, malformed: 1 });
    clock.advance(1_000);
    await until(() => client.isReady() && feed.subscribed().has('NSE_INDEX:NIFTY'), 3_000, 'resubscribe');
    feed.tick('NIFTY', 'NSE_INDEX', { ltp: 2 });
    await until(() => ticks.length === 1);
    expect(ticks[0]?.ltp).toBe(2);
  });

  it('reconnects with back-off 1, 2, 5 s on the clock, then re-authenticates and replays every subscription', async () => {
    const { feed, client, clock, ticks } = await setup();
    client.subscribe([NIFTY, RELIANCE], 2);
    client.subscribe([OPT], 3);
    client.start();
    await until(() => subscribes(feed).length === 2);
    await feed.stop();
    await until(() => client.state() === 'backoff');
    const connects = () => client.stats().connects;
    expect(connects()).toBe(1);
    clock.advance(1_000); // attempt 2 (server down)
    await until(() => client.state() === 'backoff' && connects() === 2, 3_000, 'attempt 2');
    clock.advance(1_999);
    await realDelay(20);
    expect(connects()).toBe(2);
    clock.advance(1); // attempt 3 after 2 s
    await until(() => client.state() === 'backoff' && connects() === 3, 3_000, 'attempt 3');
    await feed.restart();
    feed.messages.length = 0;
    clock.advance(4_999);
    await realDelay(20);
    expect(connects()).toBe(3);
    clock.advance(1); // attempt 4 after 5 s: server is back
    await until(() => subscribes(feed).length === 2, 3_000, 'replayed subscriptions');
    expect(feed.messages[0]).toMatchObject({ action: 'authenticate' });
    expect(subscribes(feed).map((m) => [m.mode, (m.symbols as unknown[]).length])).toEqual([
      [2, 2],
      [3, 1],
    ]);
    feed.tick(
      'NIFTY28AUG2524000PE',
      'NFO',
      { ltp: 80, depth: { buy: [{ price: 79.95, quantity: 75 }], sell: [] } },
      3,
    );
    await until(() => ticks.length === 1);
    expect(ticks[0]).toMatchObject({ mode: 3, bid: 79.95 });
    // Back-off starts over after a successful connection.
    feed.dropClients();
    await until(() => client.state() === 'backoff');
    clock.advance(1_000);
    await until(() => client.isReady(), 3_000, 'fast reconnect after success');
  });

  it('unsubscribe repeats the mode in every entry (the proxy otherwise removes nothing)', async () => {
    const { feed, client } = await setup();
    client.subscribe([OPT], 3);
    client.start();
    await until(() => feed.subscribed().get('NFO:NIFTY28AUG2524000PE')?.has(3) === true);
    client.unsubscribe([OPT], 3);
    await until(() => feed.messages.some((m) => m.action === 'unsubscribe'));
    expect(feed.messages.find((m) => m.action === 'unsubscribe')).toMatchObject({
      symbols: [{ ...OPT, mode: 3 }],
    });
    await until(() => feed.subscribed().get('NFO:NIFTY28AUG2524000PE')?.size === 0);
    expect(client.subscriptions(3)).toEqual([]);
  });

  it('a silent TCP path (no frame, no protocol ping past the heartbeat timeout) is dropped and redialled', async () => {
    const { client, clock } = await setup({ heartbeatTimeoutMs: 45_000 });
    client.start();
    await until(() => client.isReady());
    clock.advance(44_999);
    await realDelay(20);
    expect(client.isReady()).toBe(true);
    clock.advance(1);
    await until(() => client.state() === 'backoff', 3_000, 'heartbeat drop');
    expect(client.stats().lastError).toBe('heartbeat timeout');
  });

  it('frames keep the heartbeat alive: the timeout counts from the last frame, not from the connect', async () => {
    const { feed, client, clock } = await setup({ heartbeatTimeoutMs: 45_000 });
    client.start();
    await until(() => client.isReady());
    clock.advance(30_000);
    feed.raw(JSON.stringify({ type: 'broker_info', status: 'success' }));
    await until(() => client.stats().lastMessageMonoMs === clock.monotonicMs(), 3_000, 'frame seen');
    clock.advance(44_999);
    await realDelay(20);
    expect(client.isReady()).toBe(true);
    clock.advance(1);
    await until(() => client.state() === 'backoff', 3_000, 'heartbeat drop');
    expect(client.stats().lastError).toBe('heartbeat timeout');
  });

  it('no auth reply in time: dropped and retried', async () => {
    const { client, clock, feed } = await setup({ authTimeoutMs: 5_000 });
    feed.ignoreAuth = true;
    client.start();
    await until(() => client.state() === 'authenticating');
    clock.advance(4_999);
    await realDelay(20);
    expect(client.state()).toBe('authenticating');
    clock.advance(1);
    await until(() => client.state() === 'backoff');
    expect(client.stats()).toMatchObject({ authFailures: 1, lastError: 'auth timeout' });
    feed.ignoreAuth = false;
    clock.advance(1_000);
    await until(() => client.isReady());
  });

  it('app ping measures the round trip on our monotonic clock', async () => {
    const { client, clock } = await setup({ appPingIntervalMs: 20_000 });
    client.start();
    await until(() => client.isReady());
    clock.advance(20_000);
    await until(() => client.stats().lastPingRttMs !== undefined, 3_000, 'pong');
    expect(client.stats().lastPingRttMs).toBe(0);
  });

  it('stop() closes the socket and no reconnect follows', async () => {
    const { client, clock, feed } = await setup();
    client.start();
    await until(() => client.isReady());
    await client.stop();
    expect(client.state()).toBe('stopped');
    clock.advance(120_000);
    await realDelay(30);
    expect(feed.connections()).toBe(0);
    expect(client.stats().connects).toBe(1);
  });
});
