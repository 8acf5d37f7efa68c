import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Publisher, Subscriber, XPublisher, XSubscriber, Proxy as ZmqProxy } from 'zeromq';
import { EventType, parseEvent, type TomicEvent } from '../contracts/index.js';
import type { Logger } from '../log/index.js';
import type { Bus, BusStats, EventHandler, Topics } from './bus.js';
import { Dispatcher } from './dispatch.js';

/**
 * Frames on the wire are `[event_type, JSON]`: one ZeroMQ topic per event type (plan §2). Readiness
 * probes use topics under this prefix, which no event type can start with; every endpoint ignores them.
 */
export const PROBE_TOPIC_PREFIX = '__tomic_probe__/';

/** Messages ZeroMQ queues per peer before a PUB drops (best effort, §2); the libzmq default is 1,000. */
export const DEFAULT_HIGH_WATER_MARK = 100_000;
/** Events publish() holds while the socket is busy; beyond it new events are dropped and counted. */
export const DEFAULT_MAX_QUEUE = 10_000;
/** How long close() lets queued frames reach the proxy before the socket is torn down. */
export const DEFAULT_LINGER_MS = 1_000;
const DEFAULT_READY_TIMEOUT_MS = 10_000;
const DEFAULT_PROBE_INTERVAL_MS = 20;
/** Back-off after an unexpected receive error, so a broken socket cannot spin the event loop. */
const RECEIVE_ERROR_BACKOFF_MS = 100;
/** How long BusProxy.start waits on a Unix socket that neither accepts nor refuses (then: in use). */
const SOCKET_CHECK_TIMEOUT_MS = 5_000;
/** Malformed frames logged one by one before logging thins out to every MALFORMED_LOG_EVERY-th. */
const MALFORMED_LOG_FIRST = 100;
const MALFORMED_LOG_EVERY = 1_000;

const ipcPath = (endpoint: string): string | null =>
  endpoint.startsWith('ipc://') ? endpoint.slice('ipc://'.length) : null;

function ensureIpcDir(endpoint: string): void {
  const path = ipcPath(endpoint);
  if (path) mkdirSync(dirname(path), { recursive: true });
}

/**
 * True when something listens on one of these ipc:// endpoints. libzmq unlinks an ipc socket file
 * before binding it, so a second supervisor on the same data folder would silently steal the bus
 * from the first, while a socket file left by a crash must simply be replaced. A plain connect tells
 * them apart without timing: a live socket accepts, a stale one refuses at once.
 */
async function ipcInUse(endpoints: readonly string[]): Promise<boolean> {
  for (const endpoint of endpoints) {
    const path = ipcPath(endpoint);
    if (path && existsSync(path) && (await socketAccepts(path))) return true;
  }
  return false;
}

function socketAccepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ path });
    const done = (accepts: boolean) => {
      socket.destroy();
      resolve(accepts);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false)); // ECONNREFUSED (stale), ENOTSOCK (not a socket) …
    // Neither accepting nor refusing: something holds it; taking it over would be the worse mistake.
    socket.setTimeout(SOCKET_CHECK_TIMEOUT_MS, () => done(true));
  });
}

export interface BusProxyOptions {
  /** Endpoint publishers connect to (the proxy's XSUB side). */
  xsub: string;
  /** Endpoint subscribers connect to (the proxy's XPUB side). */
  xpub: string;
  logger?: Logger;
  highWaterMark?: number;
}

/**
 * The XSUB/XPUB forwarder every process meets at (owned by the supervisor). It moves frames and
 * subscriptions only; it never parses, so a bad publisher cannot take it down.
 */
export class BusProxy {
  readonly xsub: string;
  readonly xpub: string;
  readonly #proxy: ZmqProxy<XSubscriber, XPublisher>;
  readonly #running: Promise<void>;
  #closed = false;

