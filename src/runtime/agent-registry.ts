import type { Agent, AgentContext } from '../agents/agent-base.js';
import { ExecutionAgent } from '../agents/execution/execution-agent.js';
import { JournalingAgent } from '../agents/journaling/journaling-agent.js';
import { MarketTime } from '../agents/market-time.js';
import {
  DEFAULT_VENUES,
  openAlgoRegimePorts,
  RegimeAgent,
  type RegimePorts,
} from '../agents/regime/index.js';
import { openAlgoRiskPorts, RiskAgent } from '../agents/risk/index.js';
import { tradeStatsFromJournal } from '../agents/risk/journal-stats.js';
import { OpenAlgoClient } from '../broker/index.js';
import type { Clock } from '../clock/index.js';
import type { Config } from '../config/index.js';
import type { AgentName, ErrorCode } from '../contracts/index.js';
import type { Logger } from '../log/index.js';
import { FeedManager } from '../market/index.js';
import type { Database } from '../store/index.js';
import {
  AtomicRegimeState,
  CommandStore,
  JournalStore,
  openDatabase,
  PositionBookReader,
  RegimeStateReader,
} from '../store/index.js';

export interface HostServices {
  readonly config: Config;
  requestKillSwitch(reason: string, code: ErrorCode): void;
}

/** An agent as its host runs it: the lifecycle plus what it reports to the supervisor. */
export interface HostedAgent {
  readonly agent: Agent;
  health(): Record<string, unknown>;
  /** Releases what the factory opened besides the agent (feeds, clients, databases). */
  dispose?(): Promise<void>;
}

type Factory = (ctx: AgentContext, s: HostServices) => HostedAgent;

/** Every agent the supervisor can fork, by name. One place to add an agent. */
export const AGENT_FACTORIES: Partial<Record<AgentName, Factory>> = {
  execution: (ctx, s) => {
    const agent = new ExecutionAgent(ctx, s);
    const rt = agent.runtime;
    return {
      agent,
      health: () => {
        const now = ctx.clock.monotonicMs();
        const f = s.config.freshness;
        // What the §4 gates would say right now: the underlyings, then every open position's option.
        const symbols = [...UNDERLYINGS, ...rt.book.readSnapshot().positions.map((p) => p.symbol)];
        const freshness = [...new Set(symbols)].map((symbol) => {
          const last = rt.freshness.lastTickMs(symbol);
          const maxAgeMs = UNDERLYINGS.includes(symbol) ? f.underlyingQuoteMaxAgeMs : f.optionQuoteMaxAgeMs;
          const ageMs = last === undefined ? null : Math.max(0, now - last);
          return { symbol, ageMs, maxAgeMs, stale: ageMs === null || ageMs > maxAgeMs };
        });
        return {
          ...rt.health(),
          account: rt.account() ?? null,
          ordersLastMinute: rt.breakers.ordersInWindow(now),
          placementLatenciesMs: rt.drainPlacementLatencies(),
          freshness,
        };
      },
    };
  },
  regime: (ctx, s) => {
    const { config } = s;
    const access = marketAccess(config, ctx.clock, ctx.logger, 'regime');
    const db = openDatabase(config.dataDir, 'positions');
    const opened = AtomicRegimeState.open(db, { takeover: true });
    if (!opened.ok) throw new Error(opened.message);
    const base = openAlgoRegimePorts({
      client: access.client,
      feed: access.feed,
      clock: ctx.clock,
      marketNow: () => access.market.nowMs(),
    });
    const ports: RegimePorts = {
      ...base,
      // The warm-up window is in market time: wait for the feed to say what time that is.
      history: async (...args) => {
        await access.marketTimeKnown();
        return base.history(...args);
      },
    };
    const agent = new RegimeAgent(ctx, {
      underlyings: UNDERLYINGS,
      vixSymbol: VIX_SYMBOL,
      regime: config.regime,
      freshness: config.freshness,
      ports,
      state: opened.state,
      chainIntervalMs: CHAIN_INTERVAL_MS,
    });
    return {
      agent,
      health: () => ({
        feed: access.feed.health(),
        regimes: Object.fromEntries(UNDERLYINGS.map((u) => [u, agent.latest(u)?.regime ?? null])),
      }),
      dispose: async () => {
        await access.close();
        opened.state.release();
        db.close();
      },
    };
  },
  risk: (ctx, s) => {
    const { config } = s;
    const access = marketAccess(config, ctx.clock, ctx.logger, 'risk');
    const dbs = (['commands', 'positions', 'journal'] as const).map((n) => openDatabase(config.dataDir, n));
    const [commandsDb, positionsDb, journalDb] = dbs as [Database, Database, Database];
    const commands = new CommandStore(commandsDb, {
      clock: ctx.clock,
      retry: CommandStore.retryPolicyFromConfig(config),
      leaseMs: config.commands.leaseMs,
    });
    const journal = new JournalStore(journalDb, { mode: config.mode === 'live' ? 'live' : 'paper' });
    const marketNowMs = () => access.market.nowMs();
    const ports = openAlgoRiskPorts({
      client: access.client,
      clock: ctx.clock,
      riskFreeRatePct: config.strategy.riskFreeRatePct,
      ewmaSpanDays: config.sizing.ewmaSpanDays,
      marketNowMs,
      positions: new PositionBookReader(positionsDb),
      regimes: new RegimeStateReader(positionsDb),
      commands,
      tradeStats: async () =>
        tradeStatsFromJournal(
          journal.list({ type: 'FILL', sinceWallMs: ctx.clock.wallMs() - 400 * 86_400_000, limit: 100_000 }),
          ctx.clock.wallMs(),
        ),
    });
    const agent = new RiskAgent(ctx, { config, ports, marketNowMs });
    return {
      agent,
      health: () => ({ feed: access.feed.health() }),
      dispose: async () => {
        await access.close();
        commands.close();
        for (const db of dbs) db.close();
      },
    };
  },
  journaling: (ctx, s) => {
    const agent = new JournalingAgent(ctx, s.config);
    return { agent, health: () => ({}) };
  },
};

