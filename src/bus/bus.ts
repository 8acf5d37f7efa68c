import type { EventType, TomicEvent } from '../contracts/index.js';

/** What a subscriber receives: every type, or only the listed ones (one ZeroMQ topic per type). */
export type Topics = readonly EventType[] | '*';

export type EventHandler = (event: TomicEvent) => void;

export interface BusStats {
  /** Events handed to the transport by this endpoint. */
  readonly published: number;
  /** Valid events delivered to handlers. */
  readonly received: number;
  /** Frames that failed to parse as events: counted and logged, never delivered. */
  readonly malformed: number;
  /** Events the transport could not take (best effort, §2): counted, never thrown. */
  readonly dropped: number;
}

/**
 * The telemetry bus (plan §2): best effort pub/sub of zod-validated events, one topic per event
 * type. Anything that must not be lost goes through the durable command table instead.
 * Two implementations share one contract suite: ZeroMQ (live, across processes) and in-memory
 * (replay and tests, one process, synchronous delivery).
 */
export interface Bus {
  /** Best effort: never throws on transport failure (counts a drop instead). */
  publish(event: TomicEvent): void;
  /** Returns the unsubscribe function. A throwing handler is logged and does not stop delivery. */
  subscribe(topics: Topics, handler: EventHandler): () => void;
  stats(): BusStats;
  close(): Promise<void>;
}
