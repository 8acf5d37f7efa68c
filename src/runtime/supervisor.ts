import type { ControlDeps, ControlResult } from '../api/index.js';
import type { AgentStatus, OrderView, PendingOrder, StatusSnapshot } from '../api/schemas.js';
import { OpenAlgoClient } from '../broker/index.js';
import { type Bus, BusProxy, busEndpoints, EventRecorder, ZmqBus } from '../bus/index.js';
import type { Clock, TimerHandle } from '../clock/index.js';
import { type Config, secretValues } from '../config/index.js';
import {
  type AgentName,
  deny,
  type ErrorCode,
  makeEvent,
  parseEventOf,
  Redactor,
  type TomicEvent,
} from '../contracts/index.js';
import type { Logger } from '../log/index.js';
import { type AccountState, CircuitBreakers } from '../safety/index.js';
import {
  AuditStore,
  CommandStore,
  type Database,
  JournalStore,
  MetricsStore,
  openDatabase,
  PositionBookReader,
  RegimeStateReader,
  SystemStateStore,
} from '../store/index.js';
import { SIGNAL_AGENTS } from './agent-registry.js';
import { metricsOf } from './metrics-recorder.js';
import { METRICS, metricAlerts, prometheusText, readMetrics } from './observability.js';
import { ProcessManager } from './process-manager.js';
import { type RunbookReport, runKillSwitch, runSafeShutdown } from './runbooks.js';
import { SupervisorMonitor } from './supervisor-monitor.js';

const MONITOR_INTERVAL_MS = 1_000;
const METRIC_ALERT_INTERVAL_MS = 60_000;
const VERSION = '0.1.0';

export interface SupervisorOptions {
  /** The effective config (embedded simulator endpoints already filled in). */
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Agents to fork, in start order. */
  readonly agents: readonly AgentName[];
  /** Agent process entry (tests pass misbehaving fixtures). */
  readonly agentEntry?: string;
}

interface FeedHealthReport {
  active: 'primary' | 'fallback' | 'none';
  primaryUp: boolean;
  fallbackUp: boolean;
  failoversToday: number;
  failoversTotal: number;
  lastSwitchMonoMs?: number;
}

/**
 * The supervisor process (plan `supervisor`): owns the bus proxy, the trading state and the agent
 * processes; runs the monitor every second (lease reclaim, split failure, daily loss), the Kill
 * Switch and Safe Shutdown runbooks, the §13 metrics, and answers the control API (ControlDeps).
 */
export class Supervisor {
  readonly deps: ControlDeps;
  readonly redactor: Redactor;
  readonly processes: ProcessManager;
  readonly state: SystemStateStore;
  readonly commands: CommandStore;
  readonly audit: AuditStore;
  readonly #o: SupervisorOptions;
  readonly #client: OpenAlgoClient;
  readonly #dbs: Database[] = [];
  readonly #listeners = new Set<(e: TomicEvent) => void>();
  readonly #book: PositionBookReader;
  readonly #regimes: RegimeStateReader;
  readonly #journal: JournalStore;
  readonly #metrics: MetricsStore;
  readonly #breakers: CircuitBreakers;
  readonly #monitor: SupervisorMonitor;
  readonly #startedMono: number;
  #proxy: BusProxy | undefined;
  #bus: Bus | undefined;
  #recorder: EventRecorder | undefined;
  #lifecycle: StatusSnapshot['lifecycle'] = 'STOPPED';
  #monitorTimer: TimerHandle | undefined;
  #monitorOn = false;
  #lastFeed: FeedHealthReport | undefined;
  #brokerUp = true;
  #pinging = false;
  #lastMetricAlertMono = Number.NEGATIVE_INFINITY;
  #killing: Promise<void> | undefined;

