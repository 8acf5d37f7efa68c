/**
 * Gateway benchmark (issue 5): against the embedded simulator on loopback —
 *  - placeorder round trips/s and p50/p99 latency over a keep-alive pool (the simulator's and our
 *    rate limits raised, so the wire and both ends are what is measured);
 *  - WebSocket ticks/s delivered to 6 subscribers (6 FeedClients, one connection each) and the p99
 *    tick age at the client (our wall clock at receipt − the frame's own timestamp);
 *  - failover time: primary feed dropped → FeedManager serving from the fallback.
 * Targets: ≥ 2,000 orders/s, p99 ≤ 2 ms, ≥ 50,000 ticks/s, failover ≤ 1 s.
 *
 * The simulator runs in a child process (this file, started with TOMIC_GATEWAY_BENCH_SIM=1), so the
 * market pacer, the Fastify server and the WebSocket fan-out do not share our client's event loop:
 * in one process the simulator's work showed up as our latency. `GATEWAY_BENCH_INPROCESS=1` keeps the
 * old single-process layout for comparison. Each measured client is run beside a bare peer (undici
 * Pool + JSON.parse; `ws` + JSON.parse) in the same run, against the same simulator, so the figures
 * say what our layers cost on top of the wire on this machine at this moment.
 */
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { OpenAlgoClient, type PlaceOrderInput } from '../src/broker/index.js';
import { realDelay, SystemClock } from '../src/clock/index.js';
import { FeedClient, FeedManager, type Instrument } from '../src/market/index.js';
import { type Faults, startSimulator } from '../src/sim/index.js';

const ORDERS = 6_000;
const WARMUP_ORDERS = 1_000;
/** Blocks per side when interleaving our client with the bare peer (ORDERS / ORDER_ROUNDS calls each). */
const ORDER_ROUNDS = 6;
const ORDER_CONCURRENCY = 2;
const SUBSCRIBERS = 6;
const TICK_WARMUP_MS = 500;
const TICK_WINDOW_MS = 3_000;
const FAILOVER_RUNS = 5;
const CHILD_ENV = 'TOMIC_GATEWAY_BENCH_SIM';

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const round = (x: number, dp = 3) => Number(x.toFixed(dp));

// ------------------------------------------------------------------ the simulator, here or in a child

interface SimHandle {
  readonly where: 'child' | 'in-process';
  readonly restUrl: string;
  readonly wsPrimaryUrl: string;
  readonly wsFallbackUrl: string;
  readonly apiKey: string;
  readonly instruments: Instrument[];
  setFaults(f: Partial<Faults>): Promise<void>;
  clearFaults(): Promise<void>;
  stop(): Promise<void>;
}

interface SimReady {
  readonly type: 'ready';
  readonly restUrl: string;
  readonly wsPrimaryUrl: string;
  readonly wsFallbackUrl: string;
  readonly apiKey: string;
  readonly instruments: Instrument[];
}

type SimOp =
  | { readonly op: 'set'; readonly faults: Partial<Faults> }
  | { readonly op: 'clear' }
  | { readonly op: 'stop' };
type SimCommand = SimOp & { readonly id: number };

async function inProcessSim(): Promise<SimHandle> {
  const sim = await startSimulator({ benchmark: true });
  return {
    where: 'in-process',
    restUrl: sim.restUrl,
    wsPrimaryUrl: sim.wsPrimaryUrl,
    wsFallbackUrl: sim.wsFallbackUrl,
    apiKey: sim.apiKey,
    instruments: sim.market.instruments().map((i) => ({ symbol: i.symbol, exchange: i.exchange })),
    setFaults: async (f) => sim.faults.set(f),
    clearFaults: async () => sim.faults.clear(),
    stop: () => sim.stop(),
  };
}

