import { type Exchange, OpenAlgoClient, type RateLimits } from '../../broker/index.js';
import type { Clock, TimerHandle } from '../../clock/index.js';
import type { Config } from '../../config/index.js';
import { type ErrorCode, makeEvent, Redactor, type TomicEvent } from '../../contracts/index.js';
import type { Logger } from '../../log/index.js';
import { type FeedHealth, FeedManager, type Instrument, QuoteCache } from '../../market/index.js';
import { type AccountState, CircuitBreakers, QuoteFreshness, UnhedgedTimer } from '../../safety/index.js';
import { CommandStore } from '../../store/command-store.js';
import { type Database, openDatabase } from '../../store/index.js';
import { PositionBook } from '../../store/position-book.js';
import { SystemStateStore } from '../../store/system-state.js';
import { accountView } from './account-view.js';
import { BrokerHealthTracker, type ExecutionHealth } from './broker-health.js';
import { executionGate } from './execution-gate.js';
import { type Emit, ExecutionService } from './execution-service.js';
import type { ClaimedLeg } from './group-executor.js';
import { openAlgoExecutionBroker } from './openalgo-broker.js';

/** Index underlyings stream on NSE_INDEX (WEBSOCKET.md §4); everything else on its own exchange. */
const INDEXES = new Set(['NIFTY', 'BANKNIFTY', 'FINNIFTY', 'MIDCPNIFTY', 'NIFTYNXT50', 'INDIAVIX']);
const underlyingInstrument = (u: string): Instrument => ({
  symbol: u,
  exchange: INDEXES.has(u) ? 'NSE_INDEX' : 'NSE',
});

/** How long a first subscription may take to deliver its first tick before the gate judges it. */
const FIRST_TICK_WAIT_MS = 3_000;

/** The Execution agent's health for the Supervisor: broker call health, claim loop, feeds. */
export interface ExecutionRuntimeHealth extends ExecutionHealth {
  readonly feed: FeedHealth;
}

const PLACEMENT_ROUTES: ReadonlySet<string> = new Set(['placeorder', 'placesmartorder', 'basketorder']);

export interface ExecutionRuntimeOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly publish: (e: TomicEvent) => void;
  /** Asks the Supervisor to run the kill switch (over the bus, and durably via the trading state). */
  readonly requestKillSwitch: (reason: string, code: ErrorCode) => void;
  /**
   * The client's per-route token buckets, when the OpenAlgo instance is configured with limits other
   * than its defaults (10 orders/s …); the buckets must match the broker's, never exceed them.
   */
  readonly rateLimits?: Partial<RateLimits>;
}

/**
 * Everything the Execution agent process owns, wired from config: the OpenAlgo client, a DEPTH feed
 * (primary + fallback) whose ticks feed the §4 freshness tracker, funds polling for the §6 account
 * view, the PositionBook (single writer), the unhedged timer, and the claim loop.
 */
export class ExecutionRuntime {
  readonly service: ExecutionService;
  readonly book: PositionBook;
  readonly commands: CommandStore;
  readonly client: OpenAlgoClient;
  readonly feed: FeedManager;
  readonly freshness: QuoteFreshness;
  readonly breakers: CircuitBreakers;
  readonly #cache = new QuoteCache();
  readonly #dbs: Database[] = [];
  #account: AccountState | undefined;
  #fundsTimer: TimerHandle | undefined;
  readonly #subscribed = new Set<string>();
  readonly #brokerHealth = new BrokerHealthTracker();
  #placementMs: number[] = [];

