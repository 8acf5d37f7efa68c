import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionRuntime } from '../../../../src/agents/execution/execution-runtime.js';
import { OpenAlgoClient, toExpiryInput } from '../../../../src/broker/index.js';
import { realDelay, SystemClock } from '../../../../src/clock/index.js';
import { type Config, loadConfig } from '../../../../src/config/index.js';
import {
  type ErrorCode,
  makeEvent,
  type OrderRequest,
  type OrderRequestPayload,
  type TomicEvent,
} from '../../../../src/contracts/index.js';
import { silentLogger } from '../../../../src/log/index.js';
import { type RunbookReport, runKillSwitch } from '../../../../src/runtime/runbooks.js';
import { type MonitorTick, SupervisorMonitor } from '../../../../src/runtime/supervisor-monitor.js';
import { CircuitBreakers } from '../../../../src/safety/index.js';
import { type SimulatorOptions, startSimulator } from '../../../../src/sim/index.js';
import { CommandStore } from '../../../../src/store/command-store.js';
import { type Database, openDatabase } from '../../../../src/store/index.js';
import { SystemStateStore } from '../../../../src/store/system-state.js';

export type Sim = Awaited<ReturnType<typeof startSimulator>>;

/** Polls `cond` every 20 ms of real time (generous limit: the tests must not depend on machine speed). */
export async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const clock = new SystemClock();
  const end = clock.monotonicMs() + ms;
  while (!cond()) {
    if (clock.monotonicMs() > end) throw new Error(`timed out waiting for: ${what}`);
    await realDelay(20);
  }
}

export interface HarnessOptions {
  readonly sim?: SimulatorOptions;
  /** TOMIC_* overrides (validated by loadConfig against the plan's bounds). */
  readonly env?: Record<string, string>;
}

export interface KillRecord {
  readonly reason: string;
  readonly code: ErrorCode;
  readonly atMonoMs: number;
  readonly report: RunbookReport;
}

/**
 * The Execution agent (ExecutionRuntime) against the OpenAlgo-compatible simulator over real HTTP and
 * WebSocket, with real SQLite in a temp dir, and the Supervisor's side as the Supervisor wires it: a
 * SupervisorMonitor whose health is the execution agent's feed report + an OpenAlgo ping, merged with
 * the agent's own broker health, and whose kill switch is the Kill Switch runbook over its own client.
 * The Risk agent's side is a second CommandStore on the same database.
 */
export class SimHarness {
  readonly clock = new SystemClock();
  readonly events: TomicEvent[] = [];
  readonly kills: KillRecord[] = [];
  readonly agentKillRequests: Array<{ reason: string; code: ErrorCode }> = [];
  readonly alerts: Array<{ code: ErrorCode; message: string }> = [];
  readonly audits: Array<{ action: string; outcome: string }> = [];
  readonly #ac = new AbortController();
  readonly #dbs: Database[] = [];
  #running: Promise<void> | undefined;
  #monitorLoop: Promise<void> | undefined;
  /** The Supervisor's view of the execution broker: its last ping answered. */
  brokerUp = true;
  #pinging = false;
  #stopped = false;

  private constructor(
    readonly sim: Sim,
    readonly config: Config,
    readonly dataDir: string,
    readonly runtime: ExecutionRuntime,
    /** The Risk agent's view of the command table (enqueue) and the Supervisor's (reclaim, fail queued). */
    readonly commands: CommandStore,
    readonly state: SystemStateStore,
    /** The Supervisor's own OpenAlgo client (ping, cancelallorder) and the test's (chains, checks). */
    readonly client: OpenAlgoClient,
    readonly monitor: SupervisorMonitor,
  ) {}