  private constructor(o: SupervisorOptions) {
    this.#o = o;
    const { config, clock, logger } = o;
    this.#startedMono = clock.monotonicMs();
    this.redactor = new Redactor(secretValues(config));
    const db = (name: Parameters<typeof openDatabase>[1]) => {
      const d = openDatabase(config.dataDir, name);
      this.#dbs.push(d);
      return d;
    };
    const commandsDb = db('commands');
    this.state = new SystemStateStore(commandsDb);
    this.commands = new CommandStore(commandsDb, {
      clock,
      retry: CommandStore.retryPolicyFromConfig(config),
      leaseMs: config.commands.leaseMs,
      redactor: this.redactor,
    });
    const positionsDb = db('positions');
    this.#book = new PositionBookReader(positionsDb);
    this.#regimes = new RegimeStateReader(positionsDb);
    this.#journal = new JournalStore(db('journal'), { mode: config.mode === 'live' ? 'live' : 'paper' });
    this.#metrics = new MetricsStore(db('metrics'));
    this.audit = new AuditStore(db('audit'), { clock, redactor: this.redactor });
    this.#breakers = new CircuitBreakers({
      dailyMaxLossPct: config.breakers.dailyMaxLossPct,
      maxOrdersPerMinute: config.breakers.maxOrdersPerMinute,
      maxGrossNotionalMultiple: config.breakers.maxGrossNotionalMultiple,
      perUnderlyingMarginPct: config.breakers.perUnderlyingMarginPct,
      maxUnhedgedMs: config.breakers.maxUnhedgedMs,
    });
    const e = config.endpoints;
    if (!e.executionRest || !e.executionApiKey) {
      throw new Error('the supervisor needs TOMIC_EXECUTION_REST and TOMIC_EXECUTION_API_KEY');
    }
    this.#client = new OpenAlgoClient({
      baseUrl: e.executionRest,
      apiKey: e.executionApiKey,
      timeoutMs: e.restTimeoutMs,
      clock,
      logger,
    });
    this.processes = new ProcessManager({
      clock,
      logger: logger.child({ agent: 'supervisor' }),
      config,
      params: {
        maxRestarts: config.agents.maxRestarts,
        restartBackoffMs: config.agents.restartBackoffMs,
        heartbeatTimeoutMs: config.agents.heartbeatTimeoutMs,
      },
      cancelOpenOrders: async (reason) => {
        const r = await this.#cancelAll('TOMIC_AGENT_RECOVERY');
        this.#audit('agent_recovery_cancel_all', r.ok ? 'ok' : 'failed', { reason, detail: r.detail });
      },
      killSwitch: (reason, code) => this.killSwitch(reason, code, 'supervisor'),
      onHealth: (agent, h) => {
        if (agent !== 'execution' || !Array.isArray(h.placementLatenciesMs)) return;
        const wall = clock.wallMs();
        for (const ms of h.placementLatenciesMs) {
          if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) {
            this.#metrics.observe(METRICS.orderLatencyMs, ms, wall);
          }
        }
      },
      ...(o.agentEntry ? { entry: o.agentEntry } : {}),
    });
    this.#monitor = new SupervisorMonitor(
      {
        clock,
        logger: logger.child({ agent: 'supervisor' }),
        state: this.state,
        breakers: this.#breakers,
        reclaimExpired: () => this.commands.reclaimExpired(),
        checkpoint: () => this.commands.checkpoint(),
        // §14 judges the brokers, not our processes (a crashed agent is the restart runbook's):
        // execution = the supervisor's own ping of OpenAlgo; the feeds = the Execution agent's
        // last report, kept while that agent restarts.
        health: () => {
          const f = this.#feed();
          return {
            primaryFeedUp: f?.primaryUp ?? false,
            fallbackFeedUp: f?.fallbackUp ?? false,
            executionUp: this.#brokerUp,
            consecutiveExecutionTimeouts: 0,
            feedDownSinceMs: null,
          };
        },
        // The agent's own broker-call streak (merged by the monitor on the safe side).
        execution: () => {
          const h = this.processes.health('execution');
          if (!h || typeof h.consecutiveBrokerTimeouts !== 'number') return undefined;
          return {
            consecutiveBrokerTimeouts: h.consecutiveBrokerTimeouts,
            lastBrokerSuccessMonoMs: null,
            running: h.running === true,
          };
        },
        account: () => this.#account(),
        killSwitch: (reason, code) => this.killSwitch(reason, code, 'supervisor'),
        onReclaimed: (n) => this.#metrics.increment('lease_reclaims_total', n, clock.wallMs()),
      },
      {
        consecutiveTimeoutsKill: config.execution.consecutiveTimeoutsKill,
        feedSwitchCooldownMs: config.freshness.feedSwitchCooldownMs,
      },
    );
    this.deps = this.#controlDeps();
  }

  /** Starts the bus proxy, the event recorder and every agent process, then the monitor. */
  static async start(o: SupervisorOptions): Promise<Supervisor> {
    const s = new Supervisor(o);
    const ends = busEndpoints(o.config);
    s.#proxy = await BusProxy.start({
      xsub: ends.xsub,
      xpub: ends.xpub,
      logger: o.logger,
    });
    const bus = await ZmqBus.connect({ xsubEndpoint: ends.xsub, xpubEndpoint: ends.xpub, logger: o.logger });
    s.#bus = bus;
    s.#recorder = new EventRecorder({ bus, dataDir: o.config.dataDir, logger: o.logger });
    bus.subscribe('*', (e) => s.#onEvent(e));
    // ZeroMQ's slow joiner: nothing published before the subscription reaches the proxy arrives.
    await bus.ready();
    await s.#startAgents();
    s.#scheduleMonitor();
    return s;
  }

  /** Every event on the bus: heartbeats, metrics, then the live channel and alerts. */
  #onEvent(e: TomicEvent): void {
    if (e.event_type === 'HEARTBEAT') this.processes.heartbeat(e.payload.agent, e.payload.pid);
    for (const m of metricsOf(e)) this.#metrics.increment(m.name, m.by, this.#o.clock.wallMs());
    if (e.event_type === 'ALERT') {
      this.#o.logger.warn({ alert: e.payload }, `[${e.payload.level}] ${e.payload.message}`);
    }
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch (err) {
        this.#o.logger.error({ err }, 'event listener failed');
      }
    }
  }

  /** Publishes an event of the supervisor's own (delivered back to it through the proxy). */
  publish<T extends TomicEvent['event_type']>(
    type: T,
    payload: Extract<TomicEvent, { event_type: T }>['payload'],
  ): void {
    const event = makeEvent(this.#o.clock, type, { source_agent: 'supervisor' }, payload as never);
    this.#bus?.publish(event as TomicEvent);
  }

  async #startAgents(): Promise<void> {
    this.#lifecycle = 'STARTING';
    await this.processes.start(this.#o.agents);
    this.#lifecycle = 'RUNNING';
  }

  #scheduleMonitor(): void {
    if (this.#monitorOn) return;
    const { clock, config, logger } = this.#o;
    const loop = async () => {
      try {
        this.processes.checkHeartbeats();
        this.#pingBroker();
        // The feeds need a moment to connect before their health means anything.
        if (clock.monotonicMs() - this.#startedMono > config.freshness.feedSwitchCooldownMs) {
          await this.#monitor.tick();
        }
        this.#metricAlerts();
      } catch (err) {
        logger.error({ err }, 'supervisor tick failed');
      }
      if (this.#monitorOn) this.#monitorTimer = clock.setTimeout(() => void loop(), MONITOR_INTERVAL_MS);
    };
    this.#monitorOn = true;
    this.#monitorTimer = clock.setTimeout(() => void loop(), MONITOR_INTERVAL_MS);
  }

  #stopMonitor(): void {
    this.#monitorOn = false;
    if (this.#monitorTimer) this.#o.clock.clearTimeout(this.#monitorTimer);
  }

  #metricAlerts(): void {
    const now = this.#o.clock.monotonicMs();
    if (now - this.#lastMetricAlertMono < METRIC_ALERT_INTERVAL_MS) return;
    this.#lastMetricAlertMono = now;
    const reading = readMetrics(this.#metrics, this.#o.clock.wallMs(), this.#journal.slippageStats());
    for (const a of metricAlerts(reading, this.#o.config.observability)) {
      this.publish('ALERT', {
        level: a.level,
        code: a.code,
        message: a.message,
        details: { metric: a.metric, value: a.value, threshold: a.threshold },
      });
    }
  }

  #feed(): FeedHealthReport | undefined {
    const now = this.processes.health('execution')?.feed as FeedHealthReport | undefined;
    // A freshly (re)started agent's feeds are still connecting: "down" means nothing yet.
    const settling =
      (this.processes.uptimeMs('execution') ?? 0) < this.#o.config.freshness.feedSwitchCooldownMs;
    if (now && (now.active !== 'none' || !settling)) this.#lastFeed = now;
    return this.#lastFeed;
  }

  /** One OpenAlgo ping per tick, never two at once: §14's "execution broker up". */
  #pingBroker(): void {
    if (this.#pinging) return;
    this.#pinging = true;
    void this.#client
      .ping()
      .then((r) => {
        // Any HTTP answer below 500 means the broker is there (even a refusal).
        this.#brokerUp =
          r.ok ||
          (r.error.httpStatus !== undefined && r.error.httpStatus !== null && r.error.httpStatus < 500);
      })
      .finally(() => {
        this.#pinging = false;
      });
  }

  #account(): AccountState | undefined {
    return (this.processes.health('execution')?.account ?? undefined) as AccountState | undefined;
  }

  async #cancelAll(tag: string): Promise<{ ok: boolean; detail: string }> {
    const r = await this.#client.cancelAllOrders({ strategy: tag });
    return r.ok
      ? { ok: true, detail: r.data.message ?? `${r.data.canceled.length} cancelled` }
      : { ok: false, detail: r.error.message };
  }

  #audit(action: string, outcome: 'ok' | 'failed' | 'denied', detail: Record<string, unknown>): void {
    this.audit.record({
      user: 'supervisor',
      channel: 'system',
      action,
      outcome,
      ip: null,
      detail,
    });
  }

  /** Kill Switch runbook; concurrent requests share one run. */
  killSwitch(reason: string, code: ErrorCode, actor: string): Promise<void> {
    this.#killing ??= runKillSwitch(
      {
        state: this.state,
        cancelAllOrders: () => this.#cancelAll('TOMIC_KILL_SWITCH'),
        failQueuedCommands: (why) => this.commands.failAllQueued(why),
        stopSignalAgents: async () => {
          const signal = this.#o.agents.filter((a) => SIGNAL_AGENTS.has(a));
          const r = await this.processes.stop(signal, this.#o.config.agents.shutdownCycleTimeoutMs);
          return [...r.stopped, ...r.killed];
        },
        alertCritical: (c, message, details) =>
          this.publish('ALERT', { level: 'CRITICAL', code: c, message, details }),
        audit: (action, outcome, detail) =>
          this.#audit(action, outcome === 'ok' ? 'ok' : 'failed', detail as Record<string, unknown>),
      },
      reason,
      actor,
      code,
    )
      .then(() => undefined)
      .finally(() => {
        this.#killing = undefined;
      });
    return this.#killing;
  }

  /** Safe Shutdown runbook: agents finish their cycle, journal flushed, open orders cancelled. */
  async shutdown(reason: string): Promise<RunbookReport> {
    this.#stopMonitor();
    this.#lifecycle = 'STOPPING';
    const timeout = this.#o.config.agents.shutdownCycleTimeoutMs;
    const report = await runSafeShutdown(
      {
        // Signal agents first, so nothing new is enqueued while Execution finishes its cycle.
        stopAgents: async () => {
          const signal = this.#o.agents.filter((a) => SIGNAL_AGENTS.has(a));
          const first = await this.processes.stop(signal, timeout);
          const rest = await this.processes.stop('all', timeout);
          return { stopped: [...first.stopped, ...rest.stopped], killed: [...first.killed, ...rest.killed] };
        },
        // The PositionBook is written on every change (§8); the Execution agent released it on stop.
        persistPositionBook: async () => undefined,
        // The Journaling agent sweeps once more when it stops.
        flushJournal: async () => undefined,
        // The feeds live in the agent processes and closed with them.
        closeFeeds: async () => undefined,
        cancelAllOrders: () => this.#cancelAll('TOMIC_SAFE_SHUTDOWN'),
        audit: (action, outcome, detail) =>
          this.#audit(action, outcome === 'ok' ? 'ok' : 'failed', detail as Record<string, unknown>),
      },
      this.#o.clock,
      reason,
      timeout,
    );
    this.#lifecycle = 'STOPPED';
    return report;
  }

  /** Releases sockets and databases (after `shutdown`). */
  async close(): Promise<void> {
    this.#stopMonitor();
    this.#lifecycle = 'STOPPED';
    await this.processes.stop('all', this.#o.config.agents.shutdownCycleTimeoutMs);
    this.#recorder?.close();
    await this.#bus?.close();
    await this.#proxy?.close();
    await this.#client.close();
    for (const d of this.#dbs) d.close();
  }

  status(): StatusSnapshot {
    const { config, clock } = this.#o;
    const now = clock.monotonicMs();
    const s = this.state.read();
    const f = this.#feed();
    const exec = this.processes.health('execution');
    const account = this.#account();
    const counts = this.commands.counts();
    const lossPct = account ? (-(account.realizedPnl + account.unrealizedPnl) / account.capital) * 100 : 0;
    const ordersPerMin = Number(exec?.ordersLastMinute ?? 0);
    const freshness = Array.isArray(exec?.freshness) ? (exec.freshness as StatusSnapshot['freshness']) : [];
    return {
      version: VERSION,
      mode: config.mode,
      orderMode: config.execution.orderMode,
      embeddedSim: config.embeddedSim,
      lifecycle: this.#lifecycle,
      tradingState: { state: s.state, reason: s.reason, code: s.code, actor: s.actor, version: s.version },
      paused: isPaused(s),
      uptimeMs: Math.max(0, now - this.#startedMono),
      agents: this.processes.status() as AgentStatus[],
      feed: {
        active: f?.active ?? 'none',
        primaryUp: f?.primaryUp ?? false,
        fallbackUp: f?.fallbackUp ?? false,
        failoversToday: f?.failoversToday ?? 0,
        failoversTotal: f?.failoversTotal ?? 0,
        lastSwitchAgeMs: f?.lastSwitchMonoMs === undefined ? null : Math.max(0, now - f.lastSwitchMonoMs),
        cooldownRemainingMs:
          f?.lastSwitchMonoMs === undefined
            ? 0
            : Math.max(0, config.freshness.feedSwitchCooldownMs - (now - f.lastSwitchMonoMs)),
      },
      breakers: [
        {
          name: 'daily_loss',
          value: round(Math.max(0, lossPct)),
          threshold: config.breakers.dailyMaxLossPct,
          unit: '% of capital',
          tripped: lossPct > config.breakers.dailyMaxLossPct,
        },
        {
          name: 'order_rate',
          value: ordersPerMin,
          threshold: config.breakers.maxOrdersPerMinute,
          unit: 'orders/min',
          tripped: ordersPerMin >= config.breakers.maxOrdersPerMinute,
        },
      ],
      freshness,
      commands: counts,
      pendingApprovals: counts.AWAITING_APPROVAL ?? 0,
      regimes: Object.values(this.#regimes.readSnapshot().regimes).map((r) => ({
        underlying: r.underlying,
        regime: r.regime,
        version: r.version,
        score: r.score,
        flags: [...r.flags],
      })),
    };
  }

  #controlDeps(): ControlDeps {
    const { config, clock, logger } = this.#o;
    const ok = (message: string, details?: Record<string, unknown>): ControlResult => ({
      ok: true,
      message,
      state: this.state.read().state,
      ...(details ? { details } : {}),
    });
    return {
      clock,
      config,
      logger,
      audit: this.audit,
      redactor: this.redactor,
      control: {
        start: async () => {
          const down = this.#o.agents.filter((a) => !this.processes.isRunning(a));
          if (down.length === 0) return ok('already running');
          this.#lifecycle = 'STARTING';
          await this.processes.start(down);
          this.#lifecycle = 'RUNNING';
          this.#scheduleMonitor();
          return ok(`agents started: ${down.join(', ')}`);
        },
        stop: async () => {
          const report = await this.shutdown('operator stop');
          return ok('safe shutdown complete: agents stopped, open orders cancelled', {
            steps: report.steps,
          });
        },
        pause: async (reason, by) => {
          const s = this.state.read();
          if (s.state === 'HALTED') return deny('TRADING_HALTED');
          if (isPaused(s)) return ok('already paused');
          const t = this.state.transition('REDUCING', `operator pause: ${reason}`, by.user, {
            code: 'TRADING_PAUSED',
          });
          this.publish('TRADING_STATE', {
            state: t.current.state,
            previous: t.previous,
            reason: t.current.reason,
            code: 'TRADING_PAUSED',
          });
          return ok('trading paused: no new entries; exits still allowed');
        },
        resume: async (by) => {
          const t = this.state.transition('ACTIVE', 'operator resume', by.user, { operatorResume: true });
          if (!t.changed) return ok('already active');
          this.publish('TRADING_STATE', { state: 'ACTIVE', previous: t.previous, reason: 'operator resume' });
          // A kill switch stopped the signal agents: bring them back with trading.
          const down = this.#o.agents.filter((a) => !this.processes.isRunning(a));
          if (down.length > 0 && this.#lifecycle === 'RUNNING') await this.processes.start(down);
          return ok(`trading resumed (was ${t.previous})`);
        },
        kill: async (reason, by) => {
          if (this.state.read().state === 'HALTED') return ok('already halted');
          await this.killSwitch(reason, 'KILL_SWITCH', by.user);
          return ok('kill switch engaged: HALTED, open orders cancelled, positions left open');
        },
      },
      approvals: {
        list: () => this.#pending(),
        approve: async (id) =>
          this.commands.approve(id) ? ok(`command ${id} approved`) : deny('COMMAND_NOT_FOUND'),
        reject: async (id, reason) =>
          this.commands.reject(id, reason) ? ok(`command ${id} rejected`) : deny('COMMAND_NOT_FOUND'),
      },
      status: () => this.status(),
      positions: () => {
        const snap = this.#book.readSnapshot();
        return { version: snap.version, positions: [...snap.positions] };
      },
      orders: (f) =>
        this.commands
          .list({
            ...(f.status ? { status: f.status } : {}),
            ...(f.strategyId ? { strategyId: f.strategyId } : {}),
            limit: f.limit,
            offset: f.offset,
          })
          .map(orderView),
      journal: (q) => {
        const filter = {
          ...(q.strategyId ? { strategyId: q.strategyId } : {}),
          ...(q.type ? { type: q.type } : {}),
          ...(q.code ? { code: q.code } : {}),
          ...(q.sinceWallMs !== undefined ? { sinceWallMs: q.sinceWallMs } : {}),
        };
        const all = this.#journal.list(filter);
        return { rows: all.slice(q.offset, q.offset + q.limit), total: all.length };
      },
      analytics: () => {
        const day = clock.wallMs() - 86_400_000;
        return {
          slippage: this.#journal.slippageStats(),
          rejects_by_code: this.#journal.countByCode(day),
          commands: this.commands.counts(),
        };
      },
      metrics: async () => {
        const reading = readMetrics(this.#metrics, clock.wallMs(), this.#journal.slippageStats());
        return { json: { ...reading }, prometheus: await prometheusText(reading) };
      },
      events: {
        subscribe: (h) => {
          this.#listeners.add(h);
          return () => this.#listeners.delete(h);
        },
      },
    };
  }

  #pending(): PendingOrder[] {
    return this.commands.list({ status: 'AWAITING_APPROVAL', limit: 500 }).flatMap((row) => {
      const p = parseEventOf('ORDER_REQUEST', JSON.parse(row.payload));
      if (!p.ok) return [];
      const o = p.value.payload;
      return [
        {
          id: row.id,
          strategyId: row.strategy_id,
          groupId: row.group_id,
          leg: o.leg,
          symbol: o.symbol,
          exchange: o.exchange,
          action: o.action,
          intent: o.intent,
          quantity: o.quantity,
          pricetype: o.pricetype,
          price: o.price,
          reason: o.reason ?? null,
          createdAt: row.created_at,
        },
      ];
    });
  }
}

