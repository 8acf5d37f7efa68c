import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { LIVE_CLOSE } from '../../../src/api/index.js';
import { flushMicrotasks } from '../../../src/clock/index.js';
import { parseEvent, type TomicEvent } from '../../../src/contracts/index.js';
import {
  ADMIN_PASSWORD,
  ADMIN_USER,
  API_KEY,
  alertEvent,
  type FakeSystem,
  fakeSystem,
  fillEvent,
  testApp,
} from './support/fake-system.js';

const key = { 'x-api-key': API_KEY };
const apps: FastifyInstance[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});

async function make(opts: { livePingMs?: number } = {}): Promise<{ sys: FakeSystem; app: FastifyInstance }> {
  const sys = fakeSystem();
  const app = await testApp(sys, opts);
  apps.push(app);
  await app.ready();
  return { sys, app };
}

function collect(ws: WebSocket) {
  const messages: unknown[] = [];
  const closed: { code?: number } = {};
  ws.on('message', (m) => messages.push(JSON.parse(String(m))));
  ws.on('close', (code) => {
    closed.code = code;
  });
  return { messages, closed };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await flushMicrotasks();
  expect(cond()).toBe(true);
}

describe('/tomic/live push', () => {
  it('fans every event out to every authenticated client, as valid TomicEvent JSON', async () => {
    const { sys, app } = await make();
    const a = collect(await app.injectWS('/tomic/live', { headers: key }));
    const b = collect(await app.injectWS(`/tomic/live?apikey=${API_KEY}`));
    const events: TomicEvent[] = [alertEvent(sys.clock, 'RISK', 'reject rate 12%'), fillEvent(sys.clock)];
    for (const e of events) sys.emit(e);
    await until(() => a.messages.length === 2 && b.messages.length === 2);
    for (const got of [a.messages, b.messages]) {
      expect(got.map((m) => parseEvent(m).ok)).toEqual([true, true]);
      expect((got as TomicEvent[]).map((m) => m.event_id)).toEqual(events.map((e) => e.event_id));
    }
  });

  it('drops (and logs) an event that fails its schema instead of pushing it', async () => {
    const { sys, app } = await make();
    const a = collect(await app.injectWS('/tomic/live', { headers: key }));
    const bad = {
      ...alertEvent(sys.clock, 'RISK', 'x'),
      payload: { level: 'LOUD', code: 'NOPE', message: 1 },
    };
    sys.emit(bad as unknown as TomicEvent);
    sys.emit(alertEvent(sys.clock, 'SIGNAL', 'ok one'));
    await until(() => a.messages.length === 1);
    expect((a.messages[0] as TomicEvent).payload).toMatchObject({ message: 'ok one' });
    expect(sys.logLines.some((l) => l.includes('invalid event dropped'))).toBe(true);
  });

  it('?types= filters by event type; an unknown type closes the socket with 1008', async () => {
    const { sys, app } = await make();
    const alerts = collect(await app.injectWS(`/tomic/live?types=ALERT`, { headers: key }));
    sys.emit(fillEvent(sys.clock));
    sys.emit(alertEvent(sys.clock, 'REGIME', 'BULLISH → CONGESTION'));
    await until(() => alerts.messages.length === 1);
    expect((alerts.messages[0] as TomicEvent).event_type).toBe('ALERT');
    const bad = collect(await app.injectWS('/tomic/live?types=NOT_A_TYPE', { headers: key }));
    await until(() => bad.closed.code === 1008);
  });

  it('a session socket closes on logout at once, and when the session expires', async () => {
    // Pings would run every 30 virtual seconds across the 8 h jump below, with no real time for pongs.
    const { sys, app } = await make({ livePingMs: 24 * 3_600_000 });
    const session = async () => {
      const r = await app.inject({
        method: 'POST',
        url: '/tomic/login',
        payload: { username: ADMIN_USER, password: ADMIN_PASSWORD },
      });
      return {
        cookie: String(r.headers['set-cookie']).split(';')[0]!,
        csrf: (r.json() as { data: { csrfToken: string } }).data.csrfToken,
      };
    };
    const s1 = await session();
    const c1 = collect(await app.injectWS('/tomic/live', { headers: { cookie: s1.cookie } }));
    const keyed = collect(await app.injectWS('/tomic/live', { headers: key }));
    await app.inject({
      method: 'POST',
      url: '/tomic/logout',
      headers: { cookie: s1.cookie, 'x-csrf-token': s1.csrf },
      payload: {},
    });
    await until(() => c1.closed.code === LIVE_CLOSE.SESSION_ENDED);

    const s2 = await session();
    const c2 = collect(await app.injectWS('/tomic/live', { headers: { cookie: s2.cookie } }));
    sys.clock.advance(sys.config.api.sessionTtlMs);
    sys.emit(alertEvent(sys.clock, 'RISK', 'after expiry'));
    await until(() => c2.closed.code === LIVE_CLOSE.SESSION_ENDED && keyed.messages.length === 1);
    expect(c2.messages).toEqual([]);
  });

  it('closing the app closes live clients and unsubscribes from the event source', async () => {
    const { sys, app } = await make();
    const c = collect(await app.injectWS('/tomic/live', { headers: key }));
    expect(sys.subscribers()).toBe(1);
    await apps.pop()!.close();
    await until(() => c.closed.code === LIVE_CLOSE.SHUTDOWN);
    expect(sys.subscribers()).toBe(0);
  });
});
