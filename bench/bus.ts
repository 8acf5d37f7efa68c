/**
 * Telemetry bus benchmark (plan §2): publish → receive through the real XSUB/XPUB proxy across two
 * processes on ipc://, a publisher child and a subscriber parent, over 50,000 HEARTBEAT events.
 *
 * Each event carries its send time (the host's CLOCK_MONOTONIC, shared by both processes) in
 * `payload.uptime_ms`, so the parent measures one-way latency per event. Two runs per transport:
 *  - flood: the child publishes as fast as it can; `*_events_per_s` is what the parent sustains
 *    (delivered / time from first send to last receive), and its latency is mostly queueing;
 *  - paced: the child publishes at a fixed rate (half the bus's flood rate, capped), and
 *    `bus_p50_ms` / `bus_p99_ms` are the per-event latencies at that load.
 * Side by side, in the same run: the same through raw zeromq PUB/SUB (JSON only, no schema
 * validation), the InMemoryBus (validation + dispatch, no transport), and the cost of `parseEvent`
 * alone, so the validation share is visible.
 *
 * Run: npm run bench bus   (the child is this same file, forked with --bus-bench-child)
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep, setImmediate as yieldLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Publisher, Subscriber } from 'zeromq';
import { BusProxy, InMemoryBus, ZmqBus } from '../src/bus/index.js';
import { VirtualClock } from '../src/clock/index.js';
import { type EventOf, makeEvent, parseEvent, type TomicEvent } from '../src/contracts/index.js';
import { silentLogger } from '../src/log/index.js';

const EVENTS = 50_000;
const CHILD_FLAG = '--bus-bench-child';
/** The paced runs' rate: half of what the bus sustained in its flood run, within these bounds. */
const MIN_PACED_RATE = 2_000;
const MAX_PACED_RATE = 20_000;
/** Events the publisher may have waiting in its ZmqBus queue before it yields to let it drain. */
const PUBLISH_BACKLOG = 5_000;
/** A run ends when everything arrived, or nothing new arrived for this long after the child finished. */
const IDLE_END_MS = 3_000;

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const template: EventOf<'HEARTBEAT'> = makeEvent(
  new VirtualClock(),
  'HEARTBEAT',
  { source_agent: 'regime' },
  { agent: 'regime', pid: process.pid, seq: 0, uptime_ms: 0, status: 'RUNNING' },
);
const stamped = (seq: number): EventOf<'HEARTBEAT'> => ({
  ...template,
  payload: { ...template.payload, seq, uptime_ms: nowMs() },
});

type Transport = 'bus' | 'raw';

// ---- child: the publisher ------------------------------------------------------------------------

async function child(
  transport: Transport,
  xsub: string,
  xpub: string,
  n: number,
  rate: number,
): Promise<void> {
  const pace = async (sent: number, t0: number): Promise<void> => {
    // Paced: publish what the schedule owes, then sleep a tick; flood: just let the socket drain.
    if (rate > 0) {
      while (sent >= Math.floor(((nowMs() - t0) * rate) / 1_000)) await sleep(1);
    }
  };
  if (transport === 'bus') {
    const bus = await ZmqBus.connect({ xsubEndpoint: xsub, xpubEndpoint: xpub, logger: silentLogger() });
    await bus.ready();
    const t0 = nowMs();
    for (let i = 0; i < n; i++) {
      if (bus.queueLength >= PUBLISH_BACKLOG) await yieldLoop();
      await pace(i, t0);
      bus.publish(stamped(i));
    }
    await bus.flush();
    process.send?.({ type: 'done', stats: bus.stats() });
    await bus.close();
  } else {
    const pub = new Publisher({ linger: 2_000, sendHighWaterMark: 100_000 });
    pub.connect(xsub);
    // The raw socket's slow joiner: probe until the parent says it hears us.
    let heard = false;
    process.on('message', (m) => {
      if (m === 'heard') heard = true;
    });
    while (!heard) {
      await pub.send(['HEARTBEAT', 'probe']);
      await sleep(10);
    }
    const t0 = nowMs();
    for (let i = 0; i < n; i++) {
      await pace(i, t0);
      await pub.send(['HEARTBEAT', JSON.stringify(stamped(i))]);
    }
    process.send?.({ type: 'done' });
    pub.close();
  }
  process.disconnect?.();
}

if (process.argv[2] === CHILD_FLAG) {
  const [transport, xsub, xpub, n, rate] = process.argv.slice(3);
  await child(transport as Transport, xsub!, xpub!, Number(n), Number(rate));
}

// ---- parent: the subscriber and the measurements -----------------------------------------------

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const r2 = (x: number) => Math.round(x * 100) / 100;
/** Latencies to the microsecond: the in-memory bus delivers well under 0.01 ms. */
const r3 = (x: number) => Math.round(x * 1_000) / 1_000;

