import Fastify from 'fastify';
import type { Config } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { migrateAll } from '../store/index.js';

/** `npm start`: migrations, then the control endpoint. Grows into the full supervisor. */
export async function startSystem(config: Config): Promise<void> {
  const log = createLogger({ name: 'tomic', level: config.logLevel });
  const applied = migrateAll(config.dataDir);
  log.info({ applied, dataDir: config.dataDir }, 'databases migrated');
  const app = Fastify();
  app.get('/tomic/health', async () => ({ status: 'ok' }));
  app.get('/tomic/status', async () => ({
    status: 'ok',
    mode: config.mode,
    embeddedSim: config.embeddedSim,
  }));
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  log.info({ url }, `TOMIC running in ${config.mode} mode — ${url}/tomic/status`);
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
