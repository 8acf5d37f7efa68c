import { type AddressInfo, createServer, type Server } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { realDelay } from '../../../src/clock/index.js';

/**
 * A small OpenAlgo WebSocket proxy for feed tests, speaking the protocol of `websocket_proxy/server.py`:
 * bare error frames without `type`, label modes in acks, `partial` status, per-(symbol, mode)
 * subscriptions, no resume. Ticks are pushed by the test; the proxy can be stopped and restarted on
 * the same port, or frozen (connected but silent).
 */
export interface FakeFeed {
  readonly url: string;
  readonly port: number;
  /** Every client message received, in order. */
  readonly messages: Record<string, unknown>[];
  /** Symbols the proxy refuses (per-symbol error in the ack). */
  readonly refuse: Set<string>;
  frozen: boolean;
  /** Never answer `authenticate` (a proxy stuck creating its broker adapter). */
  ignoreAuth: boolean;
  connections(): number;
  /** (exchange:symbol → modes) held by the connected clients. */
  subscribed(): Map<string, Set<number>>;
  /** Sends a market-data frame to every client subscribed to the instrument at any mode ≤ `mode`. */
  tick(symbol: string, exchange: string, data: Record<string, unknown>, mode?: 1 | 2 | 3): number;
  /** Sends raw text to every authenticated client. */
  raw(text: string): void;
  /** Drops every client connection (server stays up). */
  dropClients(): void;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

const LABEL: Record<number, string> = { 1: 'LTP', 2: 'Quote', 3: 'Depth' };

export async function startFakeFeed(opts: {
  apiKey: string;
  port?: number;
  maxPayload?: number;
}): Promise<FakeFeed> {
  const port = opts.port ?? (await freePort());
  const messages: Record<string, unknown>[] = [];
  const refuse = new Set<string>();
  const state = new Map<WebSocket, { authed: boolean; subs: Map<string, Set<number>> }>();
  let wss: WebSocketServer | undefined;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = new WebSocketServer({ host: '127.0.0.1', port });
      s.once('listening', () => resolve());
      s.once('error', reject);
      s.on('connection', (ws) => {
        state.set(ws, { authed: false, subs: new Map() });
        ws.on('close', () => state.delete(ws));
        ws.on('message', (buf) => {
          let m: Record<string, unknown>;
          try {
            m = JSON.parse(String(buf));
          } catch {
            ws.send(
              JSON.stringify({ status: 'error', code: 'INVALID_JSON', message: 'Invalid JSON message' }),
            );
            return;
          }
          messages.push(m);
          const st = state.get(ws)!;
          const action = m.action ?? m.type;
          if (action === 'authenticate' || action === 'auth') {
            if (feed.ignoreAuth) return;
            const key = m.api_key ?? m.apikey;
            if (key !== opts.apiKey) {
              ws.send(
                JSON.stringify({ status: 'error', code: 'AUTHENTICATION_ERROR', message: 'Invalid API key' }),
              );
              return;
            }
            st.authed = true;
            ws.send(
              JSON.stringify({
                type: 'auth',
                status: 'success',
                message: 'Authentication successful',
                broker: 'fake',
                user_id: 'u',
                supported_features: { ltp: true, quote: true, depth: true },
              }),
            );
            return;
          }
          if (!st.authed) {
            ws.send(
              JSON.stringify({
                status: 'error',
                code: 'NOT_AUTHENTICATED',
                message: 'You must authenticate first',
              }),
            );
            return;
          }
          if (action === 'subscribe') {
            const mode = Number(m.mode ?? 2);
            const syms = (m.symbols as Array<{ symbol: string; exchange: string }>) ?? [];
            const subs = syms.map((s) => {
              if (refuse.has(s.symbol)) {
                return {
                  symbol: s.symbol,
                  exchange: s.exchange,
                  status: 'error',
                  message: `Token not found for ${s.symbol}`,
                };
              }
              const k = `${s.exchange}:${s.symbol}`;
              const set = st.subs.get(k) ?? new Set<number>();
              set.add(mode);
              st.subs.set(k, set);
              return {
                symbol: s.symbol,
                exchange: s.exchange,
                status: 'success',
                mode: LABEL[mode],
                depth: 5,
              };
            });
            ws.send(
              JSON.stringify({
                type: 'subscribe',
                status: subs.every((s) => s.status === 'success') ? 'success' : 'partial',
                message: 'Subscription processing complete',
                request_id: m.request_id,
                subscriptions: subs,
              }),
            );
            return;
          }
          if (action === 'unsubscribe') {
            const syms = (m.symbols as Array<{ symbol: string; exchange: string; mode?: number }>) ?? [];
            for (const s of syms) st.subs.get(`${s.exchange}:${s.symbol}`)?.delete(Number(s.mode ?? 2));
            ws.send(JSON.stringify({ type: 'unsubscribe', status: 'success', successful: syms, failed: [] }));
            return;
          }
          if (action === 'ping') {
            ws.send(
              JSON.stringify({
                type: 'pong',
                status: 'success',
                server_timestamp: 1,
                client_timestamp: m.timestamp,
              }),
            );
          }
        });
      });
      wss = s;
    });

  await listen();
  const feed: FakeFeed = {
    url: `ws://127.0.0.1:${port}`,
    port,
    messages,
    refuse,
    frozen: false,
    ignoreAuth: false,
    connections: () => state.size,
    subscribed() {
      const out = new Map<string, Set<number>>();
      for (const st of state.values())
        for (const [k, v] of st.subs) out.set(k, new Set([...(out.get(k) ?? []), ...v]));
      return out;
    },
    tick(symbol, exchange, data, mode = 2) {
      if (feed.frozen) return 0;
      let n = 0;
      for (const [ws, st] of state) {
        const held = st.subs.get(`${exchange}:${symbol}`);
        if (!held || ws.readyState !== WebSocket.OPEN) continue;
        // Fan-out rule: every subscriber at a mode ≤ the tick's mode gets it, tagged with its own mode.
        const subMode = Math.min(...[...held].filter((x) => x <= mode));
        if (!Number.isFinite(subMode)) continue;
        ws.send(
          JSON.stringify({
            type: 'market_data',
            symbol,
            exchange,
            mode: subMode,
            broker: 'fake',
            data: { symbol, exchange, ...data },
          }),
        );
        n++;
      }
      return n;
    },
    raw(text) {
      for (const [ws, st] of state) if (st.authed && ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    dropClients() {
      for (const ws of state.keys()) ws.terminate();
    },
    async stop() {
      feed.dropClients();
      const s = wss;
      wss = undefined;
      if (s) await new Promise<void>((r) => s.close(() => r()));
    },
    async restart() {
      await feed.stop();
      await listen();
    },
  };
  return feed;
}

async function freePort(): Promise<number> {
  const srv: Server = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Polls a condition on real time (socket I/O), failing after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 3_000, what = 'condition'): Promise<void> {
  for (let waited = 0; !cond(); waited += 5) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await realDelay(5);
  }
}
