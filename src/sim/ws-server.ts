import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { Clock, TimerHandle } from '../clock/index.js';
import type { Instrument, InstrumentRegistry } from './instruments.js';
import type { MarketEngine, Quote } from './market.js';
import type { FeedState } from './types.js';

/**
 * OpenAlgo's WebSocket proxy protocol (WEBSOCKET.md, following `websocket_proxy/server.py`), one
 * instance per simulated broker feed (primary and fallback serve the same market):
 *  - `authenticate`/`auth` with `api_key` or `apikey`; errors are bare `{status, code, message}` frames
 *    without `type`; unauthenticated sockets close with 4401 "auth timeout" after the grace period;
 *  - `subscribe` (symbols list or one symbol; mode 1/2/3 or LTP/Quote/Depth, default Quote; `depth`),
 *    acked per symbol with the mode *label*, `partial` when any symbol failed;
 *  - `unsubscribe` entries default to mode 2 and must match the subscribed mode (else nothing is
 *    removed, still reported as success); `unsubscribe_all`;
 *  - market_data envelopes carry the *subscriber's* int mode; a tick published at mode m reaches
 *    every subscription of that symbol at mode ≤ m (so LTP subscribers also get Quote/Depth ticks);
 *  - `ping` → `pong` with `server_timestamp` ms; `subscribe_orders` → `order_update` frames;
 *  - the heartbeat is the protocol-level ping (20 s, 20 s timeout), answered by any client library.
 */
export interface FeedOptions {
  readonly name: string;
  readonly broker: string;
  readonly userId: string;
  readonly apiKey: string;
  /** Business clock: auth grace and `pong`/tick timestamps. */
  readonly clock: Clock;
  /** Transport clock: protocol ping/pong liveness (real socket health). */
  readonly transportClock: Clock;
  readonly registry: InstrumentRegistry;
  readonly market: MarketEngine;
  readonly authGraceMs: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  /** Handles plain HTTP requests on this port (the admin endpoint). */
  readonly onHttp?: (req: IncomingMessage, res: ServerResponse) => void;
}

type Mode = 1 | 2 | 3;
const MODE_LABEL: Readonly<Record<Mode, string>> = { 1: 'LTP', 2: 'Quote', 3: 'Depth' };
const LABEL_MODE: Readonly<Record<string, Mode>> = { ltp: 1, quote: 2, depth: 3 };
const DEFAULT_DEPTH = 5;

interface Client {
  readonly ws: WebSocket;
  authenticated: boolean;
  orders: boolean;
  /** instrument key → modes held. */
  readonly subs: Map<string, Set<Mode>>;
  grace: TimerHandle | undefined;
  ping: TimerHandle | undefined;
  pongTimer: TimerHandle | undefined;
}

function socketOf(ws: WebSocket): Duplex | undefined {
  const s = (ws as unknown as { _socket?: Duplex })._socket;
  return s && typeof s.cork === 'function' && !s.destroyed ? s : undefined;
}

function pyType(v: unknown): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'dict';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return typeof v;
}

/** `mode_utils.py`: ints 1–3 or the labels in any case; everything else is INVALID_MODE. */
export function parseMode(v: unknown): { ok: true; mode: Mode } | { ok: false; message: string } {
  if (typeof v === 'boolean')
    return { ok: false, message: `Mode must be int or str, got bool (${v ? 'True' : 'False'})` };
  if (typeof v === 'number') {
    if (v === 1 || v === 2 || v === 3) return { ok: true, mode: v };
    return { ok: false, message: `Invalid mode ${v}; expected 1 (LTP), 2 (Quote), or 3 (Depth)` };
  }
  if (typeof v === 'string') {
    const m = LABEL_MODE[v.trim().toLowerCase()];
    if (m) return { ok: true, mode: m };
    return {
      ok: false,
      message: `Invalid mode '${v}'; expected 'LTP', 'Quote', or 'Depth' (case-insensitive)`,
    };
  }
  return { ok: false, message: `Mode must be int or str, got ${pyType(v)}` };
}

/** Bytes queued for one feed client beyond which its ticks are dropped (slow consumer). */
export const MAX_CLIENT_BUFFER_BYTES = 8 * 1024 * 1024;