interface RunResult {
  delivered: number;
  events_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

class Tally {
  readonly lat = new Float64Array(EVENTS);
  count = 0;
  firstSend = Number.POSITIVE_INFINITY;
  lastReceive = 0;
  add(sentAt: number): void {
    const t = nowMs();
    if (this.count < this.lat.length) this.lat[this.count] = t - sentAt;
    this.count++;
    if (sentAt < this.firstSend) this.firstSend = sentAt;
    this.lastReceive = t;
  }
  result(): RunResult {
    const lat = this.lat.slice(0, Math.min(this.count, this.lat.length)).sort();
    return {
      delivered: this.count,
      events_per_s: Math.round((this.count / (this.lastReceive - this.firstSend)) * 1_000),
      p50_ms: r3(percentile(lat, 50)),
      p99_ms: r3(percentile(lat, 99)),
      max_ms: r3(lat[lat.length - 1] ?? Number.NaN),
    };
  }
}

async function runAcross(transport: Transport, xsub: string, xpub: string, rate: number): Promise<RunResult> {
  const tally = new Tally();
  let closeSub: () => Promise<void>;
  let onProbe: (() => void) | undefined;
  if (transport === 'bus') {
    const bus = await ZmqBus.connect({ xsubEndpoint: xsub, xpubEndpoint: xpub, logger: silentLogger() });
    bus.subscribe(['HEARTBEAT'], (e) => {
      if (e.event_type === 'HEARTBEAT') tally.add(e.payload.uptime_ms);
    });
    // Ready before the child connects: the proxy gives the child's PUB our subscription as it joins.
    await bus.ready();
    closeSub = () => bus.close();
  } else {
    const sub = new Subscriber({ linger: 0, receiveHighWaterMark: 100_000 });
    sub.connect(xpub);
    sub.subscribe('HEARTBEAT');
    const loop = (async () => {
      for await (const [, body] of sub) {
        const text = body!.toString('utf8');
        if (text === 'probe') {
          onProbe?.();
          continue;
        }
        tally.add((JSON.parse(text) as EventOf<'HEARTBEAT'>).payload.uptime_ms);
      }
    })();
    closeSub = async () => {
      sub.close();
      await loop.catch(() => {});
    };
  }

  const script = fileURLToPath(import.meta.url);
  const proc = fork(script, [CHILD_FLAG, transport, xsub, xpub, String(EVENTS), String(rate)], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  onProbe = () => {
    if (proc.connected) proc.send('heard');
    onProbe = undefined;
  };
  let done = false;
  proc.on('message', (m) => {
    if ((m as { type?: string }).type === 'done') done = true;
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));

  let last = -1;
  let idleSince = nowMs();
  while (tally.count < EVENTS) {
    await sleep(20);
    if (tally.count !== last) {
      last = tally.count;
      idleSince = nowMs();
    } else if (done && nowMs() - idleSince > IDLE_END_MS) {
      break;
    } else if (nowMs() - idleSince > 60_000) {
      proc.kill('SIGKILL');
      break;
    }
  }
  await exited;
  await closeSub();
  return tally.result();
}

function runInMemory(): RunResult {
  const bus = new InMemoryBus();
  const tally = new Tally();
  bus.subscribe(['HEARTBEAT'], (e) => {
    if (e.event_type === 'HEARTBEAT') tally.add(e.payload.uptime_ms);
  });
  for (let i = 0; i < EVENTS; i++) bus.publish(stamped(i));
  return tally.result();
}

function validationCostUs(): number {
  const events: TomicEvent[] = Array.from({ length: 10_000 }, (_, i) => stamped(i));
  for (const e of events.slice(0, 1_000)) parseEvent(e); // warm-up
  const start = process.hrtime.bigint();
  for (const e of events) parseEvent(JSON.parse(JSON.stringify(e)));
  return r2(Number(process.hrtime.bigint() - start) / 1_000 / events.length);
}

export async function run(): Promise<Record<string, unknown>> {
  const loadBefore = r2(loadavg()[0]!);
  const dir = mkdtempSync(join(tmpdir(), 'tomic-bench-bus-'));
  const xsub = `ipc://${join(dir, 'xsub.ipc')}`;
  const xpub = `ipc://${join(dir, 'xpub.ipc')}`;
  const proxy = await BusProxy.start({ xsub, xpub, logger: silentLogger() });
  try {
    const busFlood = await runAcross('bus', xsub, xpub, 0);
    const rate = Math.max(
      MIN_PACED_RATE,
      Math.min(MAX_PACED_RATE, Math.round(busFlood.events_per_s / 2 / 1_000) * 1_000),
    );
    const busPaced = await runAcross('bus', xsub, xpub, rate);
    const rawFlood = await runAcross('raw', xsub, xpub, 0);
    const rawPaced = await runAcross('raw', xsub, xpub, rate);
    const memory = runInMemory();
    const figures = {
      events: EVENTS,
      transport: 'ipc:// via XSUB/XPUB proxy, publisher child → subscriber parent',
      bus_events_per_s: busFlood.events_per_s,
      bus_p50_ms: busPaced.p50_ms,
      bus_p99_ms: busPaced.p99_ms,
      paced_rate_per_s: rate,
      bus_flood: busFlood,
      bus_paced: busPaced,
      raw_zmq_flood: rawFlood,
      raw_zmq_paced: rawPaced,
      in_memory: memory,
      json_plus_parse_event_us: validationCostUs(),
      load_avg_1m_before: loadBefore,
      load_avg_1m_after: r2(loadavg()[0]!),
    };
    console.log(
      `bus (validated) ${busFlood.events_per_s} ev/s, paced ${rate}/s p50 ${busPaced.p50_ms} ms p99 ${busPaced.p99_ms} ms | ` +
        `raw zmq ${rawFlood.events_per_s} ev/s, paced p50 ${rawPaced.p50_ms} ms p99 ${rawPaced.p99_ms} ms | ` +
        `in-memory ${memory.events_per_s} ev/s | JSON + parseEvent ${figures.json_plus_parse_event_us} µs/event`,
    );
    return figures;
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
