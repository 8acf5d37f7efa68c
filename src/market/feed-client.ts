import WebSocket, { type RawData } from 'ws';
import type { Clock, TimerHandle } from '../clock/index.js';
import { Redactor } from '../contracts/index.js';
import { type Logger, silentLogger } from '../log/index.js';
import { backoffDelay, FEED_BACKOFF_MS } from './backoff.js';
import {
  AuthFrame,
  ErrorFrame,
  type FeedMode,
  fastMarketTick,
  IGNORED_TYPES,
  type Instrument,
  MarketDataFrame,
  modeOf,
  PongFrame,
  SubscribeAckFrame,
  type Tick,
  toTick,
  UnsubscribeAckFrame,
} from './feed-protocol.js';

export type FeedState = 'idle' | 'connecting' | 'authenticating' | 'ready' | 'backoff' | 'stopped';

export interface FeedClientOptions {
  readonly url: string;
  readonly apiKey: string;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Label stamped on every tick (`primary`, `fallback`). */
  readonly name?: string;
  /** Frames above this are refused by ws (connection closed with 1009) and counted. Default 1 MiB. */
  readonly maxPayloadBytes?: number;
  /** Wait for the auth reply this long (the SDK uses 5 s). */
  readonly authTimeoutMs?: number;
  readonly backoffMs?: readonly number[];
  /**
   * No frame and no protocol ping for this long means the TCP path is dead: the server pings every
   * 20 s (WS_PING_INTERVAL), so the default 45 s allows one lost ping.
   */
  readonly heartbeatTimeoutMs?: number;
  /** Optional application ping (`{"action":"ping"}`) for latency; 0 = off. */
  readonly appPingIntervalMs?: number;
  /** Depth levels asked for in DEPTH subscriptions (the key is `depth`, not `depth_level`). */
  readonly depthLevels?: number;
  /** Opening handshake deadline (ws option). */
  readonly handshakeTimeoutMs?: number;
}

export interface FeedClientStats {
  readonly state: FeedState;
  readonly connects: number;
  readonly reconnects: number;
  readonly authFailures: number;
  readonly ticks: number;
  /** Bad JSON, wrong shapes and oversize frames. */
  readonly malformed: number;
  readonly oversize: number;
  readonly serverErrors: number;
  readonly subscribeFailures: number;
  readonly listenerErrors: number;
  readonly lastTickMonoMs: number | undefined;
  readonly lastMessageMonoMs: number | undefined;
  readonly lastPingRttMs: number | undefined;
  readonly lastError: string | undefined;
}

export interface FailedSubscription extends Instrument {
  readonly mode: FeedMode;
  readonly message: string;
}

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const DEFAULT_AUTH_TIMEOUT_MS = 5_000;
const DEFAULT_HEARTBEAT_TIMEOUT_MS = 45_000;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Log the first few malformed frames, then one in this many: a flood must not flood the log too. */
const MALFORMED_LOG_EVERY = 100;

const key = (i: Instrument) => `${i.exchange}:${i.symbol}`;

/**
 * One connection to an OpenAlgo WebSocket proxy (WEBSOCKET.md). Authenticates on every connect, sends
 * one bulk subscribe per mode, and after any disconnect reconnects with back-off (1, 2, 5, 10, 30, 60 s
 * on the injected clock) and re-authenticates and resubscribes — the proxy keeps nothing (no resume).
 * A bad frame of any kind is counted and logged, never thrown.
 */
