import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { OrderView, PendingOrder, PositionsView, StatusSnapshot } from '../../../src/api/index.js';
import { API_KEY, fakeSystem, testApp } from './support/fake-system.js';

const key = { 'x-api-key': API_KEY };
const apps: FastifyInstance[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});

async function make(env: Record<string, string> = {}) {
  const sys = fakeSystem(env);
  const app = await testApp(sys);
  apps.push(app);
  const get = async (url: string, headers: Record<string, string> = {}) => {
    const r = await app.inject({ method: 'GET', url, headers: { ...key, ...headers } });
    return {
      status: r.statusCode,
      body: String(r.headers['content-type'] ?? '').includes('json') ? r.json() : r.body,
      r,
    };
  };
  const post = async (url: string, payload: Record<string, unknown> = {}) => {
    const r = await app.inject({ method: 'POST', url, headers: key, payload });
    return { status: r.statusCode, body: r.json() as Record<string, unknown> };
  };
  return { sys, app, get, post };
}

describe('control routes', () => {
  it('start, stop, pause, resume, kill run the runtime and answer {status, data}; each is one audit row', async () => {
    const { sys, post } = await make();
    expect(await post('/tomic/stop')).toEqual({
      status: 200,
      body: {
        status: 'success',
        data: { action: 'stop', message: 'safe shutdown complete', state: 'ACTIVE' },
      },
    });
    expect((await post('/tomic/start')).body).toMatchObject({ data: { message: 'agents started' } });
    expect((await post('/tomic/pause', { reason: 'RBI policy at 10:00' })).body).toMatchObject({
      data: { action: 'pause', message: 'trading paused' },
    });
    expect((await post('/tomic/kill', { reason: 'drill' })).body).toEqual({
      status: 'success',
      data: { action: 'kill', message: 'kill switch engaged', state: 'HALTED', details: { cancelled: 3 } },
    });
    expect((await post('/tomic/resume')).body).toMatchObject({ data: { state: 'ACTIVE' } });
    expect(sys.calls).toEqual([
      'stop:api-key',
      'start:api-key',
      'pause:RBI policy at 10:00:api-key',
      'kill:drill:api-key',
      'resume:api-key',
    ]);
    const rows = sys.audit.list().rows.reverse();
    expect(rows.map((r) => [r.action, r.outcome, r.user, r.ip, r.channel])).toEqual([
      ['stop', 'ok', 'api-key', '127.0.0.1', 'api'],
      ['start', 'ok', 'api-key', '127.0.0.1', 'api'],
      ['pause', 'ok', 'api-key', '127.0.0.1', 'api'],
      ['kill', 'ok', 'api-key', '127.0.0.1', 'api'],
      ['resume', 'ok', 'api-key', '127.0.0.1', 'api'],
    ]);
    expect(rows[2]!.detail).toMatchObject({ reason: 'RBI policy at 10:00', message: 'trading paused' });
    expect(rows[3]!.detail).toMatchObject({ reason: 'drill', state: 'HALTED' });
    expect(
      rows.every((r) => r.wall_ms === sys.clock.wallMs() && r.ts === new Date(r.wall_ms).toISOString()),
    ).toBe(true);
  });

  it('pause and kill default their reason; an empty body is fine', async () => {
    const { sys, app } = await make();
    const r = await app.inject({ method: 'POST', url: '/tomic/pause', headers: key });
    expect(r.statusCode).toBe(200);
    await app.inject({ method: 'POST', url: '/tomic/kill', headers: key, payload: {} });
    expect(sys.calls).toEqual(['pause:operator pause:api-key', 'kill:operator kill switch:api-key']);
  });

  it("a refusal by the runtime answers with its registry code and HTTP status, audited 'failed'", async () => {
    const { sys, post } = await make();
    await post('/tomic/kill');
    const r = await post('/tomic/pause', { reason: 'after kill' });
    expect(r).toEqual({
      status: 423,
      body: { status: 'error', code: 'TRADING_HALTED', message: 'Trading is halted (kill switch)' },
    });
    expect(sys.audit.list({ action: 'pause' }).rows[0]).toMatchObject({
      outcome: 'failed',
      code: 'TRADING_HALTED',
    });
  });

  it('a malformed body is 400 MALFORMED_MESSAGE and the runtime is not called', async () => {
    const { sys, post } = await make();
    const r = await post('/tomic/pause', { reason: 'x'.repeat(501) });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ status: 'error', code: 'MALFORMED_MESSAGE' });
    expect(sys.calls).toEqual([]);
    expect(sys.audit.list().rows[0]).toMatchObject({
      action: 'pause',
      outcome: 'denied',
      code: 'MALFORMED_MESSAGE',
    });
  });

  it('a body that is not JSON is 400, audited for control routes', async () => {
    const { sys, app } = await make();
    const r = await app.inject({
      method: 'POST',
      url: '/tomic/kill',
      headers: { ...key, 'content-type': 'application/json' },
      payload: '{"reason": ',
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ status: 'error', code: 'MALFORMED_MESSAGE' });
    expect(sys.calls).toEqual([]);
    expect(sys.audit.list().rows[0]).toMatchObject({
      action: 'kill',
      outcome: 'denied',
      code: 'MALFORMED_MESSAGE',
    });
    const big = await app.inject({
      method: 'POST',
      url: '/tomic/pause',
      headers: key,
      payload: { reason: 'x', pad: 'y'.repeat(70_000) },
    });
    expect(big.statusCode).toBe(400);
  });

  it('a runtime bug is 500 INTERNAL_ERROR with no detail leaked, logged and audited as error', async () => {
    const { sys, post } = await make();
    sys.failNext();
    const r = await post('/tomic/stop');
    expect(r).toEqual({
      status: 500,
      body: { status: 'error', code: 'INTERNAL_ERROR', message: 'Internal error; see the log' },
    });
    expect(sys.audit.list().rows[0]).toMatchObject({
      action: 'stop',
      outcome: 'error',
      code: 'INTERNAL_ERROR',
    });
    expect(sys.logLines.some((l) => l.includes('runtime exploded'))).toBe(true);
  });
});

