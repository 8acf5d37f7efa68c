import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/**
 * Every message TOMIC sends on either channel (§2): the durable command table and the telemetry
 * bus. The zod schemas are the types (STYLE.md); each boundary parses with `parseEvent`.
 */

export const EVENT_VERSION = 1;

export const EventType = z.enum([
  'ORDER_REQUEST',
  'ORDER_FILL',
  'ORDER_REJECT',
  'ORDER_DENIED',
  'IDEMPOTENCY_SKIP',
  'REGIME_UPDATE',
  'HEARTBEAT',
  'ALERT',
  'POSITION_UPDATE',
  'SIGNAL',
  'TRADING_STATE',
  'RECONCILIATION',
  'UNHEDGED_INCIDENT',
  'FEED_STATUS',
  'COMMAND_STATUS',
]);
export type EventType = z.infer<typeof EventType>;

export const AgentName = z.enum([
  'supervisor',
  'regime',
  'sniper',
  'volatility',
  'risk',
  'execution',
  'journaling',
  'api',
  'cli',
  'sim',
]);
export type AgentName = z.infer<typeof AgentName>;

export const Action = z.enum(['BUY', 'SELL']);
export type Action = z.infer<typeof Action>;
export const PriceType = z.enum(['MARKET', 'LIMIT', 'SL', 'SL-M']);
export type PriceType = z.infer<typeof PriceType>;
export const Product = z.enum(['MIS', 'NRML', 'CNC']);
export type Product = z.infer<typeof Product>;
export const OptionType = z.enum(['CE', 'PE']);
export type OptionType = z.infer<typeof OptionType>;

/** Strategies of the plan's §5 legging table. */
export const StrategyType = z.enum([
  'BULL_PUT_SPREAD',
  'BEAR_CALL_SPREAD',
  'IRON_CONDOR',
  'RISK_REVERSAL',
  'DITM_CALL',
  'CALENDAR_DIAGONAL',
  'BLACK_SWAN_HEDGE',
]);
export type StrategyType = z.infer<typeof StrategyType>;

/** What a leg is for in its group: the unhedged timer pairs every SHORT with its HEDGE. */
export const LegRole = z.enum(['HEDGE', 'SHORT', 'LONG', 'SINGLE']);
export type LegRole = z.infer<typeof LegRole>;

/** Why an order exists: entries may be denied by gates; exits and force-closes reduce risk. */
export const OrderIntent = z.enum(['ENTRY', 'EXIT', 'ADJUST', 'FORCE_CLOSE', 'HEDGE_ROLL']);
export type OrderIntent = z.infer<typeof OrderIntent>;

export const AlertLevel = z.enum(['CRITICAL', 'RISK', 'SIGNAL', 'REGIME', 'INFO']);
export const TradingState = z.enum(['ACTIVE', 'REDUCING', 'HALTED']);
export type TradingState = z.infer<typeof TradingState>;

const code = z.string().refine((s): s is ErrorCode => Object.hasOwn(ERROR_CODES, s), 'unknown error code');
const uuidV4 = z.uuid({ version: 'v4' });
const nonEmpty = z.string().min(1);
const finite = z.number().finite();
const positiveInt = z.number().int().positive();

/** §3 fields carried by every event on both channels. */
const envelope = {
  event_id: uuidV4,
  correlation_id: nonEmpty,
  strategy_id: nonEmpty,
  idempotency_key: nonEmpty,
  event_version: z.number().int().positive(),
  source_agent: AgentName,
  /** Wall-clock epoch ms, for humans and audit only (§12). */
  ts: z.number().int().nonnegative(),
};

/** One leg of a multi-leg group: the Execution agent gathers all legs before it plans the legging. */
export const LegGroup = z.object({
  group_id: nonEmpty,
  strategy_type: StrategyType,
  leg_count: positiveInt.max(8),
  leg_index: z.number().int().nonnegative(),
  role: LegRole,
  /** Leg name of the hedge a SHORT is paired with (or of the short a HEDGE protects). */
  pair_leg: nonEmpty.optional(),
});
export type LegGroup = z.infer<typeof LegGroup>;

