import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, createRng, SystemClock, type TimerHandle } from '../clock/index.js';
import { Account, type OrderRecord } from './account.js';
import { TradingCalendar } from './calendar.js';
import { loadSimData } from './data-files.js';
import { FaultState } from './faults.js';
import { hash32 } from './hash.js';
import { InstrumentRegistry } from './instruments.js';
import { istDate } from './ist.js';
import { DEFAULT_MARGIN_PARAMS } from './margin.js';
import { MarketEngine } from './market.js';
import { DEFAULT_MICROSTRUCTURE } from './microstructure.js';
import { MovingWindowLimiter, perMinute, perSecond } from './rate-limit.js';
import { adminFaults, buildRestServer, type RestContext } from './rest-server.js';
import {
  DEFAULT_EQUITIES,
  GeneratorSource,
  type MarketSource,
  ReplaySource,
  recordedDaily,
} from './sources.js';
import type { RunningSimulator, SimOrder, SimulatorOptions } from './types.js';
import { orderUpdateFrame } from './wire/format.js';
import { FeedServer } from './ws-server.js';

export const DEFAULT_DATA_DIR = '/work/shared/data';
/** First day of the NIFTY 1-minute recording (SOURCES.md): the replay's default start. */
export const DEFAULT_REPLAY_START = '2025-09-04';
export const SIM_USER_ID = 'tomic';
export const SIM_BROKER = 'tomicsim';
const INDEX_DRIVERS = ['NIFTY', 'BANKNIFTY', 'INDIAVIX'];
/** OpenAlgo defaults (REST.md §2): ORDER/SMART 10/s, API 50/s (.sample.env), GREEKS 30/min. */
const DEFAULT_ORDER_PER_SECOND = 10;
const DEFAULT_API_PER_SECOND = 50;
const DEFAULT_GREEKS_PER_MINUTE = 30;
const WS_AUTH_GRACE_MS = 15_000;
const WS_PING_MS = 20_000;
const BENCHMARK_TICK_MS = 2;
const MIN_PACER_MS = 5;
const MAX_PACER_MS = 100;

