import type { FastifyRequest } from 'fastify';
import { type Denial, deny } from '../contracts/index.js';
import { type ApiKeyVerifier, sha256Hex } from './credentials.js';
import { readCookie, SESSION_COOKIE, type Session, type SessionStore } from './sessions.js';

/**
 * Deny by default (§10): the only routes that answer without credentials. Keys are
 * `METHOD routePattern`; everything else — unknown routes included — needs an API key or a session.
 */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['GET /tomic/health', 'POST /tomic/login']);

/** State-changing operator actions: rate-limited per IP (config.api.controlRatePerMinute). */
export const CONTROL_ROUTES: ReadonlyMap<string, string> = new Map([
  ['POST /tomic/start', 'start'],
  ['POST /tomic/stop', 'stop'],
  ['POST /tomic/pause', 'pause'],
  ['POST /tomic/resume', 'resume'],
  ['POST /tomic/kill', 'kill'],
  ['POST /tomic/orders/:id/approve', 'approve'],
  ['POST /tomic/orders/:id/reject', 'reject'],
]);

export const API_KEY_USER = 'api-key';
export const API_KEY_HEADER = 'x-api-key';
export const CSRF_HEADER = 'x-csrf-token';

export type Principal =
  | { readonly kind: 'api-key'; readonly user: typeof API_KEY_USER }
  | {
      readonly kind: 'session';
      readonly user: string;
      /** The raw cookie value (logout destroys it). */
      readonly sessionId: string;
      /** SHA-256 of the id: names the session elsewhere (live sockets) without the secret. */
      readonly sessionKey: string;
      readonly session: Session;
    };

/** Credentials that can only be checked once the JSON body is parsed (OpenAlgo's `apikey` field). */
export const BODY_KEY_PENDING = Symbol('body-key-pending');

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function routeKey(req: FastifyRequest): string {
  return `${req.method} ${req.routeOptions.url ?? '<unmatched>'}`;
}

/**
 * Identifies who is asking, from (in this order) the X-API-KEY header, `?apikey=` on GET, the
 * session cookie, or — for a JSON POST — the body's `apikey` (checked after parsing).
 * Session requests that change state must carry the session's CSRF token; API-key requests need
 * none (a browser never attaches the key by itself).
 */
export class Authenticator {
  readonly #keys: ApiKeyVerifier;
  readonly #sessions: SessionStore;

  constructor(keys: ApiKeyVerifier, sessions: SessionStore) {
    this.#keys = keys;
    this.#sessions = sessions;
  }

  identify(req: FastifyRequest): Principal | Denial | typeof BODY_KEY_PENDING {
    const header = req.headers[API_KEY_HEADER];
    if (header !== undefined) return this.#byKey(Array.isArray(header) ? undefined : header);
    if (req.method === 'GET') {
      const q = (req.query as Record<string, unknown> | undefined)?.apikey;
      if (q !== undefined) return this.#byKey(typeof q === 'string' ? q : undefined);
    }
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (cookie !== undefined) return this.#bySession(req, cookie);
    if (req.method === 'POST' && isJson(req)) return BODY_KEY_PENDING;
    return deny(
      'AUTH_REQUIRED',
      undefined,
      'Authentication required: X-API-KEY header, apikey, or a session',
    );
  }

  /** The body's `apikey` (OpenAlgo habit), once the body is parsed. */
  identifyByBody(body: unknown): Principal | Denial {
    const k =
      body !== null && typeof body === 'object' ? (body as Record<string, unknown>).apikey : undefined;
    if (k === undefined) {
      return deny(
        'AUTH_REQUIRED',
        undefined,
        'Authentication required: X-API-KEY header, apikey, or a session',
      );
    }
    return this.#byKey(typeof k === 'string' ? k : undefined);
  }

  #byKey(candidate: string | undefined): Principal | Denial {
    if (candidate !== undefined && this.#keys.verify(candidate))
      return { kind: 'api-key', user: API_KEY_USER };
    return deny('AUTH_INVALID', undefined, 'Invalid API key');
  }

  #bySession(req: FastifyRequest, id: string): Principal | Denial {
    const session = this.#sessions.get(id);
    if (!session) return deny('AUTH_REQUIRED', undefined, 'Session expired or unknown: log in again');
    if (!SAFE_METHODS.has(req.method)) {
      const token = req.headers[CSRF_HEADER];
      if (!this.#sessions.checkCsrf(session, typeof token === 'string' ? token : undefined)) {
        return deny('CSRF_INVALID');
      }
    } else if (isUpgrade(req) && !sameOrigin(req)) {
      // A page on another site may open a WebSocket with our cookie (SameSite aside): refuse it.
      return deny('CSRF_INVALID', undefined, 'Cross-origin WebSocket refused');
    }
    return { kind: 'session', user: session.user, sessionId: id, sessionKey: sha256Hex(id), session };
  }
}

function isJson(req: FastifyRequest): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().includes('application/json');
}

function isUpgrade(req: FastifyRequest): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
