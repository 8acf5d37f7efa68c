/**
 * Gateway benchmark (issue 5): against the embedded simulator on loopback —
 *  - placeorder round trips/s and p50/p99 latency over a keep-alive pool (the simulator's and our
 *    rate limits raised, so the wire and both ends are what is measured);
 *  - WebSocket ticks/s delivered to 6 subscribers (6 FeedClients, one connection each) and the p99
 *    tick age at the client (our wall clock at receipt − the frame's own timestamp);
 *  - failover time: primary feed dropped → FeedManager serving from the fallback.
 * Targets: ≥ 2,000 orders/s, p99 ≤ 2 ms, ≥ 50,000 ticks/s, failover ≤ 1 s.
 */
import { OpenAlgoClient, type PlaceOrderInput } from '../src/broker/index.js';
import { realDelay, SystemClock } from '../src/clock/index.js';
import { FeedClient, FeedManager, type Instrument } from '../src/market/index.js';
import { startSimulator } from '../src/sim/index.js';

const ORDERS = 6_000;
const WARMUP_ORDERS = 1_000;
const ORDER_CONCURRENCY = 2;
const SUBSCRIBERS = 6;
const TICK_WINDOW_MS = 3_000;
const FAILOVER_RUNS = 5;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const round = (x: number, dp = 3) => Number(x.toFixed(dp));

export async function run(): Promise<Record<string, unknown>> {
  const clock = new SystemClock();
  const sim = await startSimulator({ benchmark: true });
  try {
    // ---------------------------------------------------------------- orders
    const client = new OpenAlgoClient({
      baseUrl: sim.restUrl,
      apiKey: sim.apiKey,
      timeoutMs: 5_000,
      clock,
      rateLimits: { ordersPerSecond: 1_000_000, apiPerSecond: 1_000_000 },
      connections: ORDER_CONCURRENCY,
    });
    const order: PlaceOrderInput = {
      strategy: 'BENCH',
      symbol: 'RELIANCE',
      exchange: 'NSE',
      action: 'BUY',
      quantity: 1,
      pricetype: 'MARKET',
      product: 'MIS',
    };
    const place = async (n: number, lat?: number[]) => {
      let next = 0;
      let failed = 0;
      await Promise.all(
        Array.from({ length: ORDER_CONCURRENCY }, async () => {
          while (next++ < n) {
            const s = clock.monotonicMs();
            const r = await client.placeOrder({ ...order, action: next % 2 === 0 ? 'BUY' : 'SELL' });
            lat?.push(clock.monotonicMs() - s);
            if (!r.ok) failed++;
          }
        }),
      );
      return failed;
    };
    await place(WARMUP_ORDERS);
    const lat: number[] = [];
    const t0 = clock.monotonicMs();
    const failedOrders = await place(ORDERS, lat);
    const elapsed = clock.monotonicMs() - t0;
    await client.close();
    lat.sort((a, b) => a - b);
    const orders_per_s = Math.round((ORDERS / elapsed) * 1000);
    const order_p50_ms = round(percentile(lat, 0.5));
    const order_p99_ms = round(percentile(lat, 0.99));
    console.log(
      `placeorder: ${orders_per_s}/s, p50 ${order_p50_ms} ms, p99 ${order_p99_ms} ms, ${failedOrders} failed`,
    );

    // ---------------------------------------------------------------- ticks
    const instruments: Instrument[] = sim.market
      .instruments()
      .map((i: Instrument) => ({ symbol: i.symbol, exchange: i.exchange }));
    const subs = Array.from(
      { length: SUBSCRIBERS },
      (_, i) => new FeedClient({ url: sim.wsPrimaryUrl, apiKey: sim.apiKey, clock, name: `sub${i}` }),
    );
    let ticks = 0;
    let counting = false;
    const ages: number[] = [];
    for (const s of subs) {
      s.subscribe(instruments, 2);
      s.onTick((t) => {
        if (!counting) return;
        ticks++;
        if (t.feedTimeMs !== undefined && (ticks & 7) === 0) ages.push(clock.wallMs() - t.feedTimeMs);
      });
      s.start();
    }
    while (!subs.every((s) => s.isReady())) await realDelay(10);
    await realDelay(500);
    counting = true;
    const tt0 = clock.monotonicMs();
    await realDelay(TICK_WINDOW_MS);
    counting = false;
    const tickElapsed = clock.monotonicMs() - tt0;
    const malformed = subs.reduce((a, s) => a + s.stats().malformed, 0);
    await Promise.all(subs.map((s) => s.stop()));
    ages.sort((a, b) => a - b);
    const ticks_per_s = Math.round((ticks / tickElapsed) * 1000);
    const tick_age_p99_ms = round(percentile(ages, 0.99), 1);
    console.log(
      `ticks: ${ticks_per_s}/s over ${SUBSCRIBERS} subscribers, p99 age ${tick_age_p99_ms} ms, ${malformed} malformed`,
    );

    // ---------------------------------------------------------------- failover
    const failovers: number[] = [];
    for (let i = 0; i < FAILOVER_RUNS; i++) {
      sim.faults.clear();
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
      const downAt = clock.monotonicMs();
      sim.faults.set({ primaryFeed: 'down' });
      const at = await Promise.race([switched, realDelay(5_000).then(() => Number.NaN)]);
      failovers.push(at - downAt);
      await mgr.stop();
    }
    sim.faults.clear();
    failovers.sort((a, b) => a - b);
    const failover_ms = round(failovers.at(-1)!, 1);
    console.log(
      `failover: worst ${failover_ms} ms of ${FAILOVER_RUNS} (median ${round(percentile(failovers, 0.5), 1)} ms)`,
    );

    return {
      orders_per_s,
      order_p50_ms,
      order_p99_ms,
      ticks_per_s,
      tick_age_p99_ms,
      failover_ms,
      failover_median_ms: round(percentile(failovers, 0.5), 1),
      order_concurrency: ORDER_CONCURRENCY,
      orders_measured: ORDERS,
      orders_failed: failedOrders,
      subscribers: SUBSCRIBERS,
      tick_window_ms: TICK_WINDOW_MS,
      malformed_frames: malformed,
      targets: { orders_per_s: 2_000, order_p99_ms: 2, ticks_per_s: 50_000, failover_ms: 1_000 },
    };
  } finally {
    await sim.stop();
  }
}