describe('Semi-Auto approvals', () => {
  it('lists pending orders, approves and rejects by id, audited with the id', async () => {
    const { sys, get, post } = await make();
    const pending = await get('/tomic/orders/pending');
    expect(pending.status).toBe(200);
    const list = PendingOrder.array().parse((pending.body as { data: unknown }).data);
    expect(list.map((p) => p.id)).toEqual([7, 8]);
    expect((await post('/tomic/orders/7/approve')).body).toMatchObject({
      data: { message: 'command 7 approved' },
    });
    expect((await post('/tomic/orders/8/reject', { reason: 'too close to expiry' })).body).toMatchObject({
      data: { action: 'reject' },
    });
    expect(sys.calls).toEqual(['approve:7:api-key', 'reject:8:too close to expiry:api-key']);
    expect(((await get('/tomic/orders/pending')).body as { data: unknown[] }).data).toEqual([]);
    const rows = sys.audit.list().rows;
    expect(rows.map((r) => [r.action, r.outcome, r.detail?.id])).toEqual([
      ['reject', 'ok', 8],
      ['approve', 'ok', 7],
    ]);
  });

  it('unknown id → 404 COMMAND_NOT_FOUND; a non-numeric id → 400; reject reason defaults', async () => {
    const { sys, post } = await make();
    expect(await post('/tomic/orders/99/approve')).toMatchObject({
      status: 404,
      body: { code: 'COMMAND_NOT_FOUND' },
    });
    expect(await post('/tomic/orders/abc/approve')).toMatchObject({
      status: 400,
      body: { code: 'MALFORMED_MESSAGE' },
    });
    expect(await post('/tomic/orders/-3/reject')).toMatchObject({ status: 400 });
    await post('/tomic/orders/7/reject');
    expect(sys.calls).toEqual(['approve:99:api-key', 'reject:7:rejected by operator:api-key']);
    expect(sys.audit.list({ action: 'approve' }).rows.map((r) => r.outcome)).toEqual(['denied', 'failed']);
  });
});

