import type { Clock } from '../clock/index.js';
import { randomToken, safeEqual, sha256Hex } from './credentials.js';

export const SESSION_COOKIE = 'tomic_session';
/** A single operator needs few; the cap keeps a login flood from growing memory. */
const DEFAULT_MAX_SESSIONS = 100;

export interface Session {
  readonly user: string;
  /** Synchronizer token: sent back in X-CSRF-Token on every state-changing request. */
  readonly csrfToken: string;
  /** Monotonic ms (§12): a wall-clock jump neither extends nor cuts a session. */
  readonly expiresAtMs: number;
}

/**
 * Server-side browser sessions. The cookie carries a random 32-byte id; the map is keyed by its
 * SHA-256 so the raw id is never held (a heap dump does not yield live cookies). Expiry is absolute
 * from login on the monotonic clock.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(clock: Clock, opts: { ttlMs: number; maxSessions?: number }) {
    this.#clock = clock;
    this.#ttlMs = opts.ttlMs;
    this.#max = opts.maxSessions ?? DEFAULT_MAX_SESSIONS;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Creates a session; returns the cookie value (the only place the raw id exists). */
  create(user: string): { id: string; session: Session } {
    this.#sweep();
    while (this.#sessions.size >= this.#max) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const id = randomToken();
    const session: Session = {
      user,
      csrfToken: randomToken(),
      expiresAtMs: this.#clock.monotonicMs() + this.#ttlMs,
    };
    this.#sessions.set(sha256Hex(id), session);
    return { id, session };
  }

  /** The live session for a cookie value, or undefined when unknown or expired (then forgotten). */
  get(id: string): Session | undefined {
    const key = sha256Hex(id);
    const s = this.#sessions.get(key);
    if (!s) return undefined;
    if (this.#clock.monotonicMs() >= s.expiresAtMs) {
      this.#sessions.delete(key);
      return undefined;
    }
    return s;
  }

  remainingMs(s: Session): number {
    return Math.max(0, s.expiresAtMs - this.#clock.monotonicMs());
  }

  destroy(id: string): boolean {
    return this.#sessions.delete(sha256Hex(id));
  }

  checkCsrf(s: Session, token: string | undefined): boolean {
    return token !== undefined && token.length > 0 && safeEqual(token, s.csrfToken);
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(): void {
    const now = this.#clock.monotonicMs();
    for (const [k, s] of this.#sessions) if (now >= s.expiresAtMs) this.#sessions.delete(k);
  }
}

/** Reads one cookie from a Cookie header (RFC 6265 pairs; no dependency for one value). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
    }
  }
  return undefined;
}

export function sessionCookie(value: string, opts: { maxAgeS: number; secure: boolean }): string {
  const parts = [
    `${SESSION_COOKIE}=${value}`,
    'Path=/tomic',
    `Max-Age=${Math.max(0, Math.floor(opts.maxAgeS))}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}
