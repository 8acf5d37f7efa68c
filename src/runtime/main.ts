import { AlertService } from '../alerts/index.js';
import { buildApp, listen } from '../api/index.js';
import { SystemClock } from '../clock/index.js';
import { type Config, secretValues } from '../config/index.js';
import type { AgentName } from '../contracts/index.js';
import { createLogger } from '../log/index.js';
import { migrateAll } from '../store/index.js';
import { localSecret, SECRET_FILES } from './local-secrets.js';
import { startConfiguredSimulator, withSimulator } from './sim-host.js';
import { Supervisor } from './supervisor.js';

/** The agents `npm start` runs, each in its own process, in start order. */
export const SYSTEM_AGENTS: readonly AgentName[] = ['journaling', 'execution', 'regime', 'risk'];

export interface StartOptions {
  /** Simulated market seconds per real second (embedded simulator only). */
  readonly speed?: number;
  readonly agents?: readonly AgentName[];
}

/**
 * `npm start` / `tomic start`: migrations; the embedded OpenAlgo-compatible simulator when no
 * endpoints are configured; the supervisor with each agent as its own process; the control API;
 * alerts; and the Safe Shutdown runbook on Ctrl-C / SIGTERM. Runs until stopped.
 */
export async function startSystem(config: Config, opts: StartOptions = {}): Promise<void> {
  const clock = new SystemClock();
  const apiKey = localSecret(config.dataDir, SECRET_FILES.apiKey, config.api.apiKey);
  const password = localSecret(config.dataDir, SECRET_FILES.adminPassword, config.api.adminPassword);
  const log = createLogger({
    name: 'tomic',
    level: config.logLevel,
    secrets: [...secretValues(config), apiKey.value, password.value],
  });
  const applied = migrateAll(config.dataDir);
  log.info({ applied, dataDir: config.dataDir }, 'databases migrated');

  let stopSim: (() => Promise<void>) | undefined;
  let effective: Config = config;
  if (config.embeddedSim) {
    const sim = await startConfiguredSimulator(config, opts.speed ? { speed: opts.speed } : {});
    stopSim = () => sim.stop();
    effective = withSimulator(config, sim);
    log.info(
      { rest: sim.restUrl, feeds: [sim.wsPrimaryUrl, sim.wsFallbackUrl] },
      'embedded simulator started',
    );
  }

  const agents = opts.agents ?? SYSTEM_AGENTS;
  const supervisor = await Supervisor.start({ config: effective, clock, logger: log, agents });
  supervisor.redactor.addSecret(apiKey.value);
  supervisor.redactor.addSecret(password.value);

  const alerts = new AlertService({
    clock,
    logger: log.child({ agent: 'alerts' }),
    audit: supervisor.audit,
    redactor: supervisor.redactor,
    telegram: config.telegram,
    commands: { control: supervisor.deps.control, status: () => supervisor.status() },
  });
  supervisor.deps.events.subscribe((e) => {
    if (e.event_type === 'ALERT') alerts.handle(e);
  });
  await alerts.start();

  const app = await buildApp(supervisor.deps, { apiKey: apiKey.value, adminPassword: password.value });
  const api = await listen(app, config.api);

  const where = (s: { file: string | null }, env: string) => (s.file ? `in ${s.file}` : `from ${env}`);
  process.stdout.write(
    [
      '',
      `TOMIC ${config.mode === 'sandbox' ? 'SANDBOX' : 'LIVE'} — ${config.execution.orderMode} — agents: ${agents.join(', ')} (one process each)`,
      `  broker      ${effective.endpoints.executionRest}${config.embeddedSim ? ' (embedded OpenAlgo-compatible simulator)' : ''}`,
      `  control API ${api.url}/tomic/status`,
      `  API key     ${where(apiKey, 'TOMIC_API_KEY')}; login ${config.api.adminUser} / password ${where(password, 'TOMIC_ADMIN_PASSWORD')}`,
      `  alerts      ${alerts.telegramEnabled ? 'Telegram + log' : 'log only (TOMIC_TELEGRAM_BOT_TOKEN unset)'}`,
      '  CLI         npx tomic status | positions | journal | pause | resume | kill | stop',
      '  Ctrl-C for a safe shutdown.',
      '',
    ].join('\n'),
  );
  log.info({ url: api.url, agents }, 'TOMIC running');

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    try {
      const report = await supervisor.shutdown(why);
      log.info({ steps: report.steps }, 'safe shutdown complete');
      await alerts.stop();
      await app.close();
      await supervisor.close();
      await stopSim?.();
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exitCode = 1;
    }
    process.exit();
  };
  process.once('SIGINT', () => void stop('operator signal (SIGINT)'));
  process.once('SIGTERM', () => void stop('operator signal (SIGTERM)'));
}