describe('read routes', () => {
  it('GET /tomic/status: trading state, agents (heartbeat age, restarts), feed (failovers), breakers, freshness', async () => {
    const { get } = await make();
    const r = await get('/tomic/status');
    expect(r.status).toBe(200);
    const s = StatusSnapshot.parse((r.body as { data: unknown }).data);
    expect(s.tradingState.state).toBe('ACTIVE');
    expect(s.agents.find((a) => a.name === 'regime')).toMatchObject({ state: 'CRASHED', restarts: 3 });
    expect(s.agents[0]!.heartbeatAgeMs).toBe(1_200);
    expect(s.feed.failoversToday).toBe(1);
    expect(s.breakers.map((b) => b.name)).toEqual(['daily_loss', 'order_rate']);
    expect(s.freshness.find((f) => f.stale)?.symbol).toBe('NIFTY26FEB2625000PE');
  });

  it('GET /tomic/positions', async () => {
    const { get } = await make();
    const p = PositionsView.parse(((await get('/tomic/positions')).body as { data: unknown }).data);
    expect(p.version).toBe(3);
    expect(p.positions[0]).toMatchObject({ symbol: 'NIFTY26FEB2625000PE', quantity: -130 });
  });

  it('GET /tomic/orders filters by status and strategy, pages, and masks broker order ids', async () => {
    const { get } = await make();
    const all = OrderView.array().parse(((await get('/tomic/orders')).body as { data: unknown }).data);
    expect(all.map((o) => o.id)).toEqual([12, 11]);
    expect(all[0]!.broker_order_id).toBe('***3456***');
    const failed = ((await get('/tomic/orders?status=FAILED')).body as { data: Array<{ id: number }> }).data;
    expect(failed.map((o) => o.id)).toEqual([11]);
    const paged = ((await get('/tomic/orders?limit=1&offset=1')).body as { data: Array<{ id: number }> })
      .data;
    expect(paged.map((o) => o.id)).toEqual([11]);
    expect((await get('/tomic/orders?status=NOPE')).status).toBe(400);
    expect((await get('/tomic/orders?limit=0')).status).toBe(400);
    expect((await get('/tomic/orders?limit=5000')).status).toBe(400);
  });

  it('GET /tomic/journal is paged and filterable by strategy, type, code and time', async () => {
    const { sys, get } = await make();
    const page = (await get('/tomic/journal?limit=2&offset=1')).body as {
      data: { rows: Array<{ id: number }>; total: number; limit: number; offset: number };
    };
    expect(page.data).toMatchObject({ total: 5, limit: 2, offset: 1 });
    expect(page.data.rows.map((r) => r.id)).toEqual([2, 3]);
    const rejects = (await get('/tomic/journal?type=REJECT&code=BROKER_REJECT')).body as {
      data: { total: number };
    };
    expect(rejects.data.total).toBe(2);
    const sniper = (await get('/tomic/journal?strategyId=TOMIC_SNIPER_DITM_RELIANCE_20260215')).body as {
      data: { total: number };
    };
    expect(sniper.data.total).toBe(2);
    const recent = (await get(`/tomic/journal?sinceWallMs=${sys.clock.wallMs() - 2_000}`)).body as {
      data: { total: number };
    };
    expect(recent.data.total).toBe(2);
    expect((await get('/tomic/journal?type=BOGUS')).status).toBe(400);
  });

  it('GET /tomic/analytics', async () => {
    const { get } = await make();
    const a = (await get('/tomic/analytics')).body as { data: { rejects_by_code: unknown } };
    expect(a.data.rejects_by_code).toEqual({ BROKER_REJECT: 2 });
  });

  it('GET /tomic/metrics: JSON by default, Prometheus text with Accept: text/plain or ?format=prometheus', async () => {
    const { get } = await make();
    const json = await get('/tomic/metrics');
    expect(json.body).toMatchObject({ status: 'success', data: { orderLatencyP99Ms: 42 } });
    for (const r of [
      await get('/tomic/metrics', { accept: 'text/plain' }),
      await get('/tomic/metrics?format=prometheus'),
    ]) {
      expect(r.status).toBe(200);
      expect(r.r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(r.body).toContain('# TYPE tomic_order_latency_p99_ms gauge');
      expect(r.body).toContain('tomic_order_latency_p99_ms 42');
    }
    expect((await get('/tomic/metrics?format=xml')).status).toBe(400);
  });

  it('GET /tomic/audit pages the audit trail, newest first, filterable', async () => {
    const { get, post } = await make();
    await post('/tomic/pause');
    await post('/tomic/resume');
    const page = (await get('/tomic/audit?limit=1')).body as {
      data: { rows: Array<{ action: string }>; total: number };
    };
    expect(page.data.total).toBe(2);
    expect(page.data.rows.map((r) => r.action)).toEqual(['resume']);
    const pauses = (await get('/tomic/audit?action=pause')).body as { data: { total: number } };
    expect(pauses.data.total).toBe(1);
  });

  it('GET /tomic/session with an API key says so (no CSRF token needed)', async () => {
    const { get } = await make();
    expect((await get('/tomic/session')).body).toEqual({
      status: 'success',
      data: { user: 'api-key', kind: 'api-key', csrfToken: null },
    });
  });
});
