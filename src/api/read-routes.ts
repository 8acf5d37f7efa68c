import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type ApiContext, ok } from './context.js';
import { issuesText, sendError } from './errors.js';
import { AuditQuery, JournalQuery, OrdersQuery } from './schemas.js';

const MetricsQuery = z.object({ format: z.enum(['json', 'prometheus']).optional() }).loose();
const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** GET routes. Every body passes the masking hook of buildApp before it is serialized. */
export function registerReadRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { deps } = ctx;

  app.get('/tomic/status', async () => ok(await deps.status()));
  app.get('/tomic/positions', async () => ok(await deps.positions()));
  app.get('/tomic/orders/pending', async () => ok(await deps.approvals.list()));

  app.get('/tomic/orders', async (req, reply) => {
    const q = OrdersQuery.safeParse(req.query);
    if (!q.success) return sendError(reply, 'MALFORMED_MESSAGE', issuesText(q.error));
    return ok(await deps.orders(q.data));
  });

  app.get('/tomic/journal', async (req, reply) => {
    const q = JournalQuery.safeParse(req.query);
    if (!q.success) return sendError(reply, 'MALFORMED_MESSAGE', issuesText(q.error));
    const page = await deps.journal(q.data);
    return ok({ rows: page.rows, total: page.total, limit: q.data.limit, offset: q.data.offset });
  });

  app.get('/tomic/analytics', async () => ok(await deps.analytics()));

  app.get('/tomic/metrics', async (req, reply) => {
    const q = MetricsQuery.safeParse(req.query);
    if (!q.success) return sendError(reply, 'MALFORMED_MESSAGE', issuesText(q.error));
    const accept = (req.headers.accept ?? '').toLowerCase();
    const prometheus =
      q.data.format === 'prometheus' ||
      (q.data.format === undefined && accept.includes('text/plain') && !accept.includes('application/json'));
    const m = await deps.metrics();
    if (!prometheus) return ok(m.json);
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(deps.redactor.scrubString(m.prometheus));
  });

  app.get('/tomic/audit', async (req, reply) => {
    const q = AuditQuery.safeParse(req.query);
    if (!q.success) return sendError(reply, 'MALFORMED_MESSAGE', issuesText(q.error));
    const { rows, total } = deps.audit.list(q.data);
    return ok({ rows, total, limit: q.data.limit, offset: q.data.offset });
  });
}
