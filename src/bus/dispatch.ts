import type { EventType, TomicEvent } from '../contracts/index.js';
import type { Logger } from '../log/index.js';
import type { EventHandler, Topics } from './bus.js';

interface Subscription {
  readonly types: ReadonlySet<EventType> | '*';
  readonly handler: EventHandler;
  active: boolean;
}

/**
 * Local fan-out shared by every Bus implementation: exact event-type matching (the transport may
 * filter by prefix; this is the authority), handler isolation, and the `received` count.
 * Internal to src/bus.
 */
export class Dispatcher {
  readonly #subs: Subscription[] = [];
  readonly #logger: Logger | undefined;
  #received = 0;

  constructor(logger: Logger | undefined) {
    this.#logger = logger;
  }

  get received(): number {
    return this.#received;
  }

  get size(): number {
    return this.#subs.length;
  }

  /** Adds a subscription; `onRemove` runs once, when it is removed. */
  add(topics: Topics, handler: EventHandler, onRemove?: () => void): () => void {
    const sub: Subscription = { types: topics === '*' ? '*' : new Set(topics), handler, active: true };
    this.#subs.push(sub);
    return () => {
      if (!sub.active) return;
      sub.active = false;
      const i = this.#subs.indexOf(sub);
      if (i >= 0) this.#subs.splice(i, 1);
      onRemove?.();
    };
  }

  /** True when some live handler wants this type (used to decide whether the event counts as received). */
  wants(type: EventType): boolean {
    return this.#subs.some((s) => s.active && (s.types === '*' || s.types.has(type)));
  }

  /** Delivers to every matching handler, in subscription order; a throwing handler is logged and skipped. */
  deliver(event: TomicEvent): void {
    // A snapshot: handlers may subscribe or unsubscribe while we deliver. One removed meanwhile is skipped.
    const targets = this.#subs.filter((s) => s.types === '*' || s.types.has(event.event_type));
    if (targets.length === 0) return;
    this.#received++;
    for (const s of targets) {
      if (!s.active) continue;
      try {
        s.handler(event);
      } catch (err) {
        this.#logger?.error(
          {
            err,
            event_type: event.event_type,
            event_id: event.event_id,
            correlation_id: event.correlation_id,
          },
          'bus handler threw; delivery continues',
        );
      }
    }
  }

  clear(): void {
    for (const s of this.#subs) s.active = false;
    this.#subs.length = 0;
  }
}