export const OrderRequestPayload = z.object({
  leg: nonEmpty,
  action: Action,
  intent: OrderIntent,
  symbol: nonEmpty,
  exchange: nonEmpty,
  underlying: nonEmpty,
  quantity: positiveInt,
  lot_size: positiveInt,
  pricetype: PriceType,
  product: Product,
  price: finite.nonnegative(),
  trigger_price: finite.nonnegative(),
  option_type: OptionType.optional(),
  strike: finite.positive().optional(),
  expiry: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  group: LegGroup,
  /** Price the decision assumed (for slippage); 0 when unknown. */
  expected_price: finite.nonnegative(),
  /** The §7 sizing trace, recorded whole by the Journaling agent. */
  sizing_trace: z.array(z.record(z.string(), z.unknown())).optional(),
  regime_version: z.number().int().nonnegative().optional(),
  reason: z.string().optional(),
});
export type OrderRequestPayload = z.infer<typeof OrderRequestPayload>;

export const OrderFillPayload = z.object({
  leg: nonEmpty,
  action: Action,
  symbol: nonEmpty,
  exchange: nonEmpty,
  product: Product,
  broker_order_id: nonEmpty,
  filled_quantity: z.number().int().nonnegative(),
  ordered_quantity: positiveInt,
  average_price: finite.nonnegative(),
  expected_price: finite.nonnegative(),
  command_id: z.number().int().positive().optional(),
});

export const OrderRejectPayload = z.object({
  leg: nonEmpty,
  action: Action,
  symbol: nonEmpty,
  code,
  message: z.string(),
  broker_order_id: z.string().optional(),
  command_id: z.number().int().positive().optional(),
});