  constructor(private readonly o: ExecutionRuntimeOptions) {
    const { config, clock, logger } = o;
    const e = config.endpoints;
    if (!e.executionRest || !e.executionApiKey || !e.feedPrimaryWs) {
      throw new Error(
        'ExecutionRuntime needs TOMIC_EXECUTION_REST, TOMIC_EXECUTION_API_KEY and TOMIC_FEED_PRIMARY_WS',
      );
    }
    const redactor = new Redactor([e.executionApiKey, e.feedApiKey]);
    const emit: Emit = (type, base, payload) =>
      o.publish(makeEvent(clock, type, { source_agent: 'execution', ...base }, payload));

    const commandsDb = openDatabase(config.dataDir, 'commands');
    const positionsDb = openDatabase(config.dataDir, 'positions');
    this.#dbs.push(commandsDb, positionsDb);
    this.commands = new CommandStore(commandsDb, {
      clock,
      retry: CommandStore.retryPolicyFromConfig(config),
      leaseMs: config.commands.leaseMs,
      redactor,
      onAlert: (a) =>
        emit('ALERT', {}, { level: a.level, code: a.code, message: a.message, details: { ...a.details } }),
    });
    const opened = PositionBook.open(positionsDb, { takeover: true, log: logger });
    if (!opened.ok) throw new Error(opened.message);
    this.book = opened.book;

    this.client = new OpenAlgoClient({
      baseUrl: e.executionRest,
      apiKey: e.executionApiKey,
      timeoutMs: e.restTimeoutMs,
      clock,
      logger,
      ...(o.rateLimits ? { rateLimits: o.rateLimits } : {}),
      // Every call to the execution broker (orders, orderbook, margin, funds) counts for §14.
      onCall: (c) => {
        this.#brokerHealth.record(
          { ok: c.ok, errorClass: c.errorClass, ambiguous: c.ambiguous },
          clock.monotonicMs(),
        );
        // §13 "order placement latency": queue + wire time of each placement the broker answered.
        if (
          PLACEMENT_ROUTES.has(c.route) &&
          c.httpStatus !== undefined &&
          this.#placementMs.length < 10_000
        ) {
          this.#placementMs.push(c.ms + c.queuedMs);
        }
      },
    });
    this.freshness = new QuoteFreshness({
      underlyingQuoteMaxAgeMs: config.freshness.underlyingQuoteMaxAgeMs,
      optionQuoteMaxAgeMs: config.freshness.optionQuoteMaxAgeMs,
      feedSwitchCooldownMs: config.freshness.feedSwitchCooldownMs,
    });
    this.breakers = new CircuitBreakers({
      dailyMaxLossPct: config.breakers.dailyMaxLossPct,
      maxOrdersPerMinute: config.breakers.maxOrdersPerMinute,
      maxGrossNotionalMultiple: config.breakers.maxGrossNotionalMultiple,
      perUnderlyingMarginPct: config.breakers.perUnderlyingMarginPct,
      maxUnhedgedMs: config.breakers.maxUnhedgedMs,
    });
    this.feed = new FeedManager({
      primaryUrl: e.feedPrimaryWs,
      ...(e.feedFallbackWs ? { fallbackUrl: e.feedFallbackWs } : {}),
      apiKey: e.feedApiKey ?? e.executionApiKey,
      clock,
      logger,
      cache: this.#cache,
      switchCooldownMs: config.freshness.feedSwitchCooldownMs,
      onSwitch: (s) => {
        this.freshness.recordFeedSwitch(s.atMonoMs);
        emit('FEED_STATUS', {}, this.feed.feedStatusPayload(s.reason));
      },
    });
    this.feed.onTick((t) =>
      this.freshness.recordTick(t.symbol, t.receivedMonoMs, { depth: t.depth !== undefined }),
    );

