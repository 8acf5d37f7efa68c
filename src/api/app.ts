import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { ErrorCode } from '../contracts/index.js';
import {
  Authenticator,
  BODY_KEY_PENDING,
  CONTROL_ROUTES,
  type Principal,
  PUBLIC_ROUTES,
  routeKey,
} from './auth.js';
import type { ApiContext } from './context.js';
import { registerControlRoutes } from './control-routes.js';
import {
  ApiKeyVerifier,
  hashPassword,
  type PasswordHash,
  randomToken,
  safeEqual,
  verifyPassword,
} from './credentials.js';
import type { ControlDeps } from './deps.js';
import { sendError } from './errors.js';
import { LiveHub } from './live.js';
import { maskPayload } from './masking.js';
import { MovingWindowLimiter } from './rate-limiter.js';
import { registerReadRoutes } from './read-routes.js';
import { registerSessionRoutes } from './session-routes.js';
import { SessionStore } from './sessions.js';

export interface BuildOptions {
  /** The control API key; default config.api.apiKey (the runtime passes a generated one when unset). */
  readonly apiKey?: string;
  readonly adminUser?: string;
  /** Plain text (hashed here, once) or a hash made with hashPassword(); default config.api.adminPassword. */
  readonly adminPassword?: string | PasswordHash;
  /** Secure cookie flag: always, never, or 'auto' = when the request came over https. Default 'auto'. */
  readonly secureCookie?: boolean | 'auto';
  /** WebSocket ping period (a client silent for one period is dropped). Default 30 s. */
  readonly livePingMs?: number;
  /** Bytes queued for one live client before it is dropped as too slow. Default 1 MiB. */
  readonly liveMaxBufferedBytes?: number;
  /** Largest accepted request body. Default 64 KiB. */
  readonly bodyLimit?: number;
}

export interface RouteInfo {
  readonly method: string;
  readonly url: string;
  readonly websocket: boolean;
}

const DEFAULT_LIVE_PING_MS = 30_000;
const DEFAULT_LIVE_MAX_BUFFERED = 1024 * 1024;
const DEFAULT_BODY_LIMIT = 64 * 1024;
// Incoming live frames are ignored; this bounds what a client can make the server read.
const LIVE_MAX_PAYLOAD = 4 * 1024;

const routesOf = new WeakMap<FastifyInstance, RouteInfo[]>();

