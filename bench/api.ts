/**
 * Control API benchmark (issue 8): GET /tomic/status under 50 concurrent keep-alive clients with
 * API-key auth on, over loopback; then live push fan-out of events to 20 WebSocket clients.
 * Targets: status_rps ≥ 5,000 and status_p99_ms ≤ 10.
 *
 * The API runs in a worker thread (as it would in its own process beside the CLI/dashboard), so the
 * load generator does not share its event loop. Latencies are CLOCK_MONOTONIC differences
 * (SystemClock), comparable across the two threads.
 *
 * Run: npm run bench api
 */
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { buildApp, type ControlDeps, listen, type StatusSnapshot } from '../src/api/index.js';
import { SystemClock } from '../src/clock/index.js';
import { loadConfig } from '../src/config/index.js';
import { deny, makeEvent, Redactor, type TomicEvent } from '../src/contracts/index.js';
import { silentLogger } from '../src/log/index.js';
import { AuditStore } from '../src/store/audit-store.js';
import { openDatabase } from '../src/store/index.js';

const API_KEY = 'bench-api-key-0123456789abcdef0123';
const CLIENTS = 50;
const WARMUP_MS = 1_500;
const MEASURE_MS = 6_000;
const WS_CLIENTS = 20;
const PUSH_EVENTS = 10_000;
const PUSH_BATCH = 10;
const ROLE = 'tomic-api-bench-server';