export class FeedClient {
  readonly #opts: FeedClientOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #name: string;
  readonly #backoff: readonly number[];
  readonly #subs = new Map<FeedMode, Map<string, Instrument>>([
    [1, new Map()],
    [2, new Map()],
    [3, new Map()],
  ]);
  readonly #failed = new Map<string, FailedSubscription>();
  /** Copied on change, iterated per tick without an iterator object. */
  #tickListeners: readonly ((t: Tick) => void)[] = [];
  readonly #stateListeners = new Set<(s: FeedState, c: FeedClient) => void>();
  #ws: WebSocket | undefined;
  #state: FeedState = 'idle';
  #attempt = 0;
  #reconnectTimer: TimerHandle | undefined;
  #authTimer: TimerHandle | undefined;
  #heartbeatTimer: TimerHandle | undefined;
  #pingTimer: TimerHandle | undefined;
  /** Last frame or protocol ping on the current socket: what the heartbeat timer checks. */
  #aliveMonoMs = 0;
  readonly #heartbeatMs: number;
  #pingSeq = 0;
  #requestSeq = 0;
  #readySinceMonoMs: number | undefined;
  #stopped: Promise<void> | undefined;
  #stats = {
    connects: 0,
    reconnects: 0,
    authFailures: 0,
    ticks: 0,
    malformed: 0,
    oversize: 0,
    serverErrors: 0,
    subscribeFailures: 0,
    listenerErrors: 0,
    lastTickMonoMs: undefined as number | undefined,
    lastMessageMonoMs: undefined as number | undefined,
    lastPingRttMs: undefined as number | undefined,
    lastError: undefined as string | undefined,
  };

  constructor(opts: FeedClientOptions) {
    this.#opts = opts;
    this.#clock = opts.clock;
    this.#name = opts.name ?? 'feed';
    this.#backoff = opts.backoffMs ?? FEED_BACKOFF_MS;
    this.#heartbeatMs = opts.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    const redactor = new Redactor([opts.apiKey]);
    const base = opts.logger ?? silentLogger();
    this.#log = base.child({
      component: 'openalgo-feed',
      feed: this.#name,
      url: redactor.scrubString(opts.url),
    });
  }

  get name(): string {
    return this.#name;
  }

  state(): FeedState {
    return this.#state;
  }

  /** Connected and authenticated (subscriptions sent). */
  isReady(): boolean {
    return this.#state === 'ready';
  }

  /** Monotonic time the connection last became ready; undefined while not ready. */
  readySinceMonoMs(): number | undefined {
    return this.#readySinceMonoMs;
  }

  lastTickMonoMs(): number | undefined {
    return this.#stats.lastTickMonoMs;
  }

  stats(): FeedClientStats {
    return { state: this.#state, ...this.#stats };
  }

  failedSubscriptions(): FailedSubscription[] {
    return [...this.#failed.values()];
  }

  subscriptions(mode: FeedMode): Instrument[] {
    return [...this.#subs.get(mode)!.values()];
  }

  onTick(fn: (t: Tick) => void): () => void {
    if (!this.#tickListeners.includes(fn)) this.#tickListeners = [...this.#tickListeners, fn];
    return () => {
      const had = this.#tickListeners.includes(fn);
      this.#tickListeners = this.#tickListeners.filter((f) => f !== fn);
      return had;
    };
  }

  onStateChange(fn: (s: FeedState, c: FeedClient) => void): () => void {
    this.#stateListeners.add(fn);
    return () => this.#stateListeners.delete(fn);
  }

  start(): void {
    if (this.#state !== 'idle') return;
    this.#connect();
  }

  /** Closes the socket and cancels every timer; resolves once the socket is closed. */
  stop(): Promise<void> {
    if (this.#stopped) return this.#stopped;
    this.#setState('stopped');
    this.#clearTimers();
    if (this.#reconnectTimer) this.#clock.clearTimeout(this.#reconnectTimer);
    const ws = this.#ws;
    this.#ws = undefined;
    this.#stopped = new Promise<void>((resolve) => {
      if (!ws || ws.readyState === WebSocket.CLOSED) return resolve();
      ws.once('close', () => resolve());
      ws.terminate();
    });
    return this.#stopped;
  }

  /** Adds instruments at `mode`; sent as one bulk message now when ready, and again after every reconnect. */
  subscribe(instruments: readonly Instrument[], mode: FeedMode): void {
    const set = this.#subs.get(mode)!;
    const fresh = instruments.filter((i) => !set.has(key(i)));
    for (const i of fresh) set.set(key(i), { symbol: i.symbol, exchange: i.exchange });
    if (this.#state === 'ready' && fresh.length > 0) this.#sendSubscribe(fresh, mode);
  }

  /**
   * Removes instruments held at `mode`. Each entry repeats its mode: the proxy defaults a missing one to
   * 2 and then silently removes nothing while still answering success (WEBSOCKET.md §3.4).
   */
  unsubscribe(instruments: readonly Instrument[], mode: FeedMode): void {
    const set = this.#subs.get(mode)!;
    const held = instruments.filter((i) => set.delete(key(i)));
    for (const i of held) this.#failed.delete(`${mode}:${key(i)}`);
    if (this.#state === 'ready' && held.length > 0) {
      this.#send({
        action: 'unsubscribe',
        symbols: held.map((i) => ({ symbol: i.symbol, exchange: i.exchange, mode })),
        request_id: this.#nextRequestId('u'),
      });
    }
  }

  #nextRequestId(prefix: string): string {
    this.#requestSeq++;
    return `${prefix}${this.#requestSeq}`;
  }

  #setState(s: FeedState): void {
    if (this.#state === s) return;
    if (this.#state === 'stopped') return;
    this.#state = s;
    this.#readySinceMonoMs = s === 'ready' ? this.#clock.monotonicMs() : undefined;
    for (const fn of this.#stateListeners) {
      try {
        fn(s, this);
      } catch (e) {
        this.#stats.listenerErrors++;
        this.#log.error({ err: e }, 'feed state listener threw');
      }
    }
  }

  #connect(): void {
    if (this.#state === 'stopped') return;
    this.#reconnectTimer = undefined;
    this.#setState('connecting');
    this.#stats.connects++;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.#opts.url, {
        maxPayload: this.#opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD,
        handshakeTimeout: this.#opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
        perMessageDeflate: false,
      });
    } catch (e) {
      this.#stats.lastError = String(e);
      this.#log.error({ err: e }, 'feed url rejected');
      this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;
    ws.on('open', () => {
      if (this.#ws !== ws) return;
      this.#setState('authenticating');
      this.#armHeartbeat();
      // `api_key` is what the proxy and the SDK use; the value is never logged.
      ws.send(JSON.stringify({ action: 'authenticate', api_key: this.#opts.apiKey }));
      this.#authTimer = this.#clock.setTimeout(() => {
        this.#stats.authFailures++;
        this.#stats.lastError = 'auth timeout';
        this.#log.warn('no auth reply in time; reconnecting');
        ws.terminate();
      }, this.#opts.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS);
    });
    ws.on('message', (data, isBinary) => {
      if (this.#ws !== ws) return;
      const receivedMonoMs = this.#clock.monotonicMs();
      this.#onMessage(data, isBinary, receivedMonoMs);
    });
    ws.on('ping', () => {
      if (this.#ws === ws) this.#aliveMonoMs = this.#clock.monotonicMs();
    });
    ws.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.#stats.oversize++;
        this.#countMalformed('oversize frame', undefined);
      }
      this.#stats.lastError = e.message;
      this.#log.debug({ err: e.message }, 'feed socket error');
    });
    ws.on('close', (code, reason) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      this.#clearTimers();
      if (this.#state === 'stopped') return;
      this.#log.info({ code, reason: reason.toString().slice(0, 200) }, 'feed disconnected');
      this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    if (this.#state === 'stopped') return;
    this.#setState('backoff');
    const delay = backoffDelay(this.#attempt, this.#backoff);
    this.#attempt++;
    this.#stats.reconnects++;
    this.#reconnectTimer = this.#clock.setTimeout(() => this.#connect(), delay);
  }

  #clearTimers(): void {
    for (const t of [this.#authTimer, this.#heartbeatTimer, this.#pingTimer])
      if (t) this.#clock.clearTimeout(t);
    this.#authTimer = undefined;
    this.#heartbeatTimer = undefined;
    this.#pingTimer = undefined;
  }

  /**
   * Any frame or protocol ping proves the path alive. Frames only record their receipt time
   * (`#aliveMonoMs`); one timer per socket wakes when the timeout could first have passed and re-arms
   * for the remainder while the path keeps talking. Re-arming a timer on every frame was a measurable
   * share of the per-tick cost at tens of thousands of frames a second.
   */
  #armHeartbeat(): void {
    const ws = this.#ws;
    if (!ws) return;
    if (this.#heartbeatTimer) this.#clock.clearTimeout(this.#heartbeatTimer);
    this.#aliveMonoMs = this.#clock.monotonicMs();
    const check = (delay: number) => {
      this.#heartbeatTimer = this.#clock.setTimeout(() => {
        this.#heartbeatTimer = undefined;
        if (this.#ws !== ws) return;
        const silent = this.#clock.monotonicMs() - this.#aliveMonoMs;
        if (silent < this.#heartbeatMs) {
          check(this.#heartbeatMs - silent);
          return;
        }
        this.#stats.lastError = 'heartbeat timeout';
        this.#log.warn('feed silent past the heartbeat timeout; reconnecting');
        ws.terminate();
      }, delay);
    };
    check(this.#heartbeatMs);
  }

  #send(msg: Record<string, unknown>): void {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(msg));
  }

  #sendSubscribe(instruments: readonly Instrument[], mode: FeedMode): void {
    this.#send({
      action: 'subscribe',
      symbols: instruments.map((i) => ({ symbol: i.symbol, exchange: i.exchange })),
      mode,
      ...(mode === 3 ? { depth: this.#opts.depthLevels ?? 5 } : {}),
      request_id: this.#nextRequestId('s'),
    });
  }

  #onAuthenticated(): void {
    if (this.#authTimer) this.#clock.clearTimeout(this.#authTimer);
    this.#authTimer = undefined;
    this.#attempt = 0;
    this.#setState('ready');
    // No resume: every reconnect replays all subscriptions, one bulk message per mode.
    for (const [mode, set] of this.#subs) if (set.size > 0) this.#sendSubscribe([...set.values()], mode);
    const every = this.#opts.appPingIntervalMs ?? 0;
    if (every > 0) this.#schedulePing(every);
  }

  #schedulePing(every: number): void {
    this.#pingTimer = this.#clock.setTimeout(() => {
      this.#send({
        action: 'ping',
        timestamp: this.#clock.monotonicMs(),
        _pingId: `${this.#name}-${++this.#pingSeq}`,
      });
      this.#schedulePing(every);
    }, every);
  }

  #onMessage(data: RawData, isBinary: boolean, receivedMonoMs: number): void {
    this.#stats.lastMessageMonoMs = receivedMonoMs;
    this.#aliveMonoMs = receivedMonoMs;
    const text = isBinary || !Buffer.isBuffer(data) ? rawToString(data) : data.toString('utf8');
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.#countMalformed('invalid JSON', text);
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.#countMalformed('not a JSON object', text);
      return;
    }
    const obj = msg as Record<string, unknown>;
    const type = obj.type;
    if (type === 'market_data') {
      // Plain frames (nearly all) are checked by hand; anything unusual goes through the schema.
      let tick = fastMarketTick(obj, receivedMonoMs, this.#name);
      if (tick === undefined) {
        const f = MarketDataFrame.safeParse(obj);
        if (!f.success) {
          this.#countMalformed(`market_data: ${f.error.issues[0]?.message ?? 'bad shape'}`, text);
          return;
        }
        tick = toTick(f.data, receivedMonoMs, this.#name);
      }
      if (this.#state !== 'ready') return;
      this.#stats.ticks++;
      this.#stats.lastTickMonoMs = receivedMonoMs;
      this.#emitTick(tick);
      return;
    }
    if (type === undefined && obj.status === 'error') {
      this.#onErrorFrame(obj, text);
      return;
    }
    if (type === 'auth' || type === 'authenticate') {
      const f = AuthFrame.safeParse(obj);
      if (!f.success) {
        this.#countMalformed('auth frame', text);
        return;
      }
      if (f.data.status === 'success') {
        this.#log.info({ broker: f.data.broker }, 'feed authenticated');
        this.#onAuthenticated();
      } else this.#authFailed(f.data.message ?? f.data.status);
      return;
    }
    if (type === 'subscribe') {
      const f = SubscribeAckFrame.safeParse(obj);
      if (!f.success) {
        this.#countMalformed('subscribe ack', text);
        return;
      }
      this.#onSubscribeAck(f.data);
      return;
    }
    if (type === 'unsubscribe') {
      const f = UnsubscribeAckFrame.safeParse(obj);
      if (!f.success) {
        this.#countMalformed('unsubscribe ack', text);
        return;
      }
      if (f.data.failed.length > 0)
        this.#log.warn({ failed: f.data.failed.length }, 'unsubscribe partly failed');
      return;
    }
    if (type === 'pong') {
      const f = PongFrame.safeParse(obj);
      if (!f.success) {
        this.#countMalformed('pong', text);
        return;
      }
      // We stamp pings with our monotonic clock, so the echo gives the round trip directly.
      if (f.data.client_timestamp !== undefined)
        this.#stats.lastPingRttMs = receivedMonoMs - f.data.client_timestamp;
      return;
    }
    if (typeof type === 'string' && IGNORED_TYPES.has(type)) return;
    this.#countMalformed(`unexpected frame type ${String(type).slice(0, 40)}`, text);
  }

  #emitTick(tick: Tick): void {
    const listeners = this.#tickListeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(tick);
      } catch (e) {
        this.#stats.listenerErrors++;
        this.#log.error({ err: e }, 'tick listener threw');
      }
    }
  }

  /** Bare error frame: during authentication it is the auth failure (there is no `type:"auth"` error). */
  #onErrorFrame(obj: Record<string, unknown>, text: string): void {
    const f = ErrorFrame.safeParse(obj);
    if (!f.success) {
      this.#countMalformed('error frame', text);
      return;
    }
    this.#stats.serverErrors++;
    if (this.#state === 'authenticating') {
      this.#authFailed(`${f.data.code}: ${f.data.message}`);
      return;
    }
    this.#stats.lastError = `${f.data.code}: ${f.data.message}`;
    this.#log.warn({ code: f.data.code, message: f.data.message }, 'feed error frame');
    if (f.data.code === 'NOT_AUTHENTICATED') {
      // The proxy lost our session: start over so auth and subscriptions are replayed.
      this.#ws?.terminate();
    }
  }

  #authFailed(reason: string): void {
    this.#stats.authFailures++;
    this.#stats.lastError = `auth failed: ${reason}`;
    this.#log.error({ reason }, 'feed authentication failed');
    // The proxy keeps an unauthenticated socket open until its 15 s grace timer; do not wait for it.
    this.#ws?.terminate();
  }

  #onSubscribeAck(ack: {
    status: string;
    subscriptions: readonly {
      symbol?: string | undefined;
      exchange?: string | undefined;
      status: string;
      message?: string | undefined;
      mode?: string | number | undefined;
    }[];
  }): void {
    for (const s of ack.subscriptions) {
      if (!s.symbol || !s.exchange) continue;
      const mode = modeOf(s.mode);
      const modes: FeedMode[] = mode ? [mode] : [1, 2, 3];
      for (const m of modes) {
        const k = `${m}:${s.exchange}:${s.symbol}`;
        if (!this.#subs.get(m)!.has(`${s.exchange}:${s.symbol}`)) continue;
        if (s.status === 'success') this.#failed.delete(k);
        else {
          this.#stats.subscribeFailures++;
          this.#failed.set(k, {
            symbol: s.symbol,
            exchange: s.exchange,
            mode: m,
            message: s.message ?? s.status,
          });
        }
      }
    }
    // "partial" even when every symbol failed (WEBSOCKET.md §3.3).
    if (ack.status !== 'success') {
      this.#log.warn({ status: ack.status, failed: this.#failed.size }, 'subscription partly failed');
    }
  }

  #countMalformed(reason: string, text: string | undefined): void {
    this.#stats.malformed++;
    const n = this.#stats.malformed;
    if (n <= 10 || n % MALFORMED_LOG_EVERY === 0) {
      this.#log.warn({ reason, count: n, sample: text?.slice(0, 120) }, 'malformed feed frame dropped');
    }
  }
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