async function childSim(): Promise<SimHandle> {
  // Same entry file and loader flags (tsx) as this process; the env var selects the child role.
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [CHILD_ENV]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<SimReady>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`simulator child exited (${code}) before ready`)));
    child.once('message', (m) => resolve(m as SimReady));
  });
  let seq = 0;
  const pending = new Map<number, () => void>();
  child.on('message', (m: { type?: string; id?: number }) => {
    if (m.type === 'ack' && m.id !== undefined) {
      pending.get(m.id)?.();
      pending.delete(m.id);
    }
  });
  const call = (cmd: SimOp) =>
    new Promise<void>((resolve) => {
      const id = ++seq;
      pending.set(id, resolve);
      child.send({ ...cmd, id });
    });
  return {
    where: 'child',
    restUrl: ready.restUrl,
    wsPrimaryUrl: ready.wsPrimaryUrl,
    wsFallbackUrl: ready.wsFallbackUrl,
    apiKey: ready.apiKey,
    instruments: ready.instruments,
    setFaults: (faults) => call({ op: 'set', faults }),
    clearFaults: () => call({ op: 'clear' }),
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call({ op: 'stop' });
      await exited;
    },
  };
}

/** The child's side: start the simulator, report its addresses, obey fault and stop commands. */
async function serveSimChild(): Promise<void> {
  const sim = await startSimulator({ benchmark: true });
  const ready: SimReady = {
    type: 'ready',
    restUrl: sim.restUrl,
    wsPrimaryUrl: sim.wsPrimaryUrl,
    wsFallbackUrl: sim.wsFallbackUrl,
    apiKey: sim.apiKey,
    instruments: sim.market.instruments().map((i) => ({ symbol: i.symbol, exchange: i.exchange })),
  };
  process.send!(ready);
  process.on('message', (m: SimCommand) => {
    if (m.op === 'set') sim.faults.set(m.faults);
    else if (m.op === 'clear') sim.faults.clear();
    if (m.op !== 'stop') {
      process.send!({ type: 'ack', id: m.id });
      return;
    }
    void sim.stop().then(() => process.send!({ type: 'ack', id: m.id }, () => process.exit(0)));
  });
  // Never outlive the bench.
  process.on('disconnect', () => void sim.stop().then(() => process.exit(0)));
}

if (process.env[CHILD_ENV] === '1') await serveSimChild();

// ------------------------------------------------------------------ measurements

interface OrderFigures {
  readonly perS: number;
  readonly p50: number;
  readonly p99: number;
  readonly failed: number;
  /** Our process's CPU per round trip (user + system): robust to other load on the machine. */
  readonly cpuUsPerCall: number;
}

type OrderCall = (i: number) => Promise<boolean>;

/**
 * Our client and the bare peer, measured in alternating blocks (ours first in odd rounds, the peer
 * first in even ones) so that load from other processes on the machine falls on both alike.
 */
async function measureOrders(
  clock: SystemClock,
  calls: { readonly ours: OrderCall; readonly bare: OrderCall },
): Promise<{ ours: OrderFigures; bare: OrderFigures }> {
  const place = async (call: OrderCall, n: number, lat?: number[]) => {
    let next = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: ORDER_CONCURRENCY }, async () => {
        while (next++ < n) {
          const s = clock.monotonicMs();
          const ok = await call(next);
          lat?.push(clock.monotonicMs() - s);
          if (!ok) failed++;
        }
      }),
    );
    return failed;
  };
  const acc = {
    ours: { lat: [] as number[], failed: 0, ms: 0, cpuUs: 0 },
    bare: { lat: [] as number[], failed: 0, ms: 0, cpuUs: 0 },
  };
  await place(calls.ours, WARMUP_ORDERS);
  await place(calls.bare, WARMUP_ORDERS);
  const block = ORDERS / ORDER_ROUNDS;
  for (let r = 0; r < ORDER_ROUNDS; r++) {
    for (const k of r % 2 === 0 ? (['ours', 'bare'] as const) : (['bare', 'ours'] as const)) {
      const a = acc[k];
      const cpu0 = process.cpuUsage();
      const t0 = clock.monotonicMs();
      a.failed += await place(calls[k], block, a.lat);
      a.ms += clock.monotonicMs() - t0;
      const cpu = process.cpuUsage(cpu0);
      a.cpuUs += cpu.user + cpu.system;
    }
  }
  const figures = (a: (typeof acc)['ours']): OrderFigures => {
    a.lat.sort((x, y) => x - y);
    return {
      perS: Math.round((a.lat.length / a.ms) * 1000),
      p50: round(percentile(a.lat, 0.5)),
      p99: round(percentile(a.lat, 0.99)),
      failed: a.failed,
      cpuUsPerCall: round(a.cpuUs / a.lat.length, 1),
    };
  };
  return { ours: figures(acc.ours), bare: figures(acc.bare) };
}

