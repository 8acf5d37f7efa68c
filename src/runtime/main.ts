import Fastify from 'fastify';
import { ExecutionRuntime } from '../agents/execution/execution-runtime.js';
import { JournalingService } from '../agents/journaling/journaling-service.js';
import { SystemClock, type TimerHandle } from '../clock/index.js';
import { type Config, secretValues } from '../config/index.js';
import { type ErrorCode, makeEvent, type TomicEvent } from '../contracts/index.js';
import { createLogger } from '../log/index.js';
import {
  CommandOutcomeReader,
  JournalStore,
  MetricsStore,
  migrateAll,
  openDatabase,
  SystemStateStore,
} from '../store/index.js';
import { runKillSwitch, runSafeShutdown } from './runbooks.js';
import { simApiKey, startConfiguredSimulator } from './sim-host.js';
import { SupervisorMonitor } from './supervisor-monitor.js';

const MONITOR_INTERVAL_MS = 1_000;

/**
 * `npm start`: migrations, the embedded OpenAlgo-compatible simulator when no endpoints are set, the
 * Execution runtime, the Journaling sweep and the Supervisor monitor (lease reclaim, split failure,
 * daily loss → kill switch), with a status endpoint and the Safe Shutdown runbook on Ctrl-C.
 * The agents run in this one process for now; they move to their own processes with the bus.
 */