/** Underlyings the Regime agent classifies and the Risk agent trades. */
export const UNDERLYINGS: readonly string[] = ['NIFTY', 'BANKNIFTY'];
const VIX_SYMBOL = 'INDIAVIX';
const CHAIN_INTERVAL_MS = 60_000;
const MARKET_TIME_WAIT_MS = 15_000;

/**
 * What a signal agent process opens to see the market: its own OpenAlgo client (the analytics
 * endpoint), a QUOTE feed (primary + fallback), and the market's clock read from that feed.
 */
export function marketAccess(config: Config, clock: Clock, logger: Logger, role: 'regime' | 'risk') {
  const e = config.endpoints;
  const rest = e.analyticsRest ?? e.executionRest;
  const key = e.executionApiKey;
  if (!rest || !key || !e.feedPrimaryWs) {
    throw new Error(
      `the ${role} agent needs TOMIC_EXECUTION_REST (or TOMIC_ANALYTICS_REST), its API key and TOMIC_FEED_PRIMARY_WS`,
    );
  }
  const client = new OpenAlgoClient({
    baseUrl: rest,
    apiKey: key,
    timeoutMs: e.restTimeoutMs,
    clock,
    logger,
  });
  const feed = new FeedManager({
    primaryUrl: e.feedPrimaryWs,
    ...(e.feedFallbackWs ? { fallbackUrl: e.feedFallbackWs } : {}),
    apiKey: e.feedApiKey ?? key,
    clock,
    logger,
    switchCooldownMs: config.freshness.feedSwitchCooldownMs,
  });
  const market = new MarketTime(clock);
  feed.onTick((t) => market.observe(t.lttMs, t.receivedMonoMs));
  const indices = [...UNDERLYINGS, VIX_SYMBOL].map((symbol) => ({
    symbol,
    exchange: DEFAULT_VENUES[symbol]?.index ?? 'NSE_INDEX',
  }));
  feed.subscribe(role, indices);
  feed.start();
  /** Resolves once the feed has told us the market's time (or after a bounded wait: wall time). */
  const marketTimeKnown = async (): Promise<void> => {
    const until = clock.monotonicMs() + MARKET_TIME_WAIT_MS;
    while (!market.known && clock.monotonicMs() < until) await clock.sleep(50);
  };
  return {
    client,
    feed,
    market,
    marketTimeKnown,
    close: async () => {
      await feed.stop();
      await client.close();
    },
  };
}

/** Agents the kill switch stops (signal agents); Execution and Journaling keep running. */
export const SIGNAL_AGENTS: ReadonlySet<AgentName> = new Set(['regime', 'sniper', 'volatility', 'risk']);
