import { z } from 'zod';
import { type Clock, SystemClock } from '../clock/index.js';
import { type ErrorCode, isErrorCode, TradingState } from '../contracts/index.js';
import {
  type JournalQuery,
  type OrdersQuery,
  OrderView,
  PendingOrder,
  PositionsView,
  StatusSnapshot,
} from './schemas.js';

/** Failures that never reached the API's own error body. */
export type TransportErrorCode = 'API_UNREACHABLE' | 'API_TIMEOUT' | 'API_BAD_RESPONSE';
export type ClientErrorCode = ErrorCode | TransportErrorCode;

export type ClientResult<T> =
  | { readonly ok: true; readonly data: T }
  | {
      readonly ok: false;
      readonly code: ClientErrorCode;
      readonly message: string;
      /** HTTP status when the API answered; null when it could not be reached. */
      readonly httpStatus: number | null;
    };

export interface ControlClientOptions {
  /** e.g. `http://127.0.0.1:5010` */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly timeoutMs?: number;
  readonly clock?: Clock;
}

export const ActionResult = z.object({
  action: z.string(),
  message: z.string(),
  state: TradingState.optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ActionResult = z.infer<typeof ActionResult>;

const JournalPageView = z.object({
  rows: z.array(z.record(z.string(), z.unknown())),
  total: z.number().int().nonnegative(),
  limit: z.number().int(),
  offset: z.number().int(),
});
const AuditPageView = JournalPageView;
const AnyObject = z.record(z.string(), z.unknown());
const SessionView = z
  .object({ user: z.string(), kind: z.string(), csrfToken: z.string().nullable() })
  .loose();

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Exit codes `tomic` can promise to scripts: 0 done; 1 the system refused (a coded denial such as
 * TRADING_HALTED, COMMAND_NOT_FOUND, RATE_LIMITED); 3 authentication failed; 4 the API could not be
 * reached or timed out; 5 the API failed (internal error, unreadable answer).
 */
export function exitCodeOf(r: ClientResult<unknown>): 0 | 1 | 3 | 4 | 5 {
  if (r.ok) return 0;
  if (r.code === 'AUTH_REQUIRED' || r.code === 'AUTH_INVALID' || r.code === 'CSRF_INVALID') return 3;
  if (r.code === 'API_UNREACHABLE' || r.code === 'API_TIMEOUT') return 4;
  if (r.code === 'API_BAD_RESPONSE' || r.code === 'INTERNAL_ERROR') return 5;
  return 1;
}

/**
 * HTTP client of the control API for the `tomic` CLI: one method per route, the key in the
 * X-API-KEY header (never in a URL, where proxies and shells log it), answers parsed with the
 * server's own schemas, every failure a coded value.
 */
export class ControlClient {
  readonly #base: string;
  readonly #key: string;
  readonly #timeoutMs: number;
  readonly #clock: Clock;

  constructor(opts: ControlClientOptions) {
    this.#base = opts.baseUrl.replace(/\/+$/, '');
    this.#key = opts.apiKey;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#clock = opts.clock ?? new SystemClock();
  }

  health(): Promise<ClientResult<{ status: string }>> {
    return this.#call('GET', '/tomic/health', undefined, z.object({ status: z.string() }), false);
  }

  status(): Promise<ClientResult<StatusSnapshot>> {
    return this.#get('/tomic/status', StatusSnapshot);
  }

  positions(): Promise<ClientResult<PositionsView>> {
    return this.#get('/tomic/positions', PositionsView);
  }

  orders(filter: Partial<OrdersQuery> = {}): Promise<ClientResult<OrderView[]>> {
    return this.#get(`/tomic/orders${query(filter)}`, z.array(OrderView));
  }

  pendingOrders(): Promise<ClientResult<PendingOrder[]>> {
    return this.#get('/tomic/orders/pending', z.array(PendingOrder));
  }

  journal(q: Partial<JournalQuery> = {}): Promise<ClientResult<z.infer<typeof JournalPageView>>> {
    return this.#get(`/tomic/journal${query(q)}`, JournalPageView);
  }

  audit(
    q: {
      action?: string;
      user?: string;
      outcome?: string;
      sinceWallMs?: number;
      limit?: number;
      offset?: number;
    } = {},
  ): Promise<ClientResult<z.infer<typeof AuditPageView>>> {
    return this.#get(`/tomic/audit${query(q)}`, AuditPageView);
  }

  analytics(): Promise<ClientResult<Record<string, unknown>>> {
    return this.#get('/tomic/analytics', AnyObject);
  }

  metrics(): Promise<ClientResult<Record<string, unknown>>> {
    return this.#get('/tomic/metrics', AnyObject);
  }

  /** Prometheus text exposition. */
  metricsText(): Promise<ClientResult<string>> {
    return this.#call('GET', '/tomic/metrics?format=prometheus', undefined, z.string(), true);
  }

  session(): Promise<ClientResult<z.infer<typeof SessionView>>> {
    return this.#get('/tomic/session', SessionView);
  }

  start(): Promise<ClientResult<ActionResult>> {
    return this.#post('/tomic/start', {});
  }

  stop(): Promise<ClientResult<ActionResult>> {
    return this.#post('/tomic/stop', {});
  }

  pause(reason?: string): Promise<ClientResult<ActionResult>> {
    return this.#post('/tomic/pause', reason === undefined ? {} : { reason });
  }

  resume(): Promise<ClientResult<ActionResult>> {
    return this.#post('/tomic/resume', {});
  }

  kill(reason?: string): Promise<ClientResult<ActionResult>> {
    return this.#post('/tomic/kill', reason === undefined ? {} : { reason });
  }

  approve(id: number): Promise<ClientResult<ActionResult>> {
    return this.#post(`/tomic/orders/${encodeURIComponent(String(id))}/approve`, {});
  }

  reject(id: number, reason?: string): Promise<ClientResult<ActionResult>> {
    return this.#post(
      `/tomic/orders/${encodeURIComponent(String(id))}/reject`,
      reason === undefined ? {} : { reason },
    );
  }

  #get<T>(path: string, schema: z.ZodType<T>): Promise<ClientResult<T>> {
    return this.#call('GET', path, undefined, schema, false);
  }

  #post(path: string, body: Record<string, unknown>): Promise<ClientResult<ActionResult>> {
    return this.#call('POST', path, body, ActionResult, false);
  }

  async #call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: Record<string, unknown> | undefined,
    schema: z.ZodType<T>,
    text: boolean,
  ): Promise<ClientResult<T>> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.#clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);
    try {
      const headers: Record<string, string> = { 'x-api-key': this.#key, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${this.#base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: controller.signal,
      });
      const raw = await res.text();
      return this.#interpret(res.status, res.headers.get('content-type') ?? '', raw, schema, text);
    } catch (err) {
      if (timedOut) {
        return {
          ok: false,
          code: 'API_TIMEOUT',
          message: `no answer within ${this.#timeoutMs} ms`,
          httpStatus: null,
        };
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return {
        ok: false,
        code: 'API_UNREACHABLE',
        message: `cannot reach ${this.#base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
        httpStatus: null,
      };
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  #interpret<T>(
    status: number,
    contentType: string,
    raw: string,
    schema: z.ZodType<T>,
    text: boolean,
  ): ClientResult<T> {
    const bad = (message: string): ClientResult<T> => ({
      ok: false,
      code: 'API_BAD_RESPONSE',
      message,
      httpStatus: status,
    });
    let json: unknown;
    if (contentType.includes('application/json')) {
      try {
        json = JSON.parse(raw);
      } catch {
        return bad('answer is not valid JSON');
      }
    }
    const envelope = json as
      | { status?: unknown; code?: unknown; message?: unknown; data?: unknown }
      | undefined;
    if (envelope?.status === 'error') {
      const code =
        typeof envelope.code === 'string' && isErrorCode(envelope.code) ? envelope.code : undefined;
      if (!code) return bad(`error answer without a known code (HTTP ${status})`);
      return { ok: false, code, message: String(envelope.message ?? code), httpStatus: status };
    }
    if (status >= 400) return bad(`HTTP ${status}`);
    const payload = text ? raw : envelope?.status === 'success' && 'data' in envelope ? envelope.data : json;
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return bad(`unexpected answer shape: ${parsed.error.issues[0]?.message ?? ''}`);
    return { ok: true, data: parsed.data };
  }
}

function query(params: Readonly<Record<string, unknown>>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) qs.set(k, String(v));
  const s = qs.toString();
  return s ? `?${s}` : '';
}
