import { createServer, type Server } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient, exitCodeOf, listen } from '../../../src/api/index.js';
import { VirtualClock } from '../../../src/clock/index.js';
import { API_KEY, type FakeSystem, fakeSystem, testApp } from './support/fake-system.js';

let sys: FakeSystem;
let app: FastifyInstance;
let baseUrl: string;

beforeAll(async () => {
  sys = fakeSystem({ TOMIC_API_PORT: '0' });
  app = await testApp(sys);
  const l = await listen(app, sys.config.api);
  baseUrl = l.url;
});
afterAll(async () => {
  await app.close();
});

describe('ControlClient (for the tomic CLI) against a listening API', () => {
  it('binds to config.api.host (127.0.0.1 by default) on the port it was given', () => {
    expect(sys.config.api.host).toBe('127.0.0.1');
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const addr = app.server.address();
    expect(addr !== null && typeof addr === 'object' && addr.address).toBe('127.0.0.1');
  });

  it('reads every view, parsed with the server schemas', async () => {
    const c = new ControlClient({ baseUrl: `${baseUrl}/`, apiKey: API_KEY });
    const health = await c.health();
    expect(health).toEqual({ ok: true, data: { status: 'success' } });
    const status = await c.status();
    expect(status.ok && status.data.agents.length).toBe(3);
    const positions = await c.positions();
    expect(positions.ok && positions.data.version).toBe(3);
    const orders = await c.orders({ status: 'DONE' });
    expect(orders.ok && orders.data.map((o) => [o.id, o.broker_order_id])).toEqual([[12, '***3456***']]);
    const pending = await c.pendingOrders();
    expect(pending.ok && pending.data.map((p) => p.id)).toEqual([7, 8]);
    const journal = await c.journal({ limit: 2, type: 'FILL' });
    expect(journal.ok && [journal.data.total, journal.data.rows.length]).toEqual([3, 2]);
    const analytics = await c.analytics();
    expect(analytics.ok && analytics.data.rejects_by_code).toEqual({ BROKER_REJECT: 2 });
    const metrics = await c.metrics();
    expect(metrics.ok && metrics.data.orderLatencyP99Ms).toBe(42);
    const text = await c.metricsText();
    expect(text.ok && text.data).toContain('tomic_order_latency_p99_ms 42');
    const session = await c.session();
    expect(session.ok && session.data.kind).toBe('api-key');
  });

  it('runs every action; refusals come back as registry codes with exit code 1', async () => {
    const c = new ControlClient({ baseUrl, apiKey: API_KEY });
    expect(await c.pause('cli test')).toEqual({
      ok: true,
      data: { action: 'pause', message: 'trading paused', state: 'ACTIVE' },
    });
    expect((await c.stop()).ok).toBe(true);
    expect((await c.start()).ok).toBe(true);
    const kill = await c.kill('cli drill');
    expect(kill.ok && kill.data).toMatchObject({ state: 'HALTED', details: { cancelled: 3 } });
    const refused = await c.pause();
    expect(refused).toMatchObject({ ok: false, code: 'TRADING_HALTED', httpStatus: 423 });
    expect(exitCodeOf(refused)).toBe(1);
    expect((await c.resume()).ok).toBe(true);
    expect((await c.approve(7)).ok).toBe(true);
    expect((await c.reject(8, 'no')).ok).toBe(true);
    const missing = await c.approve(7);
    expect(missing).toMatchObject({ ok: false, code: 'COMMAND_NOT_FOUND', httpStatus: 404 });
    const audit = await c.audit({ action: 'kill' });
    expect(audit.ok && audit.data.rows[0]).toMatchObject({ action: 'kill', outcome: 'ok', user: 'api-key' });
    expect(sys.calls.slice(-3)).toEqual(['approve:7:api-key', 'reject:8:no:api-key', 'approve:7:api-key']);
  });

  it('a wrong key is AUTH_INVALID (exit 3)', async () => {
    const r = await new ControlClient({ baseUrl, apiKey: 'tomic-wrong-key-0000000000000000' }).status();
    expect(r).toMatchObject({ ok: false, code: 'AUTH_INVALID', httpStatus: 403 });
    expect(exitCodeOf(r)).toBe(3);
  });

  it('nothing listening is API_UNREACHABLE (exit 4)', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await new ControlClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: API_KEY }).status();
    expect(r).toMatchObject({ ok: false, code: 'API_UNREACHABLE', httpStatus: null });
    expect(exitCodeOf(r)).toBe(4);
  });

  it('a server that never answers is API_TIMEOUT on the injected clock (exit 4)', async () => {
    const sockets: import('node:net').Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const clock = new VirtualClock();
    const pending = new ControlClient({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey: API_KEY,
      clock,
      timeoutMs: 5_000,
    }).status();
    // Wait until the request is really on the wire, then let the virtual deadline pass.
    for (let i = 0; i < 500 && sockets.length === 0; i++) await new Promise((r) => setImmediate(r));
    clock.advance(5_000);
    const r = await pending;
    expect(r).toMatchObject({ ok: false, code: 'API_TIMEOUT' });
    expect(exitCodeOf(r)).toBe(4);
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });
});
