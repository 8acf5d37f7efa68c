/**
 * Order path benchmark (issue 7): a durable ORDER_REQUEST enqueued in the CommandStore → the order
 * received by the OpenAlgo-compatible simulator, through the real Execution agent (ExecutionRuntime:
 * claim with lease, trading state, §4 freshness gates on live WebSocket quotes, §6 breakers and
 * account view, broker margin, the §3 orderbook idempotency check, the §5 legging plan) over real HTTP.
 *
 * - Enqueue stamp: just before `CommandStore.enqueue()` (the durable insert is inside the window).
 * - Broker stamp: when the simulator's HTTP server emits `request` for /api/v1/placeorder or
 *   /api/v1/basketorder (http.Server.prototype.emit wrapped in the simulator's process; src/sim is
 *   untouched). The simulator runs in a child process, as OpenAlgo would; both sides stamp with
 *   process.hrtime (CLOCK_MONOTONIC, one clock per machine). Simulator latency is 0 (sandbox fills,
 *   no REST delay).
 * - Single leg: 1,000 orders, one at a time (each enqueued once the previous is DONE), alternating a
 *   deep-ITM call ENTRY and its EXIT so the book stays flat. 4 legs: iron condors, ENTRY/EXIT
 *   alternating, via basketorder, and via the per-leg fallback (HEDGE_FIRST, SMART_ORDER_DELAY 500 ms
 *   between legs by design: its figure is enqueue → first leg).
 * - Sustained: 500 single-leg orders enqueued at once; orders/s until the last is DONE.
 *
 * Two things are set for the measurement and are not TOMIC defaults:
 * - OpenAlgo's rate limits (10 orders/s, 10 api/s by default) are raised on both the simulator and the
 *   client's token buckets: they are the broker's limits, not TOMIC's latency.
 * - The §6 order-rate breaker (≤ 30/min, not configurable higher) is checked on every order but its
 *   window is not fed: at 30/min a 1,000-order run would take 33 minutes.
 * Each phase uses a fresh simulator and runtime (the orderbook the §3 check reads starts empty), and
 * runs well inside the first 30 s funds refresh, so the account view is the flat book of the start.
 *
 * Run: npx tsx bench/run.ts order-path
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExecutionRuntime } from '../src/agents/execution/execution-runtime.js';
import { OpenAlgoClient, toExpiryInput } from '../src/broker/index.js';
import { realDelay, SystemClock } from '../src/clock/index.js';
import { loadConfig } from '../src/config/index.js';
import { makeEvent, type OrderRequest, type OrderRequestPayload } from '../src/contracts/index.js';
import { silentLogger } from '../src/log/index.js';
import { startSimulator } from '../src/sim/index.js';
import { CommandStore } from '../src/store/command-store.js';
import { openDatabase } from '../src/store/index.js';

/** Single-leg orders are measured in runs of this many, each on a fresh simulator (see the header). */
const SINGLE_RUNS = 4;
const SINGLE_PER_RUN = 250;
const SINGLE_WARMUP = 25;
const SUSTAINED_ORDERS = 300;
const BASKET_GROUPS = 150;
const BASKET_WARMUP = 10;
const FALLBACK_GROUPS = 6;
/** Iron condors are entries only (no exits), so capital is large enough for the §6 notional cap. */
const BIG_CAPITAL = 1_000_000_000;
const UNLIMITED = 1_000_000;

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// ------------------------------------------------------------------ the simulator, in its own process
// OpenAlgo is another process in production; in this one its market stepping and WebSocket fan-out
// would share the event loop with the order path and show up as TOMIC latency. The child stamps the
// order intake with process.hrtime, the same CLOCK_MONOTONIC as the parent's.
const SIM_CHILD_ENV = 'TOMIC_BENCH_ORDER_PATH_SIM';
const ROUTES = new Set(['/api/v1/placeorder', '/api/v1/basketorder']);
type Stamp = { route: string; t: number };
type SimInfo = { restUrl: string; wsPrimaryUrl: string; wsFallbackUrl: string; apiKey: string };
type ChildMsg = { type: 'ready'; info: SimInfo } | { type: 'stamps'; stamps: Stamp[]; orders: number };