  static async start(o: HarnessOptions = {}): Promise<SimHarness> {
    const sim = await startSimulator({ source: 'generator', seed: 11, ...o.sim });
    const dataDir = mkdtempSync(join(tmpdir(), 'tomic-drill-'));
    const cfg = loadConfig({
      envFile: null,
      env: {
        TOMIC_DATA_DIR: dataDir,
        TOMIC_FEED_PRIMARY_WS: sim.wsPrimaryUrl,
        TOMIC_FEED_FALLBACK_WS: sim.wsFallbackUrl,
        TOMIC_EXECUTION_REST: sim.restUrl,
        TOMIC_EXECUTION_API_KEY: sim.apiKey,
        ...o.env,
      },
    });
    if (!cfg.ok) {
      await sim.stop();
      throw new Error(cfg.errors.join('; '));
    }
    const config = cfg.config;
    const clock = new SystemClock();
    let self: SimHarness | undefined;
    const runtime = new ExecutionRuntime({
      config,
      clock,
      logger: silentLogger(),
      publish: (e) => self?.events.push(e),
      // The agent's own request is recorded, not acted on: the drill proves the Supervisor halts.
      requestKillSwitch: (reason, code) => self?.agentKillRequests.push({ reason, code }),
    });
    const db = openDatabase(dataDir, 'commands');
    const commands = new CommandStore(db, {
      clock,
      retry: CommandStore.retryPolicyFromConfig(config),
      leaseMs: config.commands.leaseMs,
    });
    const state = new SystemStateStore(db);
    const client = new OpenAlgoClient({
      baseUrl: sim.restUrl,
      apiKey: sim.apiKey,
      timeoutMs: config.endpoints.restTimeoutMs,
      clock,
    });
    const monitor = new SupervisorMonitor(
      {
        clock,
        logger: silentLogger(),
        state,
        breakers: new CircuitBreakers({
          dailyMaxLossPct: config.breakers.dailyMaxLossPct,
          maxOrdersPerMinute: config.breakers.maxOrdersPerMinute,
          maxGrossNotionalMultiple: config.breakers.maxGrossNotionalMultiple,
          perUnderlyingMarginPct: config.breakers.perUnderlyingMarginPct,
          maxUnhedgedMs: config.breakers.maxUnhedgedMs,
        }),
        reclaimExpired: () => commands.reclaimExpired(),
        checkpoint: () => commands.checkpoint(),
        // As the Supervisor: feeds from the Execution agent's report, execution from its own ping.
        health: () => {
          const f = runtime.feed.health();
          return {
            primaryFeedUp: f.primaryUp,
            fallbackFeedUp: f.fallbackUp,
            executionUp: self ? self.brokerUp : true,
            consecutiveExecutionTimeouts: 0,
            feedDownSinceMs: f.active === 'fallback' ? (f.lastSwitchMonoMs ?? null) : null,
          };
        },
        execution: () => runtime.health(),
        account: () => runtime.account(),
        killSwitch: async (reason, code) => {
          const report = await runKillSwitch(
            {
              state,
              cancelAllOrders: async () => {
                const r = await client.cancelAllOrders({ strategy: 'TOMIC_KILL_SWITCH' });
                return r.ok
                  ? { ok: true, detail: `${r.data.canceled.length} cancelled` }
                  : { ok: false, detail: r.error.message };
              },
              failQueuedCommands: (why) => commands.failAllQueued(why),
              stopSignalAgents: async () => [],
              alertCritical: (c, message) => self?.alerts.push({ code: c, message }),
              audit: (action, outcome) => self?.audits.push({ action, outcome }),
            },
            reason,
            'supervisor',
            code,
          );
          self?.kills.push({ reason, code, atMonoMs: clock.monotonicMs(), report });
        },
      },
      {
        consecutiveTimeoutsKill: config.execution.consecutiveTimeoutsKill,
        feedSwitchCooldownMs: config.freshness.feedSwitchCooldownMs,
      },
    );
    self = new SimHarness(sim, config, dataDir, runtime, commands, state, client, monitor);
    self.#dbs.push(db);
    self.#running = runtime.run(self.#ac.signal);
    return self;
  }

  /**
   * The Supervisor's monitor loop (ping + tick every `everyMs`). Started once the feeds are up, as the
   * Supervisor waits for them to connect before their health means anything.
   */
  startMonitor(everyMs = 100): void {
    this.#monitorLoop ??= this.#loop(everyMs);
  }

  /** One Supervisor monitor cycle: the OpenAlgo ping (awaited here), then the monitor tick. */
  async tick(): Promise<MonitorTick> {
    await this.#ping();
    return this.monitor.tick();
  }

  async #loop(everyMs: number): Promise<void> {
    while (!this.#stopped) {
      try {
        void this.#ping();
        await this.monitor.tick();
      } catch {
        // A failed tick is logged by the Supervisor and retried next second; here the next loop.
      }
      await realDelay(everyMs);
    }
  }

  async #ping(): Promise<void> {
    if (this.#pinging) return;
    this.#pinging = true;
    try {
      const r = await this.client.ping();
      this.brokerUp = r.ok || (r.error.httpStatus !== undefined && r.error.httpStatus < 500);
    } finally {
      this.#pinging = false;
    }
  }

  /** Waits until both feeds are connected and the active one has delivered ticks for `symbols`. */
  async feedsReady(symbols: Array<{ symbol: string; exchange: string }>): Promise<void> {
    this.runtime.feed.subscribe(
      'regime',
      symbols.filter((s) => s.exchange !== 'NFO'),
    );
    this.runtime.feed.subscribe(
      'execution',
      symbols.filter((s) => s.exchange === 'NFO'),
    );
    await until(() => {
      const h = this.runtime.feed.health();
      return (
        h.active === 'primary' &&
        h.primaryUp &&
        h.fallbackUp &&
        symbols.every((s) => this.runtime.freshness.lastTickMs(s.symbol) !== undefined)
      );
    }, 'both feeds connected and ticking');
  }

  ofType<T extends TomicEvent['event_type']>(type: T): Array<Extract<TomicEvent, { event_type: T }>> {
    return this.events.filter((e): e is Extract<TomicEvent, { event_type: T }> => e.event_type === type);
  }

  /** Simulator orders carrying `tag` (our idempotency keys start with the strategy id). */
  simOrders(tag: string) {
    return this.sim.orders().filter((o) => String(o.strategy ?? '').includes(tag));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#ac.abort();
    this.sim.faults.clear();
    await this.#running?.catch(() => undefined);
    await this.#monitorLoop?.catch(() => undefined);
    await this.runtime.close();
    await this.client.close();
    this.commands.close();
    for (const db of this.#dbs) db.close();
    await this.sim.stop();
  }
}

