import { z } from 'zod';

/**
 * OpenAlgo WebSocket proxy frames (WEBSOCKET.md, following `websocket_proxy/server.py`, not the
 * repo's docs). Server → client frames are parsed with zod; ticks are normalised into one `Tick`
 * whatever the broker adapter called its fields.
 */

export type FeedMode = 1 | 2 | 3;
export const FEED_MODE = { LTP: 1, QUOTE: 2, DEPTH: 3 } as const satisfies Record<string, FeedMode>;
const MODE_LABELS: Readonly<Record<string, FeedMode>> = { ltp: 1, quote: 2, depth: 3, full: 3 };

export interface Instrument {
  readonly symbol: string;
  readonly exchange: string;
}

export interface DepthLevel {
  readonly price: number;
  readonly quantity: number;
  readonly orders: number | undefined;
}

export interface Tick {
  readonly symbol: string;
  readonly exchange: string;
  /** The envelope mode: the mode *this subscriber* holds, not the tick's own (WEBSOCKET.md §4). */
  readonly mode: FeedMode;
  readonly ltp: number;
  /** Explicit bid/ask fields when the adapter sends them, else the best depth levels. */
  readonly bid: number | undefined;
  readonly ask: number | undefined;
  readonly open: number | undefined;
  readonly high: number | undefined;
  readonly low: number | undefined;
  /** OpenAlgo's `close` is the previous day's close. */
  readonly prevClose: number | undefined;
  readonly volume: number | undefined;
  readonly oi: number | undefined;
  readonly averagePrice: number | undefined;
  readonly lastQuantity: number | undefined;
  readonly totalBuyQuantity: number | undefined;
  readonly totalSellQuantity: number | undefined;
  readonly upperCircuit: number | undefined;
  readonly lowerCircuit: number | undefined;
  readonly depth: { readonly buy: readonly DepthLevel[]; readonly sell: readonly DepthLevel[] } | undefined;
  /** `data.timestamp`: the adapter's epoch ms. Advisory; freshness uses `receivedMonoMs`. */
  readonly feedTimeMs: number | undefined;
  /** Last trade time normalised to epoch ms (Angel sends ms, Zerodha full packets seconds). */
  readonly lttMs: number | undefined;
  /** Our monotonic clock when the frame arrived (§4, §12): what the freshness gates read. */
  readonly receivedMonoMs: number;
  /** Which connection delivered it (`primary`, `fallback`, …). */
  readonly source: string;
}

const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;
const Num = z.union([z.number().finite(), z.string().regex(NUMERIC).transform(Number)]);
const OptNum = z
  .union([Num, z.null(), z.literal('')])
  .optional()
  .transform((v) => (v === null || v === '' || v === undefined ? undefined : v));

const LevelWire = z.object({ price: Num, quantity: OptNum, orders: OptNum });
const DepthWire = z.object({ buy: z.array(LevelWire).default([]), sell: z.array(LevelWire).default([]) });

/** The adapter's `data` dict: keys vary by broker, so every name variant is accepted. */
const TickData = z.object({
  ltp: Num,
  bid: OptNum,
  ask: OptNum,
  best_bid_price: OptNum,
  best_ask_price: OptNum,
  open: OptNum,
  high: OptNum,
  low: OptNum,
  close: OptNum,
  volume: OptNum,
  oi: OptNum,
  open_interest: OptNum,
  average_price: OptNum,
  avg_trade_price: OptNum,
  last_quantity: OptNum,
  last_trade_quantity: OptNum,
  total_buy_quantity: OptNum,
  total_sell_quantity: OptNum,
  upper_circuit: OptNum,
  lower_circuit: OptNum,
  depth: DepthWire.optional(),
  timestamp: OptNum,
  ltt: OptNum,
});

const EnvelopeMode = z.union([
  z.number().int().min(1).max(3),
  z.string().transform((s, ctx): FeedMode => {
    const m = MODE_LABELS[s.trim().toLowerCase()];
    if (m === undefined) {
      ctx.addIssue({ code: 'custom', message: `unknown mode ${s}` });
      return z.NEVER;
    }
    return m;
  }),
]);

export const MarketDataFrame = z.object({
  type: z.literal('market_data'),
  symbol: z.string().min(1),
  exchange: z.string().min(1),
  mode: EnvelopeMode,
  broker: z.string().optional(),
  data: TickData,
});