/** A gate, breaker or sizing step denied an order (STYLE.md: a denied order is an event). */
export const OrderDeniedPayload = z.object({
  code,
  message: z.string(),
  gate: nonEmpty,
  leg: z.string().optional(),
  symbol: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const IdempotencySkipPayload = z.object({
  duplicate_key: nonEmpty,
  where: z.enum(['LOCAL', 'BROKER']),
  existing_command_id: z.number().int().positive().optional(),
  broker_order_id: z.string().optional(),
});

export const RegimeClass = z.enum(['BULLISH', 'BEARISH', 'CONGESTION', 'BLOWOFF', 'NO_TRADE']);
export type RegimeClass = z.infer<typeof RegimeClass>;

export const RegimeUpdatePayload = z.object({
  version: z.number().int().nonnegative(),
  underlying: nonEmpty,
  regime: RegimeClass,
  score: finite,
  vix: finite.nonnegative().nullable(),
  flags: z.array(z.string()),
  indicators: z.record(z.string(), z.union([finite, z.string(), z.null()])),
});

export const HeartbeatPayload = z.object({
  agent: AgentName,
  pid: z.number().int().positive(),
  seq: z.number().int().nonnegative(),
  uptime_ms: finite.nonnegative(),
  status: z.enum(['STARTING', 'RUNNING', 'STOPPING']),
});

export const AlertPayload = z.object({
  level: AlertLevel,
  code,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const PositionRow = z.object({
  symbol: nonEmpty,
  exchange: nonEmpty,
  product: Product,
  quantity: z.number().int(),
  average_price: finite.nonnegative(),
  strategy_id: z.string().optional(),
  leg: z.string().optional(),
  underlying: z.string().optional(),
});
export type PositionRow = z.infer<typeof PositionRow>;

export const PositionUpdatePayload = z.object({
  version: z.number().int().nonnegative(),
  positions: z.array(PositionRow),
});

export const SignalPayload = z.object({
  underlying: nonEmpty,
  strategy_type: StrategyType,
  direction: z.enum(['BULLISH', 'BEARISH', 'NEUTRAL']),
  strength: finite.min(0).max(1),
  reason: z.string(),
  regime_version: z.number().int().nonnegative().optional(),
});

export const TradingStatePayload = z.object({
  state: TradingState,
  previous: TradingState,
  reason: z.string(),
  code: code.optional(),
});

export const ReconciliationPayload = z.object({
  discrepancies: z.array(
    z.object({
      kind: z.enum(['MISSING_LOCALLY', 'EXTRA_LOCALLY', 'QUANTITY_MISMATCH', 'PRICE_MISMATCH']),
      symbol: nonEmpty,
      exchange: nonEmpty,
      product: Product,
      local: PositionRow.nullable(),
      broker: PositionRow.nullable(),
    }),
  ),
  version_before: z.number().int().nonnegative(),
  version_after: z.number().int().nonnegative(),
});

export const UnhedgedIncidentPayload = z.object({
  group_id: nonEmpty,
  short_leg: nonEmpty,
  symbol: nonEmpty,
  unhedged_quantity: positiveInt,
  unhedged_ms: finite.nonnegative(),
  action: z.enum(['FORCE_CLOSE', 'RESOLVED']),
});

export const FeedStatusPayload = z.object({
  active: z.enum(['primary', 'fallback', 'none']),
  primary_up: z.boolean(),
  fallback_up: z.boolean(),
  failovers_today: z.number().int().nonnegative(),
  reason: z.string(),
});

export const CommandStatusPayload = z.object({
  command_id: z.number().int().positive(),
  status: z.enum(['PENDING', 'PROCESSING', 'DONE', 'FAILED', 'DEAD_LETTER', 'AWAITING_APPROVAL']),
  attempt_count: z.number().int().nonnegative(),
  last_error: z.string().nullable(),
});

const ev = <T extends EventType, P extends z.ZodType>(type: T, payload: P) =>
  z.object({ ...envelope, event_type: z.literal(type), payload });

export const OrderRequest = ev('ORDER_REQUEST', OrderRequestPayload).refine(
  (e) => e.idempotency_key === `${e.strategy_id}:${e.payload.leg}:${e.payload.action}`,
  { message: 'idempotency_key must be {strategy_id}:{leg}:{action}', path: ['idempotency_key'] },
);
export const OrderFill = ev('ORDER_FILL', OrderFillPayload);
export const OrderReject = ev('ORDER_REJECT', OrderRejectPayload);
export const OrderDenied = ev('ORDER_DENIED', OrderDeniedPayload);
export const IdempotencySkip = ev('IDEMPOTENCY_SKIP', IdempotencySkipPayload);
export const RegimeUpdate = ev('REGIME_UPDATE', RegimeUpdatePayload);
export const Heartbeat = ev('HEARTBEAT', HeartbeatPayload);
export const Alert = ev('ALERT', AlertPayload);
export const PositionUpdate = ev('POSITION_UPDATE', PositionUpdatePayload);
export const Signal = ev('SIGNAL', SignalPayload);
export const TradingStateChange = ev('TRADING_STATE', TradingStatePayload);
export const Reconciliation = ev('RECONCILIATION', ReconciliationPayload);
export const UnhedgedIncident = ev('UNHEDGED_INCIDENT', UnhedgedIncidentPayload);
export const FeedStatus = ev('FEED_STATUS', FeedStatusPayload);
export const CommandStatus = ev('COMMAND_STATUS', CommandStatusPayload);

export const SCHEMAS = {
  ORDER_REQUEST: OrderRequest,
  ORDER_FILL: OrderFill,
  ORDER_REJECT: OrderReject,
  ORDER_DENIED: OrderDenied,
  IDEMPOTENCY_SKIP: IdempotencySkip,
  REGIME_UPDATE: RegimeUpdate,
  HEARTBEAT: Heartbeat,
  ALERT: Alert,
  POSITION_UPDATE: PositionUpdate,
  SIGNAL: Signal,
  TRADING_STATE: TradingStateChange,
  RECONCILIATION: Reconciliation,
  UNHEDGED_INCIDENT: UnhedgedIncident,
  FEED_STATUS: FeedStatus,
  COMMAND_STATUS: CommandStatus,
} as const satisfies Record<EventType, z.ZodType>;

export type EventOf<T extends EventType> = z.infer<(typeof SCHEMAS)[T]>;
export type TomicEvent = { [T in EventType]: EventOf<T> }[EventType];
export type PayloadOf<T extends EventType> = EventOf<T>['payload'];
export type OrderRequest = EventOf<'ORDER_REQUEST'>;
export type OrderFill = EventOf<'ORDER_FILL'>;

/** The envelope alone, for routing a message before its payload is trusted. */
export const EventEnvelope = z.object({ ...envelope, event_type: EventType, payload: z.unknown() });
