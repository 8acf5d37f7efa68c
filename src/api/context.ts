import type { FastifyRequest } from 'fastify';
import type { ErrorCode } from '../contracts/index.js';
import type { AuditOutcome } from '../store/audit-store.js';
import type { Principal } from './auth.js';
import type { Actor, ControlDeps } from './deps.js';
import type { LiveHub } from './live.js';
import type { MovingWindowLimiter } from './rate-limiter.js';
import type { SessionStore } from './sessions.js';

/** What the route modules share, built once by buildApp. */
export interface ApiContext {
  readonly deps: ControlDeps;
  readonly sessions: SessionStore;
  readonly hub: LiveHub;
  readonly loginLimiter: MovingWindowLimiter;
  /** Constant-time check of both fields against the configured admin (always runs the KDF). */
  checkLogin(username: string, password: string): Promise<boolean>;
  principalOf(req: FastifyRequest): Principal | undefined;
  actorOf(req: FastifyRequest): Actor;
  /** Appends an audit row; a failing audit write is logged, never allowed to block the action. */
  audit(
    req: FastifyRequest,
    action: string,
    outcome: AuditOutcome,
    opts?: { code?: ErrorCode | null; detail?: Record<string, unknown>; user?: string },
  ): void;
  secureCookie(req: FastifyRequest): boolean;
}

export interface SuccessBody<T> {
  readonly status: 'success';
  readonly data: T;
}

export const ok = <T>(data: T): SuccessBody<T> => ({ status: 'success', data });