  private constructor(xsub: string, xpub: string, proxy: ZmqProxy<XSubscriber, XPublisher>, logger?: Logger) {
    this.xsub = xsub;
    this.xpub = xpub;
    this.#proxy = proxy;
    this.#running = proxy.run().catch((err: unknown) => {
      if (!this.#closed) logger?.error({ err }, 'bus proxy stopped unexpectedly');
    });
  }

  /**
   * Binds both endpoints and starts forwarding (in a ZeroMQ worker thread). Rejects if another proxy
   * is already serving these ipc:// endpoints.
   */
  static async start(opts: BusProxyOptions): Promise<BusProxy> {
    if (await ipcInUse([opts.xsub, opts.xpub])) {
      throw new Error(`a bus proxy is already serving ${opts.xsub} / ${opts.xpub}`);
    }
    const hwm = opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    const front = new XSubscriber({ linger: 0, sendHighWaterMark: hwm, receiveHighWaterMark: hwm });
    const back = new XPublisher({ linger: 0, sendHighWaterMark: hwm, receiveHighWaterMark: hwm });
    try {
      ensureIpcDir(opts.xsub);
      ensureIpcDir(opts.xpub);
      await front.bind(opts.xsub);
      await back.bind(opts.xpub);
    } catch (err) {
      front.close();
      back.close();
      throw err;
    }
    opts.logger?.info({ xsub: opts.xsub, xpub: opts.xpub }, 'bus proxy listening');
    return new BusProxy(opts.xsub, opts.xpub, new ZmqProxy(front, back), opts.logger);
  }

  /**
   * Stops forwarding and closes both sockets (the proxy closes them itself on termination), then
   * removes its ipc:// socket files, which libzmq leaves behind, so the next start need not probe them.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#proxy.terminate();
    await this.#running;
    for (const path of [ipcPath(this.xsub), ipcPath(this.xpub)]) {
      if (path) rmSync(path, { force: true });
    }
  }
}

export interface ZmqBusOptions {
  /** The proxy's XSUB endpoint: this bus's PUB socket connects there. */
  xsubEndpoint: string;
  /** The proxy's XPUB endpoint: this bus's SUB socket connects there. */
  xpubEndpoint: string;
  logger?: Logger;
  maxQueue?: number;
  highWaterMark?: number;
  lingerMs?: number;
}

export interface ReadyOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** A frame pair waiting for the socket; probes are not events, so they are not counted. */
interface Outgoing {
  readonly frames: [string, string];
  readonly counted: boolean;
}

/**
 * The live bus across processes: PUB → proxy → SUB. publish() is synchronous and never throws: it
 * queues the frame and one drain loop feeds the socket (zeromq allows one pending send per socket).
 * Received frames are parsed with their schema at this boundary; malformed ones are counted and
 * logged, never delivered.
 *
 * ZeroMQ drops what a publisher sends before the subscription has reached it (the slow joiner).
 * `ready()` makes that deterministic: see its comment.
 */
export class ZmqBus implements Bus {
  readonly #pub: Publisher;
  readonly #sub: Subscriber;
  readonly #logger: Logger | undefined;
  readonly #dispatch: Dispatcher;
  readonly #maxQueue: number;
  readonly #id = randomUUID();
  /** How many live subscriptions use each ZeroMQ prefix ('' = everything). */
  readonly #prefixes = new Map<string, number>();
  /** FIFO as an array and a head index: shift() on a long array copies it every time. */
  #queue: Outgoing[] = [];
  #head = 0;
  readonly #probeWaiters = new Map<string, () => void>();
  #draining: Promise<void> | null = null;
  #receiving: Promise<void>;
  #closed = false;
  #closing: Promise<void> | null = null;
  #probeSeq = 0;
  #published = 0;
  #malformed = 0;
  #dropped = 0;

  private constructor(pub: Publisher, sub: Subscriber, opts: ZmqBusOptions) {
    this.#pub = pub;
    this.#sub = sub;
    this.#logger = opts.logger;
    this.#dispatch = new Dispatcher(opts.logger);
    this.#maxQueue = opts.maxQueue ?? DEFAULT_MAX_QUEUE;
    this.#receiving = this.#receiveLoop();
  }

