import type { Clock } from '../clock/index.js';
import type { Config } from '../config/index.js';
import type { Denial, Redactor, TomicEvent, TradingState } from '../contracts/index.js';
import type { Logger } from '../log/index.js';
import type { AuditChannel, AuditLog } from '../store/audit-store.js';
import type { JournalEntry } from '../store/index.js';
import type {
  JournalQuery,
  OrdersQuery,
  OrderView,
  PendingOrder,
  PositionsView,
  StatusSnapshot,
} from './schemas.js';

/** Read dependencies may answer synchronously (in-process state) or asynchronously (another process). */
export type MaybePromise<T> = T | Promise<T>;

/** Who asked: recorded by the runtime as the actor of the state change (e.g. system_state.actor). */
export interface Actor {
  /** Session user name, `api-key`, or `telegram:<user id>`. */
  readonly user: string;
  readonly channel: AuditChannel;
}

/**
 * The outcome of a control action or an approval. Denials carry a registry code (e.g.
 * TRADING_HALTED, COMMAND_NOT_FOUND); the API answers with that code's HTTP status.
 */
export type ControlResult =
  | {
      readonly ok: true;
      /** One line for the operator, e.g. "trading paused". */
      readonly message: string;
      /** The trading state after the action, when it changed or matters. */
      readonly state?: TradingState;
      readonly details?: Readonly<Record<string, unknown>>;
    }
  | Denial;

/** The lifecycle and runbook entry points (plan: Operational Runbooks). */
export interface ControlPort {
  /** Start the agents (no-op result when already running). */
  start(by: Actor): Promise<ControlResult>;
  /** Safe Shutdown runbook: agents finish their cycle, book persisted, journal flushed, orders cancelled. */
  stop(by: Actor): Promise<ControlResult>;
  /** Operator pause: no new entries; risk-reducing orders still allowed. */
  pause(reason: string, by: Actor): Promise<ControlResult>;
  /** Leaves a pause, or HALTED (the only way out of a kill switch is an operator resume). */
  resume(by: Actor): Promise<ControlResult>;
  /** Kill Switch runbook: HALTED, cancel all open orders, fail queued commands, stop signal agents. */
  kill(reason: string, by: Actor): Promise<ControlResult>;
}

/** Semi-Auto approvals (Phase 5): commands in AWAITING_APPROVAL. */
export interface ApprovalPort {
  list(): MaybePromise<readonly PendingOrder[]>;
  approve(id: number, by: Actor): Promise<ControlResult>;
  reject(id: number, reason: string, by: Actor): Promise<ControlResult>;
}

/** The live push source: every event the dashboard may see (the API validates and masks each). */
export interface EventSource {
  /** Returns the unsubscribe function. */
  subscribe(handler: (event: TomicEvent) => void): () => void;
}

export interface MetricsView {
  /** JSON for GET /tomic/metrics. */
  readonly json: Readonly<Record<string, unknown>>;
  /** Prometheus text exposition (format 0.0.4) for `Accept: text/plain` or `?format=prometheus`. */
  readonly prometheus: string;
}

export interface JournalPage {
  readonly rows: readonly JournalEntry[];
  /** Rows matching the filter, ignoring limit/offset. */
  readonly total: number;
}

/**
 * Everything the control API needs from the running system. The runtime (supervisor) implements
 * it; tests build a fake in test/. The API itself holds no trading state.
 */
export interface ControlDeps {
  readonly clock: Clock;
  readonly config: Config;
  readonly logger: Logger;
  readonly audit: AuditLog;
  /** The one masking policy (§10); the API adds its own key and password to it. */
  readonly redactor: Redactor;
  readonly control: ControlPort;
  readonly approvals: ApprovalPort;
  status(): MaybePromise<StatusSnapshot>;
  positions(): MaybePromise<PositionsView>;
  /** Command table view, newest first. Broker order ids are masked by the API. */
  orders(filter: OrdersQuery): MaybePromise<readonly OrderView[]>;
  journal(query: JournalQuery): MaybePromise<JournalPage>;
  /** §13 analytics: metrics over windows, slippage stats, reject reasons… (any JSON object). */
  analytics(): MaybePromise<Readonly<Record<string, unknown>>>;
  metrics(): MaybePromise<MetricsView>;
  readonly events: EventSource;
}