function isPaused(s: { state: string; code: string | null }): boolean {
  return s.state === 'REDUCING' && s.code === 'TRADING_PAUSED';
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function orderView(row: import('../store/index.js').CommandRow): OrderView {
  let leg: string | null = null;
  let symbol: string | null = null;
  let action: string | null = null;
  let quantity: number | null = null;
  try {
    const p = JSON.parse(row.payload) as { payload?: Record<string, unknown> };
    leg = typeof p.payload?.leg === 'string' ? p.payload.leg : null;
    symbol = typeof p.payload?.symbol === 'string' ? p.payload.symbol : null;
    action = typeof p.payload?.action === 'string' ? p.payload.action : null;
    quantity = typeof p.payload?.quantity === 'number' ? p.payload.quantity : null;
  } catch {
    // A row that fails to parse is still listed, without its leg details.
  }
  return {
    id: row.id,
    status: row.status,
    strategy_id: row.strategy_id,
    group_id: row.group_id,
    idempotency_key: row.idempotency_key,
    leg,
    symbol,
    action,
    quantity,
    attempt_count: row.attempt_count,
    max_attempts: row.max_attempts,
    last_error: row.last_error,
    error_class: row.error_class,
    broker_order_id: row.broker_order_id,
    created_at: row.created_at,
    processed_at: row.processed_at,
  };
}