async function simChild(o: { basket: boolean; capital: number }): Promise<void> {
  const intake: Stamp[] = [];
  const origEmit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === 'request') {
      const path = ((args[0] as http.IncomingMessage).url ?? '').split('?')[0]!.replace(/\/$/, '');
      if (ROUTES.has(path)) intake.push({ route: path, t: nowMs() });
    }
    return Reflect.apply(origEmit, this, [event, ...args]) as boolean;
  } as typeof origEmit;
  const sim = await startSimulator({
    source: 'generator',
    seed: 9,
    benchmark: true,
    tickIntervalMs: 250,
    basketSupported: o.basket,
    startingCapital: o.capital,
  });
  const send = (m: ChildMsg) => process.send?.(m);
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stamps') send({ type: 'stamps', stamps: intake.splice(0), orders: sim.orders().length });
    else if (m.type === 'stop') void sim.stop().finally(() => process.exit(0));
  });
  process.on('disconnect', () => void sim.stop().finally(() => process.exit(0)));
  send({
    type: 'ready',
    info: {
      restUrl: sim.restUrl,
      wsPrimaryUrl: sim.wsPrimaryUrl,
      wsFallbackUrl: sim.wsFallbackUrl,
      apiKey: sim.apiKey,
    },
  });
}

if (process.env[SIM_CHILD_ENV]) void simChild(JSON.parse(process.env[SIM_CHILD_ENV]));

function nextMessage(child: ChildProcess): Promise<ChildMsg> {
  return new Promise((resolve, reject) => {
    const onExit = () => reject(new Error('order-path bench: simulator process exited'));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m as ChildMsg);
    });
  });
}

async function startSimChild(basket: boolean, capital: number) {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [SIM_CHILD_ENV]: JSON.stringify({ basket, capital }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await nextMessage(child);
  if (ready.type !== 'ready') throw new Error('order-path bench: simulator did not start');
  let orders = 0;
  return {
    ...ready.info,
    /** Intake stamps since the last call. */
    async stamps(): Promise<Stamp[]> {
      const reply = nextMessage(child);
      child.send({ type: 'stamps' });
      const m = await reply;
      if (m.type !== 'stamps') throw new Error('order-path bench: unexpected reply');
      orders = m.orders;
      return m.stamps;
    },
    orders: () => orders,
    async stop(): Promise<void> {
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ type: 'stop' });
      await exited;
    },
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const r3 = (x: number) => Math.round(x * 1000) / 1000;

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = nowMs() + ms;
  while (!cond()) {
    if (nowMs() > end) throw new Error(`order-path bench: timed out waiting for ${what}`);
    await realDelay(0);
  }
}

type Row = {
  strike: number;
  ce?: { symbol: string; lotSize?: number | undefined };
  pe?: { symbol: string; lotSize?: number | undefined };
};

