import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';

export interface Listening {
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

/**
 * Binds the control API where config.api says: 127.0.0.1 unless the operator chose otherwise (§10).
 * Port 0 picks a free port (tests, benchmarks); the answer carries the real one.
 */
export async function listen(
  app: FastifyInstance,
  api: Pick<Config['api'], 'host' | 'port'>,
): Promise<Listening> {
  await app.listen({ host: api.host, port: api.port });
  const addr = app.server.address();
  const port = addr !== null && typeof addr === 'object' ? addr.port : api.port;
  const host = api.host.includes(':') ? `[${api.host}]` : api.host;
  return { url: `http://${host}:${port}`, host: api.host, port };
}
