import type { z } from 'zod';
import type { Clock } from '../clock/index.js';
import { Redactor } from '../contracts/index.js';
import { type Logger, silentLogger } from '../log/index.js';
import { classify, type RawOutcome } from './classify.js';
import { HttpTransport } from './http-transport.js';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits } from './rate-limiter.js';
import {
  type BasketOrderInput,
  BasketOrderRequest,
  EmptyRequest,
  type ExpiryInput,
  ExpiryRequest,
  fastPlaceOrderBody,
  type HistoryInput,
  HistoryRequest,
  type MarginInput,
  MarginRequest,
  type ModifyOrderInput,
  ModifyOrderRequest,
  type MultiQuotesInput,
  MultiQuotesRequest,
  type OptionChainInput,
  OptionChainRequest,
  type OptionGreeksInput,
  OptionGreeksRequest,
  type OrderRefInput,
  OrderRefRequest,
  type PlaceOrderInput,
  PlaceOrderRequest,
  type PlaceSmartOrderInput,
  PlaceSmartOrderRequest,
  type StrategyOnlyInput,
  StrategyOnlyRequest,
  type SymbolInput,
  SymbolRequest,
} from './requests.js';
import {
  AnalyzerResponse,
  type AnalyzerStatus,
  alignBasket,
  BasketResponse,
  type BasketResult,
  CancelAllResponse,
  type CancelAllResult,
  type Candle,
  type Depth,
  DepthResponse,
  ExpiryResponse,
  type Funds,
  FundsResponse,
  fastOrderAck,
  HistoryResponse,
  MarginResponse,
  type MarginResult,
  type MultiQuoteItem,
  MultiQuotesResponse,
  type OptionChain,
  OptionChainResponse,
  type OptionGreeks,
  OptionGreeksResponse,
  type OrderAck,
  OrderAckResponse,
  type OrderBook,
  OrderBookResponse,
  type OrderRow,
  OrderStatusResponse,
  PingResponse,
  PositionBookResponse,
  type PositionRow,
  type Quote,
  QuotesResponse,
  type SmartOrderAck,
  SmartOrderResponse,
  type SymbolInfo,
  SymbolResponse,
  TradeBookResponse,
  type TradeRow,
} from './responses.js';
import type { BrokerError, BrokerErrorClass, BrokerResult, ResponseMode } from './types.js';

export interface OpenAlgoClientOptions {
  /** OpenAlgo REST base from config.endpoints (no host or port literals in code). */
  readonly baseUrl: string;
  /** Sent as `apikey` in every JSON body; never logged. */
  readonly apiKey: string;
  /** Deadline of one call once it leaves our rate queue (config.endpoints.restTimeoutMs). */
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly rateLimits?: Partial<RateLimits>;
  /** Longest a call may wait in our own token bucket before it fails as RATE_LIMIT, unsent. Default `timeoutMs`. */
  readonly maxQueueMs?: number;
  readonly connections?: number;
  readonly keepAliveTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Called after every call (latency and error metrics, §13). */
  readonly onCall?: (event: CallEvent) => void;
}

export interface CallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface CallEvent {
  readonly route: string;
  readonly ok: boolean;
  /** Time on the wire (after the rate queue). */
  readonly ms: number;
  /** Time spent waiting for a rate-limit token. */
  readonly queuedMs: number;
  readonly httpStatus: number | undefined;
  readonly errorClass: BrokerErrorClass | undefined;
  readonly ambiguous: boolean;
}

export interface ClientStats {
  readonly calls: number;
  readonly ok: number;
  readonly ambiguous: number;
  readonly errors: Readonly<Record<BrokerErrorClass, number>>;
}

type Schema<O> = z.ZodType<O, unknown>;

/**
 * Hand-written readers for the hot path's plain shapes. Each returns exactly what its schema would, or
 * undefined to hand the value to the schema (which also produces every validation error).
 */
interface FastPath<O> {
  readonly request?: (input: unknown) => object | undefined;
  readonly response?: (json: unknown) => O | undefined;
}

const ORDER_FAST: FastPath<OrderAck> = { request: fastPlaceOrderBody, response: fastOrderAck };
const ACK_FAST: FastPath<OrderAck> = { response: fastOrderAck };

