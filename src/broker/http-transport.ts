import { type Dispatcher, Pool } from 'undici';
import type { Clock } from '../clock/index.js';
import type { RawOutcome, TransportFailure } from './classify.js';

export interface HttpTransportOptions {
  /** OpenAlgo base, e.g. `http://127.0.0.1:5000` (an `/api/v1` suffix is accepted too). */
  readonly baseUrl: string;
  readonly clock: Clock;
  /** Keep-alive connections to the broker. */
  readonly connections?: number;
  readonly keepAliveTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Answers larger than this are abandoned (a runaway orderbook must not exhaust memory). */
  readonly maxResponseBytes?: number;
}

export type TransportOutcome = Extract<RawOutcome, { kind: 'http' | 'transport' }>;

const DEFAULT_CONNECTIONS = 8;
const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * POSTs JSON over a keep-alive undici Pool and reports, besides the answer, whether the request had
 * been handed to a connected socket when it failed. That bit separates "not sent" (connect refused,
 * DNS, timed out while queued for a connection) from "sent, no answer" — the ambiguous case (§3).
 * The deadline runs on the injected clock; undici's own timers stay as a loose backstop only.
 */
export class HttpTransport {
  readonly #pool: Pool;
  readonly #prefix: string;
  readonly #maxBytes: number;
  readonly #clock: Clock;

  constructor(opts: HttpTransportOptions) {
    const url = new URL(opts.baseUrl);
    const path = url.pathname.replace(/\/+$/, '');
    this.#prefix = path.endsWith('/api/v1') ? path : `${path}/api/v1`;
    this.#clock = opts.clock;
    this.#maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#pool = new Pool(url.origin, {
      connections: opts.connections ?? DEFAULT_CONNECTIONS,
      pipelining: 1,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 4_000,
      connectTimeout: opts.connectTimeoutMs ?? 10_000,
    });
  }

  post(
    route: string,
    body: string,
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<TransportOutcome> {
    const clock = this.#clock;
    const maxBytes = this.#maxBytes;
    // Backstop only: the clock deadline below is the authority.
    const backstopMs = opts.timeoutMs * 4 + 1_000;
    return new Promise<TransportOutcome>((resolve) => {
      let sent = false;
      let settled = false;
      let status = 0;
      let size = 0;
      const chunks: Buffer[] = [];
      let controller: Dispatcher.DispatchController | undefined;

      const finish = (o: TransportOutcome) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(o);
      };
      const fail = (reason: TransportFailure, message: string, cause?: Error) => {
        const wasSent = sent;
        finish({ kind: 'transport', reason, sent: wasSent, message });
        if (controller && !controller.aborted) controller.abort(cause ?? new Error(message));
      };
      const timer = clock.setTimeout(
        () => fail('timeout', `no answer within ${opts.timeoutMs} ms`),
        opts.timeoutMs,
      );
      const onAbort = () => fail('aborted', 'aborted by caller');
      if (opts.signal?.aborted) {
        onAbort();
        return;
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(ctrl) {
          controller = ctrl;
          // Timed out (or aborted) while queued for a connection: abort before a byte is written.
          if (settled) {
            ctrl.abort(new Error('deadline passed before send'));
            return;
          }
          sent = true;
        },
        onResponseStart(_ctrl, statusCode) {
          status = statusCode;
        },
        onResponseData(ctrl, chunk) {
          size += chunk.length;
          if (size > maxBytes) {
            fail('other', `response larger than ${maxBytes} bytes`);
            ctrl.abort(new Error('response too large'));
            return;
          }
          chunks.push(chunk);
        },
        onResponseEnd() {
          finish({ kind: 'http', status, bodyText: Buffer.concat(chunks).toString('utf8'), json: undefined });
        },
        onResponseError(_ctrl, error) {
          const { reason, message } = describe(error);
          finish({ kind: 'transport', reason, sent, message });
        },
      };
      try {
        this.#pool.dispatch(
          {
            path: `${this.#prefix}/${route}`,
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body,
            headersTimeout: backstopMs,
            bodyTimeout: backstopMs,
          },
          handler,
        );
      } catch (e) {
        const { reason, message } = describe(e);
        finish({ kind: 'transport', reason, sent: false, message });
      }
    });
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  /** Drops connections at once (tests, shutdown after a failure). */
  async destroy(): Promise<void> {
    await this.#pool.destroy();
  }
}

function describe(e: unknown): { reason: TransportFailure; message: string } {
  const err = e as { code?: string; message?: string; cause?: { code?: string } } | undefined;
  const code = err?.code ?? err?.cause?.code ?? '';
  const message = `${code ? `${code}: ` : ''}${err?.message ?? String(e)}`;
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return { reason: 'connect', message };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { reason: 'dns', message };
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return { reason: 'timeout', message };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { reason: 'reset', message };
    case 'UND_ERR_ABORTED':
      return { reason: 'aborted', message };
    default:
      return { reason: 'other', message };
  }
}