/** Every route buildApp registered (for the deny-by-default test and the docs). */
export function registeredRoutes(app: FastifyInstance): readonly RouteInfo[] {
  return routesOf.get(app) ?? [];
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

/**
 * The control API (plan §10, blueprints/tomic): a Fastify instance over the running system's
 * ControlDeps. Deny by default — one onRequest hook admits only PUBLIC_ROUTES without credentials —
 * with OpenAlgo-style API-key auth, browser sessions with CSRF tokens, per-IP rate limits on login
 * and control routes, an audit row for every action, and every response masked by the one Redactor.
 * Async because the admin password is hashed (scrypt) once, here.
 */
export async function buildApp(deps: ControlDeps, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const api = deps.config.api;
  const apiKey = opts.apiKey ?? api.apiKey;
  const adminUser = opts.adminUser ?? api.adminUser;
  const password = opts.adminPassword ?? api.adminPassword;
  deps.redactor.addSecret(apiKey);
  if (typeof password === 'string') deps.redactor.addSecret(password);
  // Without a configured password, logins still cost one KDF run (no timing tell) and always fail.
  const passwordHash =
    password === undefined
      ? undefined
      : typeof password === 'string'
        ? await hashPassword(password)
        : password;
  const verifyHash = passwordHash ?? (await hashPassword(randomToken()));

  const sessions = new SessionStore(deps.clock, { ttlMs: api.sessionTtlMs });
  const authenticator = new Authenticator(new ApiKeyVerifier(apiKey), sessions);
  const loginLimiter = new MovingWindowLimiter(deps.clock, { limit: api.loginRatePerMinute });
  const controlLimiter = new MovingWindowLimiter(deps.clock, { limit: api.controlRatePerMinute });
  const principals = new WeakMap<FastifyRequest, Principal>();
  const pendingBody = new WeakSet<FastifyRequest>();
  const secureCookie = opts.secureCookie ?? 'auto';

  const app = Fastify({
    logger: false,
    exposeHeadRoutes: false,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    return503OnClosing: true,
  });
  const routes: RouteInfo[] = [];
  routesOf.set(app, routes);
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) routes.push({ method: m, url: r.url, websocket: r.websocket === true });
  });

  const hub = new LiveHub({
    events: deps.events,
    redactor: deps.redactor,
    clock: deps.clock,
    logger: deps.logger,
    pingMs: opts.livePingMs ?? DEFAULT_LIVE_PING_MS,
    maxBufferedBytes: opts.liveMaxBufferedBytes ?? DEFAULT_LIVE_MAX_BUFFERED,
  });
  // Before @fastify/websocket's own preClose (hooks run in order): clients learn why they are closed.
  app.addHook('preClose', async () => hub.close());

  const ctx: ApiContext = {
    deps,
    sessions,
    hub,
    loginLimiter,
    async checkLogin(username, pw) {
      const userOk = safeEqual(username, adminUser);
      const passOk = await verifyPassword(pw, verifyHash);
      return userOk && passOk && passwordHash !== undefined;
    },
    principalOf: (req) => principals.get(req),
    actorOf: (req) => ({ user: principals.get(req)?.user ?? 'unknown', channel: 'api' }),
    audit(req, action, outcome, o = {}) {
      try {
        deps.audit.record({
          user: o.user ?? principals.get(req)?.user ?? 'anonymous',
          action,
          channel: 'api',
          ip: req.ip,
          outcome,
          code: o.code ?? null,
          ...(o.detail ? { detail: o.detail } : {}),
        });
      } catch (err) {
        deps.logger.error({ err, action, outcome }, 'audit write failed');
      }
    },
    secureCookie: (req) => (secureCookie === 'auto' ? req.protocol === 'https' : secureCookie),
  };

  // Denials on state-changing routes are audited; on reads only when a wrong credential was shown
  // (a browser hitting /tomic/status without a key is not an event, a guessed key is).
  const auditDenial = (req: FastifyRequest, code: ErrorCode) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      ctx.audit(req, actionName(req), 'denied', { code });
    } else if (code === 'AUTH_INVALID' || code === 'CSRF_INVALID') {
      ctx.audit(req, actionName(req), 'denied', { code, detail: { route: routeKey(req) } });
    }
  };

  // Callback-style hooks: these run on every request, and a promise per hook is measurable there.
  // A hook that answers sends the reply and does not call done().
  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    const key = routeKey(req);
    const control = CONTROL_ROUTES.get(key);
    if (control !== undefined) {
      const d = controlLimiter.take(req.ip);
      if (!d.allowed) {
        ctx.audit(req, control, 'rate_limited', { code: 'RATE_LIMITED' });
        reply.header('retry-after', String(Math.ceil(d.retryAfterMs / 1000)));
        sendError(reply, 'RATE_LIMITED');
        return;
      }
    }
    if (PUBLIC_ROUTES.has(key)) return done();
    const who = authenticator.identify(req);
    if (who === BODY_KEY_PENDING) {
      pendingBody.add(req);
      return done();
    }
    if ('ok' in who) {
      auditDenial(req, who.code);
      sendError(reply, who.code, who.message);
      return;
    }
    principals.set(req, who);
    done();
  });

  app.addHook('preValidation', (req, reply, done) => {
    const body = req.body;
    if (pendingBody.has(req)) {
      const who = authenticator.identifyByBody(body);
      if ('ok' in who) {
        auditDenial(req, who.code);
        sendError(reply, who.code, who.message);
        return;
      }
      principals.set(req, who);
    }
    // The key never travels further than this hook (handlers, audit details, logs).
    if (body !== null && typeof body === 'object' && 'apikey' in body) {
      delete (body as Record<string, unknown>).apikey;
    }
    done();
  });

  app.addHook('preSerialization', (_req, _reply, payload, done) =>
    done(null, maskPayload(deps.redactor, payload)),
  );

  app.setNotFoundHandler((_req, reply) => sendError(reply, 'ROUTE_NOT_FOUND'));

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    // A body that fails to parse must not reveal more to the unauthenticated than a 401.
    if (!PUBLIC_ROUTES.has(routeKey(req)) && !principals.has(req)) {
      auditDenial(req, 'AUTH_REQUIRED');
      return sendError(reply, 'AUTH_REQUIRED');
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      const message = deps.redactor.scrubString(err.message);
      const control = CONTROL_ROUTES.get(routeKey(req));
      if (control)
        ctx.audit(req, control, 'denied', { code: 'MALFORMED_MESSAGE', detail: { error: message } });
      return sendError(reply, 'MALFORMED_MESSAGE', message);
    }
    deps.logger.error({ err, route: routeKey(req) }, 'control API handler failed');
    return sendError(reply, 'INTERNAL_ERROR');
  });

  await app.register(fastifyWebsocket, { options: { maxPayload: LIVE_MAX_PAYLOAD } });

  app.get('/tomic/health', async () => ({ status: 'success' }));
  registerSessionRoutes(app, ctx);
  registerControlRoutes(app, ctx);
  registerReadRoutes(app, ctx);
  return app;
}

function actionName(req: FastifyRequest): string {
  return CONTROL_ROUTES.get(routeKey(req)) ?? routeKey(req);
}