interface ServerReady {
  readonly url: string;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** A status snapshot of realistic size: six agents, four breakers, a dozen freshness entries. */
function snapshot(clock: SystemClock, startedAt: number): StatusSnapshot {
  return {
    version: '0.1.0',
    mode: 'sandbox',
    orderMode: 'semi_auto',
    embeddedSim: true,
    lifecycle: 'RUNNING',
    tradingState: { state: 'ACTIVE', reason: 'initial', code: null, actor: 'supervisor', version: 4 },
    paused: false,
    uptimeMs: clock.monotonicMs() - startedAt,
    agents: ['regime', 'sniper', 'volatility', 'risk', 'execution', 'journaling'].map((name, i) => ({
      name,
      pid: 4_000 + i,
      state: 'RUNNING' as const,
      heartbeatAgeMs: 250 * i,
      restarts: i === 2 ? 1 : 0,
    })),
    feed: {
      active: 'primary',
      primaryUp: true,
      fallbackUp: true,
      failoversToday: 1,
      failoversTotal: 3,
      lastSwitchAgeMs: 3_600_000,
      cooldownRemainingMs: 0,
    },
    breakers: [
      { name: 'daily_loss', value: 0.4, threshold: 2, unit: '% of capital', tripped: false },
      { name: 'order_rate', value: 3, threshold: 30, unit: 'orders/min', tripped: false },
      { name: 'notional', value: 1.2, threshold: 5, unit: '× capital', tripped: false },
      { name: 'underlying_cap', value: 22, threshold: 40, unit: '% of margin', tripped: false },
    ],
    freshness: [
      'NIFTY',
      'BANKNIFTY',
      'RELIANCE',
      'HDFCBANK',
      'INFY',
      'TCS',
      'ICICIBANK',
      'SBIN',
      'ITC',
      'LT',
      'AXISBANK',
      'KOTAKBANK',
    ].map((symbol, i) => ({ symbol, ageMs: 100 + i * 37, maxAgeMs: 5_000, stale: false })),
    commands: { PENDING: 0, PROCESSING: 1, DONE: 120, FAILED: 3, DEAD_LETTER: 0, AWAITING_APPROVAL: 2 },
    pendingApprovals: 2,
  };
}

/** Worker side: the API over a minimal in-process runtime; publishes events on request. */
async function serve(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tomic-bench-api-'));
  const loaded = loadConfig({
    env: { TOMIC_DATA_DIR: dir, TOMIC_API_KEY: API_KEY, TOMIC_API_PORT: '0' },
    envFile: null,
  });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const config = loaded.config;
  const clock = new SystemClock();
  const redactor = new Redactor([API_KEY]);
  const startedAt = clock.monotonicMs();
  const handlers = new Set<(e: TomicEvent) => void>();
  const refused = async () => deny('TRADING_HALTED');
  const deps: ControlDeps = {
    clock,
    config,
    logger: silentLogger(),
    audit: new AuditStore(openDatabase(dir, 'audit'), { clock, redactor }),
    redactor,
    control: { start: refused, stop: refused, pause: refused, resume: refused, kill: refused },
    approvals: { list: () => [], approve: refused, reject: refused },
    status: () => snapshot(clock, startedAt),
    positions: () => ({ version: 0, positions: [] }),
    orders: () => [],
    journal: () => ({ rows: [], total: 0 }),
    analytics: () => ({}),
    metrics: () => ({ json: {}, prometheus: '' }),
    events: {
      subscribe: (h) => {
        handlers.add(h);
        return () => handlers.delete(h);
      },
    },
  };
  const app = await buildApp(deps, { adminPassword: 'bench-admin-password' });
  const { url } = await listen(app, config.api);
  const port = parentPort!;
  port.on('message', (m: { cmd: 'push'; count: number } | { cmd: 'stop' }) => {
    if (m.cmd === 'stop') {
      void app.close().then(() => process.exit(0));
      return;
    }
    let sent = 0;
    const burst = () => {
      for (let i = 0; i < PUSH_BATCH && sent < m.count; i++, sent++) {
        const e = makeEvent(
          clock,
          'ALERT',
          { source_agent: 'supervisor' },
          {
            level: 'RISK',
            code: 'METRIC_THRESHOLD',
            message: `reject rate above threshold #${sent}`,
            details: { published_mono_ms: clock.monotonicMs(), seq: sent },
          },
        );
        for (const h of handlers) h(e);
      }
      if (sent < m.count) setImmediate(burst);
    };
    burst();
  });
  port.postMessage({ url } satisfies ServerReady);
}

async function statusLoad(
  url: string,
  clock: SystemClock,
): Promise<{ rps: number; p50: number; p99: number; max: number; errors: number }> {
  const pool = new Pool(url, { connections: CLIENTS, pipelining: 1 });
  const headers = { 'x-api-key': API_KEY };
  const lat: number[] = [];
  let errors = 0;
  let measuring = false;
  let done = false;
  const one = async () => {
    while (!done) {
      const t0 = clock.monotonicMs();
      const res = await pool.request({ path: '/tomic/status', method: 'GET', headers });
      await res.body.text();
      const t1 = clock.monotonicMs();
      if (res.statusCode !== 200) errors++;
      if (measuring) lat.push(t1 - t0);
    }
  };
  const loops = Array.from({ length: CLIENTS }, () => one());
  await clock.sleep(WARMUP_MS);
  measuring = true;
  const start = clock.monotonicMs();
  await clock.sleep(MEASURE_MS);
  measuring = false;
  const elapsed = clock.monotonicMs() - start;
  done = true;
  await Promise.all(loops);
  await pool.close();
  const sorted = Float64Array.from(lat).sort();
  return {
    rps: lat.length / (elapsed / 1_000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    errors,
  };
}

async function pushFanout(
  url: string,
  worker: Worker,
  clock: SystemClock,
): Promise<{ eventsPerS: number; deliveriesPerS: number; p50: number; p99: number; dropped: number }> {
  const wsUrl = `${url.replace('http', 'ws')}/tomic/live`;
  const latencies: number[] = [];
  let received = 0;
  let dropped = 0;
  let firstPublish = 0;
  let lastReceive = 0;
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((r) => {
    resolveAll = r;
  });
  const sockets = await Promise.all(
    Array.from(
      { length: WS_CLIENTS },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(wsUrl, { headers: { 'x-api-key': API_KEY } });
          ws.on('open', () => resolve(ws));
          ws.on('error', reject);
          ws.on('close', (code) => {
            if (code !== 1000 && code !== 1005 && code !== 1001) dropped++;
          });
          ws.on('message', (data) => {
            const now = clock.monotonicMs();
            const e = JSON.parse(String(data)) as { payload: { details: { published_mono_ms: number } } };
            const t = e.payload.details.published_mono_ms;
            if (firstPublish === 0 || t < firstPublish) firstPublish = t;
            latencies.push(now - t);
            lastReceive = now;
            if (++received === PUSH_EVENTS * WS_CLIENTS) resolveAll();
          });
        }),
    ),
  );
  worker.postMessage({ cmd: 'push', count: PUSH_EVENTS });
  await all;
  for (const ws of sockets) ws.close(1000);
  const elapsedS = (lastReceive - firstPublish) / 1_000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    eventsPerS: PUSH_EVENTS / elapsedS,
    deliveriesPerS: received / elapsedS,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    dropped,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const loadBefore = round(loadavg()[0]!);
  const clock = new SystemClock();
  // A worker does not inherit tsx's loader: register it there, then load this same file.
  const worker = new Worker(
    `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(import.meta.url)}); })`,
    { eval: true, workerData: { role: ROLE } },
  );
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const status = await statusLoad(ready.url, clock);
  const push = await pushFanout(ready.url, worker, clock);
  worker.postMessage({ cmd: 'stop' });
  await new Promise((r) => worker.once('exit', r));
  const figures = {
    status_rps: Math.round(status.rps),
    status_p50_ms: round(status.p50),
    status_p99_ms: round(status.p99),
    status_max_ms: round(status.max),
    status_errors: status.errors,
    status_clients: CLIENTS,
    status_measure_s: MEASURE_MS / 1_000,
    push_fanout_events_per_s: Math.round(push.eventsPerS),
    push_fanout_deliveries_per_s: Math.round(push.deliveriesPerS),
    push_p50_ms: round(push.p50),
    push_p99_ms: round(push.p99),
    push_clients: WS_CLIENTS,
    push_events: PUSH_EVENTS,
    push_clients_dropped: push.dropped,
    auth: 'X-API-KEY (SHA-256 + timingSafeEqual per request)',
    server: 'worker thread, 127.0.0.1, keep-alive',
    load_avg_1m_before: loadBefore,
    targets: { status_rps_min: 5_000, status_p99_ms_max: 10 },
    pass: status.rps >= 5_000 && status.p99 <= 10,
  };
  console.log(figures);
  return figures;
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE) {
  void serve();
}
