import type { Topics } from '../../bus/index.js';
import type { OrderRequest, TomicEvent } from '../../contracts/index.js';
import { atmIv } from '../../quant/index.js';
import { type GateDenial, gateDenial, TRADING_DAYS_PER_YEAR, tightenVersionLag } from '../../safety/index.js';
import { mustReread, type PositionSnapshot } from '../../store/index.js';
import {
  BLACK_SWAN_MIN_DTE,
  blackSwanBudget,
  blackSwanLots,
  type CreditStrategyType,
  daysToExpiry,
  evaluateExit,
  parseOptionSymbol,
  type StrategyChain,
  selectBlackSwanPut,
  strategiesForRegime,
} from '../../strategy/index.js';
import { Agent, type AgentContext } from '../agent-base.js';
import { accountView } from '../execution/account-view.js';
import type { EnqueueOutcome, FundsSnapshot, RiskPorts } from './ports.js';
import {
  type AccountSnapshot,
  type MarketInputs,
  newStrategyId,
  type OpenMeta,
  openStrategiesFromBook,
  planBlackSwanBuy,
  planBlackSwanSell,
  planEntry,
  planExit,
  type RegimeUpdate,
  type RiskConfig,
} from './risk-planner.js';

/** How often open positions are checked against their exit rules. */
export const DEFAULT_EXIT_CHECK_MS = 15_000;
/** How often the Black Swan hedge is checked (it rolls monthly; hourly is plenty). */
export const DEFAULT_BLACK_SWAN_CHECK_MS = 3_600_000;
/**
 * An entry enqueued but not yet in the PositionBook blocks a second entry of the same strategy on
 * the same underlying for this long (it may wait for approval, or be rejected without a fill).
 */
export const DEFAULT_PENDING_ENTRY_TTL_MS = 900_000;
const IST_OFFSET_MS = 19_800_000;
const FAILED_STATUSES: ReadonlySet<string> = new Set(['FAILED', 'DEAD_LETTER']);
const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['DONE', 'FAILED', 'DEAD_LETTER']);

export interface RiskAgentOptions {
  readonly config: RiskConfig;
  readonly ports: RiskPorts;
  readonly exitCheckMs?: number;
  readonly blackSwanCheckMs?: number;
  readonly pendingEntryTtlMs?: number;
  /** Turn the monthly Black Swan roll off (e.g. replays of one strategy). Default on. */
  readonly blackSwan?: boolean;
  /**
   * Market "now" (epoch ms) for calendar decisions: days to expiry, the date in strategy ids. In
   * sandbox the simulator may run another date (see MarketTime); default the clock's wall time.
   */
  readonly marketNowMs?: () => number;
}

interface FundsCache {
  readonly funds: FundsSnapshot;
  /** Monotonic time of the fetch. */
  readonly asOfMs: number;
}

interface Pending {
  readonly strategyId: string;
  readonly sinceMs: number;
}

const istDate = (wallMs: number) => new Date(wallMs + IST_OFFSET_MS).toISOString().slice(0, 10);

/**
 * The plan's Risk agent (Phase 2): turns tradable regimes into sized, hedged ORDER_REQUEST groups
 * on the command table, and closes open positions when an exit rule fires.
 *
 * - REGIME_UPDATE: for each enabled strategy the regime allows (BPS ← BULLISH, BCS ← BEARISH,
 *   IC ← CONGESTION), unless that strategy is open or pending on the underlying or the underlying's
 *   entry cooldown (monotonic) has not run out: SIGNAL, then plan (strikes, §7 chain, §6 caps) and
 *   enqueue the group; a refusal is published as ORDER_DENIED with its gate and code.
 * - Funds are refreshed every `positionBook.marginRefreshMs` (30 s) and re-fetched on demand when
 *   older than `sizing.marginMaxAgeMs`; the sizing chain refuses a snapshot older than that.
 * - §8: the PositionBook snapshot is re-read whenever it is more than `maxVersionLag` (5) versions
 *   behind the book (checked on POSITION_UPDATE and before every decision).
 * - Every `exitCheckMs`, each open position is valued on a fresh chain and an EXIT group (shorts
 *   bought back first) is enqueued when a rule fires.
 * - Every `blackSwanCheckMs`, the monthly 5-delta NIFTY put is bought within its budget when no
 *   hedge covers the coming month, and an expiring one is sold.
 */