/**
 * Typed OpenAlgo REST client (REST.md). Every call returns a value — `{ok:true, data}` or
 * `{ok:false, error}` classified by `classify.ts` — and never throws for an expected failure. Requests
 * are validated and stripped to OpenAlgo's schema fields before sending; responses are parsed and
 * normalised (responses.ts). Calls queue in a per-route token bucket shaped to OpenAlgo's limiter.
 */
export class OpenAlgoClient {
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #maxQueueMs: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #redactor: Redactor;
  readonly #transport: HttpTransport;
  readonly #limiter: RateLimiter;
  readonly #onCall: ((event: CallEvent) => void) | undefined;
  #calls = 0;
  #ok = 0;
  #ambiguous = 0;
  readonly #errors: Record<BrokerErrorClass, number> = {
    NETWORK_TIMEOUT: 0,
    RATE_LIMIT: 0,
    BROKER_REJECT: 0,
    VALIDATION: 0,
    UNKNOWN: 0,
    AUTH: 0,
  };

  constructor(opts: OpenAlgoClientOptions) {
    this.#apiKey = opts.apiKey;
    this.#timeoutMs = opts.timeoutMs;
    this.#maxQueueMs = opts.maxQueueMs ?? opts.timeoutMs;
    this.#clock = opts.clock;
    this.#redactor = new Redactor([opts.apiKey]);
    this.#log = (opts.logger ?? silentLogger()).child({ component: 'openalgo-rest' });
    this.#onCall = opts.onCall;
    this.#transport = new HttpTransport({
      baseUrl: opts.baseUrl,
      clock: opts.clock,
      ...(opts.connections !== undefined ? { connections: opts.connections } : {}),
      ...(opts.keepAliveTimeoutMs !== undefined ? { keepAliveTimeoutMs: opts.keepAliveTimeoutMs } : {}),
      ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    });
    this.#limiter = new RateLimiter({ ...DEFAULT_RATE_LIMITS, ...opts.rateLimits }, opts.clock);
  }

  // ------------------------------------------------------------ orders (state-changing)

  placeOrder(input: PlaceOrderInput, opts?: CallOptions): Promise<BrokerResult<OrderAck>> {
    return this.#request('placeorder', PlaceOrderRequest, input, OrderAckResponse, true, opts, ORDER_FAST);
  }

  placeSmartOrder(input: PlaceSmartOrderInput, opts?: CallOptions): Promise<BrokerResult<SmartOrderAck>> {
    return this.#request('placesmartorder', PlaceSmartOrderRequest, input, SmartOrderResponse, true, opts);
  }

  /** One `strategy` tag covers every leg (OpenAlgo's schema). Results are per leg; see BasketResult. */
  async basketOrder(input: BasketOrderInput, opts?: CallOptions): Promise<BrokerResult<BasketResult>> {
    const r = await this.#request('basketorder', BasketOrderRequest, input, BasketResponse, true, opts);
    if (!r.ok) return r;
    return { ok: true, data: alignBasket(r.data, input.orders) };
  }

  modifyOrder(input: ModifyOrderInput, opts?: CallOptions): Promise<BrokerResult<OrderAck>> {
    return this.#request('modifyorder', ModifyOrderRequest, input, OrderAckResponse, true, opts, ACK_FAST);
  }

  cancelOrder(input: OrderRefInput, opts?: CallOptions): Promise<BrokerResult<OrderAck>> {
    return this.#request('cancelorder', OrderRefRequest, input, OrderAckResponse, true, opts, ACK_FAST);
  }

  cancelAllOrders(input: StrategyOnlyInput, opts?: CallOptions): Promise<BrokerResult<CancelAllResult>> {
    return this.#request('cancelallorder', StrategyOnlyRequest, input, CancelAllResponse, true, opts);
  }

  // ------------------------------------------------------------ orders and account (reads)

  orderStatus(
    input: OrderRefInput,
    opts?: CallOptions,
  ): Promise<BrokerResult<OrderRow & { mode: ResponseMode }>> {
    return this.#request('orderstatus', OrderRefRequest, input, OrderStatusResponse, false, opts);
  }

  orderBook(opts?: CallOptions): Promise<BrokerResult<OrderBook>> {
    return this.#request('orderbook', EmptyRequest, {}, OrderBookResponse, false, opts);
  }

  tradeBook(opts?: CallOptions): Promise<BrokerResult<{ mode: ResponseMode; trades: TradeRow[] }>> {
    return this.#request('tradebook', EmptyRequest, {}, TradeBookResponse, false, opts);
  }

  positionBook(opts?: CallOptions): Promise<BrokerResult<{ mode: ResponseMode; positions: PositionRow[] }>> {
    return this.#request('positionbook', EmptyRequest, {}, PositionBookResponse, false, opts);
  }

  funds(opts?: CallOptions): Promise<BrokerResult<Funds>> {
    return this.#request('funds', EmptyRequest, {}, FundsResponse, false, opts);
  }

  margin(input: MarginInput, opts?: CallOptions): Promise<BrokerResult<MarginResult>> {
    return this.#request('margin', MarginRequest, input, MarginResponse, false, opts);
  }

  // ------------------------------------------------------------ market data and symbols

  quotes(input: SymbolInput, opts?: CallOptions): Promise<BrokerResult<Quote>> {
    return this.#request('quotes', SymbolRequest, input, QuotesResponse, false, opts);
  }

  multiQuotes(input: MultiQuotesInput, opts?: CallOptions): Promise<BrokerResult<MultiQuoteItem[]>> {
    return this.#request('multiquotes', MultiQuotesRequest, input, MultiQuotesResponse, false, opts);
  }

  depth(input: SymbolInput, opts?: CallOptions): Promise<BrokerResult<Depth>> {
    return this.#request('depth', SymbolRequest, input, DepthResponse, false, opts);
  }

  history(input: HistoryInput, opts?: CallOptions): Promise<BrokerResult<Candle[]>> {
    return this.#request('history', HistoryRequest, input, HistoryResponse, false, opts);
  }

  /** Expiries as OpenAlgo lists them (`DD-MMM-YY`); `toExpiryInput` converts for option inputs. */
  expiry(input: ExpiryInput, opts?: CallOptions): Promise<BrokerResult<string[]>> {
    return this.#request('expiry', ExpiryRequest, input, ExpiryResponse, false, opts);
  }

  optionChain(input: OptionChainInput, opts?: CallOptions): Promise<BrokerResult<OptionChain>> {
    return this.#request('optionchain', OptionChainRequest, input, OptionChainResponse, false, opts);
  }

  optionGreeks(input: OptionGreeksInput, opts?: CallOptions): Promise<BrokerResult<OptionGreeks>> {
    return this.#request('optiongreeks', OptionGreeksRequest, input, OptionGreeksResponse, false, opts);
  }

  symbol(input: SymbolInput, opts?: CallOptions): Promise<BrokerResult<SymbolInfo>> {
    return this.#request('symbol', SymbolRequest, input, SymbolResponse, false, opts);
  }

  /** An auth check, not a health check (REST.md §10): 403 when the key or broker session is invalid. */
  ping(opts?: CallOptions): Promise<BrokerResult<{ message: string; broker: string | undefined }>> {
    return this.#request('ping', EmptyRequest, {}, PingResponse, false, opts);
  }

  /** Whether the instance runs in analyzer (sandbox) mode; the flag is application-wide. */
  analyzerStatus(opts?: CallOptions): Promise<BrokerResult<AnalyzerStatus>> {
    return this.#request('analyzer', EmptyRequest, {}, AnalyzerResponse, false, opts);
  }

  // ------------------------------------------------------------ plumbing

  stats(): ClientStats {
    return { calls: this.#calls, ok: this.#ok, ambiguous: this.#ambiguous, errors: { ...this.#errors } };
  }

  async close(): Promise<void> {
    this.#limiter.close();
    await this.#transport.close();
  }

  async #request<O>(
    route: string,
    requestSchema: z.ZodType<unknown, unknown>,
    input: unknown,
    responseSchema: Schema<O>,
    mutating: boolean,
    opts: CallOptions | undefined,
    fast?: FastPath<O>,
  ): Promise<BrokerResult<O>> {
    this.#calls++;
    let reqData = fast?.request?.(input);
    if (reqData === undefined) {
      const req = requestSchema.safeParse(input);
      if (!req.success) {
        const fieldErrors: Record<string, string[]> = {};
        for (const i of req.error.issues) {
          const k = i.path.join('.') || '_schema';
          fieldErrors[k] = [...(fieldErrors[k] ?? []), i.message];
        }
        return this.#fail(route, 0, 0, this.#classify({ kind: 'invalid', fieldErrors }, mutating));
      }
      reqData = req.data as object;
    }
    const body = JSON.stringify({ apikey: this.#apiKey, ...reqData });

    // Unthrottled calls (the usual case) take their token synchronously; only a call that must wait
    // (or whose signal already fired) goes through the queue.
    let queuedMs = 0;
    let start = this.#clock.monotonicMs();
    if (opts?.signal?.aborted || !this.#limiter.tryTake(route)) {
      const waited = await this.#limiter.take(route, {
        maxWaitMs: this.#maxQueueMs,
        ...(opts?.signal ? { signal: opts.signal } : {}),
      });
      queuedMs = this.#clock.monotonicMs() - start;
      if (waited === undefined) {
        const outcome: RawOutcome = opts?.signal?.aborted
          ? {
              kind: 'transport',
              reason: 'aborted',
              sent: false,
              message: 'aborted while queued for a rate-limit token',
            }
          : { kind: 'throttled', route, waitedMs: queuedMs };
        return this.#fail(route, 0, queuedMs, this.#classify(outcome, mutating));
      }
      start += queuedMs;
    }

    const out = await this.#transport.post(route, body, {
      timeoutMs: opts?.timeoutMs ?? this.#timeoutMs,
      ...(opts?.signal ? { signal: opts.signal } : {}),
    });
    const ms = this.#clock.monotonicMs() - start;
    if (out.kind === 'transport') return this.#fail(route, ms, queuedMs, this.#classify(out, mutating));

    let json: unknown;
    try {
      json = JSON.parse(out.bodyText);
    } catch {
      json = undefined;
    }
    const http: RawOutcome = { kind: 'http', status: out.status, bodyText: out.bodyText, json };
    const is2xx = out.status >= 200 && out.status < 300;
    if (!is2xx || (isRecord(json) && json.status === 'error')) {
      return this.#fail(route, ms, queuedMs, this.#classify(http, mutating));
    }
    if (json === undefined) {
      return this.#fail(
        route,
        ms,
        queuedMs,
        this.#classify({ kind: 'unreadable', status: out.status, detail: 'body is not JSON' }, mutating),
      );
    }
    const quick = fast?.response?.(json);
    const parsed =
      quick !== undefined ? { success: true as const, data: quick } : responseSchema.safeParse(json);
    if (!parsed.success) {
      const detail = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; ');
      return this.#fail(
        route,
        ms,
        queuedMs,
        this.#classify({ kind: 'unreadable', status: out.status, detail }, mutating),
      );
    }
    this.#ok++;
    this.#log.debug({ route, ms, queuedMs, httpStatus: out.status }, 'openalgo call ok');
    this.#onCall?.({
      route,
      ok: true,
      ms,
      queuedMs,
      httpStatus: out.status,
      errorClass: undefined,
      ambiguous: false,
    });
    return { ok: true, data: parsed.data };
  }

  #classify(outcome: RawOutcome, mutating: boolean): BrokerError {
    return classify(outcome, { mutating, redactor: this.#redactor });
  }

  #fail<O>(route: string, ms: number, queuedMs: number, error: BrokerError): BrokerResult<O> {
    this.#errors[error.class]++;
    if (error.ambiguous) this.#ambiguous++;
    const line = {
      route,
      ms,
      queuedMs,
      errorClass: error.class,
      code: error.code,
      httpStatus: error.httpStatus,
      ambiguous: error.ambiguous,
      sent: error.sent,
      message: this.#redactor.scrubString(error.message),
    };
    if (error.ambiguous) this.#log.warn(line, 'openalgo call ambiguous: resolve through the orderbook');
    else this.#log.info(line, 'openalgo call failed');
    this.#onCall?.({
      route,
      ok: false,
      ms,
      queuedMs,
      httpStatus: error.httpStatus,
      errorClass: error.class,
      ambiguous: error.ambiguous,
    });
    return { ok: false, error };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