export const AuthFrame = z.object({
  type: z.enum(['auth', 'authenticate']),
  status: z.string(),
  message: z.string().optional(),
  broker: z.string().optional(),
});

const AckSymbol = z.object({
  symbol: z.string().optional(),
  exchange: z.string().optional(),
  status: z.string(),
  message: z.string().optional(),
  mode: z.union([z.string(), z.number()]).optional(),
});

export const SubscribeAckFrame = z.object({
  type: z.literal('subscribe'),
  status: z.string(),
  message: z.string().optional(),
  request_id: z.string().optional(),
  subscriptions: z.array(AckSymbol).default([]),
});

export const UnsubscribeAckFrame = z.object({
  type: z.literal('unsubscribe'),
  status: z.string(),
  successful: z.array(AckSymbol).default([]),
  failed: z.array(AckSymbol).default([]),
});

export const PongFrame = z.object({
  type: z.literal('pong'),
  server_timestamp: OptNum,
  client_timestamp: OptNum,
  _pingId: z.union([z.string(), z.number()]).optional(),
});

/** Every error the proxy sends: no `type` field (WEBSOCKET.md §3.1). */
export const ErrorFrame = z.object({
  status: z.literal('error'),
  code: z.string().default('UNKNOWN'),
  message: z.string().default(''),
});

/** Known frame types TOMIC does not act on; they are not malformed. */
export const IGNORED_TYPES: ReadonlySet<string> = new Set([
  'order_update',
  'broker_info',
  'supported_brokers',
  'subscribe_orders',
  'unsubscribe_orders',
]);

/** Accepts an int (1/2/3) or a label ("LTP", "Quote", "Depth", "full") in any case. */
export function modeOf(v: unknown): FeedMode | undefined {
  if (v === 1 || v === 2 || v === 3) return v;
  if (typeof v === 'string') return MODE_LABELS[v.trim().toLowerCase()];
  return undefined;
}

function toLevels(ls: readonly z.output<typeof LevelWire>[]): DepthLevel[] {
  const out: DepthLevel[] = [];
  // Adapters pad missing levels with zeros: drop them so [0] is a real best level.
  for (const l of ls)
    if (l.price > 0) out.push({ price: l.price, quantity: l.quantity ?? 0, orders: l.orders });
  return out;
}

/** `ltt` is ms (Angel) or seconds (Zerodha full packets): anything below 1e11 is seconds. */
function epochMs(v: number | undefined): number | undefined {
  if (v === undefined || v <= 0) return undefined;
  return v < 1e11 ? v * 1000 : v;
}

function pos(v: number | undefined): number | undefined {
  return v !== undefined && v > 0 ? v : undefined;
}

/** The validated `data` dict, whichever path validated it. */
type TickFields = z.output<typeof TickData>;
type Depth = NonNullable<Tick['depth']>;

/** The one place a validated frame becomes a Tick (both the fast path and the zod path end here). */
function buildTick(
  symbol: string,
  exchange: string,
  mode: FeedMode,
  d: Omit<TickFields, 'depth'>,
  depth: Depth | undefined,
  receivedMonoMs: number,
  source: string,
): Tick {
  return {
    symbol,
    exchange,
    mode,
    ltp: d.ltp,
    bid: pos(d.bid) ?? pos(d.best_bid_price) ?? depth?.buy[0]?.price,
    ask: pos(d.ask) ?? pos(d.best_ask_price) ?? depth?.sell[0]?.price,
    open: d.open,
    high: d.high,
    low: d.low,
    prevClose: d.close,
    volume: d.volume,
    oi: d.oi ?? d.open_interest,
    averagePrice: d.average_price ?? d.avg_trade_price,
    lastQuantity: d.last_quantity ?? d.last_trade_quantity,
    totalBuyQuantity: d.total_buy_quantity,
    totalSellQuantity: d.total_sell_quantity,
    upperCircuit: d.upper_circuit,
    lowerCircuit: d.lower_circuit,
    depth,
    feedTimeMs: epochMs(d.timestamp),
    lttMs: epochMs(d.ltt),
    receivedMonoMs,
    source,
  };
}

