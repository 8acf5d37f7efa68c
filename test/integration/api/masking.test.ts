import { describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../../src/api/index.js';
import { flushMicrotasks } from '../../../src/clock/index.js';
import {
  ADMIN_PASSWORD,
  ADMIN_USER,
  API_KEY,
  alertEvent,
  BROKER_ORDER_ID,
  fakeSystem,
  fillEvent,
  OTHER_BROKER_ORDER_ID,
  testApp,
} from './support/fake-system.js';

const SECRETS = [API_KEY, BROKER_ORDER_ID, OTHER_BROKER_ORDER_ID, ADMIN_PASSWORD];
const hits = (text: string) => SECRETS.filter((s) => text.includes(s));

describe('§10 masking: API responses, live push and audit rows', () => {
  it('no response body of any route, no pushed event and no audit row contains the key, the password or a broker order id', async () => {
    const sys = fakeSystem();
    const app = await testApp(sys);
    await app.ready();
    const bodies: string[] = [];
    const key = { 'x-api-key': API_KEY };

    // A live client first, so the pushes below are captured.
    const ws = await app.injectWS('/tomic/live', { headers: key });
    const pushed: string[] = [];
    ws.on('message', (m) => pushed.push(String(m)));

    // Every read route, with the key in each accepted place.
    for (const r of registeredRoutes(app).filter((x) => x.method === 'GET' && !x.websocket)) {
      bodies.push((await app.inject({ method: 'GET', url: r.url, headers: key })).body);
      bodies.push((await app.inject({ method: 'GET', url: `${r.url}?apikey=${API_KEY}` })).body);
    }
    bodies.push(
      (await app.inject({ method: 'GET', url: '/tomic/metrics?format=prometheus', headers: key })).body,
    );

    // Every control route, some with the key pasted where it does not belong. (A broker order id
    // typed as free text is not recognisable as one: the runtime registers acked ids with the
    // Redactor, or they arrive beside their own field, as in the journal and the alert below.)
    for (const [url, payload] of [
      ['/tomic/pause', { apikey: API_KEY, reason: `feed odd, key ${API_KEY}` }],
      ['/tomic/kill', { apikey: API_KEY, reason: `pasted ${API_KEY} by mistake` }],
      ['/tomic/resume', { apikey: API_KEY }],
      ['/tomic/stop', { apikey: API_KEY }],
      ['/tomic/start', { apikey: API_KEY }],
      ['/tomic/orders/7/approve', { apikey: API_KEY }],
      ['/tomic/orders/8/reject', { apikey: API_KEY, reason: 'duplicate' }],
      ['/tomic/orders/99/approve', { apikey: API_KEY }],
    ] as const) {
      bodies.push((await app.inject({ method: 'POST', url, payload })).body);
    }
    // Failures: wrong key, a login whose username is the key, a good login and its session routes.
    bodies.push(
      (await app.inject({ method: 'POST', url: '/tomic/kill', payload: { apikey: `${API_KEY}x` } })).body,
    );
    bodies.push(
      (
        await app.inject({
          method: 'POST',
          url: '/tomic/login',
          payload: { username: API_KEY, password: ADMIN_PASSWORD },
        })
      ).body,
    );
    const login = await app.inject({
      method: 'POST',
      url: '/tomic/login',
      payload: { username: ADMIN_USER, password: ADMIN_PASSWORD },
    });
    bodies.push(login.body);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    bodies.push((await app.inject({ method: 'GET', url: '/tomic/session', headers: { cookie } })).body);

    sys.emit(fillEvent(sys.clock));
    sys.emit(
      alertEvent(sys.clock, 'CRITICAL', `order ${BROKER_ORDER_ID} unhedged`, {
        broker_order_id: BROKER_ORDER_ID,
      }),
    );
    sys.emit(alertEvent(sys.clock, 'RISK', `leaked ${API_KEY}`));
    for (let i = 0; i < 50 && pushed.length < 3; i++) await flushMicrotasks();
    ws.terminate();

    expect(bodies.length).toBeGreaterThan(25);
    expect(pushed).toHaveLength(3);
    const auditRows = sys.audit.list({ limit: 1_000 }).rows.map((r) => JSON.stringify(r));
    expect(auditRows.length).toBeGreaterThanOrEqual(11);
    for (const text of [...bodies, ...pushed, ...auditRows]) expect(hits(text), text).toEqual([]);

    // The masked values are still recognisable to an operator (tail kept).
    expect(bodies.some((b) => b.includes('***3456***'))).toBe(true);
    expect(pushed[0]).toContain('"broker_order_id":"***3456***"');
    await app.close();
  });

  it('the logger masks the same values when the API logs a failure', async () => {
    const sys = fakeSystem();
    const app = await testApp(sys);
    sys.failNext();
    await app.inject({
      method: 'POST',
      url: '/tomic/kill',
      payload: { apikey: API_KEY, reason: `key ${API_KEY}` },
    });
    expect(sys.logLines.length).toBeGreaterThan(0);
    for (const line of sys.logLines) expect(hits(line)).toEqual([]);
    await app.close();
  });
});