export class RiskAgent extends Agent {
  protected override readonly topics: Topics = ['REGIME_UPDATE', 'POSITION_UPDATE'];
  readonly #cfg: RiskConfig;
  readonly #ports: RiskPorts;
  readonly #exitCheckMs: number;
  readonly #blackSwanCheckMs: number;
  readonly #pendingTtlMs: number;
  readonly #blackSwanOn: boolean;
  readonly #marketNow: () => number;
  readonly #maxLag: number;
  #book: PositionSnapshot | null = null;
  #funds: FundsCache | null = null;
  #seq: number;
  readonly #lastEntryMs = new Map<string, number>();
  readonly #pending = new Map<string, Pending>();
  readonly #inFlight = new Set<string>();
  readonly #exiting = new Set<string>();
  readonly #meta = new Map<string, OpenMeta>();
  /** Last entry attempt per strategy and underlying: regime version and monotonic time. */
  readonly #attempts = new Map<string, { readonly version: number; readonly atMs: number }>();
  readonly #work = new Set<Promise<unknown>>();

  constructor(ctx: AgentContext, opts: RiskAgentOptions) {
    super(ctx);
    this.#cfg = opts.config;
    this.#ports = opts.ports;
    this.#exitCheckMs = opts.exitCheckMs ?? DEFAULT_EXIT_CHECK_MS;
    this.#blackSwanCheckMs = opts.blackSwanCheckMs ?? DEFAULT_BLACK_SWAN_CHECK_MS;
    this.#pendingTtlMs = opts.pendingEntryTtlMs ?? DEFAULT_PENDING_ENTRY_TTL_MS;
    this.#blackSwanOn = opts.blackSwan ?? true;
    this.#marketNow = opts.marketNowMs ?? (() => this.clock.wallMs());
    this.#maxLag = tightenVersionLag(opts.config.positionBook.maxVersionLag);
    // Ids must not repeat across restarts within a day: start the sequence at the IST second of day.
    this.#seq = Math.floor(((this.clock.wallMs() + IST_OFFSET_MS) % 86_400_000) / 1000);
  }

  /** Resolves when every decision started so far has finished (tests, safe shutdown). */
  async idle(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }

  /** The PositionBook snapshot decisions use, re-read when more than 5 versions behind (§8). */
  book(): PositionSnapshot {
    const current = this.#ports.positions.currentVersion();
    if (this.#book === null || mustReread(this.#book.version, current, this.#maxLag)) {
      this.#book = this.#ports.positions.readSnapshot();
    }
    return this.#book;
  }

  /** Fetches funds now; keeps the previous snapshot (which ages out) when the broker fails. */
  async refreshFunds(): Promise<boolean> {
    try {
      const funds = await this.#ports.funds.fetch();
      this.#funds = { funds, asOfMs: this.clock.monotonicMs() };
      return true;
    } catch (err) {
      this.log.warn({ err }, 'funds refresh failed; the last snapshot ages out');
      return false;
    }
  }