interface TickFigures {
  readonly perS: number;
  readonly ageP99: number;
  readonly ageP50: number;
  readonly cpuUsPerFrame: number;
  readonly malformed: number;
}

/** Subscribers report (feedTimeMs) per tick through `onTick`; ready() says when all are subscribed. */
async function measureTicks(
  clock: SystemClock,
  start: (onTick: (feedTimeMs: number | undefined) => void) => Promise<{
    stop: () => Promise<void>;
    malformed: () => number;
  }>,
): Promise<TickFigures> {
  let ticks = 0;
  let counting = false;
  const ages: number[] = [];
  const subs = await start((feedTimeMs) => {
    if (!counting) return;
    ticks++;
    if (feedTimeMs !== undefined && (ticks & 7) === 0) ages.push(clock.wallMs() - feedTimeMs);
  });
  await realDelay(TICK_WARMUP_MS);
  counting = true;
  const cpu0 = process.cpuUsage();
  const t0 = clock.monotonicMs();
  await realDelay(TICK_WINDOW_MS);
  counting = false;
  const elapsed = clock.monotonicMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  const malformed = subs.malformed();
  await subs.stop();
  ages.sort((a, b) => a - b);
  return {
    perS: Math.round((ticks / elapsed) * 1000),
    ageP99: round(percentile(ages, 0.99), 1),
    ageP50: round(percentile(ages, 0.5), 1),
    cpuUsPerFrame: round(ticks > 0 ? (cpu.user + cpu.system) / ticks : Number.NaN, 2),
    malformed,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const clock = new SystemClock();
  const loadBefore = loadavg()[0]!;
  const sim = process.env.GATEWAY_BENCH_INPROCESS === '1' ? await inProcessSim() : await childSim();
  try {
    // ---------------------------------------------------------------- orders
    const order: PlaceOrderInput = {
      strategy: 'BENCH',
      symbol: 'RELIANCE',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 1,
      pricetype: 'MARKET',
      product: 'MIS',
    };
    const client = new OpenAlgoClient({
      baseUrl: sim.restUrl,
      apiKey: sim.apiKey,
      timeoutMs: 5_000,
      clock,
      rateLimits: { ordersPerSecond: 1_000_000, apiPerSecond: 1_000_000 },
      connections: ORDER_CONCURRENCY,
    });
    // Peer: a bare undici Pool with the same connection count, JSON in and out, no layers.
    const pool = new Pool(new URL(sim.restUrl).origin, { connections: ORDER_CONCURRENCY, pipelining: 1 });
    const path = `${new URL(sim.restUrl).pathname.replace(/\/+$/, '')}/api/v1/placeorder`;
    const { ours, bare } = await measureOrders(clock, {
      ours: async (i) => {
        const r = await client.placeOrder({ ...order, action: i % 2 === 0 ? 'BUY' : 'SELL' });
        return r.ok;
      },
      bare: async (i) => {
        const r = await pool.request({
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apikey: sim.apiKey, ...order, action: i % 2 === 0 ? 'BUY' : 'SELL' }),
        });
        const body = JSON.parse(await r.body.text()) as { status?: string };
        return r.statusCode === 200 && body.status === 'success';
      },
    });
    await client.close();
    await pool.close();
    console.log(
      `placeorder: ${ours.perS}/s, p50 ${ours.p50} ms, p99 ${ours.p99} ms, ${ours.cpuUsPerCall} µs CPU/call, ${ours.failed} failed` +
        ` | bare undici ${bare.perS}/s, p50 ${bare.p50} ms, p99 ${bare.p99} ms, ${bare.cpuUsPerCall} µs CPU/call`,
    );

    // ---------------------------------------------------------------- ticks
    const instruments = sim.instruments;
    const feed = await measureTicks(clock, async (onTick) => {
      const subs = Array.from(
        { length: SUBSCRIBERS },
        (_, i) => new FeedClient({ url: sim.wsPrimaryUrl, apiKey: sim.apiKey, clock, name: `sub${i}` }),
      );
      for (const s of subs) {
        s.subscribe(instruments, 2);
        s.onTick((t) => onTick(t.feedTimeMs));
        s.start();
      }
      while (!subs.every((s) => s.isReady())) await realDelay(10);
      return {
        stop: async () => {
          await Promise.all(subs.map((s) => s.stop()));
        },
        malformed: () => subs.reduce((a, s) => a + s.stats().malformed, 0),
      };
    });
    // Peer: bare `ws` sockets doing only JSON.parse and the same bookkeeping.
    const bareFeed = await measureTicks(clock, async (onTick) => {
      const sockets = await Promise.all(
        Array.from({ length: SUBSCRIBERS }, async () => {
          const ws = new WebSocket(sim.wsPrimaryUrl, { perMessageDeflate: false });
          await new Promise<void>((resolve, reject) => {
            ws.once('open', () => resolve());
            ws.once('error', reject);
          });
          ws.on('message', (data: Buffer) => {
            const m = JSON.parse(data.toString('utf8')) as { type?: string; data?: { timestamp?: number } };
            if (m.type === 'market_data') onTick(m.data?.timestamp);
          });
          ws.send(JSON.stringify({ action: 'authenticate', api_key: sim.apiKey }));
          ws.send(JSON.stringify({ action: 'subscribe', symbols: instruments, mode: 2 }));
          return ws;
        }),
      );
      return {
        stop: async () => {
          await Promise.all(
            sockets.map(
              (ws) =>
                new Promise<void>((resolve) => {
                  ws.once('close', () => resolve());
                  ws.terminate();
                }),
            ),
          );
        },
        malformed: () => 0,
      };
    });
    console.log(
      `ticks: ${feed.perS}/s over ${SUBSCRIBERS} subscribers, p99 age ${feed.ageP99} ms, ${feed.cpuUsPerFrame} µs CPU/frame, ${feed.malformed} malformed` +
        ` | bare ws ${bareFeed.perS}/s, p99 age ${bareFeed.ageP99} ms, ${bareFeed.cpuUsPerFrame} µs CPU/frame`,
    );

    // ---------------------------------------------------------------- failover
    const failovers: number[] = [];
    for (let i = 0; i < FAILOVER_RUNS; i++) {
      await sim.clearFaults();
      const mgr = new FeedManager({
        primaryUrl: sim.wsPrimaryUrl,
        fallbackUrl: sim.wsFallbackUrl,
        apiKey: sim.apiKey,
        clock,
      });
      mgr.subscribe('regime', instruments.slice(0, 5));
      mgr.start();
      while (!(mgr.active() === 'primary' && mgr.fallback?.isReady())) await realDelay(5);
      const switched = new Promise<number>((resolve) => mgr.onSwitch((e) => resolve(e.atMonoMs)));
      // Measured from the command leaving this process: a child simulator adds its IPC hop.
      const downAt = clock.monotonicMs();
      await sim.setFaults({ primaryFeed: 'down' });
      const at = await Promise.race([switched, realDelay(5_000).then(() => Number.NaN)]);
      failovers.push(at - downAt);
      await mgr.stop();
    }
    await sim.clearFaults();
    failovers.sort((a, b) => a - b);
    const failover_ms = round(failovers.at(-1)!, 1);
    console.log(
      `failover: worst ${failover_ms} ms of ${FAILOVER_RUNS} (median ${round(percentile(failovers, 0.5), 1)} ms)`,
    );

    const loadAfter = loadavg()[0]!;
    const targets = { orders_per_s: 2_000, order_p99_ms: 2, ticks_per_s: 50_000, failover_ms: 1_000 };
    const notes: string[] = [
      sim.where === 'child'
        ? 'simulator in a child process (own event loop); peak_rss_mb is the client process only. ' +
          'Figures before 2026-11-25T06:30Z ran it in-process; GATEWAY_BENCH_INPROCESS=1 reproduces that'
        : 'simulator in this process: its pacer, REST and fan-out share the client event loop',
    ];
    if (ours.p99 > targets.order_p99_ms) {
      const peerAlsoMisses = bare.p99 > targets.order_p99_ms;
      notes.push(
        `order p99 ${ours.p99} ms misses ${targets.order_p99_ms} ms; the bare undici peer in the same run ` +
          `had p99 ${bare.p99} ms (${bare.cpuUsPerCall} µs CPU/call against our ${ours.cpuUsPerCall}). ` +
          (peerAlsoMisses
            ? 'The peer misses too: the tail is the loopback round trip and scheduling on a shared 2-core ' +
              'machine (load_avg_1m), not the client layers'
            : `Our layers add ${round(ours.p99 - bare.p99)} ms at p99 over the peer`),
      );
    }
    if (feed.perS < targets.ticks_per_s)
      notes.push(
        `ticks ${feed.perS}/s miss ${targets.ticks_per_s}/s; bare ws peer ${bareFeed.perS}/s ` +
          `(${bareFeed.cpuUsPerFrame} µs CPU/frame vs ours ${feed.cpuUsPerFrame}): the simulator's ` +
          'offered rate and the CPU left to the client bound both',
      );
    if (loadBefore > 2 || loadAfter > 2)
      notes.push(
        `machine shared: 1-min load ${round(loadBefore, 2)} → ${round(loadAfter, 2)} on 2 cores while measuring`,
      );
    return {
      orders_per_s: ours.perS,
      order_p50_ms: ours.p50,
      order_p99_ms: ours.p99,
      ticks_per_s: feed.perS,
      tick_age_p99_ms: feed.ageP99,
      failover_ms,
      failover_median_ms: round(percentile(failovers, 0.5), 1),
      order_concurrency: ORDER_CONCURRENCY,
      orders_measured: ORDERS,
      orders_failed: ours.failed,
      subscribers: SUBSCRIBERS,
      tick_window_ms: TICK_WINDOW_MS,
      malformed_frames: feed.malformed,
      targets,
      sim_process: sim.where,
      order_client_cpu_us_per_call: ours.cpuUsPerCall,
      tick_age_p50_ms: feed.ageP50,
      tick_client_cpu_us_per_frame: feed.cpuUsPerFrame,
      peer_bare_undici: {
        orders_per_s: bare.perS,
        order_p50_ms: bare.p50,
        order_p99_ms: bare.p99,
        cpu_us_per_call: bare.cpuUsPerCall,
        orders_failed: bare.failed,
      },
      peer_bare_ws: {
        ticks_per_s: bareFeed.perS,
        tick_age_p50_ms: bareFeed.ageP50,
        tick_age_p99_ms: bareFeed.ageP99,
        cpu_us_per_frame: bareFeed.cpuUsPerFrame,
      },
      load_avg_1m: { before: round(loadBefore, 2), after: round(loadAfter, 2) },
      notes,
    };
  } finally {
    await sim.stop();
  }
}
