import { request } from 'undici';
import WebSocket from 'ws';
import { realDelay } from '../../../src/clock/index.js';

export interface HttpResult {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test helper reads arbitrary JSON bodies
  json: any;
}

/** POSTs `body` (JSON-encoded unless a string) to `${base}/api/v1/${path}` over real HTTP. */
export async function post(
  base: string,
  path: string,
  body: unknown,
  opts: { contentType?: string; method?: string; signal?: AbortSignal; prefix?: string } = {},
): Promise<HttpResult> {
  const res = await request(`${base}${opts.prefix ?? '/api/v1/'}${path}`, {
    method: (opts.method ?? 'POST') as 'POST',
    headers: { 'content-type': opts.contentType ?? 'application/json' },
    body: opts.method === 'GET' ? null : typeof body === 'string' ? body : JSON.stringify(body),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, text, json };
}

export async function until(cond: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  for (let waited = 0; !cond(); waited += 5) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await realDelay(5);
  }
}

/** A raw `ws` client that records every frame and how it closed. */
export class WsProbe {
  readonly ws: WebSocket;
  // biome-ignore lint/suspicious/noExplicitAny: frames are arbitrary JSON
  readonly frames: any[] = [];
  closed: { code: number; reason: string } | undefined;
  error: Error | undefined;
  pings = 0;
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', (e) => {
        this.error = e;
        reject(e);
      });
    });
    this.ws.on('message', (d) => this.frames.push(JSON.parse(d.toString())));
    this.ws.on('ping', () => this.pings++);
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  // biome-ignore lint/suspicious/noExplicitAny: frames are arbitrary JSON
  async next(pred: (f: any) => boolean, timeoutMs = 5_000, what = 'frame'): Promise<any> {
    let seen = 0;
    for (let waited = 0; waited <= timeoutMs; waited += 5) {
      for (; seen < this.frames.length; seen++) if (pred(this.frames[seen])) return this.frames[seen];
      await realDelay(5);
    }
    throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames.slice(-3))}`);
  }

  // biome-ignore lint/suspicious/noExplicitAny: frames are arbitrary JSON
  async reply(msg: unknown, pred: (f: any) => boolean, what?: string): Promise<any> {
    const from = this.frames.length;
    this.send(msg);
    return this.next((f) => this.frames.indexOf(f) >= from && pred(f), 5_000, what);
  }

  marketData(symbol?: string) {
    return this.frames.filter(
      (f) => f.type === 'market_data' && (symbol === undefined || f.symbol === symbol),
    );
  }

  close(): void {
    this.ws.terminate();
  }
}

export async function authed(url: string, apiKey: string): Promise<WsProbe> {
  const p = new WsProbe(url);
  await p.opened;
  await p.reply({ action: 'authenticate', api_key: apiKey }, (f) => f.type === 'auth', 'auth');
  return p;
}
