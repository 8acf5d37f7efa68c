import type { FastifyReply } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../contracts/index.js';

/** The one error body of the control API. */
export interface ErrorBody {
  readonly status: 'error';
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * The HTTP status of a code, from the registry. Codes that are not failures elsewhere (a stale-PCR
 * flag is 200 in the registry) still answer as failures when they end an API request.
 */
export function httpStatusOf(code: ErrorCode): number {
  const http = ERROR_CODES[code].http;
  return http >= 400 ? http : 409;
}

export function errorBody(code: ErrorCode, message?: string): ErrorBody {
  return { status: 'error', code, message: message ?? ERROR_CODES[code].message };
}

export function sendError(reply: FastifyReply, code: ErrorCode, message?: string): FastifyReply {
  return reply.code(httpStatusOf(code)).send(errorBody(code, message));
}

/** zod issues as one line, for a 400 answer that tells the caller what to fix. */
export function issuesText(err: {
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>;
}): string {
  return err.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ');
}
