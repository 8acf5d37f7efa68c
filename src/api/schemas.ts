import { z } from 'zod';
import { Action, OrderIntent, PositionRow, PriceType, TradingState } from '../contracts/index.js';
import { COMMAND_STATUSES } from '../store/index.js';
// Not yet exported by store/index.ts (asked of the lead).
import { JOURNAL_ENTRY_TYPES } from '../store/journal-store.js';

/**
 * The shapes the control API answers with and accepts. The runtime fills them (ControlDeps), the
 * CLI client parses them back with the same schemas: one definition for both ends.
 */

const count = z.number().int().nonnegative();
const ageMs = z.number().nonnegative();

export const AgentState = z.enum(['STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'CRASHED', 'RESTARTING']);
export type AgentState = z.infer<typeof AgentState>;

export const AgentStatus = z.object({
  name: z.string().min(1),
  pid: z.number().int().positive().nullable(),
  state: AgentState,
  /** Monotonic age of the last HEARTBEAT; null before the first one. */
  heartbeatAgeMs: ageMs.nullable(),
  restarts: count,
});
export type AgentStatus = z.infer<typeof AgentStatus>;

export const FeedHealthView = z.object({
  active: z.enum(['primary', 'fallback', 'none']),
  primaryUp: z.boolean(),
  fallbackUp: z.boolean(),
  failoversToday: count,
  failoversTotal: count,
  /** Monotonic age of the last primary/fallback switch; null when there was none. */
  lastSwitchAgeMs: ageMs.nullable(),
  /** §4 FEED_SWITCHING cooldown left; 0 when orders are not blocked by a recent switch. */
  cooldownRemainingMs: ageMs,
});
export type FeedHealthView = z.infer<typeof FeedHealthView>;

export const BreakerView = z.object({
  name: z.string().min(1),
  value: z.number(),
  threshold: z.number(),
  unit: z.string(),
  tripped: z.boolean(),
});
export type BreakerView = z.infer<typeof BreakerView>;

export const FreshnessView = z.object({
  symbol: z.string().min(1),
  /** Monotonic age of the last tick; null when none arrived yet. */
  ageMs: ageMs.nullable(),
  maxAgeMs: z.number().positive(),
  stale: z.boolean(),
});
export type FreshnessView = z.infer<typeof FreshnessView>;

export const LifecycleState = z.enum(['STOPPED', 'STARTING', 'RUNNING', 'STOPPING']);
export type LifecycleState = z.infer<typeof LifecycleState>;

/** GET /tomic/status. */
export const StatusSnapshot = z.object({
  version: z.string(),
  mode: z.enum(['sandbox', 'live']),
  orderMode: z.enum(['semi_auto', 'full_auto']),
  embeddedSim: z.boolean(),
  /** Agents up (`start`) or down (`stop`), independent of the trading state. */
  lifecycle: LifecycleState,
  tradingState: z.object({
    state: TradingState,
    reason: z.string(),
    code: z.string().nullable(),
    actor: z.string(),
    version: count,
  }),
  /** Operator pause (runbook "System_Pause"): new entries blocked until `resume`. */
  paused: z.boolean(),
  uptimeMs: ageMs,
  agents: z.array(AgentStatus),
  feed: FeedHealthView,
  breakers: z.array(BreakerView),
  freshness: z.array(FreshnessView),
  /** Command table rows by status. */
  commands: z.record(z.string(), count),
  pendingApprovals: count,
  /** The Regime agent's latest classification per underlying (from the regime store). */
  regimes: z
    .array(
      z.object({
        underlying: z.string().min(1),
        regime: z.string().min(1),
        version: count,
        score: z.number(),
        flags: z.array(z.string()),
      }),
    )
    .optional(),
});
export type StatusSnapshot = z.infer<typeof StatusSnapshot>;

/** GET /tomic/positions. */
export const PositionsView = z.object({ version: count, positions: z.array(PositionRow) });
export type PositionsView = z.infer<typeof PositionsView>;

/** GET /tomic/orders/pending: a Semi-Auto command waiting for the operator. */
export const PendingOrder = z.object({
  id: z.number().int().positive(),
  strategyId: z.string(),
  groupId: z.string().nullable(),
  leg: z.string(),
  symbol: z.string(),
  exchange: z.string(),
  action: Action,
  intent: OrderIntent,
  quantity: z.number().int().positive(),
  pricetype: PriceType,
  price: z.number().nonnegative(),
  reason: z.string().nullable(),
  createdAt: z.string(),
});
export type PendingOrder = z.infer<typeof PendingOrder>;

export const CommandStatusName = z.enum(COMMAND_STATUSES);

/** GET /tomic/orders: one command-table row as operators see it (no lease tokens, ids masked). */
export const OrderView = z.object({
  id: z.number().int().positive(),
  status: CommandStatusName,
  strategy_id: z.string(),
  group_id: z.string().nullable(),
  idempotency_key: z.string(),
  leg: z.string().nullable(),
  symbol: z.string().nullable(),
  action: z.string().nullable(),
  quantity: z.number().int().nullable(),
  attempt_count: count,
  max_attempts: count,
  last_error: z.string().nullable(),
  error_class: z.string().nullable(),
  broker_order_id: z.string().nullable(),
  created_at: z.string(),
  processed_at: z.string().nullable(),
});
export type OrderView = z.infer<typeof OrderView>;

// ── request shapes ────────────────────────────────────────────────────────────────────────────────

const MAX_REASON = 500;
const reason = z.string().trim().min(1).max(MAX_REASON);
const pageLimit = (max: number, def: number) => z.coerce.number().int().min(1).max(max).default(def);
const offset = z.coerce.number().int().min(0).default(0);

export const LoginBody = z.object({
  username: z.string().min(1).max(128),
  password: z.string().min(1).max(1_024),
});

/** Body of start/stop/resume: nothing required (the API key may ride along, OpenAlgo-style). */
export const EmptyBody = z.object({}).loose();
export const ReasonBody = z.object({ reason: reason.optional() }).loose();
export const RejectBody = z.object({ reason: reason.optional() }).loose();
export const IdParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export const OrdersQuery = z.object({
  status: CommandStatusName.optional(),
  strategyId: z.string().min(1).max(200).optional(),
  limit: pageLimit(1_000, 100),
  offset,
});
export type OrdersQuery = z.infer<typeof OrdersQuery>;

export const JournalQuery = z.object({
  strategyId: z.string().min(1).max(200).optional(),
  type: z.enum(JOURNAL_ENTRY_TYPES).optional(),
  code: z.string().min(1).max(64).optional(),
  sinceWallMs: z.coerce.number().int().nonnegative().optional(),
  limit: pageLimit(500, 50),
  offset,
});
export type JournalQuery = z.infer<typeof JournalQuery>;

export const AuditQuery = z.object({
  action: z.string().min(1).max(200).optional(),
  user: z.string().min(1).max(200).optional(),
  outcome: z.enum(['ok', 'denied', 'failed', 'rate_limited', 'ignored', 'error']).optional(),
  sinceWallMs: z.coerce.number().int().nonnegative().optional(),
  limit: pageLimit(1_000, 100),
  offset,
});
export type AuditQuery = z.infer<typeof AuditQuery>;
