import type { WebSocket } from 'ws';
import type { Clock, TimerHandle } from '../clock/index.js';
import { type EventType, parseEvent, type Redactor, type TomicEvent } from '../contracts/index.js';
import type { Logger } from '../log/index.js';
import type { EventSource } from './deps.js';
import { maskPayload } from './masking.js';

// ws readyState OPEN (the ws package's constant, without a value import of the package here).
const OPEN = 1;

/** Close codes (4000–4999 are the application's): the dashboard tells the operator why. */
export const LIVE_CLOSE = {
  SESSION_ENDED: 4401,
  TOO_SLOW: 4408,
  SHUTDOWN: 1001,
} as const;

export interface LiveHubOptions {
  readonly events: EventSource;
  readonly redactor: Redactor;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Ping period; a client that has not answered the previous ping is dropped. */
  readonly pingMs: number;
  /** A client with more than this queued is too slow for a live feed: dropped, not buffered. */
  readonly maxBufferedBytes: number;
}

interface Client {
  readonly socket: WebSocket;
  readonly types: ReadonlySet<EventType> | null;
  /** False once the session behind the socket ended (logout, expiry); API-key sockets stay valid. */
  readonly valid: () => boolean;
  readonly sessionKey: string | null;
  alive: boolean;
}

/**
 * The /tomic/live fan-out: one subscription to the event source for all clients. Each event is
 * validated with its zod schema and masked once, serialized once, then written to every client.
 */
export class LiveHub {
  readonly #opts: LiveHubOptions;
  readonly #clients = new Set<Client>();
  readonly #unsubscribe: () => void;
  #pingTimer: TimerHandle | undefined;
  #dropped = 0;
  #delivered = 0;
  #closed = false;

  constructor(opts: LiveHubOptions) {
    this.#opts = opts;
    this.#unsubscribe = opts.events.subscribe((e) => this.#publish(e));
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** Events refused by schema validation, and messages delivered, since start. */
  stats(): { clients: number; invalidDropped: number; delivered: number } {
    return { clients: this.#clients.size, invalidDropped: this.#dropped, delivered: this.#delivered };
  }

  add(
    socket: WebSocket,
    opts: { types: ReadonlySet<EventType> | null; valid: () => boolean; sessionKey: string | null },
  ): void {
    if (this.#closed) {
      socket.close(LIVE_CLOSE.SHUTDOWN, 'server closing');
      return;
    }
    const client: Client = { socket, ...opts, alive: true };
    this.#clients.add(client);
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('close', () => this.#clients.delete(client));
    socket.on('error', () => this.#clients.delete(client));
    // Push-only channel: what a client sends is ignored.
    socket.on('message', () => undefined);
    this.#schedulePing();
  }

  /** Logout: the session's sockets close at once, not at the next event. */
  endSession(sessionKey: string): void {
    for (const c of this.#clients) {
      if (c.sessionKey === sessionKey) this.#drop(c, LIVE_CLOSE.SESSION_ENDED, 'session ended');
    }
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    if (this.#pingTimer) this.#opts.clock.clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
    for (const c of this.#clients) this.#drop(c, LIVE_CLOSE.SHUTDOWN, 'server closing');
  }

  #publish(event: TomicEvent): void {
    if (this.#clients.size === 0) return;
    const parsed = parseEvent(event);
    if (!parsed.ok) {
      this.#dropped++;
      this.#opts.logger.warn(
        { code: parsed.code, reason: parsed.message },
        'live push: invalid event dropped',
      );
      return;
    }
    const text = JSON.stringify(maskPayload(this.#opts.redactor, parsed.value));
    const type = parsed.value.event_type;
    for (const c of this.#clients) {
      if (!c.valid()) {
        this.#drop(c, LIVE_CLOSE.SESSION_ENDED, 'session ended');
        continue;
      }
      if (c.types && !c.types.has(type)) continue;
      if (c.socket.readyState !== OPEN) continue;
      if (c.socket.bufferedAmount > this.#opts.maxBufferedBytes) {
        this.#drop(c, LIVE_CLOSE.TOO_SLOW, 'client too slow');
        continue;
      }
      c.socket.send(text);
      this.#delivered++;
    }
  }

  #drop(c: Client, code: number, reason: string): void {
    this.#clients.delete(c);
    try {
      c.socket.close(code, reason);
    } catch {
      c.socket.terminate();
    }
  }

  #schedulePing(): void {
    if (this.#pingTimer || this.#closed || this.#clients.size === 0) return;
    this.#pingTimer = this.#opts.clock.setTimeout(() => {
      this.#pingTimer = undefined;
      for (const c of this.#clients) {
        if (!c.valid()) {
          this.#drop(c, LIVE_CLOSE.SESSION_ENDED, 'session ended');
        } else if (!c.alive) {
          this.#clients.delete(c);
          c.socket.terminate();
        } else {
          c.alive = false;
          c.socket.ping();
        }
      }
      this.#schedulePing();
    }, this.#opts.pingMs);
  }
}
