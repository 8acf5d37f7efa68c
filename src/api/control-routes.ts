import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { type ApiContext, ok } from './context.js';
import type { Actor, ControlResult } from './deps.js';
import { issuesText, sendError } from './errors.js';
import { EmptyBody, IdParam, ReasonBody, RejectBody } from './schemas.js';

const DEFAULT_PAUSE_REASON = 'operator pause';
const DEFAULT_KILL_REASON = 'operator kill switch';
const DEFAULT_REJECT_REASON = 'rejected by operator';

/**
 * POST /tomic/start|stop|pause|resume|kill and the Semi-Auto approvals. Each is audited with its
 * outcome (ok, failed with the runtime's code, malformed, error) after it ran: the audit write must
 * never stand between the operator and a kill switch.
 */
export function registerControlRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { control, approvals } = ctx.deps;

  const action = <S extends z.ZodType>(
    path: string,
    name: string,
    schema: S,
    run: (input: z.infer<S>, by: Actor, req: FastifyRequest) => Promise<ControlResult>,
    detailOf: (input: z.infer<S>, req: FastifyRequest) => Record<string, unknown> = () => ({}),
  ) =>
    app.post(path, async (req, reply) => {
      const parsed = schema.safeParse(
        path.includes(':id') ? { ...asObject(req.body), ...asObject(req.params) } : (req.body ?? {}),
      );
      if (!parsed.success) {
        ctx.audit(req, name, 'denied', {
          code: 'MALFORMED_MESSAGE',
          detail: { error: issuesText(parsed.error) },
        });
        return sendError(reply, 'MALFORMED_MESSAGE', issuesText(parsed.error));
      }
      return respond(ctx, req, reply, name, detailOf(parsed.data, req), () =>
        run(parsed.data, ctx.actorOf(req), req),
      );
    });

  action('/tomic/start', 'start', EmptyBody, (_i, by) => control.start(by));
  action('/tomic/stop', 'stop', EmptyBody, (_i, by) => control.stop(by));
  action(
    '/tomic/pause',
    'pause',
    ReasonBody,
    (i, by) => control.pause(i.reason ?? DEFAULT_PAUSE_REASON, by),
    (i) => ({ reason: i.reason ?? DEFAULT_PAUSE_REASON }),
  );
  action('/tomic/resume', 'resume', EmptyBody, (_i, by) => control.resume(by));
  action(
    '/tomic/kill',
    'kill',
    ReasonBody,
    (i, by) => control.kill(i.reason ?? DEFAULT_KILL_REASON, by),
    (i) => ({ reason: i.reason ?? DEFAULT_KILL_REASON }),
  );
  action(
    '/tomic/orders/:id/approve',
    'approve',
    IdParam.extend(EmptyBody.shape),
    (i, by) => approvals.approve(i.id, by),
    (i) => ({ id: i.id }),
  );
  action(
    '/tomic/orders/:id/reject',
    'reject',
    IdParam.extend(RejectBody.shape),
    (i, by) => approvals.reject(i.id, i.reason ?? DEFAULT_REJECT_REASON, by),
    (i) => ({ id: i.id, reason: i.reason ?? DEFAULT_REJECT_REASON }),
  );
}

async function respond(
  ctx: ApiContext,
  req: FastifyRequest,
  reply: FastifyReply,
  name: string,
  detail: Record<string, unknown>,
  run: () => Promise<ControlResult>,
): Promise<unknown> {
  let result: ControlResult;
  try {
    result = await run();
  } catch (err) {
    ctx.deps.logger.error({ err, action: name }, `control action ${name} threw`);
    ctx.audit(req, name, 'error', { code: 'INTERNAL_ERROR', detail });
    return sendError(reply, 'INTERNAL_ERROR');
  }
  if (!result.ok) {
    ctx.audit(req, name, 'failed', { code: result.code, detail: { ...detail, message: result.message } });
    return sendError(reply, result.code, result.message);
  }
  ctx.audit(req, name, 'ok', {
    detail: { ...detail, message: result.message, ...(result.state ? { state: result.state } : {}) },
  });
  return ok({
    action: name,
    message: result.message,
    ...(result.state ? { state: result.state } : {}),
    ...(result.details ? { details: result.details } : {}),
  });
}

function asObject(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}