function toSimOrder(o: OrderRecord): SimOrder {
  return {
    orderid: o.orderid,
    strategy: o.strategy,
    symbol: o.symbol,
    exchange: o.exchange,
    action: o.action,
    quantity: o.quantity,
    pricetype: o.pricetype,
    product: o.product,
    price: o.price,
    trigger_price: o.trigger_price,
    status: o.status,
    filled_quantity: o.filledQuantity,
    pending_quantity: o.pendingQuantity,
    cancelled_quantity: o.cancelledQuantity,
    average_price: o.averagePrice,
    rejection_reason: o.rejectionReason,
    placed_at: o.placedAt,
    updated_at: o.updatedAt,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

/** The simulator without sockets: market, instruments and account (tests and the replay runner). */
export interface SimCore {
  readonly clock: Clock;
  readonly seed: number;
  readonly calendar: TradingCalendar;
  readonly registry: InstrumentRegistry;
  readonly source: MarketSource;
  readonly market: MarketEngine;
  readonly account: Account;
  readonly tickIntervalMs: number;
}

export function createSimCore(opts: SimulatorOptions = {}): SimCore {
  const clock: Clock = opts.clock ?? new SystemClock();
  const seed = opts.seed ?? 42;
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const data = loadSimData(dataDir);
  const sourceKind = opts.source ?? (data ? 'replay' : 'generator');
  if (sourceKind === 'replay' && !data)
    throw new Error(`replay needs the recorded series: ${dataDir}/nifty50_daily.csv was not found`);
  const tickIntervalMs = opts.tickIntervalMs ?? (opts.benchmark ? BENCHMARK_TICK_MS : 1_000);
  if (!(tickIntervalMs > 0)) throw new RangeError('tickIntervalMs must be > 0');

  const calendar = new TradingCalendar(data);
  const equities = data ? DEFAULT_EQUITIES.filter((s) => data.daily.has(s)) : DEFAULT_EQUITIES;
  const largeCaps = data && data.nifty50.size > 0 ? data.nifty50 : new Set(DEFAULT_EQUITIES);
  const registry = new InstrumentRegistry({ calendar, equities, largeCaps });
  const drivers = [...INDEX_DRIVERS, ...equities];
  let source: MarketSource;
  if (sourceKind === 'replay') {
    source = new ReplaySource({
      data: data!,
      calendar,
      seed,
      drivers,
      tickIntervalMs,
      startDate: opts.replayStart ?? DEFAULT_REPLAY_START,
    });
  } else {
    const startDate = calendar.onOrAfter(opts.startDate ?? istDate(clock.wallMs()));
    source = new GeneratorSource({
      seed,
      drivers,
      tickIntervalMs,
      startDate,
      initial: (s) => recordedDaily(data, s, startDate).at(-1)?.c,
      ...(data ? { data } : {}),
    });
  }
  const market = new MarketEngine({ source, registry, calendar, tickIntervalMs, seed });
  const account = new Account({
    market,
    registry,
    model: opts.microstructure ? 'microstructure' : 'sandbox',
    micro: { ...DEFAULT_MICROSTRUCTURE, ...opts.microstructureParams },
    margin: { ...DEFAULT_MARGIN_PARAMS, ...opts.marginParams, spreadLeverage: opts.spreadLeverage ?? 5 },
    rng: createRng(hash32(seed, 'fills')),
    seed,
    startingCapital: opts.startingCapital ?? 10_000_000,
  });
  return { clock, seed, calendar, registry, source, market, account, tickIntervalMs };
}

/**
 * Starts the OpenAlgo-compatible simulator: REST on one port, the WebSocket proxy protocol on two
 * more (primary and fallback feeds of the same market), a market paced by the injected clock, the
 * account with its fill model, and fault injection (in-process and `POST /sim/admin/faults` on every
 * port).
 */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const { clock, registry, source, market, account, tickIntervalMs } = createSimCore(opts);
  const transportClock = new SystemClock();
  const speed = opts.speed ?? 1;
  if (!(speed > 0)) throw new RangeError('speed must be > 0');
  const faults = new FaultState(opts.faults);
  const apiKey = opts.apiKey ?? randomBytes(32).toString('hex');
  const host = opts.host ?? '127.0.0.1';
  const abort = new AbortController();
  const rl = opts.rateLimits ?? {};
  const limitsOff = opts.benchmark === true && opts.rateLimits === undefined;
  const ctx: RestContext = {
    clock,
    apiKey,
    broker: SIM_BROKER,
    account,
    market,
    registry,
    source,
    faults,
    limiter: new MovingWindowLimiter(),
    limits: limitsOff
      ? undefined
      : {
          order: perSecond(rl.orderPerSecond ?? DEFAULT_ORDER_PER_SECOND),
          smart: perSecond(rl.orderPerSecond ?? DEFAULT_ORDER_PER_SECOND),
          api: perSecond(rl.apiPerSecond ?? DEFAULT_API_PER_SECOND),
          greeks: perMinute(rl.greeksPerMinute ?? DEFAULT_GREEKS_PER_MINUTE),
        },
    basketSupported: opts.basketSupported ?? true,
    state: { analyze: true, logs: 0 },
    signal: abort.signal,
    held: new Set(),
  };

  const adminOverHttp = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (path !== '/sim/admin/faults' && path !== '/sim/admin/faults/')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'error', message: 'Not found', path }));
      return;
    }
    void readBody(req).then((text) => {
      let parsed: { ok: true; value: unknown } | { ok: false };
      try {
        parsed = { ok: true, value: JSON.parse(text) };
      } catch {
        parsed = { ok: false };
      }
      const r = adminFaults(ctx, parsed);
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.body));
    });
  };

  const feedOpts = {
    userId: SIM_USER_ID,
    apiKey,
    clock,
    transportClock,
    registry,
    market,
    authGraceMs: opts.wsAuthGraceMs ?? WS_AUTH_GRACE_MS,
    pingIntervalMs: opts.wsPingIntervalMs ?? WS_PING_MS,
    pingTimeoutMs: opts.wsPingTimeoutMs ?? WS_PING_MS,
    onHttp: adminOverHttp,
  };
  const primary = new FeedServer({ ...feedOpts, name: 'primary', broker: SIM_BROKER });
  const fallback = new FeedServer({ ...feedOpts, name: 'fallback', broker: `${SIM_BROKER}-fallback` });

  const app = buildRestServer(ctx);
  await app.listen({ port: opts.restPort ?? 0, host });
  const addr = app.server.address();
  const restPort = typeof addr === 'object' && addr ? addr.port : (opts.restPort ?? 0);
  const wsPrimaryPort = await primary.listen(opts.wsPrimaryPort ?? 0, host);
  const wsFallbackPort = await fallback.listen(opts.wsFallbackPort ?? 0, host);

  market.onTick((inst, q) => {
    primary.publish(inst, q);
    fallback.publish(inst, q);
  });
  account.onOrderUpdate((o) => {
    if (!primary.hasOrderSubscribers() && !fallback.hasOrderSubscribers()) return;
    const frame = orderUpdateFrame(o, ctx.state.analyze ? 'analyze' : 'live', SIM_USER_ID);
    primary.broadcastOrder(frame);
    fallback.broadcastOrder(frame);
  });

  let restListening = true;
  const setRestDown = (down: boolean) => {
    if (down && restListening) {
      restListening = false;
      app.server.close();
      app.server.closeAllConnections();
      for (const h of ctx.held) h.destroy();
    } else if (!down && !restListening && !abort.signal.aborted) {
      restListening = true;
      app.server.listen(restPort, host);
    }
  };
  const applyFaults = () => {
    const f = faults.current;
    primary.setState(f.primaryFeed);
    fallback.setState(f.fallbackFeed);
    setRestDown(f.restDown);
  };
  faults.onChange(applyFaults);
  faults.onRestart(async () => {
    primary.dropAll();
    fallback.dropAll();
  });
  applyFaults();

  // Pacing: market time follows the injected clock at `speed`, in steps of `pacerMs`.
  const pacerMs =
    opts.pacerIntervalMs ?? Math.min(MAX_PACER_MS, Math.max(MIN_PACER_MS, tickIntervalMs / speed));
  let last = clock.monotonicMs();
  let pacer: TimerHandle | undefined;
  const pace = () => {
    const now = clock.monotonicMs();
    primary.cork();
    fallback.cork();
    try {
      market.step(Math.max(0, now - last) * speed);
    } finally {
      primary.uncork();
      fallback.uncork();
    }
    last = now;
    pacer = clock.setTimeout(pace, pacerMs);
  };
  pacer = clock.setTimeout(pace, pacerMs);

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (pacer) clock.clearTimeout(pacer);
      abort.abort();
      for (const h of ctx.held) h.destroy();
      await Promise.allSettled([primary.close(), fallback.close()]);
      // With REST "down" the listener is already closed; Fastify then reports it, which is fine.
      await app.close().catch(() => undefined);
    })();
    return stopped;
  };

  return {
    restUrl: `http://${host}:${restPort}`,
    wsPrimaryUrl: `ws://${host}:${wsPrimaryPort}`,
    wsFallbackUrl: `ws://${host}:${wsFallbackPort}`,
    apiKey,
    source: source.kind,
    feedStats: () => ({
      ticksSent: primary.ticksSent + fallback.ticksSent,
      ticksDropped: primary.ticksDropped + fallback.ticksDropped,
    }),
    faults: {
      set: (f) => faults.set(f),
      clear: () => faults.clear(),
      get: () => faults.get(),
      restart: () => faults.restart(),
    },
    market: {
      now: () => market.now(),
      ltp: (symbol, exchange) => {
        const inst = registry.get(symbol, exchange);
        return inst ? market.quote(inst).ltp : undefined;
      },
      step: (ms) => market.step(ms),
      instruments: () => [
        ...market
          .driverSymbols()
          .map((s) => ({ symbol: s, exchange: INDEX_DRIVERS.includes(s) ? 'NSE_INDEX' : 'NSE' })),
        ...['NIFTY', 'BANKNIFTY'].flatMap((u) =>
          registry
            .listedExpiries(u, 'futures')
            .map((e) => ({ symbol: registry.futureOf(u, e)!.symbol, exchange: 'NFO' })),
        ),
      ],
    },
    orders: () => account.allOrders().map(toSimOrder),
    stop,
  };
}
