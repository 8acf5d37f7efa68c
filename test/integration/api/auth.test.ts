import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, PUBLIC_ROUTES, registeredRoutes, SESSION_COOKIE } from '../../../src/api/index.js';
import {
  ADMIN_PASSWORD,
  ADMIN_USER,
  API_KEY,
  adminHash,
  fakeSystem,
  testApp,
} from './support/fake-system.js';

const WRONG_KEY = 'tomic-wrong-key-0123456789abcdef';
const key = { 'x-api-key': API_KEY };
const apps: FastifyInstance[] = [];

async function make(env: Record<string, string> = {}, opts: Parameters<typeof testApp>[1] = {}) {
  const sys = fakeSystem(env);
  const app = await testApp(sys, opts);
  apps.push(app);
  return { sys, app };
}

afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});

beforeAll(async () => {
  await adminHash();
});

const code = (r: LightMyRequestResponse) => (r.json() as { code?: string }).code;

async function login(app: FastifyInstance, password = ADMIN_PASSWORD, remoteAddress = '127.0.0.1') {
  const r = await app.inject({
    method: 'POST',
    url: '/tomic/login',
    payload: { username: ADMIN_USER, password },
    remoteAddress,
  });
  const setCookie = String(r.headers['set-cookie'] ?? '');
  const cookie = setCookie.split(';')[0] ?? '';
  const csrf = r.statusCode === 200 ? (r.json() as { data: { csrfToken: string } }).data.csrfToken : '';
  return { r, cookie, setCookie, csrf };
}

describe('deny by default (§10)', () => {
  it('only health and login are public', () => {
    expect([...PUBLIC_ROUTES].sort()).toEqual(['GET /tomic/health', 'POST /tomic/login']);
  });

  it('every registered route but health/login refuses a request without credentials, and no handler runs', async () => {
    const { sys, app } = await make();
    await app.ready();
    const routes = registeredRoutes(app);
    // The route list is the app's own (onRoute), so a route added later is covered without editing this test.
    expect(routes.length).toBeGreaterThanOrEqual(20);
    expect(routes.some((r) => r.websocket && r.url === '/tomic/live')).toBe(true);
    let publicSeen = 0;
    for (const route of routes) {
      const url = route.url.replace(':id', '7');
      const method = route.method as 'GET' | 'POST';
      const plain = await app.inject({ method, url, ...(method === 'POST' ? { payload: {} } : {}) });
      const wrong = await app.inject({
        method,
        url,
        headers: { 'x-api-key': WRONG_KEY },
        ...(method === 'POST' ? { payload: {} } : {}),
      });
      if (PUBLIC_ROUTES.has(`${route.method} ${route.url}`)) {
        publicSeen++;
        expect(plain.statusCode, `${route.method} ${route.url}`).not.toBe(401);
        continue;
      }
      expect(plain.statusCode, `${route.method} ${route.url}`).toBe(401);
      expect(plain.json()).toMatchObject({ status: 'error', code: 'AUTH_REQUIRED' });
      expect(wrong.statusCode, `${route.method} ${route.url} wrong key`).toBe(403);
      expect(code(wrong)).toBe('AUTH_INVALID');
    }
    expect(publicSeen).toBe(2);
    expect(sys.calls).toEqual([]);
  });

  it('unknown routes need credentials too (no route enumeration); with a key they are 404', async () => {
    const { app } = await make();
    const anon = await app.inject({ method: 'GET', url: '/tomic/secret-admin' });
    expect(anon.statusCode).toBe(401);
    const withKey = await app.inject({ method: 'GET', url: '/tomic/secret-admin', headers: key });
    expect(withKey.statusCode).toBe(404);
    expect(withKey.json()).toEqual({ status: 'error', code: 'ROUTE_NOT_FOUND', message: 'No such route' });
  });

  it('health answers liveness only, with no system data', async () => {
    const { app } = await make();
    const r = await app.inject({ method: 'GET', url: '/tomic/health' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'success' });
  });

  it('a malformed body from an unauthenticated caller is a 401, not a parse error', async () => {
    const { app } = await make();
    const r = await app.inject({
      method: 'POST',
      url: '/tomic/kill',
      headers: { 'content-type': 'application/json' },
      payload: '{"apikey": ',
    });
    expect(r.statusCode).toBe(401);
    expect(code(r)).toBe('AUTH_REQUIRED');
  });

  it('security headers on every answer, errors included', async () => {
    const { app } = await make();
    const r = await app.inject({ method: 'GET', url: '/tomic/status' });
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
  });
});