export async function startSystem(config: Config): Promise<void> {
  const clock = new SystemClock();
  const log = createLogger({ name: 'tomic', level: config.logLevel, secrets: secretValues(config) });
  const applied = migrateAll(config.dataDir);
  log.info({ applied, dataDir: config.dataDir }, 'databases migrated');

  let stopSim: (() => Promise<void>) | undefined;
  let effective = config;
  if (config.embeddedSim) {
    const sim = await startConfiguredSimulator(config);
    stopSim = () => sim.stop();
    const key = simApiKey(config).key;
    effective = Object.freeze({
      ...config,
      endpoints: Object.freeze({
        ...config.endpoints,
        feedPrimaryWs: sim.wsPrimaryUrl,
        feedFallbackWs: sim.wsFallbackUrl,
        executionRest: sim.restUrl,
        executionApiKey: key,
        analyticsRest: sim.restUrl,
      }),
    });
    log.info(
      { rest: sim.restUrl, feeds: [sim.wsPrimaryUrl, sim.wsFallbackUrl] },
      'embedded simulator started',
    );
  }

  const listeners = new Set<(e: TomicEvent) => void>();
  const publish = (e: TomicEvent) => {
    if (e.event_type === 'ALERT') log.warn({ alert: e.payload }, `[${e.payload.level}] ${e.payload.message}`);
    for (const l of listeners) l(e);
  };

  const commandsDb = openDatabase(config.dataDir, 'commands');
  const state = new SystemStateStore(commandsDb);
  const journal = new JournalStore(openDatabase(config.dataDir, 'journal'), {
    mode: config.mode === 'live' ? 'live' : 'paper',
  });
  const metrics = new MetricsStore(openDatabase(config.dataDir, 'metrics'));
  const journaling = new JournalingService(new CommandOutcomeReader(commandsDb), journal, log);
  listeners.add((e) => journaling.onEvent(e));

  let killSwitch: (reason: string, code: ErrorCode) => Promise<void> = async () => undefined;
  const execution = new ExecutionRuntime({
    config: effective,
    clock,
    logger: log.child({ agent: 'execution' }),
    publish,
    requestKillSwitch: (reason, code) => void killSwitch(reason, code),
  });
  killSwitch = async (reason, code) => {
    await runKillSwitch(
      {
        state,
        cancelAllOrders: async () => {
          const r = await execution.client.cancelAllOrders({ strategy: 'TOMIC_KILL_SWITCH' });
          return r.ok
            ? { ok: true, detail: r.data.message ?? `${r.data.canceled.length} cancelled` }
            : { ok: false, detail: r.error.message };
        },
        failQueuedCommands: (why) => execution.commands.failAllQueued(why),
        stopSignalAgents: async () => [],
        alertCritical: (c, message, details) =>
          publish(
            makeEvent(
              clock,
              'ALERT',
              { source_agent: 'supervisor' },
              { level: 'CRITICAL', code: c, message, details },
            ),
          ),
        audit: (action, outcome, detail) =>
          log.warn({ audit: { action, outcome, detail } }, `audit: ${action} ${outcome}`),
      },
      reason,
      'supervisor',
      code,
    );
  };

  const monitor = new SupervisorMonitor(
    {
      clock,
      logger: log.child({ agent: 'supervisor' }),
      state,
      breakers: execution.breakers,
      reclaimExpired: () => execution.commands.reclaimExpired(),
      checkpoint: () => execution.commands.checkpoint(),
      health: () => {
        const h = execution.feed.health();
        return {
          primaryFeedUp: h.primaryUp,
          fallbackFeedUp: h.fallbackUp,
          executionUp: true,
          consecutiveExecutionTimeouts: 0,
          feedDownSinceMs: null,
        };
      },
      account: () => execution.account(),
      killSwitch,
      onReclaimed: (n) => metrics.increment('lease_reclaims_total', n, clock.wallMs()),
    },
    {
      consecutiveTimeoutsKill: config.execution.consecutiveTimeoutsKill,
      feedSwitchCooldownMs: config.freshness.feedSwitchCooldownMs,
    },
  );

  const ac = new AbortController();
  const running = execution
    .run(ac.signal)
    .catch((err: unknown) => log.error({ err }, 'execution loop ended with an error'));
  let monitorTimer: TimerHandle | undefined;
  // The feeds need a moment to connect before their health means anything.
  const startedAt = clock.monotonicMs();
  const loop = async () => {
    try {
      journaling.sweep();
      if (clock.monotonicMs() - startedAt > config.freshness.feedSwitchCooldownMs) await monitor.tick();
    } catch (err) {
      log.error({ err }, 'supervisor tick failed');
    }
    monitorTimer = clock.setTimeout(() => void loop(), MONITOR_INTERVAL_MS);
  };
  void loop();

  const app = Fastify();
  app.get('/tomic/health', async () => ({ status: 'ok' }));
  app.get('/tomic/status', async () => ({
    status: 'ok',
    mode: config.mode,
    orderMode: config.execution.orderMode,
    embeddedSim: config.embeddedSim,
    tradingState: state.read(),
    feed: execution.feed.health(),
    commands: execution.commands.counts(),
    positions: execution.book.readSnapshot(),
    account: execution.account() ?? null,
  }));
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  log.info(
    { url },
    `TOMIC running in ${config.mode} mode — status: ${url}/tomic/status — Ctrl-C for a safe shutdown`,
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    if (monitorTimer) clock.clearTimeout(monitorTimer);
    const report = await runSafeShutdown(
      {
        stopAgents: async () => {
          ac.abort();
          await running;
          return { stopped: ['execution', 'journaling'], killed: [] };
        },
        persistPositionBook: async () => undefined, // written on every change (§8)
        flushJournal: async () => void journaling.sweep(),
        closeFeeds: async () => execution.feed.stop(),
        cancelAllOrders: async () => {
          const r = await execution.client.cancelAllOrders({ strategy: 'TOMIC_SAFE_SHUTDOWN' });
          return r.ok
            ? { ok: true, detail: r.data.message ?? 'cancelled' }
            : { ok: false, detail: r.error.message };
        },
        audit: (action, outcome, detail) =>
          log.info({ audit: { action, outcome, detail } }, `audit: ${action} ${outcome}`),
      },
      clock,
      'operator signal',
      config.agents.shutdownCycleTimeoutMs,
    );
    log.info({ steps: report.steps }, 'safe shutdown complete');
    await execution.close();
    await app.close();
    await stopSim?.();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