type ChainRow = {
  strike: number;
  ce?: { symbol: string; ltp?: number | undefined; lotSize?: number | undefined } | undefined;
  pe?: { symbol: string; ltp?: number | undefined; lotSize?: number | undefined } | undefined;
};

/** The nearest NIFTY option chain through OpenAlgo's own endpoints (expiry, optionchain). */
export async function niftyChain(
  client: OpenAlgoClient,
): Promise<{ rows: ChainRow[]; atm: number; expiry: string }> {
  const expiries = await client.expiry({ symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'options' });
  if (!expiries.ok) throw new Error(expiries.error.message);
  const chain = await client.optionChain({
    underlying: 'NIFTY',
    exchange: 'NSE_INDEX',
    expiry_date: toExpiryInput(expiries.data[0]!)!,
    strike_count: 15,
  });
  if (!chain.ok) throw new Error(chain.error.message);
  const rows = chain.data.chain as ChainRow[];
  const atm = rows.findIndex((r) => r.strike === chain.data.atmStrike);
  return { rows, atm, expiry: String(expiries.data[0]) };
}

type LegSpec = {
  name: string;
  row: ChainRow;
  type: 'CE' | 'PE';
  action: 'BUY' | 'SELL';
  role: OrderRequestPayload['group']['role'];
  pair?: string;
};

/** ORDER_REQUESTs for one group, as the Risk agent enqueues them. */
export function groupOf(
  clock: SystemClock,
  strategyId: string,
  groupId: string,
  strategyType: OrderRequestPayload['group']['strategy_type'],
  specs: readonly LegSpec[],
  over: Partial<OrderRequestPayload> = {},
): OrderRequest[] {
  return specs.map((s, i) => {
    const q = s.type === 'CE' ? s.row.ce! : s.row.pe!;
    const lot = q.lotSize ?? 65;
    return makeEvent(
      clock,
      'ORDER_REQUEST',
      { source_agent: 'risk', strategy_id: strategyId },
      {
        leg: s.name,
        action: s.action,
        intent: 'ENTRY',
        symbol: q.symbol,
        exchange: 'NFO',
        underlying: 'NIFTY',
        quantity: lot,
        lot_size: lot,
        pricetype: 'MARKET',
        product: 'NRML',
        price: 0,
        trigger_price: 0,
        option_type: s.type,
        strike: s.row.strike,
        group: {
          group_id: groupId,
          strategy_type: strategyType,
          leg_count: specs.length,
          leg_index: i,
          role: s.role,
          ...(s.pair ? { pair_leg: s.pair } : {}),
        },
        expected_price: q.ltp ?? 0,
        ...over,
      },
    );
  });
}

/** A one-lot bull put spread: short `off` strikes below the money, hedge `width` strikes further. */
export function bullPutSpread(
  clock: SystemClock,
  chain: { rows: ChainRow[]; atm: number },
  strategyId: string,
  off = 2,
  width = 3,
): OrderRequest[] {
  const short = chain.rows[chain.atm - off]!;
  const long = chain.rows[chain.atm - off - width]!;
  return groupOf(clock, strategyId, `${strategyId}:entry`, 'BULL_PUT_SPREAD', [
    { name: 'long_put', row: long, type: 'PE', action: 'BUY', role: 'HEDGE', pair: 'short_put' },
    { name: 'short_put', row: short, type: 'PE', action: 'SELL', role: 'SHORT', pair: 'long_put' },
  ]);
}

/** A one-lot iron condor: shorts `off` strikes out on each side, wings `width` further. */
export function ironCondor(
  clock: SystemClock,
  chain: { rows: ChainRow[]; atm: number },
  strategyId: string,
  groupId: string,
  off = 2,
  width = 2,
): OrderRequest[] {
  const r = chain.rows;
  const a = chain.atm;
  return groupOf(clock, strategyId, groupId, 'IRON_CONDOR', [
    {
      name: 'long_put',
      row: r[a - off - width]!,
      type: 'PE',
      action: 'BUY',
      role: 'HEDGE',
      pair: 'short_put',
    },
    { name: 'short_put', row: r[a - off]!, type: 'PE', action: 'SELL', role: 'SHORT', pair: 'long_put' },
    {
      name: 'long_call',
      row: r[a + off + width]!,
      type: 'CE',
      action: 'BUY',
      role: 'HEDGE',
      pair: 'short_call',
    },
    { name: 'short_call', row: r[a + off]!, type: 'CE', action: 'SELL', role: 'SHORT', pair: 'long_call' },
  ]);
}

/** Symbols a group trades plus its underlying, for feed subscriptions. */
export function instrumentsOf(legs: readonly OrderRequest[]): Array<{ symbol: string; exchange: string }> {
  return [
    { symbol: 'NIFTY', exchange: 'NSE_INDEX' },
    ...legs.map((l) => ({ symbol: l.payload.symbol, exchange: l.payload.exchange })),
  ];
}
