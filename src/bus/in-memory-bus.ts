import { parseEvent, type TomicEvent } from '../contracts/index.js';
import type { Logger } from '../log/index.js';
import type { Bus, BusStats, EventHandler, Topics } from './bus.js';
import { Dispatcher } from './dispatch.js';

export interface InMemoryBusOptions {
  logger?: Logger;
}

/**
 * One-process bus for replay and tests (DESIGN.md: the third implementation keeps the port honest).
 * Delivery is synchronous, in publish order: an event published from inside a handler is queued and
 * delivered after the current one has reached every handler, so all handlers see one global order.
 * Events are parsed with their schema as on the wire; malformed ones are counted, never delivered.
 */
export class InMemoryBus implements Bus {
  readonly #logger: Logger | undefined;
  readonly #dispatch: Dispatcher;
  readonly #pending: unknown[] = [];
  #delivering = false;
  #closed = false;
  #published = 0;
  #malformed = 0;
  #dropped = 0;

  constructor(opts: InMemoryBusOptions = {}) {
    this.#logger = opts.logger;
    this.#dispatch = new Dispatcher(opts.logger);
  }

  publish(event: TomicEvent): void {
    if (this.#closed) {
      this.#dropped++;
      return;
    }
    this.#published++;
    this.#pending.push(event);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let next = this.#pending.shift(); next !== undefined; next = this.#pending.shift()) {
        this.#deliver(next);
      }
    } finally {
      this.#delivering = false;
    }
  }

  subscribe(topics: Topics, handler: EventHandler): () => void {
    return this.#dispatch.add(topics, handler);
  }

  stats(): BusStats {
    return {
      published: this.#published,
      received: this.#dispatch.received,
      malformed: this.#malformed,
      dropped: this.#dropped,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#dispatch.clear();
  }

  #deliver(input: unknown): void {
    // A JSON round trip would be the most honest stand-in, but replay pushes millions of events; the
    // schema parse is what rejects what the wire would reject, and it returns a fresh object.
    const parsed = parseEvent(input);
    if (!parsed.ok) {
      this.#malformed++;
      this.#logger?.warn({ code: parsed.code, reason: parsed.message }, 'bus: malformed event dropped');
      return;
    }
    this.#dispatch.deliver(parsed.value);
  }
}