export function toTick(
  frame: z.output<typeof MarketDataFrame>,
  receivedMonoMs: number,
  source: string,
): Tick {
  const d = frame.data;
  const depth = d.depth ? { buy: toLevels(d.depth.buy), sell: toLevels(d.depth.sell) } : undefined;
  return buildTick(frame.symbol, frame.exchange, frame.mode as FeedMode, d, depth, receivedMonoMs, source);
}

// ------------------------------------------------------------------ fast path

/** A JSON number (JSON.parse never yields NaN or ±Infinity, but callers may pass any object). */
function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Absent or a number: the form every common adapter sends an optional field in. */
function isOptNum(v: unknown): v is number | undefined {
  return v === undefined || (typeof v === 'number' && Number.isFinite(v));
}

/**
 * Every optional `data` field is absent or a plain number. Anything else (numeric strings, null, "")
 * is legal on the wire too, but rare: those frames take the zod path, which normalises them.
 */
function plainFields(d: Record<string, unknown>): boolean {
  return (
    isOptNum(d.bid) &&
    isOptNum(d.ask) &&
    isOptNum(d.best_bid_price) &&
    isOptNum(d.best_ask_price) &&
    isOptNum(d.open) &&
    isOptNum(d.high) &&
    isOptNum(d.low) &&
    isOptNum(d.close) &&
    isOptNum(d.volume) &&
    isOptNum(d.oi) &&
    isOptNum(d.open_interest) &&
    isOptNum(d.average_price) &&
    isOptNum(d.avg_trade_price) &&
    isOptNum(d.last_quantity) &&
    isOptNum(d.last_trade_quantity) &&
    isOptNum(d.total_buy_quantity) &&
    isOptNum(d.total_sell_quantity) &&
    isOptNum(d.upper_circuit) &&
    isOptNum(d.lower_circuit) &&
    isOptNum(d.timestamp) &&
    isOptNum(d.ltt)
  );
}

/** One side of plain depth, padding dropped like `toLevels`; undefined when a level is not plain. */
function plainLevels(side: unknown): DepthLevel[] | undefined {
  if (side === undefined) return [];
  if (!Array.isArray(side)) return undefined;
  const out: DepthLevel[] = [];
  for (let i = 0; i < side.length; i++) {
    const l: unknown = side[i];
    if (typeof l !== 'object' || l === null) return undefined;
    const { price, quantity, orders } = l as Record<string, unknown>;
    if (!isNum(price) || !isOptNum(quantity) || !isOptNum(orders)) return undefined;
    if (price > 0) out.push({ price, quantity: quantity ?? 0, orders });
  }
  return out;
}

/**
 * The hot path for the frame nearly every tick arrives as: a `market_data` envelope with an int mode
 * and a `data` dict of plain numbers (what OpenAlgo's adapters and our simulator send). Returns the
 * same Tick `MarketDataFrame` + `toTick` would, or `undefined` when the frame is not of that plain
 * shape — the caller then runs the zod schema, which accepts the unusual forms or rejects the frame.
 * It never accepts a frame the schema would refuse.
 */
export function fastMarketTick(
  frame: Record<string, unknown>,
  receivedMonoMs: number,
  source: string,
): Tick | undefined {
  const { symbol, exchange, mode, data } = frame;
  if (typeof symbol !== 'string' || symbol.length === 0) return undefined;
  if (typeof exchange !== 'string' || exchange.length === 0) return undefined;
  if (mode !== 1 && mode !== 2 && mode !== 3) return undefined;
  if (frame.broker !== undefined && typeof frame.broker !== 'string') return undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  if (!isNum(d.ltp) || !plainFields(d)) return undefined;
  let depth: Depth | undefined;
  const rawDepth = d.depth;
  if (rawDepth !== undefined) {
    if (typeof rawDepth !== 'object' || rawDepth === null || Array.isArray(rawDepth)) return undefined;
    const buy = plainLevels((rawDepth as Record<string, unknown>).buy);
    if (!buy) return undefined;
    const sell = plainLevels((rawDepth as Record<string, unknown>).sell);
    if (!sell) return undefined;
    depth = { buy, sell };
  }
  // plainFields proved every field read by buildTick is a number or absent.
  return buildTick(
    symbol,
    exchange,
    mode,
    d as unknown as Omit<TickFields, 'depth'>,
    depth,
    receivedMonoMs,
    source,
  );
}