  static async connect(opts: ZmqBusOptions): Promise<ZmqBus> {
    const hwm = opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    const pub = new Publisher({ linger: opts.lingerMs ?? DEFAULT_LINGER_MS, sendHighWaterMark: hwm });
    const sub = new Subscriber({ linger: 0, receiveHighWaterMark: hwm });
    try {
      // connect() is asynchronous inside ZeroMQ: it succeeds before the peer exists and retries.
      pub.connect(opts.xsubEndpoint);
      sub.connect(opts.xpubEndpoint);
    } catch (err) {
      pub.close();
      sub.close();
      throw err;
    }
    return new ZmqBus(pub, sub, opts);
  }

  publish(event: TomicEvent): void {
    let body: string;
    try {
      body = JSON.stringify(event);
    } catch (err) {
      // Not serialisable (a cycle, a BigInt): a bug in the caller, but publish stays best effort.
      this.#dropped++;
      this.#logger?.error({ err, event_type: event.event_type }, 'bus: event not serialisable, dropped');
      return;
    }
    this.#enqueue([event.event_type, body], true);
  }

  subscribe(topics: Topics, handler: EventHandler): () => void {
    const prefixes = topics === '*' ? [''] : [...new Set(topics)];
    if (this.#closed) return () => {};
    for (const p of prefixes) this.#addPrefix(p);
    return this.#dispatch.add(topics, handler, () => {
      for (const p of prefixes) this.#removePrefix(p);
    });
  }

  stats(): BusStats {
    return {
      published: this.#published,
      received: this.#dispatch.received,
      malformed: this.#malformed,
      dropped: this.#dropped,
    };
  }

  /** Events waiting for the socket (a publisher in a tight loop can pace itself on this). */
  get queueLength(): number {
    return this.#queue.length - this.#head;
  }

  /** Resolves when every event published so far has been handed to ZeroMQ (or dropped). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /**
   * Resolves once the subscriptions made so far on this bus have reached the proxy and this bus's
   * publisher is connected and has every subscription the proxy knew of when it attached.
   *
   * How: subscribe to a probe topic of our own, then publish probe frames until one comes back
   * through the proxy. Subscriptions travel in order on one pipe, so the probe's arriving proves the
   * earlier ones arrived too; and the proxy replays its known subscriptions to a publisher that joins
   * before anything else, so events published after ready() reach every subscriber that was ready
   * before this bus connected. Rejects after `timeoutMs` (default 10 s) if no probe returns.
   */
  async ready(opts: ReadyOptions = {}): Promise<void> {
    if (this.#closed) throw new Error('bus is closed');
    const timeoutMs = opts.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const intervalMs = opts.intervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    const topic = `${PROBE_TOPIC_PREFIX}${this.#id}/${this.#probeSeq++}`;
    let arrived = false;
    const back = new Promise<void>((resolve) =>
      this.#probeWaiters.set(topic, () => {
        arrived = true;
        resolve();
      }),
    );
    this.#sub.subscribe(topic);
    const timers = new AbortController();
    try {
      // Counting attempts, not reading a clock: the bound is approximate and that is all it needs.
      const attempts = Math.max(1, Math.ceil(timeoutMs / intervalMs));
      for (let i = 0; i < attempts && !arrived && !this.#closed; i++) {
        this.#enqueue([topic, ''], false);
        await Promise.race([back, delay(intervalMs, undefined, { signal: timers.signal }).catch(() => {})]);
      }
      if (!arrived) {
        throw new Error(
          this.#closed ? 'bus closed before it was ready' : `bus not ready after ${timeoutMs} ms`,
        );
      }
    } finally {
      timers.abort(); // no probe timer outlives ready()
      this.#probeWaiters.delete(topic);
      if (!this.#sub.closed) this.#sub.unsubscribe(topic);
    }
  }

  /**
   * Hands queued events to ZeroMQ, then closes both sockets; ZeroMQ keeps delivering what it holds
   * for up to `lingerMs`. Safe to call more than once, also concurrently.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.flush();
      this.#closed = true;
      this.#dispatch.clear();
      this.#sub.close();
      this.#pub.close();
      await this.#receiving;
    })();
    return this.#closing;
  }

  #addPrefix(p: string): void {
    const n = this.#prefixes.get(p) ?? 0;
    this.#prefixes.set(p, n + 1);
    if (n === 0) this.#sub.subscribe(p);
  }

  #removePrefix(p: string): void {
    const n = this.#prefixes.get(p) ?? 0;
    if (n <= 1) {
      this.#prefixes.delete(p);
      if (n === 1 && !this.#sub.closed) this.#sub.unsubscribe(p);
    } else {
      this.#prefixes.set(p, n - 1);
    }
  }

  #enqueue(frames: [string, string], counted: boolean): void {
    if (this.#closed || this.queueLength >= this.#maxQueue) {
      if (counted) this.#dropped++;
      return;
    }
    this.#queue.push({ frames, counted });
    if (!this.#draining) {
      this.#draining = this.#drain().finally(() => {
        this.#draining = null;
      });
    }
  }

  async #drain(): Promise<void> {
    for (let next = this.#dequeue(); next !== undefined; next = this.#dequeue()) {
      try {
        await this.#pub.send(next.frames);
        if (next.counted) this.#published++;
      } catch (err) {
        if (!next.counted) continue;
        this.#dropped++;
        this.#logger?.warn({ err, event_type: next.frames[0] }, 'bus: send failed, event dropped');
      }
    }
  }

  #dequeue(): Outgoing | undefined {
    const next = this.#queue[this.#head];
    if (next === undefined) {
      this.#queue = [];
      this.#head = 0;
      return undefined;
    }
    this.#head++;
    if (this.#head >= 1_024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return next;
  }

  async #receiveLoop(): Promise<void> {
    while (!this.#closed) {
      let frames: Buffer[];
      try {
        frames = await this.#sub.receive();
      } catch (err) {
        if (this.#closed || this.#sub.closed) return;
        this.#logger?.error({ err }, 'bus: receive failed');
        await delay(RECEIVE_ERROR_BACKOFF_MS);
        continue;
      }
      this.#onFrames(frames);
    }
  }

  #onFrames(frames: Buffer[]): void {
    const topic = frames[0]?.toString('utf8') ?? '';
    if (topic.startsWith(PROBE_TOPIC_PREFIX)) {
      this.#probeWaiters.get(topic)?.();
      return;
    }
    const decoded = decodeFrames(topic, frames);
    if (typeof decoded === 'string') {
      const n = ++this.#malformed;
      // A misbehaving publisher must not flood the log: every frame is counted, not every one logged.
      if (n <= MALFORMED_LOG_FIRST || n % MALFORMED_LOG_EVERY === 0) {
        this.#logger?.warn(
          { code: 'MALFORMED_MESSAGE', topic: topic.slice(0, 64), reason: decoded, malformed_total: n },
          'bus: malformed frame',
        );
      }
      return;
    }
    this.#dispatch.deliver(decoded);
  }
}

/** The event a `[event_type, JSON]` message carries, or why it is malformed. */
function decodeFrames(topic: string, frames: Buffer[]): TomicEvent | string {
  if (frames.length !== 2 || !EventType.safeParse(topic).success) {
    return `expected [event_type, JSON], got ${frames.length} frame(s)`;
  }
  let json: unknown;
  try {
    json = JSON.parse(frames[1]!.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  const parsed = parseEvent(json);
  if (!parsed.ok) return parsed.message;
  if (parsed.value.event_type !== topic) return `topic does not match event_type ${parsed.value.event_type}`;
  return parsed.value;
}