    this.service = new ExecutionService(
      {
        clock,
        logger,
        commands: this.commands,
        broker: openAlgoExecutionBroker(this.client, config.execution.basketOrders),
        book: this.book,
        state: new SystemStateStore(commandsDb),
        timer: new UnhedgedTimer({ maxUnhedgedMs: config.breakers.maxUnhedgedMs }),
        preTrade: (legs) => this.#preTrade(legs),
        recordOrder: (n) => this.breakers.recordOrder(clock.monotonicMs(), n),
        emit,
        requestKillSwitch: (reason, code) => o.requestKillSwitch(reason, code),
        brokerHealth: this.#brokerHealth,
      },
      {
        leaseMs: config.commands.leaseMs,
        smartOrderDelayMs: config.execution.smartOrderDelayMs,
        riskReversalHedgeMs: config.execution.riskReversalHedgeMs,
        consecutiveTimeoutsKill: config.execution.consecutiveTimeoutsKill,
        pollMs: 100,
        fillTimeoutMs: 5_000,
      },
    );
  }

  /** Starts the feed, reconciles the book with the broker, refreshes funds, then runs the claim loop. */
  async run(signal: AbortSignal): Promise<void> {
    this.feed.start();
    await this.reconcileWithBroker();
    await this.#refreshFunds();
    await this.service.run(signal);
  }

  /**
   * §8 reconciliation: diff the PositionBook against the broker's positionbook, log each discrepancy,
   * adopt the broker as authority and publish the RECONCILIATION event. On startup and after recovery.
   */
  async reconcileWithBroker(): Promise<{ ok: true; discrepancies: number } | { ok: false; message: string }> {
    const r = await this.client.positionBook();
    if (!r.ok) {
      this.o.logger.error({ error: r.error.message }, 'positionbook unavailable: reconciliation postponed');
      return { ok: false, message: r.error.message };
    }
    const rows = r.data.positions
      .filter((p) => p.quantity !== 0)
      .map((p) => ({
        symbol: p.symbol,
        exchange: p.exchange,
        product: p.product,
        quantity: p.quantity,
        average_price: p.averagePrice,
      }));
    const rec = this.book.reconcile(rows);
    if (!rec.ok) {
      this.o.logger.error({ error: rec.message }, 'broker positionbook refused by the reconciliation');
      return { ok: false, message: rec.message };
    }
    this.o.publish(makeEvent(this.o.clock, 'RECONCILIATION', { source_agent: 'execution' }, rec.payload));
    return { ok: true, discrepancies: rec.payload.discrepancies.length };
  }

  /** What the Supervisor's monitor needs (§14): broker timeouts in a row, last good call, loop, feeds. */
  health(): ExecutionRuntimeHealth {
    return { ...this.service.health(), feed: this.feed.health() };
  }

  /** Placement latencies (ms) measured since the last call: the supervisor records them (§13). */
  drainPlacementLatencies(): number[] {
    const out = this.#placementMs;
    this.#placementMs = [];
    return out;
  }

  account(): AccountState | undefined {
    return this.#account;
  }

  async close(): Promise<void> {
    if (this.#fundsTimer) this.o.clock.clearTimeout(this.#fundsTimer);
    await this.feed.stop();
    await this.client.close();
    this.book.release();
    this.commands.close();
    for (const db of this.#dbs) db.close();
  }

  async #refreshFunds(): Promise<void> {
    const r = await this.client.funds();
    if (r.ok) {
      const snap = this.book.readSnapshot();
      this.#account = accountView(this.o.config.sizing.capital, r.data, snap.positions, (u) => {
        const i = underlyingInstrument(u);
        return this.#cache.get(i.symbol, i.exchange)?.ltp;
      });
    } else {
      this.o.logger.warn({ error: r.error.message }, 'funds refresh failed; keeping the last account view');
    }
    this.#fundsTimer = this.o.clock.setTimeout(
      () => void this.#refreshFunds(),
      this.o.config.positionBook.marginRefreshMs,
    );
  }

  /** Subscribes what the group trades (DEPTH for legs, QUOTE for the underlying) and waits for a first tick. */
  async #ensureSubscribed(legs: readonly ClaimedLeg[]): Promise<void> {
    const p = legs[0]!.event.payload;
    const under = underlyingInstrument(p.underlying);
    const fresh: Instrument[] = [];
    if (!this.#subscribed.has(under.symbol)) fresh.push(under);
    const legInstr = legs.map((l) => ({
      symbol: l.event.payload.symbol,
      exchange: l.event.payload.exchange as Exchange,
    }));
    const newLegs = legInstr.filter((i) => !this.#subscribed.has(i.symbol));
    if (fresh.length) this.feed.subscribe('regime', fresh);
    if (newLegs.length) this.feed.subscribe('execution', newLegs);
    for (const i of [...fresh, ...newLegs]) this.#subscribed.add(i.symbol);
    if (fresh.length === 0 && newLegs.length === 0) return;
    const deadline = this.o.clock.monotonicMs() + FIRST_TICK_WAIT_MS;
    const all = [under, ...legInstr];
    while (
      this.o.clock.monotonicMs() < deadline &&
      all.some((i) => this.freshness.lastTickMs(i.symbol) === undefined)
    ) {
      await this.o.clock.sleep(50);
    }
  }

  async #preTrade(legs: readonly ClaimedLeg[]) {
    await this.#ensureSubscribed(legs);
    const marginRequired = await this.#margin(legs);
    return executionGate(legs, {
      freshness: this.freshness,
      breakers: this.breakers,
      account: this.#account,
      marginRequired,
      nowMs: this.o.clock.monotonicMs(),
    });
  }

  /** Broker-computed margin for the group (spread benefit included); premium of the shorts if unavailable. */
  async #margin(legs: readonly ClaimedLeg[]): Promise<number> {
    const r = await this.client.margin({
      positions: legs.map((l) => ({
        symbol: l.event.payload.symbol,
        exchange: l.event.payload.exchange as Exchange,
        action: l.event.payload.action,
        quantity: l.event.payload.quantity,
        product: l.event.payload.product,
        pricetype: l.event.payload.pricetype,
        price: l.event.payload.price,
        trigger_price: l.event.payload.trigger_price,
      })),
    });
    if (r.ok) return r.data.totalMarginRequired;
    return legs
      .filter((l) => l.event.payload.action === 'SELL')
      .reduce((s, l) => s + l.event.payload.quantity * l.event.payload.expected_price, 0);
  }
}
