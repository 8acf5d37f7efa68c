import type { Clock } from '../clock/index.js';
import type { MarginParams } from './margin.js';
import type { MicrostructureParams } from './microstructure.js';

export type FeedState = 'up' | 'down' | 'frozen';

export interface Faults {
  /** down: sockets closed and new connections refused; frozen: sockets stay open, no ticks. */
  primaryFeed: FeedState;
  fallbackFeed: FeedState;
  /** Added (injected-clock) latency before every REST answer. */
  restDelayMs: number;
  /** The next N orders are rejected by the "broker" (HTTP 400, nothing recorded). */
  rejectNext: number;
  /** The next N REST requests are answered 429 with the route's limit text. */
  rateLimitNext: number;
  /**
   * The next N orders are ACCEPTED (recorded; they will fill) but the HTTP answer never comes: the
   * socket is held until the client gives up. The ambiguous case.
   */
  timeoutAfterAcceptNext: number;
  /** REST refuses connections (the listener is closed; existing sockets are destroyed). */
  restDown: boolean;
}

export interface FaultController {
  set(f: Partial<Faults>): void;
  clear(): void;
  get(): Faults;
  /** Drops every WebSocket client on both feeds (close 1012) and keeps serving. */
  restart(): Promise<void>;
}

export interface SimulatorOptions {
  /** Default SystemClock; all pacing, latency and rate-limit windows read it. */
  clock?: Clock;
  /** Default 42. */
  seed?: number;
  /** Default `replay` when the data folder has the series, else `generator`. */
  source?: 'replay' | 'generator';
  /** Market seconds per real second. Default 1. */
  speed?: number;
  /** Folder with the real CSV files. Default `/work/shared/data`. */
  dataDir?: string;
  /** Default: 64 random hex characters (OpenAlgo's key format). */
  apiKey?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) = any free port. */
  restPort?: number;
  wsPrimaryPort?: number;
  wsFallbackPort?: number;
  /** Default 1e7 (the OpenAlgo sandbox default). */
  startingCapital?: number;
  /** Default 5. */
  spreadLeverage?: number;
  /**
   * true: the plan's replay microstructure model (latency, rejects, partial fills, slippage, queue
   * position). false (default): OpenAlgo's sandbox semantics (immediate MARKET fills at bid/ask, no
   * partials, no rejects) — what a client sees from a real OpenAlgo in analyzer mode.
   */
  microstructure?: boolean;
  /** Overrides of the microstructure model's parameters (config.replay.*). */
  microstructureParams?: Partial<MicrostructureParams>;
  /** Overrides of the margin model (leverages, short-option rates). */
  marginParams?: Partial<Omit<MarginParams, 'spreadLeverage'>>;
  /** Default true; false answers basketorder like a broker without it. */
  basketSupported?: boolean;
  /** Market time between ticks. Default 1000 (2 with `benchmark`). */
  tickIntervalMs?: number;
  /** OpenAlgo defaults: 10/s order routes, 50/s the rest (.sample.env); optiongreeks 30/min. */
  rateLimits?: { orderPerSecond?: number; apiPerSecond?: number; greeksPerMinute?: number };
  /** Replay: first session (YYYY-MM-DD). Default 2025-09-04, the first day of the NIFTY 1-minute file. */
  replayStart?: string;
  /** Generator: first session (YYYY-MM-DD). Default the clock's IST date. */
  startDate?: string;
  /** WebSocket unauthenticated grace before close 4401. Default 15 000 (WS_AUTH_GRACE_SECONDS). */
  wsAuthGraceMs?: number;
  /** Protocol ping interval and pong timeout. Default 20 000 each (WS_PING_INTERVAL/TIMEOUT). */
  wsPingIntervalMs?: number;
  wsPingTimeoutMs?: number;
  /** Real ms between pacing steps. Default: tick interval / speed, clamped to 5..100. */
  pacerIntervalMs?: number;
  /** Faults in force from the start (the config side of fault injection). */
  faults?: Partial<Faults>;
  /** Throughput mode for benchmarks: rate limits off unless given, 2 ms ticks unless given. */
  benchmark?: boolean;
}

/** One order as recorded (a copy), with the strategy tag, for chaos tests and audits. */
export interface SimOrder {
  readonly orderid: string;
  readonly strategy: string;
  readonly symbol: string;
  readonly exchange: string;
  readonly action: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly pricetype: string;
  readonly product: string;
  readonly price: number;
  readonly trigger_price: number;
  readonly status: 'open' | 'trigger pending' | 'complete' | 'cancelled' | 'rejected';
  readonly filled_quantity: number;
  /** Still working. */
  readonly pending_quantity: number;
  /** Will never fill (cancelled or rejected remainder). */
  readonly cancelled_quantity: number;
  readonly average_price: number;
  readonly rejection_reason: string;
  /** Market time (epoch ms). */
  readonly placed_at: number;
  readonly updated_at: number;
}

export interface SimInstrument {
  readonly symbol: string;
  readonly exchange: string;
}

export interface RunningSimulator {
  readonly restUrl: string;
  readonly wsPrimaryUrl: string;
  readonly wsFallbackUrl: string;
  readonly apiKey: string;
  /** The market source actually used. */
  readonly source: 'replay' | 'generator';
  readonly faults: FaultController;
  /** Ticks fanned out by both feeds, and those dropped for clients too slow to take them. */
  feedStats(): { readonly ticksSent: number; readonly ticksDropped: number };
  readonly market: {
    /** Market wall time (epoch ms). */
    now(): number;
    ltp(symbol: string, exchange: string): number | undefined;
    /** Advances market time by `ms` (when pacing externally, or on top of the pacer). */
    step(ms: number): void;
    /** The instruments that tick on their own: indices, stocks and listed index futures. */
    instruments(): SimInstrument[];
  };
  orders(): SimOrder[];
  stop(): Promise<void>;
}
