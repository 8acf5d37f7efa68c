import { appendFileSync, createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseEvent, type TomicEvent } from '../contracts/index.js';
import type { Logger } from '../log/index.js';
import type { Bus } from './bus.js';

/** Buffered bytes that trigger a write before the periodic flush. */
const FLUSH_AT_BYTES = 256 * 1024;
const DEFAULT_FLUSH_INTERVAL_MS = 1_000;

export interface EventRecorderOptions {
  bus: Bus;
  /** Logs go to `<dataDir>/events/<YYYY-MM-DD>.jsonl`. */
  dataDir: string;
  logger?: Logger;
  /** Periodic flush; 0 flushes only on size and on close(). Default 1 s. */
  flushIntervalMs?: number;
}

/** The file an event belongs in: its UTC day, from its `ts`. */
export function eventLogPath(dataDir: string, event: Pick<TomicEvent, 'ts'>): string {
  return join(dataDir, 'events', `${new Date(event.ts).toISOString().slice(0, 10)}.jsonl`);
}

/**
 * Plan Phase 1, "events persisted for replay": records every event seen on the bus as one JSON line
 * per event, one file per UTC day. Writes are buffered and synchronous (a flush is one append per
 * file), so close() leaves nothing behind and a crash loses at most one flush interval.
 */
export class EventRecorder {
  readonly #dataDir: string;
  readonly #logger: Logger | undefined;
  readonly #buffers = new Map<string, string[]>();
  readonly #unsubscribe: () => void;
  readonly #timer: NodeJS.Timeout | undefined;
  #bytes = 0;
  #recorded = 0;
  #writeErrors = 0;
  #closed = false;

  constructor(opts: EventRecorderOptions) {
    this.#dataDir = opts.dataDir;
    this.#logger = opts.logger;
    mkdirSync(join(this.#dataDir, 'events'), { recursive: true });
    this.#unsubscribe = opts.bus.subscribe('*', (e) => this.record(e));
    const every = opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    if (every > 0) {
      // I/O batching, not a business timer; it must never keep a stopping process alive.
      this.#timer = setInterval(() => this.flush(), every);
      this.#timer.unref();
    }
  }

  /** Appends one event (the bus calls this; replay may call it directly). */
  record(event: TomicEvent): void {
    if (this.#closed) return;
    const line = `${JSON.stringify(event)}\n`;
    const path = eventLogPath(this.#dataDir, event);
    let buf = this.#buffers.get(path);
    if (!buf) {
      buf = [];
      this.#buffers.set(path, buf);
    }
    buf.push(line);
    this.#recorded++;
    this.#bytes += line.length;
    if (this.#bytes >= FLUSH_AT_BYTES) this.flush();
  }

  /** Writes everything buffered. A failed write is logged and counted; the lines are kept for the next try. */
  flush(): void {
    for (const [path, lines] of this.#buffers) {
      if (lines.length === 0) continue;
      try {
        appendFileSync(path, lines.join(''));
        this.#buffers.delete(path);
      } catch (err) {
        this.#writeErrors++;
        this.#logger?.error({ err, path }, 'event recorder: write failed');
      }
    }
    this.#bytes = 0;
    for (const lines of this.#buffers.values()) for (const l of lines) this.#bytes += l.length;
  }

  stats(): { recorded: number; writeErrors: number } {
    return { recorded: this.#recorded, writeErrors: this.#writeErrors };
  }

  /** Stops recording and flushes synchronously. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    if (this.#timer) clearInterval(this.#timer);
    this.flush();
  }
}

/** Filled in while `readEventLog` runs. */
export interface EventLogCounts {
  /** Events yielded. */
  events: number;
  /** Non-empty lines that were not valid events: skipped, never thrown. */
  malformed: number;
}

/**
 * Reads an event log back, one parsed and validated event at a time. Malformed lines (a torn last
 * line after a crash, a hand edit) are counted in `counts` and logged, and reading goes on.
 */
export async function* readEventLog(
  path: string,
  counts: EventLogCounts = { events: 0, malformed: 0 },
  logger?: Logger,
): AsyncGenerator<TomicEvent, EventLogCounts, undefined> {
  const input = createReadStream(path, 'utf8');
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        counts.malformed++;
        logger?.warn({ path, line: lineNo }, 'event log: line is not JSON, skipped');
        continue;
      }
      const parsed = parseEvent(json);
      if (!parsed.ok) {
        counts.malformed++;
        logger?.warn({ path, line: lineNo, reason: parsed.message }, 'event log: not a valid event, skipped');
        continue;
      }
      counts.events++;
      yield parsed.value;
    }
  } finally {
    // Also when the reader stops early: release the file now, not at garbage collection.
    lines.close();
    input.destroy();
  }
  return counts;
}