describe('API key, OpenAlgo style', () => {
  it('accepted in the X-API-KEY header, in the JSON body as apikey, and as ?apikey= on GET', async () => {
    const { sys, app } = await make();
    expect((await app.inject({ method: 'GET', url: '/tomic/status', headers: key })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/tomic/status?apikey=${API_KEY}` })).statusCode).toBe(
      200,
    );
    const body = await app.inject({
      method: 'POST',
      url: '/tomic/pause',
      payload: { apikey: API_KEY, reason: 'lunch' },
    });
    expect(body.statusCode).toBe(200);
    expect(sys.calls).toEqual(['pause:lunch:api-key']);
    // The key went no further than the auth hook: not into the audit detail.
    const row = sys.audit.list({ action: 'pause' }).rows[0]!;
    expect(row).toMatchObject({ user: 'api-key', outcome: 'ok', detail: { reason: 'lunch' } });
    expect(JSON.stringify(row)).not.toContain('apikey');
  });

  it('?apikey= is not accepted on state-changing routes', async () => {
    const { sys, app } = await make();
    const r = await app.inject({ method: 'POST', url: `/tomic/kill?apikey=${API_KEY}`, payload: {} });
    expect(r.statusCode).toBe(401);
    expect(sys.calls).toEqual([]);
  });

  it('a form-encoded body is not read for a key', async () => {
    const { app } = await make();
    const r = await app.inject({
      method: 'POST',
      url: '/tomic/stop',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `apikey=${API_KEY}`,
    });
    expect(r.statusCode).toBe(401);
  });

  it('wrong key: 403 AUTH_INVALID and an audit row; missing key on a read: 401 and no row', async () => {
    const { sys, app } = await make();
    const wrongPost = await app.inject({
      method: 'POST',
      url: '/tomic/kill',
      headers: { 'x-api-key': WRONG_KEY },
      payload: {},
    });
    expect(wrongPost.statusCode).toBe(403);
    const wrongGet = await app.inject({ method: 'GET', url: `/tomic/positions?apikey=${WRONG_KEY}` });
    expect(wrongGet.statusCode).toBe(403);
    const missing = await app.inject({ method: 'GET', url: '/tomic/positions' });
    expect(missing.statusCode).toBe(401);
    const rows = sys.audit.list().rows;
    expect(rows.map((r) => [r.action, r.outcome, r.code])).toEqual([
      ['GET /tomic/positions', 'denied', 'AUTH_INVALID'],
      ['kill', 'denied', 'AUTH_INVALID'],
    ]);
    expect(JSON.stringify(rows)).not.toContain(WRONG_KEY);
  });

  it('missing key on a control route is audited as denied', async () => {
    const { sys, app } = await make();
    const r = await app.inject({ method: 'POST', url: '/tomic/start', payload: {} });
    expect(r.statusCode).toBe(401);
    expect(sys.audit.list().rows[0]).toMatchObject({
      action: 'start',
      outcome: 'denied',
      code: 'AUTH_REQUIRED',
    });
  });

  it('a repeated X-API-KEY header is refused', async () => {
    const { app } = await make();
    const r = await app.inject({
      method: 'GET',
      url: '/tomic/status',
      headers: { 'x-api-key': [API_KEY, API_KEY] },
    });
    expect(r.statusCode).toBe(403);
  });

  it('with no key configured, no key opens the API', async () => {
    const { app } = await make({ TOMIC_API_KEY: '' });
    const r = await app.inject({ method: 'GET', url: '/tomic/status', headers: key });
    expect(r.statusCode).toBe(403);
  });
});

describe('browser session (§10)', () => {
  it('login sets an HttpOnly SameSite=Strict cookie (Secure only when asked or over https) and returns the CSRF token', async () => {
    const { sys, app } = await make();
    const { r, setCookie, csrf } = await login(app);
    expect(r.statusCode).toBe(200);
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; `));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/tomic');
    expect(setCookie).toContain(`Max-Age=${sys.config.api.sessionTtlMs / 1000}`);
    expect(setCookie).not.toContain('Secure');
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sys.audit.list().rows[0]).toMatchObject({ action: 'login', outcome: 'ok', user: ADMIN_USER });

    const secure = await make({}, { secureCookie: true });
    expect((await login(secure.app)).setCookie).toContain('Secure');
  });

  it('the session reads; GET /tomic/session gives the CSRF token back', async () => {
    const { app } = await make();
    const { cookie, csrf } = await login(app);
    const status = await app.inject({ method: 'GET', url: '/tomic/status', headers: { cookie } });
    expect(status.statusCode).toBe(200);
    const s = await app.inject({ method: 'GET', url: '/tomic/session', headers: { cookie } });
    expect(s.json()).toMatchObject({ data: { user: ADMIN_USER, kind: 'session', csrfToken: csrf } });
  });

  it('state-changing session requests need the CSRF token: missing or wrong → 403 CSRF_INVALID, audited', async () => {
    const { sys, app } = await make();
    const { cookie, csrf } = await login(app);
    const missing = await app.inject({
      method: 'POST',
      url: '/tomic/kill',
      headers: { cookie },
      payload: {},
    });
    expect(missing.statusCode).toBe(403);
    expect(code(missing)).toBe('CSRF_INVALID');
    const wrong = await app.inject({
      method: 'POST',
      url: '/tomic/kill',
      headers: { cookie, 'x-csrf-token': `${csrf.slice(0, -1)}x` },
      payload: {},
    });
    expect(wrong.statusCode).toBe(403);
    expect(sys.calls).toEqual([]);
    const good = await app.inject({
      method: 'POST',
      url: '/tomic/kill',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { reason: 'drill' },
    });
    expect(good.statusCode).toBe(200);
    expect(sys.calls).toEqual([`kill:drill:${ADMIN_USER}`]);
    const denied = sys.audit.list({ action: 'kill', outcome: 'denied' }).rows;
    expect(denied.map((r) => r.code)).toEqual(['CSRF_INVALID', 'CSRF_INVALID']);
  });

  it('API-key requests need no CSRF token', async () => {
    const { app } = await make();
    const r = await app.inject({ method: 'POST', url: '/tomic/resume', headers: key, payload: {} });
    expect(r.statusCode).toBe(200);
  });

  it('the session expires on the monotonic clock: valid 1 ms before the TTL, refused at it', async () => {
    const { sys, app } = await make();
    const { cookie } = await login(app);
    // A wall-clock jump (NTP, DST) changes nothing (§12).
    sys.clock.jumpWall(365 * 86_400_000);
    sys.clock.advance(sys.config.api.sessionTtlMs - 1);
    expect((await app.inject({ method: 'GET', url: '/tomic/status', headers: { cookie } })).statusCode).toBe(
      200,
    );
    sys.clock.advance(1);
    const expired = await app.inject({ method: 'GET', url: '/tomic/status', headers: { cookie } });
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({
      code: 'AUTH_REQUIRED',
      message: expect.stringMatching(/expired/),
    });
  });

  it('an unknown session cookie is refused', async () => {
    const { app } = await make();
    const r = await app.inject({
      method: 'GET',
      url: '/tomic/status',
      headers: { cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` },
    });
    expect(r.statusCode).toBe(401);
  });

  it('logout ends the session and clears the cookie; logout itself needs the CSRF token', async () => {
    const { sys, app } = await make();
    const { cookie, csrf } = await login(app);
    expect(
      (await app.inject({ method: 'POST', url: '/tomic/logout', headers: { cookie }, payload: {} }))
        .statusCode,
    ).toBe(403);
    const out = await app.inject({
      method: 'POST',
      url: '/tomic/logout',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: {},
    });
    expect(out.statusCode).toBe(200);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await app.inject({ method: 'GET', url: '/tomic/status', headers: { cookie } })).statusCode).toBe(
      401,
    );
    expect(sys.audit.list({ action: 'logout' }).rows[0]).toMatchObject({ outcome: 'ok', user: ADMIN_USER });
  });

  it('a new login replaces the previous session (no fixation)', async () => {
    const { app } = await make();
    const first = await login(app);
    const again = await app.inject({
      method: 'POST',
      url: '/tomic/login',
      headers: { cookie: first.cookie },
      payload: { username: ADMIN_USER, password: ADMIN_PASSWORD },
    });
    const second = String(again.headers['set-cookie']).split(';')[0]!;
    expect(second).not.toBe(first.cookie);
    expect(
      (await app.inject({ method: 'GET', url: '/tomic/status', headers: { cookie: first.cookie } }))
        .statusCode,
    ).toBe(401);
    expect(
      (await app.inject({ method: 'GET', url: '/tomic/status', headers: { cookie: second } })).statusCode,
    ).toBe(200);
  });

  it('failed logins (wrong password, wrong user, malformed) are refused and audited, without the password', async () => {
    const { sys, app } = await make();
    const bad = await login(app, 'not-the-password');
    expect(bad.r.statusCode).toBe(403);
    expect(code(bad.r)).toBe('AUTH_INVALID');
    expect(bad.setCookie).toBe('');
    const wrongUser = await app.inject({
      method: 'POST',
      url: '/tomic/login',
      payload: { username: 'root', password: ADMIN_PASSWORD },
    });
    expect(wrongUser.statusCode).toBe(403);
    const malformed = await app.inject({
      method: 'POST',
      url: '/tomic/login',
      payload: { username: 'admin' },
    });
    expect(malformed.statusCode).toBe(400);
    expect(code(malformed)).toBe('MALFORMED_MESSAGE');
    const rows = sys.audit.list({ action: 'login' }).rows;
    expect(rows.map((r) => [r.user, r.outcome, r.code])).toEqual([
      ['admin', 'denied', 'MALFORMED_MESSAGE'],
      ['root', 'denied', 'AUTH_INVALID'],
      ['admin', 'denied', 'AUTH_INVALID'],
    ]);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(ADMIN_PASSWORD);
    expect(dump).not.toContain('not-the-password');
  });

  it('a plain-text admin password given to buildApp is hashed once and works', async () => {
    const sys = fakeSystem();
    const app = await buildApp(sys.deps, { adminPassword: 'another-long-password' });
    apps.push(app);
    expect((await login(app, 'another-long-password')).r.statusCode).toBe(200);
    expect((await login(app, ADMIN_PASSWORD)).r.statusCode).toBe(403);
  });

  it('with no admin password configured, every login fails', async () => {
    const sys = fakeSystem({ TOMIC_ADMIN_PASSWORD: '' });
    const app = await buildApp(sys.deps);
    apps.push(app);
    expect((await login(app, '')).r.statusCode).toBe(400);
    expect((await login(app, 'anything-at-all')).r.statusCode).toBe(403);
  });
});

describe('rate limits (per IP, moving window on the injected clock)', () => {
  it('login: the plan limit per minute, then 429 with Retry-After even for the right password; other IPs unaffected', async () => {
    const { sys, app } = await make();
    const limit = sys.config.api.loginRatePerMinute;
    for (let i = 0; i < limit; i++) expect((await login(app, 'wrong-password-x')).r.statusCode).toBe(403);
    const blocked = await login(app);
    expect(blocked.r.statusCode).toBe(429);
    expect(code(blocked.r)).toBe('RATE_LIMITED');
    expect(Number(blocked.r.headers['retry-after'])).toBe(60);
    expect((await login(app, ADMIN_PASSWORD, '10.0.0.9')).r.statusCode).toBe(200);
    sys.clock.advance(59_999);
    expect((await login(app)).r.statusCode).toBe(429);
    sys.clock.advance(1);
    expect((await login(app)).r.statusCode).toBe(200);
    expect(sys.audit.list({ action: 'login', outcome: 'rate_limited' }).total).toBe(2);
  });

  it('control routes: controlRatePerMinute per IP, audited; reads are not limited', async () => {
    const { sys, app } = await make({ TOMIC_CONTROL_RATE_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i++) {
      expect(
        (await app.inject({ method: 'POST', url: '/tomic/pause', headers: key, payload: {} })).statusCode,
      ).toBe(200);
    }
    const r = await app.inject({ method: 'POST', url: '/tomic/orders/7/approve', headers: key, payload: {} });
    expect(r.statusCode).toBe(429);
    expect(sys.calls).toHaveLength(3);
    expect(sys.audit.list({ outcome: 'rate_limited' }).rows[0]).toMatchObject({
      action: 'approve',
      code: 'RATE_LIMITED',
    });
    for (let i = 0; i < 10; i++) {
      expect((await app.inject({ method: 'GET', url: '/tomic/status', headers: key })).statusCode).toBe(200);
    }
    sys.clock.advance(60_000);
    expect(
      (await app.inject({ method: 'POST', url: '/tomic/resume', headers: key, payload: {} })).statusCode,
    ).toBe(200);
  });
});

describe('live channel authentication', () => {
  it('refuses a WebSocket without credentials or with a wrong key', async () => {
    const { app } = await make();
    await app.ready();
    await expect(app.injectWS('/tomic/live')).rejects.toThrow(/401/);
    await expect(app.injectWS('/tomic/live', { headers: { 'x-api-key': WRONG_KEY } })).rejects.toThrow(/403/);
  });

  it('accepts a key, or a session from the same origin; refuses a session from another origin', async () => {
    const { app } = await make();
    await app.ready();
    const ws = await app.injectWS('/tomic/live', { headers: key });
    ws.terminate();
    const { cookie } = await login(app);
    const same = await app.injectWS('/tomic/live', {
      headers: { cookie, host: 'localhost:5010', origin: 'http://localhost:5010' },
    });
    same.terminate();
    await expect(
      app.injectWS('/tomic/live', {
        headers: { cookie, host: 'localhost:5010', origin: 'https://evil.example' },
      }),
    ).rejects.toThrow(/403/);
  });
});