export class FeedServer {
  readonly #o: FeedOptions;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #clients = new Set<Client>();
  /** instrument key → clients holding it (any mode). */
  readonly #index = new Map<string, { inst: Instrument; clients: Set<Client> }>();
  #state: FeedState = 'up';
  #port = 0;
  #host = '127.0.0.1';
  #ticksSent = 0;
  #ticksDropped = 0;

  constructor(opts: FeedOptions) {
    this.#o = opts;
    this.#http = createServer((req, res) => {
      if (opts.onHttp) opts.onHttp(req, res);
      else {
        res.writeHead(426, { 'content-type': 'text/plain' });
        res.end('Upgrade Required');
      }
    });
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: 1_048_576 });
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // A feed that is down refuses new connections outright.
      if (this.#state === 'down') {
        socket.destroy();
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connect(ws));
    });
  }

  async listen(port: number, host: string): Promise<number> {
    this.#host = host;
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    const addr = this.#http.address();
    this.#port = typeof addr === 'object' && addr ? addr.port : port;
    return this.#port;
  }

  get url(): string {
    return `ws://${this.#host}:${this.#port}`;
  }

  get state(): FeedState {
    return this.#state;
  }

  get ticksSent(): number {
    return this.#ticksSent;
  }

  /** Ticks not sent because the client's socket buffer was over MAX_CLIENT_BUFFER_BYTES. */
  get ticksDropped(): number {
    return this.#ticksDropped;
  }

  clientCount(): number {
    return this.#clients.size;
  }

  setState(state: FeedState): void {
    if (state === this.#state) return;
    this.#state = state;
    if (state === 'down') for (const c of [...this.#clients]) c.ws.terminate();
  }

  /** Drops every client (close 1012 "Service Restart"); they must reconnect and resubscribe. */
  dropAll(): void {
    for (const c of [...this.#clients]) c.ws.close(1012, 'Service Restart');
  }

  async close(): Promise<void> {
    for (const c of [...this.#clients]) c.ws.terminate();
    this.#wss.close();
    const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    // Keep-alive admin connections would otherwise hold the listener open until they time out.
    this.#http.closeAllConnections();
    await closed;
  }

  // ------------------------------------------------------------------ connection life cycle

  #connect(ws: WebSocket): void {
    const c: Client = {
      ws,
      authenticated: false,
      orders: false,
      subs: new Map(),
      grace: undefined,
      ping: undefined,
      pongTimer: undefined,
    };
    this.#clients.add(c);
    c.grace = this.#o.clock.setTimeout(() => {
      c.grace = undefined;
      if (!c.authenticated && ws.readyState === ws.OPEN) ws.close(4401, 'auth timeout');
    }, this.#o.authGraceMs);
    this.#schedulePing(c);
    ws.on('pong', () => {
      if (c.pongTimer) this.#o.transportClock.clearTimeout(c.pongTimer);
      c.pongTimer = undefined;
    });
    ws.on('message', (data: RawData) => this.#onMessage(c, data));
    ws.on('close', () => this.#cleanup(c));
    ws.on('error', () => this.#cleanup(c));
  }

  #schedulePing(c: Client): void {
    const t = this.#o.transportClock;
    c.ping = t.setTimeout(() => {
      if (c.ws.readyState !== c.ws.OPEN) return;
      c.ws.ping();
      c.pongTimer = t.setTimeout(() => c.ws.terminate(), this.#o.pingTimeoutMs);
      this.#schedulePing(c);
    }, this.#o.pingIntervalMs);
  }

  #cleanup(c: Client): void {
    if (!this.#clients.delete(c)) return;
    if (c.grace) this.#o.clock.clearTimeout(c.grace);
    if (c.ping) this.#o.transportClock.clearTimeout(c.ping);
    if (c.pongTimer) this.#o.transportClock.clearTimeout(c.pongTimer);
    for (const key of [...c.subs.keys()]) this.#dropKey(c, key);
  }

  #send(c: Client, frame: unknown): void {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  #error(c: Client, code: string, message: string): void {
    this.#send(c, { status: 'error', code, message });
  }

  // ------------------------------------------------------------------ actions

  #onMessage(c: Client, raw: RawData): void {
    let data: unknown;
    try {
      data = JSON.parse(Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : raw.toString());
    } catch {
      this.#error(c, 'INVALID_JSON', 'Invalid JSON message');
      return;
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      this.#error(c, 'SERVER_ERROR', `'${pyType(data)}' object has no attribute 'get'`);
      return;
    }
    const msg = data as Record<string, unknown>;
    const action = (msg.action || msg.type) as unknown;
    try {
      switch (action) {
        case 'authenticate':
        case 'auth':
          this.#authenticate(c, msg);
          return;
        case 'subscribe':
          this.#subscribe(c, msg);
          return;
        case 'unsubscribe':
          this.#unsubscribe(c, msg, msg.unsubscribe_all === true);
          return;
        case 'unsubscribe_all':
          this.#unsubscribe(c, msg, true);
          return;
        case 'subscribe_orders':
        case 'unsubscribe_orders':
          this.#orders(c, msg, action === 'subscribe_orders');
          return;
        case 'get_broker_info':
          if (!c.authenticated) {
            this.#error(c, 'NOT_AUTHENTICATED', 'You must authenticate first');
            return;
          }
          this.#send(c, {
            type: 'broker_info',
            status: 'success',
            broker: this.#o.broker,
            adapter_status: 'connected',
            user_id: this.#o.userId,
          });
          return;
        case 'get_supported_brokers':
          this.#send(c, {
            type: 'supported_brokers',
            status: 'success',
            brokers: [this.#o.broker],
            count: 1,
          });
          return;
        case 'ping': {
          const pong: Record<string, unknown> = {
            type: 'pong',
            status: 'success',
            server_timestamp: Math.round(this.#o.clock.wallMs()),
          };
          if (msg.timestamp !== undefined) pong.client_timestamp = msg.timestamp;
          if (msg._pingId !== undefined) pong._pingId = msg._pingId;
          this.#send(c, pong);
          return;
        }
        default:
          this.#error(
            c,
            'INVALID_ACTION',
            `Invalid action: ${action === undefined ? 'None' : String(action)}`,
          );
      }
    } catch (err) {
      this.#error(c, 'PROCESSING_ERROR', err instanceof Error ? err.message : String(err));
    }
  }

  #authenticate(c: Client, msg: Record<string, unknown>): void {
    const key = msg.api_key ?? msg.apikey;
    if (key === undefined || key === null || key === '') {
      this.#error(c, 'AUTHENTICATION_ERROR', 'API key is required');
      return;
    }
    if (key !== this.#o.apiKey) {
      this.#error(c, 'AUTHENTICATION_ERROR', 'Invalid API key');
      return;
    }
    c.authenticated = true;
    if (c.grace) this.#o.clock.clearTimeout(c.grace);
    c.grace = undefined;
    this.#send(c, {
      type: 'auth',
      status: 'success',
      message: 'Authentication successful',
      broker: this.#o.broker,
      user_id: this.#o.userId,
      supported_features: { ltp: true, quote: true, depth: true },
    });
  }

  #symbols(msg: Record<string, unknown>): Record<string, unknown>[] {
    if (Array.isArray(msg.symbols))
      return msg.symbols.filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null);
    if (msg.symbol !== undefined || msg.exchange !== undefined)
      return [{ symbol: msg.symbol, exchange: msg.exchange, mode: msg.mode }];
    return [];
  }

  #subscribe(c: Client, msg: Record<string, unknown>): void {
    if (!c.authenticated) {
      this.#error(c, 'NOT_AUTHENTICATED', 'You must authenticate first');
      return;
    }
    const pm = parseMode(msg.mode ?? 'Quote');
    if (!pm.ok) {
      this.#error(c, 'INVALID_MODE', pm.message);
      return;
    }
    const mode = pm.mode;
    const entries = this.#symbols(msg);
    if (entries.length === 0) {
      this.#error(c, 'INVALID_PARAMETERS', 'At least one symbol must be specified');
      return;
    }
    const subscriptions: Record<string, unknown>[] = [];
    const fresh: Instrument[] = [];
    let failed = false;
    for (const e of entries) {
      if (typeof e.symbol !== 'string' || typeof e.exchange !== 'string' || !e.symbol || !e.exchange)
        continue;
      const inst = this.#o.registry.get(e.symbol, e.exchange);
      if (!inst) {
        failed = true;
        subscriptions.push({
          symbol: e.symbol,
          exchange: e.exchange,
          status: 'error',
          message: `Token not found for ${e.symbol} on ${e.exchange}`,
          broker: this.#o.broker,
        });
        continue;
      }
      const key = `${inst.exchange}:${inst.symbol}`;
      let modes = c.subs.get(key);
      if (!modes) {
        modes = new Set();
        c.subs.set(key, modes);
      }
      if (!modes.has(mode)) {
        modes.add(mode);
        fresh.push(inst);
      }
      let entry = this.#index.get(key);
      if (!entry) {
        entry = { inst, clients: new Set() };
        this.#index.set(key, entry);
        this.#o.market.watch(inst);
      }
      entry.clients.add(c);
      subscriptions.push({
        symbol: inst.symbol,
        exchange: inst.exchange,
        status: 'success',
        mode: MODE_LABEL[mode],
        depth: DEFAULT_DEPTH,
        broker: this.#o.broker,
      });
    }
    const ack: Record<string, unknown> = {
      type: 'subscribe',
      status: failed ? 'partial' : 'success',
      message: 'Subscription processing complete',
      broker: this.#o.broker,
    };
    if (msg.request_id !== undefined) ack.request_id = msg.request_id;
    ack.subscriptions = subscriptions;
    this.#send(c, ack);
    // Brokers push the current state on subscribe: one snapshot per new (symbol, mode).
    if (this.#state === 'up')
      for (const inst of fresh) {
        const q = this.#o.market.quote(inst);
        this.#send(c, this.#envelope(inst, mode, this.#payload(inst, q, mode)));
      }
  }

  #dropKey(c: Client, key: string): void {
    c.subs.delete(key);
    const entry = this.#index.get(key);
    if (!entry) return;
    entry.clients.delete(c);
    if (entry.clients.size === 0) {
      this.#index.delete(key);
      this.#o.market.unwatch(entry.inst);
    }
  }

  #unsubscribe(c: Client, msg: Record<string, unknown>, all: boolean): void {
    if (!c.authenticated) {
      this.#error(c, 'NOT_AUTHENTICATED', 'You must authenticate first');
      return;
    }
    const successful: Record<string, unknown>[] = [];
    const failedList: Record<string, unknown>[] = [];
    if (all) {
      for (const key of [...c.subs.keys()]) {
        const [exchange, symbol] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
        successful.push({ symbol, exchange, status: 'success', broker: this.#o.broker });
        this.#dropKey(c, key);
      }
    } else {
      const entries = this.#symbols(msg);
      if (entries.length === 0) {
        this.#error(c, 'INVALID_PARAMETERS', 'Either symbols or unsubscribe_all is required');
        return;
      }
      for (const e of entries) {
        const symbol = e.symbol as string;
        const exchange = e.exchange as string;
        // Quirk: each entry's mode defaults to 2; a mismatch removes nothing but still reports success.
        const pm = parseMode(e.mode ?? 2);
        if (!pm.ok) {
          failedList.push({ symbol, exchange, status: 'error', message: pm.message, broker: this.#o.broker });
          continue;
        }
        const inst =
          typeof symbol === 'string' && typeof exchange === 'string'
            ? this.#o.registry.get(symbol, exchange)
            : undefined;
        if (!inst) {
          failedList.push({
            symbol,
            exchange,
            status: 'error',
            message: `Token not found for ${symbol} on ${exchange}`,
            broker: this.#o.broker,
          });
          continue;
        }
        const key = `${inst.exchange}:${inst.symbol}`;
        const modes = c.subs.get(key);
        if (modes?.delete(pm.mode) && modes.size === 0) this.#dropKey(c, key);
        successful.push({
          symbol: inst.symbol,
          exchange: inst.exchange,
          status: 'success',
          broker: this.#o.broker,
        });
      }
    }
    const status = failedList.length === 0 ? 'success' : successful.length === 0 ? 'error' : 'partial';
    const ack: Record<string, unknown> = {
      type: 'unsubscribe',
      status,
      message: 'Unsubscription processing complete',
      successful,
      failed: failedList,
      broker: this.#o.broker,
    };
    if (msg.request_id !== undefined) ack.request_id = msg.request_id;
    this.#send(c, ack);
  }

  #orders(c: Client, msg: Record<string, unknown>, on: boolean): void {
    if (!c.authenticated) {
      this.#error(c, 'NOT_AUTHENTICATED', 'You must authenticate first');
      return;
    }
    c.orders = on;
    const ack: Record<string, unknown> = {
      type: on ? 'subscribe_orders' : 'unsubscribe_orders',
      status: 'success',
      message: on ? 'Subscribed to order updates' : 'Unsubscribed from order updates',
    };
    if (msg.request_id !== undefined) ack.request_id = msg.request_id;
    this.#send(c, ack);
  }

  // ------------------------------------------------------------------ market data

  #payload(inst: Instrument, q: Quote, mode: Mode): string {
    const ts = Math.round(this.#o.clock.wallMs());
    const base = `"symbol":${JSON.stringify(inst.symbol)},"exchange":${JSON.stringify(inst.exchange)},"mode":${mode},"ltp":${q.ltp},"ltt":${q.ltt},"timestamp":${ts}`;
    if (mode === 1) return `{${base}}`;
    const quote = `,"open":${q.open},"high":${q.high},"low":${q.low},"close":${q.prevClose},"volume":${q.volume},"average_price":${q.avgPrice},"last_quantity":${q.lastQty},"oi":${q.oi}`;
    if (mode === 2)
      return `{${base}${quote},"total_buy_quantity":${q.totalBuyQty},"total_sell_quantity":${q.totalSellQty}}`;
    const lv = (ls: Quote['bids']) =>
      ls.map((l) => `{"price":${l.price},"quantity":${l.quantity},"orders":${l.orders}}`).join(',');
    return `{${base}${quote},"upper_circuit":${q.upperCircuit},"lower_circuit":${q.lowerCircuit},"depth":{"buy":[${lv(q.bids)}],"sell":[${lv(q.asks)}]}}`;
  }

  #envelope(inst: Instrument, clientMode: Mode, data: string): string {
    return `{"type":"market_data","symbol":${JSON.stringify(inst.symbol)},"exchange":${JSON.stringify(inst.exchange)},"mode":${clientMode},"broker":${JSON.stringify(this.#o.broker)},"data":${data}}`;
  }

  /** Fans a tick out: published once per mode held by anyone, delivered to every mode ≤ it. */
  publish(inst: Instrument, quote: () => Quote): void {
    if (this.#state !== 'up') return;
    const entry = this.#index.get(`${inst.exchange}:${inst.symbol}`);
    if (!entry) return;
    const q = quote();
    const key = `${inst.exchange}:${inst.symbol}`;
    const held = new Set<Mode>();
    for (const c of entry.clients) for (const m of c.subs.get(key) ?? []) held.add(m);
    const envelopes = new Map<string, string>();
    for (const published of [1, 2, 3] as const) {
      if (!held.has(published)) continue;
      const data = this.#payload(inst, q, published);
      for (const c of entry.clients)
        for (const m of c.subs.get(key) ?? []) {
          if (m > published) continue;
          const k = `${published}:${m}`;
          let frame = envelopes.get(k);
          if (!frame) {
            frame = this.#envelope(inst, m, data);
            envelopes.set(k, frame);
          }
          // A client that cannot keep up loses ticks, not the server its memory (at high --speed
          // a reader can fall minutes behind); the freshness gates then see the gap for what it is.
          if (c.ws.bufferedAmount > MAX_CLIENT_BUFFER_BYTES) {
            this.#ticksDropped++;
            continue;
          }
          this.#send(c, frame);
          this.#ticksSent++;
        }
    }
  }

  /**
   * Holds writes while a market step fans out many ticks, then flushes each socket once: one
   * `writev` per client per step instead of one syscall per frame. (`_socket` is the `ws` library's
   * underlying net.Socket; corking only batches, it never reorders or drops.)
   */
  cork(): void {
    for (const c of this.#clients) socketOf(c.ws)?.cork();
  }

  uncork(): void {
    for (const c of this.#clients) socketOf(c.ws)?.uncork();
  }

  hasOrderSubscribers(): boolean {
    if (this.#state === 'down') return false;
    for (const c of this.#clients) if (c.authenticated && c.orders) return true;
    return false;
  }

  /** `order_update` to every authenticated client that asked for them. */
  broadcastOrder(frame: Record<string, unknown>): void {
    if (this.#state === 'down') return;
    let text: string | undefined;
    for (const c of this.#clients)
      if (c.authenticated && c.orders) {
        text ??= JSON.stringify(frame);
        this.#send(c, text);
      }
  }
}