  protected override onEvent(event: TomicEvent): void {
    if (event.event_type === 'REGIME_UPDATE') {
      this.#track(this.considerRegime(event.payload)).catch((err: unknown) =>
        this.log.error({ err, underlying: event.payload.underlying }, 'regime decision failed'),
      );
    } else if (event.event_type === 'POSITION_UPDATE') {
      const seen = this.#book?.version ?? -1;
      if (this.#book === null || mustReread(seen, event.payload.version, this.#maxLag)) {
        this.#book = this.#ports.positions.readSnapshot();
      }
    }
  }

  protected override async run(signal: AbortSignal): Promise<void> {
    await this.refreshFunds();
    await Promise.all([
      this.#every(this.#cfg.positionBook.marginRefreshMs, signal, () => this.refreshFunds()),
      this.#every(this.#exitCheckMs, signal, async () => {
        await this.checkExits();
        // The bus is best effort: act on the regime store too, in case an update was missed.
        for (const r of Object.values(this.#ports.regimes.readSnapshot().regimes)) {
          await this.considerRegime(r);
        }
      }),
      this.#blackSwanOn
        ? this.#every(this.#blackSwanCheckMs, signal, () => this.rollBlackSwan())
        : Promise.resolve(),
    ]);
  }

  async #every(ms: number, signal: AbortSignal, fn: () => Promise<unknown>): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.clock.sleep(ms, signal);
      } catch {
        return;
      }
      await this.#track(fn()).catch((err: unknown) => this.log.error({ err }, 'risk task failed'));
    }
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#work.add(p);
    const done = () => this.#work.delete(p);
    p.then(done, done);
    return p;
  }

  #publishDenial(d: GateDenial, strategyId: string, correlationId?: string): void {
    this.publish('ORDER_DENIED', d.event, {
      strategy_id: strategyId,
      ...(correlationId !== undefined ? { correlation_id: correlationId } : {}),
    });
    this.log.info({ code: d.code, gate: d.gate, strategy_id: strategyId }, `denied: ${d.message}`);
  }

  /** Enqueues one group; a duplicate key is published as IDEMPOTENCY_SKIP. True when enqueued. */
  #enqueue(orders: readonly OrderRequest[], awaitApproval: boolean): boolean {
    const res: readonly EnqueueOutcome[] = this.#ports.commands.enqueueGroup(orders, { awaitApproval });
    const skip = res.find((r) => !r.ok);
    if (skip && !skip.ok) {
      const first = orders[0]!;
      this.publish(
        'IDEMPOTENCY_SKIP',
        { duplicate_key: skip.duplicateKey, where: 'LOCAL', existing_command_id: skip.existingId },
        { strategy_id: first.strategy_id, correlation_id: first.correlation_id },
      );
      return false;
    }
    return true;
  }

  #accountSnapshot(book: PositionSnapshot, spot: (u: string) => number | undefined): AccountSnapshot | null {
    const f = this.#funds;
    if (f === null) return null;
    return {
      account: accountView(
        this.#cfg.sizing.capital,
        {
          m2mRealized: f.funds.m2mRealized,
          m2mUnrealized: f.funds.m2mUnrealized,
          utilisedDebits: f.funds.usedMargin,
        },
        book.positions,
        spot,
      ),
      margin: { availableMargin: f.funds.availableMargin, usedMargin: f.funds.usedMargin, asOfMs: f.asOfMs },
    };
  }

  /**
   * Releases pending entries: once in the book (the open check takes over), once every command of
   * it has failed, or — when the command table cannot be asked, or its commands are done but the book
   * has not shown them — after the pending TTL. An entry still queued (e.g. awaiting Semi-Auto
   * approval) is never released by time: a second group for it could double the position.
   */
  #expirePending(): void {
    const now = this.clock.monotonicMs();
    const book = this.book();
    const sink = this.#ports.commands;
    for (const [k, p] of this.#pending) {
      if (book.positions.some((r) => r.strategy_id === p.strategyId && r.quantity !== 0)) {
        this.#pending.delete(k);
        continue;
      }
      const rows = sink.list?.({ strategyId: p.strategyId });
      if (rows !== undefined && rows.length > 0) {
        if (rows.every((r) => FAILED_STATUSES.has(r.status))) this.#pending.delete(k);
        else if (rows.some((r) => !TERMINAL_STATUSES.has(r.status))) continue;
      }
      if (now - p.sinceMs > this.#pendingTtlMs) this.#pending.delete(k);
    }
  }

  /** Acts on one regime: every enabled strategy it allows, subject to open/pending/cooldown. */
  async considerRegime(update: RegimeUpdate): Promise<void> {
    // The store is the authority (the bus is best effort): a newer stored version wins.
    const stored = this.#ports.regimes.readSnapshot().regimes[update.underlying];
    const regime = stored !== undefined && stored.version > update.version ? stored : update;
    const u = regime.underlying;
    this.#expirePending();
    const defs = strategiesForRegime(regime, this.#cfg.execution.enabledStrategies);
    for (const def of defs) {
      const key = `${def.type}:${u}`;
      if (this.#inFlight.has(key) || this.#pending.has(key)) continue;
      const open = openStrategiesFromBook(this.book()).some(
        (s) => s.strategyType === def.type && s.underlying === u,
      );
      if (open) continue;
      const last = this.#lastEntryMs.get(u);
      const now = this.clock.monotonicMs();
      const cooldown = this.#cfg.strategy.entryCooldownMs;
      if (last !== undefined && now - last < cooldown) {
        this.log.debug({ underlying: u, strategy: def.type }, 'entry cooldown running');
        continue;
      }
      // One decision per regime version: the same version (a re-delivery, or the periodic re-check
      // of the regime store) is retried only after the cooldown, so a denial is not repeated every tick.
      const tried = this.#attempts.get(key);
      if (tried !== undefined && tried.version >= regime.version && now - tried.atMs < cooldown) continue;
      this.#attempts.set(key, { version: regime.version, atMs: now });
      this.#inFlight.add(key);
      try {
        await this.#enter(def.type, regime);
      } finally {
        this.#inFlight.delete(key);
      }
    }
  }

  async #enter(type: CreditStrategyType, regime: RegimeUpdate): Promise<void> {
    const u = regime.underlying;
    const strategyId = newStrategyId(type, u, istDate(this.#marketNow()), ++this.#seq);
    const signal = this.publish(
      'SIGNAL',
      {
        underlying: u,
        strategy_type: type,
        direction:
          type === 'BULL_PUT_SPREAD' ? 'BULLISH' : type === 'BEAR_CALL_SPREAD' ? 'BEARISH' : 'NEUTRAL',
        strength: Math.min(1, Math.max(0, Math.abs(regime.score))),
        reason: `${regime.regime} regime (v${regime.version}) → ${type}`,
        regime_version: regime.version,
      },
      { strategy_id: strategyId },
    );
    const corr = signal.correlation_id;

    // §8: a funds snapshot older than its max age is never used; try once to refresh it.
    const maxAge = this.#cfg.sizing.marginMaxAgeMs;
    if (this.#funds === null || this.clock.monotonicMs() - this.#funds.asOfMs > maxAge) {
      await this.refreshFunds();
    }
    let chain: StrategyChain;
    try {
      chain = await this.#ports.chains.fetch(u, {
        minDte: this.#cfg.strategy.minDte,
        maxDte: this.#cfg.strategy.maxDte,
      });
    } catch (err) {
      this.#publishDenial(
        gateDenial('GREEKS_API_STALE', 'risk.chain', { underlying: u, error: String(err) }, {}),
        strategyId,
        corr,
      );
      return;
    }
    const book = this.book();
    const account = this.#accountSnapshot(book, (x) => (x === u ? chain.spot : undefined));
    if (account === null) {
      this.#publishDenial(
        gateDenial('SIZING_MARGIN_STALE', 'risk.funds', { reason: 'funds never read from the broker' }, {}),
        strategyId,
        corr,
      );
      return;
    }
    const market = (await this.#ports.stats.market(u).catch(() => null)) ?? this.#impliedMarket(chain);
    if (market === null) {
      this.#publishDenial(
        gateDenial(
          'SIZING_INVALID_INPUT',
          'risk.market',
          { reason: 'no EWMA volatility for the underlying' },
          {},
        ),
        strategyId,
        corr,
      );
      return;
    }
    const input = {
      opportunity: { strategyType: type, underlying: u, regime },
      chain,
      book,
      account,
      market,
      config: this.#cfg,
      strategyId,
      nowMs: this.clock.monotonicMs(),
      nowWallMs: this.#marketNow(),
      correlationId: corr,
    };
    let plan = planEntry(input);
    // The broker's spread margin, when it has one, replaces the width × lot estimate (step 8, §6).
    if (plan.ok && this.#ports.margin !== undefined) {
      const perLot = await this.#ports.margin.marginPerLot(plan.orders).catch(() => null);
      if (perLot !== null && perLot > 0) plan = planEntry({ ...input, marginPerLot: perLot });
    }
    const nowMs = input.nowMs;
    if (!plan.ok) {
      this.#publishDenial(plan, strategyId, corr);
      return;
    }
    if (this.#enqueue(plan.orders, this.#cfg.execution.orderMode === 'semi_auto')) {
      this.#lastEntryMs.set(u, nowMs);
      this.#pending.set(`${type}:${u}`, { strategyId, sinceMs: nowMs });
      this.#meta.set(strategyId, {
        entryUnderlying: plan.selection.spot,
        lotSize: plan.selection.lotSize,
        ...(plan.selection.impliedMove !== null ? { impliedMove: plan.selection.impliedMove } : {}),
      });
      this.log.info({ strategy_id: strategyId, lots: plan.lots, correlation_id: corr }, 'entry enqueued');
    }
  }

  /**
   * Without enough history for the 35-day EWMA, the chain's ATM implied volatility stands in for it,
   * de-annualised with Carver's √256: the market's own estimate of the daily move.
   */
  #impliedMarket(chain: StrategyChain): MarketInputs | null {
    const iv = atmIv(chain, {
      r: this.#cfg.strategy.riskFreeRatePct / 100,
      wallMs: this.#marketNow(),
    }).value;
    if (iv === null || !(iv.iv > 0)) return null;
    this.log.info(
      { underlying: chain.underlying, atmIv: iv.iv },
      'no EWMA volatility: using ATM implied vol',
    );
    return { ewmaDailyVol: iv.iv / Math.sqrt(TRADING_DAYS_PER_YEAR) };
  }

  /** Values every open credit position and enqueues an EXIT group for those whose rule fired. */
  async checkExits(): Promise<void> {
    // Exits act on the book as it is now: a retry must see what the last attempt already closed.
    const book = this.#ports.positions.readSnapshot();
    this.#book = book;
    const open = openStrategiesFromBook(book, (id) => this.#meta.get(id));
    const openIds = new Set(open.map((s) => s.strategyId));
    for (const id of this.#exiting) if (!openIds.has(id)) this.#exiting.delete(id);
    for (const s of open) {
      const attempt = this.#exitAttempt(s.strategyId);
      if (attempt === null) continue;
      let chain: StrategyChain;
      try {
        chain = await this.#ports.chains.fetch(s.underlying, { expiries: [s.expiry] });
      } catch (err) {
        this.log.warn({ err, strategy_id: s.strategyId }, 'no chain to value the position; retry next cycle');
        continue;
      }
      const marks: Record<string, number> = {};
      for (const e of chain.expiries) {
        for (const r of e.rows) {
          for (const q of [r.ce, r.pe]) {
            if (q?.symbol === undefined) continue;
            const bidAsk = q.bid !== undefined && q.ask !== undefined && q.bid > 0 && q.ask >= q.bid;
            const px = bidAsk ? (q.bid! + q.ask!) / 2 : q.ltp;
            if (px >= 0) marks[q.symbol] = px;
          }
        }
      }
      const lotSize = s.lotSize > 1 ? s.lotSize : (chain.lotSize ?? s.lotSize);
      const withLot = { ...s, lotSize };
      const now = this.#marketNow();
      const decision = evaluateExit(withLot, marks, chain.spot, this.#cfg.strategy, now);
      if (decision.action === 'HOLD') continue;
      const orders = planExit({
        open: withLot,
        decision,
        config: this.#cfg,
        marks,
        nowMs: this.clock.monotonicMs(),
        nowWallMs: now,
        attempt,
      });
      // Exits reduce risk: they never wait for approval.
      if (this.#enqueue(orders, false)) {
        this.#exiting.add(s.strategyId);
        this.log.info({ strategy_id: s.strategyId, reason: decision.reason, attempt }, 'exit enqueued');
      }
    }
  }

  /**
   * The next exit attempt of a position, or null while one is still queued or working. An attempt
   * that ended (rejected, dead-lettered, or filled only in part) leaves the position open in the
   * book: the next one gets new keys. Without the command table's view: one attempt per run.
   */
  #exitAttempt(strategyId: string): number | null {
    const list = this.#ports.commands.list;
    if (list === undefined) return this.#exiting.has(strategyId) ? null : 1;
    const exits = list
      .call(this.#ports.commands, { strategyId })
      .filter((r) => r.group_id?.startsWith(`${strategyId}:exit`));
    if (exits.some((r) => !TERMINAL_STATUSES.has(r.status))) return null;
    return new Set(exits.map((r) => r.group_id)).size + 1;
  }

  /** Monthly Black Swan hedge: buy the coming month's 5-delta put within budget; sell an expiring one. */
  async rollBlackSwan(): Promise<void> {
    const bs = this.#cfg.blackSwan;
    const book = this.book();
    const nowWall = this.#marketNow();
    const nowMs = this.clock.monotonicMs();
    const hedges = book.positions.filter((p) => p.strategy_id?.startsWith('BSH-') && p.quantity > 0);
    const dteOf = (symbol: string) => {
      const parsed = parseOptionSymbol(symbol);
      return parsed === null ? 0 : daysToExpiry(parsed.expiry, nowWall);
    };
    const covering = hedges.some((p) => dteOf(p.symbol) >= BLACK_SWAN_MIN_DTE);
    let chain: StrategyChain | null = null;
    if (!covering) {
      const stats = await this.#ports.stats.tradeStats();
      const budget = blackSwanBudget(stats.tradeCount, stats.rollingExpectedMonthlyProfit, bs);
      try {
        chain = await this.#ports.chains.fetch(bs.underlying, { monthly: true });
      } catch (err) {
        this.log.warn({ err }, 'no chain for the Black Swan hedge; retry next cycle');
        return;
      }
      const put = selectBlackSwanPut(
        chain,
        { putDelta: bs.putDelta, riskFreeRatePct: this.#cfg.strategy.riskFreeRatePct },
        nowWall,
      );
      const strategyId = put.ok ? `BSH-${bs.underlying}-${put.expiry.slice(0, 7).replace('-', '')}` : 'BSH';
      if (!put.ok) {
        this.#publishDenial(
          gateDenial('SIZING_INVALID_INPUT', 'black_swan.strike', { reason: put.reason }, {}, put.message),
          strategyId,
        );
        return;
      }
      const lots = blackSwanLots(budget.budget, put.price, put.lotSize);
      if (lots < 1) {
        this.#publishDenial(
          gateDenial(
            'SIZING_ZERO_LOTS',
            'black_swan.budget',
            { budget: budget.budget, basis: budget.basis, lotCost: put.price * put.lotSize },
            { symbol: put.symbol },
            'the month’s Black Swan budget does not buy one lot of the hedge put',
          ),
          strategyId,
        );
        return;
      }
      const orders = planBlackSwanBuy({
        put,
        lots,
        underlying: bs.underlying,
        strategyId,
        config: this.#cfg,
        nowMs,
        nowWallMs: nowWall,
        reason: `Black Swan hedge ${put.expiry}: ${lots} lots within ₹${budget.budget.toFixed(0)} (${budget.basis})`,
      });
      this.#enqueue(orders, this.#cfg.execution.orderMode === 'semi_auto');
    }
    // Sell last month's hedge once it no longer covers the coming month (what is left of its value).
    for (const p of hedges) {
      const dte = dteOf(p.symbol);
      if (!(dte > 0 && dte < BLACK_SWAN_MIN_DTE)) continue;
      const orders = planBlackSwanSell({
        position: p,
        lotSize: chain?.lotSize ?? 1,
        config: this.#cfg,
        nowMs,
        nowWallMs: nowWall,
      });
      this.#enqueue(orders, false);
    }
  }
}
