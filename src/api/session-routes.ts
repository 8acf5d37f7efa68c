import type { FastifyInstance } from 'fastify';
import { EventType } from '../contracts/index.js';
import { type ApiContext, ok } from './context.js';
import { issuesText, sendError } from './errors.js';
import { LoginBody } from './schemas.js';
import { readCookie, SESSION_COOKIE, sessionCookie } from './sessions.js';

const MAX_AUDITED_USER = 64;

/** POST /tomic/login, POST /tomic/logout, GET /tomic/session and the WebSocket /tomic/live. */
export function registerSessionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { sessions } = ctx;

  app.post('/tomic/login', async (req, reply) => {
    const body = req.body as Record<string, unknown> | undefined;
    const attempted =
      typeof body?.username === 'string' && body.username.length > 0
        ? body.username.slice(0, MAX_AUDITED_USER)
        : 'unknown';
    const limit = ctx.loginLimiter.take(req.ip);
    if (!limit.allowed) {
      ctx.audit(req, 'login', 'rate_limited', { code: 'RATE_LIMITED', user: attempted });
      reply.header('retry-after', String(Math.ceil(limit.retryAfterMs / 1000)));
      return sendError(reply, 'RATE_LIMITED', 'Too many login attempts: wait and try again');
    }
    const parsed = LoginBody.safeParse(body);
    if (!parsed.success) {
      ctx.audit(req, 'login', 'denied', { code: 'MALFORMED_MESSAGE', user: attempted });
      return sendError(reply, 'MALFORMED_MESSAGE', issuesText(parsed.error));
    }
    if (!(await ctx.checkLogin(parsed.data.username, parsed.data.password))) {
      ctx.audit(req, 'login', 'denied', { code: 'AUTH_INVALID', user: attempted });
      return sendError(reply, 'AUTH_INVALID', 'Invalid username or password');
    }
    // A fresh id on every login (no session fixation); the old session, if any, ends.
    const previous = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (previous !== undefined) sessions.destroy(previous);
    const { id, session } = sessions.create(parsed.data.username);
    reply.header(
      'set-cookie',
      sessionCookie(id, { maxAgeS: sessions.ttlMs / 1000, secure: ctx.secureCookie(req) }),
    );
    ctx.audit(req, 'login', 'ok', { user: session.user });
    return ok({
      user: session.user,
      csrfToken: session.csrfToken,
      expiresInMs: sessions.remainingMs(session),
    });
  });

  app.post('/tomic/logout', async (req, reply) => {
    const p = ctx.principalOf(req);
    if (p?.kind === 'session') {
      sessions.destroy(p.sessionId);
      ctx.hub.endSession(p.sessionKey);
    }
    reply.header('set-cookie', sessionCookie('', { maxAgeS: 0, secure: ctx.secureCookie(req) }));
    ctx.audit(req, 'logout', 'ok', { detail: { kind: p?.kind ?? 'none' } });
    return ok({ loggedOut: p?.kind === 'session' });
  });

  app.get('/tomic/session', async (req) => {
    const p = ctx.principalOf(req);
    if (p?.kind !== 'session') return ok({ user: p?.user ?? 'unknown', kind: 'api-key', csrfToken: null });
    return ok({
      user: p.user,
      kind: 'session',
      csrfToken: p.session.csrfToken,
      expiresInMs: sessions.remainingMs(p.session),
    });
  });

  app.get('/tomic/live', { websocket: true }, (socket, req) => {
    const p = ctx.principalOf(req);
    const raw = (req.query as Record<string, unknown> | undefined)?.types;
    let types: Set<EventType> | null = null;
    if (typeof raw === 'string' && raw.length > 0) {
      const parsed = EventType.array().safeParse(raw.split(','));
      if (!parsed.success) {
        socket.close(1008, issuesText(parsed.error).slice(0, 120));
        return;
      }
      types = new Set(parsed.data);
    }
    const sessionId = p?.kind === 'session' ? p.sessionId : undefined;
    ctx.hub.add(socket, {
      types,
      valid: sessionId === undefined ? () => true : () => sessions.get(sessionId) !== undefined,
      sessionKey: p?.kind === 'session' ? p.sessionKey : null,
    });
  });
}