/** One phase: a fresh simulator + Execution runtime + the Risk agent's side of the command table. */
async function phase(basket: boolean, capital = 10_000_000) {
  const sim = await startSimChild(basket, capital);
  const dataDir = mkdtempSync(join(tmpdir(), 'tomic-bench-order-'));
  const cfg = loadConfig({
    envFile: null,
    env: {
      TOMIC_DATA_DIR: dataDir,
      TOMIC_FEED_PRIMARY_WS: sim.wsPrimaryUrl,
      TOMIC_FEED_FALLBACK_WS: sim.wsFallbackUrl,
      TOMIC_EXECUTION_REST: sim.restUrl,
      TOMIC_EXECUTION_API_KEY: sim.apiKey,
      TOMIC_ORDER_MODE: 'full_auto',
      TOMIC_BASKET_ORDERS: basket ? 'on' : 'auto',
      TOMIC_CAPITAL: String(capital),
    },
  });
  if (!cfg.ok) throw new Error(cfg.errors.join('; '));
  const clock = new SystemClock();
  const denials: string[] = [];
  const runtime = new ExecutionRuntime({
    config: cfg.config,
    clock,
    logger: silentLogger(),
    publish: (e) => {
      if (e.event_type === 'ORDER_DENIED' || e.event_type === 'ORDER_REJECT') denials.push(e.payload.code);
      if (e.event_type === 'UNHEDGED_INCIDENT') denials.push(`UNHEDGED_${e.payload.action}`);
    },
    requestKillSwitch: () => undefined,
    rateLimits: {
      ordersPerSecond: UNLIMITED,
      apiPerSecond: UNLIMITED,
      smartOrdersPerSecond: UNLIMITED,
      marginPerSecond: UNLIMITED,
    },
  });
  // Checked on every order, window not fed (see the header).
  (runtime.breakers as { recordOrder: (nowMs: number, n?: number) => void }).recordOrder = () => undefined;
  const ac = new AbortController();
  const running = runtime.run(ac.signal);
  const db = openDatabase(dataDir, 'commands');
  const commands = new CommandStore(db, {
    clock,
    retry: CommandStore.retryPolicyFromConfig(cfg.config),
    leaseMs: cfg.config.commands.leaseMs,
  });
  const client = new OpenAlgoClient({ baseUrl: sim.restUrl, apiKey: sim.apiKey, timeoutMs: 5_000, clock });
  const expiries = await client.expiry({ symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'options' });
  if (!expiries.ok) throw new Error(expiries.error.message);
  const chain = await client.optionChain({
    underlying: 'NIFTY',
    exchange: 'NSE_INDEX',
    expiry_date: toExpiryInput(expiries.data[0]!)!,
    strike_count: 15,
  });
  if (!chain.ok) throw new Error(chain.error.message);
  const rows = chain.data.chain as readonly Row[];
  const atm = rows.findIndex((r) => r.strike === chain.data.atmStrike);
  await until(() => runtime.account() !== undefined, 'first funds read');
  const done = () => commands.counts().DONE;
  const terminal = () => {
    const c = commands.counts();
    return c.DONE + c.FAILED + c.DEAD_LETTER;
  };
  const close = async () => {
    ac.abort();
    await running.catch(() => undefined);
    await runtime.close();
    commands.close();
    db.close();
    await client.close();
    await sim.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { clock, runtime, commands, rows, atm, denials, done, terminal, close, sim };
}

type Phase = Awaited<ReturnType<typeof phase>>;

function leg(
  p: Phase,
  strategyId: string,
  groupId: string,
  spec: {
    name: string;
    row: Row;
    type: 'CE' | 'PE';
    action: 'BUY' | 'SELL';
    intent: 'ENTRY' | 'EXIT';
    role: OrderRequestPayload['group']['role'];
    pair?: string;
    index: number;
    count: number;
    strategyType: OrderRequestPayload['group']['strategy_type'];
  },
): OrderRequest {
  const q = spec.type === 'CE' ? spec.row.ce! : spec.row.pe!;
  const lot = q.lotSize ?? 65;
  return makeEvent(
    p.clock,
    'ORDER_REQUEST',
    { source_agent: 'risk', strategy_id: strategyId },
    {
      leg: spec.name,
      action: spec.action,
      intent: spec.intent,
      symbol: q.symbol,
      exchange: 'NFO',
      underlying: 'NIFTY',
      quantity: lot,
      lot_size: lot,
      pricetype: 'MARKET',
      product: 'NRML',
      price: 0,
      trigger_price: 0,
      option_type: spec.type,
      strike: spec.row.strike,
      group: {
        group_id: groupId,
        strategy_type: spec.strategyType,
        leg_count: spec.count,
        leg_index: spec.index,
        role: spec.role,
        ...(spec.pair ? { pair_leg: spec.pair } : {}),
      },
      expected_price: 0,
    },
  );
}

/** Deep-ITM call: ENTRY on even i, its EXIT on odd i (the book stays flat). */
function single(p: Phase, i: number): OrderRequest {
  const entry = i % 2 === 0;
  return leg(p, `TOMIC_BENCH_DITM_${i}`, `g-ditm-${i}`, {
    name: 'call',
    row: p.rows[p.atm - 5]!,
    type: 'CE',
    action: entry ? 'BUY' : 'SELL',
    intent: entry ? 'ENTRY' : 'EXIT',
    role: 'SINGLE',
    index: 0,
    count: 1,
    strategyType: 'DITM_CALL',
  });
}

/** One iron condor ENTRY. */
function condor(p: Phase, i: number): OrderRequest[] {
  const entry = true;
  const r = p.rows;
  const a = p.atm;
  const sid = `TOMIC_BENCH_IC_${i}`;
  const gid = `g-ic-${i}`;
  const buy = entry ? 'BUY' : 'SELL';
  const sell = entry ? 'SELL' : 'BUY';
  const intent = entry ? 'ENTRY' : 'EXIT';
  const common = { intent, count: 4, strategyType: 'IRON_CONDOR' } as const;
  return [
    leg(p, sid, gid, {
      ...common,
      name: 'long_put',
      row: r[a - 4]!,
      type: 'PE',
      action: buy,
      role: 'HEDGE',
      pair: 'short_put',
      index: 0,
    }),
    leg(p, sid, gid, {
      ...common,
      name: 'short_put',
      row: r[a - 2]!,
      type: 'PE',
      action: sell,
      role: 'SHORT',
      pair: 'long_put',
      index: 1,
    }),
    leg(p, sid, gid, {
      ...common,
      name: 'long_call',
      row: r[a + 4]!,
      type: 'CE',
      action: buy,
      role: 'HEDGE',
      pair: 'short_call',
      index: 2,
    }),
    leg(p, sid, gid, {
      ...common,
      name: 'short_call',
      row: r[a + 2]!,
      type: 'CE',
      action: sell,
      role: 'SHORT',
      pair: 'long_call',
      index: 3,
    }),
  ];
}

/** Enqueues one group, waits until all its legs are done, returns enqueue → first intake on `route`. */
async function timed(p: Phase, cmds: OrderRequest[], route: string): Promise<number> {
  const doneBefore = p.terminal();
  const t0 = nowMs();
  const r = p.commands.enqueueGroup(cmds);
  if (!r.every((x) => x.ok)) throw new Error('order-path bench: enqueue refused');
  await until(() => p.terminal() >= doneBefore + cmds.length, 'group done');
  const at = (await p.sim.stamps()).find((x) => x.route === route);
  if (!at) throw new Error(`order-path bench: no ${route} reached the simulator`);
  return at.t - t0;
}

export async function run(): Promise<Record<string, unknown>> {
  const loadBefore = Math.round(loadavg()[0]! * 100) / 100;
  {
    // ---- single leg, one at a time, in runs on a fresh simulator each
    const singleLat: number[] = [];
    const runP99: number[] = [];
    let singleDone = 0;
    let orderbookMax = 0;
    const singleDenials: string[] = [];
    for (let run = 0; run < SINGLE_RUNS; run++) {
      const s = await phase(true);
      for (let i = 0; i < SINGLE_WARMUP; i++) await timed(s, [single(s, i)], '/api/v1/placeorder');
      const lat: number[] = [];
      for (let i = SINGLE_WARMUP; i < SINGLE_WARMUP + SINGLE_PER_RUN; i++) {
        lat.push(await timed(s, [single(s, i)], '/api/v1/placeorder'));
      }
      singleLat.push(...lat);
      runP99.push(r3(pct(lat, 99)));
      singleDone += s.done() - SINGLE_WARMUP;
      orderbookMax = Math.max(orderbookMax, s.sim.orders());
      singleDenials.push(...s.denials);
      await s.close();
    }

    // ---- sustained: a burst enqueued at once, every check on every order
    const b = await phase(true);
    for (let i = 0; i < 10; i++) await timed(b, [single(b, i)], '/api/v1/placeorder');
    const before = b.terminal();
    const burst = Array.from({ length: SUSTAINED_ORDERS }, (_, k) => single(b, 10 + k));
    const t0 = nowMs();
    for (const c of burst) b.commands.enqueue(c);
    await until(() => b.terminal() >= before + SUSTAINED_ORDERS, 'sustained burst done', 60_000);
    const sustainedMs = nowMs() - t0;
    const sustainedDone = b.done() - 10;
    const burstDenials = [...b.denials];
    await b.close();

    // ---- 4-leg iron condor via basketorder
    const k = await phase(true, BIG_CAPITAL);
    for (let i = 0; i < BASKET_WARMUP; i++) await timed(k, condor(k, i), '/api/v1/basketorder');
    const basketLat: number[] = [];
    for (let i = BASKET_WARMUP; i < BASKET_WARMUP + BASKET_GROUPS; i++) {
      basketLat.push(await timed(k, condor(k, i), '/api/v1/basketorder'));
    }
    const basketDone = k.done() - 4 * BASKET_WARMUP;
    const basketDenials = [...k.denials];
    await k.close();

    // ---- 4-leg iron condor, per-leg fallback (broker without basketorder)
    const f = await phase(false, BIG_CAPITAL);
    const fallbackLat: number[] = [];
    const fallbackGroupMs: number[] = [];
    for (let i = 0; i < FALLBACK_GROUPS; i++) {
      const g0 = nowMs();
      fallbackLat.push(await timed(f, condor(f, i), '/api/v1/placeorder'));
      fallbackGroupMs.push(nowMs() - g0);
    }
    const fallbackDone = f.done();
    const fallbackDenials = [...f.denials];
    await f.close();

    const loadAfter = Math.round(loadavg()[0]! * 100) / 100;
    const bad = [...singleDenials, ...burstDenials, ...basketDenials, ...fallbackDenials];
    return {
      single_orders: SINGLE_RUNS * SINGLE_PER_RUN,
      single_done: singleDone,
      enqueue_to_broker_p50_ms: r3(pct(singleLat, 50)),
      enqueue_to_broker_p99_ms: r3(pct(singleLat, 99)),
      enqueue_to_broker_max_ms: r3(Math.max(...singleLat)),
      enqueue_to_broker_p99_per_run_ms: runP99,
      orderbook_rows_max: orderbookMax,
      target_p99_ms: 5,
      plan_alert_p99_ms: 500,
      sustained_orders: SUSTAINED_ORDERS,
      sustained_done: sustainedDone,
      orders_per_s: Math.round((SUSTAINED_ORDERS / sustainedMs) * 1000 * 10) / 10,
      order_rate_breaker_cap_per_s: 0.5,
      basket4_groups: BASKET_GROUPS,
      basket4_legs_done: basketDone,
      basket4_enqueue_to_broker_p50_ms: r3(pct(basketLat, 50)),
      basket4_enqueue_to_broker_p99_ms: r3(pct(basketLat, 99)),
      fallback4_groups: FALLBACK_GROUPS,
      fallback4_legs_done: fallbackDone,
      fallback4_enqueue_to_first_leg_p50_ms: r3(pct(fallbackLat, 50)),
      fallback4_enqueue_to_first_leg_max_ms: r3(Math.max(...fallbackLat)),
      fallback4_group_p50_ms: Math.round(pct(fallbackGroupMs, 50)),
      fallback4_smart_order_delay_ms: 500,
      denials_or_rejects: bad.length,
      denial_codes: [...new Set(bad)],
      simulator_latency_ms: 0,
      loadavg_1m_before: loadBefore,
      loadavg_1m_after: loadAfter,
    };
  }
}
