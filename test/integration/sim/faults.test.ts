import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realDelay, VirtualClock } from '../../../src/clock/index.js';
import { type RunningSimulator, startSimulator } from '../../../src/sim/index.js';
import { authed, post, until, WsProbe } from './helpers.js';

/**
 * Every injected fault, observed from a plain HTTP or WebSocket client (issue 5, Simulator item 5):
 * broker rejects, 429s, the ambiguous accepted-but-unanswered order, slow and dead REST, dead and
 * frozen feeds, restart, and the admin endpoint that drives them from another process.
 */
const KEY = 'fault-test-key-0123456789';
const k = { apikey: KEY };
const ORDER = { ...k, symbol: 'SBIN', exchange: 'NSE', action: 'BUY', quantity: 1, product: 'MIS' };
let sim: RunningSimulator;
const api = (path: string, body: unknown, opts?: Parameters<typeof post>[3]) =>
  post(sim.restUrl, path, body, opts);

beforeAll(async () => {
  sim = await startSimulator({
    apiKey: KEY,
    tickIntervalMs: 50,
    rateLimits: { orderPerSecond: 10_000, apiPerSecond: 10_000 },
  });
});
afterEach(() => sim.faults.clear());
afterAll(async () => {
  await sim?.stop();
});

describe('REST faults', () => {
  it('rejectNext: the next N orders are refused by the broker and never reach the book', async () => {
    sim.faults.set({ rejectNext: 2 });
    const a = await api('placeorder', { ...ORDER, strategy: 'F:reject' });
    const b = await api('placeorder', { ...ORDER, strategy: 'F:reject' });
    const c = await api('placeorder', { ...ORDER, strategy: 'F:reject' });
    expect([a.status, b.status, c.status]).toEqual([400, 400, 200]);
    expect(a.json).toMatchObject({ status: 'error', mode: 'analyze' });
    expect(a.json).not.toHaveProperty('orderid');
    expect(sim.orders().filter((o) => o.strategy === 'F:reject')).toHaveLength(1);
    expect(sim.faults.get().rejectNext).toBe(0);
  });

  it('rejectNext in a basket rejects legs, not the request', async () => {
    sim.faults.set({ rejectNext: 1 });
    const r = await api('basketorder', {
      ...k,
      strategy: 'F:basket',
      orders: [
        { symbol: 'SBIN', exchange: 'NSE', action: 'BUY', quantity: 1, product: 'MIS' },
        { symbol: 'ITC', exchange: 'NSE', action: 'BUY', quantity: 1, product: 'MIS' },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json.results.map((x: { status: string }) => x.status)).toEqual(['error', 'success']);
  });

  it('rateLimitNext: un-enveloped 429 with the route’s limit text, on any route', async () => {
    sim.faults.set({ rateLimitNext: 2 });
    const a = await api('placeorder', { ...ORDER, strategy: 'F:429' });
    const b = await api('funds', k);
    const c = await api('funds', k);
    expect(a.status).toBe(429);
    expect(a.json).toEqual({ message: '10000 per 1 second' });
    expect(b.status).toBe(429);
    expect(b.json).not.toHaveProperty('status');
    expect(c.status).toBe(200);
    expect(sim.orders().some((o) => o.strategy === 'F:429')).toBe(false);
  });

  it('timeoutAfterAcceptNext: the order is accepted and fills, but the answer never comes', async () => {
    sim.faults.set({ timeoutAfterAcceptNext: 1 });
    const ctl = new AbortController();
    const pending = api('placeorder', { ...ORDER, strategy: 'F:ambiguous' }, { signal: ctl.signal }).then(
      () => 'answered',
      (e: Error) => e.name,
    );
    await until(() => sim.orders().some((o) => o.strategy === 'F:ambiguous'), 5_000, 'accepted');
    const outcome = await Promise.race([pending, realDelay(300).then(() => 'no answer')]);
    expect(outcome).toBe('no answer');
    ctl.abort();
    expect(await pending).toBe('AbortError');
    const o = sim.orders().find((x) => x.strategy === 'F:ambiguous')!;
    expect(o.status).toBe('complete');
    // The order is visible in the book: reconciliation by tag resolves the ambiguity.
    const ob = await api('orderbook', k);
    expect(
      ob.json.data.orders.filter((x: { strategy: string }) => x.strategy === 'F:ambiguous'),
    ).toHaveLength(1);
    expect((await api('placeorder', { ...ORDER, strategy: 'F:after' })).status).toBe(200);
  });

  it('restDelayMs: answers wait on the injected clock', async () => {
    const clock = new VirtualClock();
    const slow = await startSimulator({ apiKey: KEY, clock, faults: { restDelayMs: 200 } });
    try {
      let answered = false;
      const pending = post(slow.restUrl, 'ping', k).then((r) => {
        answered = true;
        return r;
      });
      const base = clock.pendingTimers();
      await until(() => clock.pendingTimers() > base, 5_000, 'request waiting');
      clock.advance(199);
      await realDelay(50);
      expect(answered).toBe(false);
      clock.advance(1);
      expect((await pending).json.data.message).toBe('pong');
    } finally {
      await slow.stop();
    }
  });

  it('restDown: connections are refused until REST comes back (admin endpoint on a feed port)', async () => {
    sim.faults.set({ restDown: true });
    // A fresh connection (a pooled one would just see its socket destroyed).
    const fresh = new Agent();
    const err = await request(`${sim.restUrl}/api/v1/ping`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(k),
      dispatcher: fresh,
    }).then(
      () => undefined,
      (e: Error & { code?: string }) => e.code ?? e.name,
    );
    await fresh.close();
    expect(err).toBe('ECONNREFUSED');
    const admin = await request(`${sim.wsFallbackUrl.replace('ws:', 'http:')}/sim/admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apikey: KEY, restDown: false }),
    });
    expect(admin.statusCode).toBe(200);
    expect(((await admin.body.json()) as { faults: { restDown: boolean } }).faults.restDown).toBe(false);
    expect((await api('ping', k)).status).toBe(200);
  });

  it('admin endpoint: key checked, faults validated, clear', async () => {
    const admin = (body: unknown) => post(sim.restUrl, 'faults', body, { prefix: '/sim/admin/' });
    expect((await admin({ apikey: 'nope', rejectNext: 1 })).status).toBe(403);
    expect((await admin({ apikey: KEY, primaryFeed: 'sideways' })).json).toEqual({
      status: 'error',
      message: 'primaryFeed must be one of: up, down, frozen',
    });
    const set = await admin({ apikey: KEY, rejectNext: 3, fallbackFeed: 'frozen' });
    expect(set.json.faults).toMatchObject({ rejectNext: 3, fallbackFeed: 'frozen' });
    expect(sim.faults.get()).toMatchObject({ rejectNext: 3, fallbackFeed: 'frozen' });
    expect((await admin({ apikey: KEY, clear: true })).json.faults).toEqual({
      primaryFeed: 'up',
      fallbackFeed: 'up',
      restDelayMs: 0,
      rejectNext: 0,
      rateLimitNext: 0,
      timeoutAfterAcceptNext: 0,
      restDown: false,
    });
  });
});

describe('feed faults', () => {
  async function quoteClient(url: string) {
    const p = await authed(url, KEY);
    await p.reply(
      { action: 'subscribe', symbol: 'NIFTY', exchange: 'NSE_INDEX', mode: 2 },
      (f) => f.type === 'subscribe',
    );
    return p;
  }

  it('primary down: clients dropped, reconnects refused, fallback keeps ticking; up again accepts', async () => {
    const primary = await quoteClient(sim.wsPrimaryUrl);
    const fallback = await quoteClient(sim.wsFallbackUrl);
    sim.faults.set({ primaryFeed: 'down' });
    await until(() => primary.closed !== undefined, 5_000, 'primary closed');
    const retry = new WsProbe(sim.wsPrimaryUrl);
    await expect(retry.opened).rejects.toThrow();
    const n = fallback.marketData().length;
    await until(() => fallback.marketData().length > n + 3, 5_000, 'fallback ticks');
    sim.faults.set({ primaryFeed: 'up' });
    const again = await quoteClient(sim.wsPrimaryUrl);
    await until(() => again.marketData().length > 2, 5_000, 'primary ticks again');
    for (const p of [fallback, again]) p.close();
  });

  it('frozen: the socket stays open and answers, but no ticks arrive', async () => {
    const p = await quoteClient(sim.wsPrimaryUrl);
    await until(() => p.marketData().length > 1, 5_000, 'ticks');
    sim.faults.set({ primaryFeed: 'frozen' });
    await realDelay(30);
    const n = p.marketData().length;
    await realDelay(400);
    expect(p.marketData().length).toBe(n);
    expect(p.closed).toBeUndefined();
    expect(await p.reply({ action: 'ping' }, (f) => f.type === 'pong')).toMatchObject({ status: 'success' });
    sim.faults.set({ primaryFeed: 'up' });
    await until(() => p.marketData().length > n + 2, 5_000, 'ticks after thaw');
    p.close();
  });

  it('restart: every feed client is dropped with 1012 and may reconnect', async () => {
    const a = await quoteClient(sim.wsPrimaryUrl);
    const b = await quoteClient(sim.wsFallbackUrl);
    await sim.faults.restart();
    await until(() => a.closed !== undefined && b.closed !== undefined, 5_000, 'dropped');
    expect(a.closed).toEqual({ code: 1012, reason: 'Service Restart' });
    const c = await quoteClient(sim.wsPrimaryUrl);
    await until(() => c.marketData().length > 0, 5_000, 'ticks after restart');
    c.close();
  });
});
