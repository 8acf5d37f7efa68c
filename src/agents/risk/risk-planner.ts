import type { Clock } from '../../clock/index.js';
import type { Config } from '../../config/index.js';
import {
  type Action,
  type ErrorCode,
  type LegRole,
  makeEvent,
  type OrderIntent,
  type OrderRequest,
  type OrderRequestPayload,
  type PayloadOf,
  type PositionRow,
  type StrategyType,
} from '../../contracts/index.js';
import {
  type AccountState,
  CircuitBreakers,
  type GateDenial,
  gateDenial,
  type MarginSnapshot,
  PLAN_LIMITS,
  runSizingChain,
  type SizingInput,
  type SizingStep,
} from '../../safety/index.js';
import type { PositionSnapshot } from '../../store/index.js';
import {
  type BlackSwanPut,
  type CreditStrategyType,
  type ExitDecision,
  entryAllowed,
  isCreditStrategy,
  type LegName,
  type LegSelection,
  type OpenLeg,
  type OpenStrategy,
  parseOptionSymbol,
  STRATEGIES,
  type StrategyChain,
  selectLegs,
} from '../../strategy/index.js';

export type RegimeUpdate = PayloadOf<'REGIME_UPDATE'>;

/** The config sections the Risk agent reads. */
export type RiskConfig = Pick<
  Config,
  'strategy' | 'sizing' | 'breakers' | 'execution' | 'positionBook' | 'blackSwan' | 'freshness'
>;

/** §6/§7 view of the account: the breakers' AccountState plus the funds snapshot step 8 sizes against. */
export interface AccountSnapshot {
  readonly account: AccountState;
  readonly margin: MarginSnapshot;
}

/** Market statistics the sizing chain needs beyond the chain itself. */
export interface MarketInputs {
  /** 35-day EWMA daily volatility of the underlying, fraction per day (§7 step 1). */
  readonly ewmaDailyVol: number;
  /** India VIX; defaults to the regime's VIX, else 0. */
  readonly vix?: number;
  /** Highest correlation with the open book (§7 step 5); default 0. */
  readonly correlation?: number;
}

/** Win rate and reward/risk for the half-Kelly step; derived from the spread when absent. */
export interface EdgeEstimate {
  readonly winRate: number;
  readonly rewardRisk: number;
}

export interface Opportunity {
  readonly strategyType: CreditStrategyType;
  readonly underlying: string;
  /** The REGIME_UPDATE payload the decision rests on (its version goes on every order). */
  readonly regime: RegimeUpdate;
}

export interface EntryPlanInput {
  readonly opportunity: Opportunity;
  readonly chain: StrategyChain;
  readonly book: PositionSnapshot;
  readonly account: AccountSnapshot;
  readonly market: MarketInputs;
  readonly config: RiskConfig;
  /** Unique per opened position, stable for its exit, e.g. `BPS-NIFTY-20260105-1`. */
  readonly strategyId: string;
  /** Monotonic now (margin age, breakers). */
  readonly nowMs: number;
  /** Wall now (days to expiry, event timestamps). */
  readonly nowWallMs: number;
  readonly correlationId?: string;
  readonly edge?: EdgeEstimate;
  /** Margin one lot of the whole spread blocks, from the broker's margin API; else width × lot size. */
  readonly marginPerLot?: number;
}

/** A refusal: the gate's ORDER_DENIED payload, and the sizing trace so far (empty before step 1). */
export type PlanDenied = GateDenial & { readonly trace: readonly SizingStep[] };

export type EntryPlan =
  | {
      readonly ok: true;
      readonly strategyId: string;
      readonly groupId: string;
      readonly lots: number;
      readonly quantity: number;
      readonly orders: readonly OrderRequest[];
      readonly selection: Extract<LegSelection, { ok: true }>;
      readonly trace: readonly SizingStep[];
    }
  | PlanDenied;

const NO_TRACE: readonly SizingStep[] = Object.freeze([]);

function denied(
  code: ErrorCode,
  gate: string,
  details: Record<string, unknown>,
  message: string,
  trace: readonly SizingStep[] = NO_TRACE,
): PlanDenied {
  return { ...gateDenial(code, gate, details, {}, message), trace };
}

/** makeEvent wants a Clock; planning only reads the wall time it was handed. */
function frozenClock(monoMs: number, wallMs: number): Clock {
  const noTimers = (): never => {
    throw new Error('the planner keeps no timers');
  };
  return {
    monotonicMs: () => monoMs,
    wallMs: () => wallMs,
    setTimeout: noTimers,
    clearTimeout: noTimers,
    sleep: noTimers,
  };
}

const CODE_TO_TYPE: Readonly<Record<string, CreditStrategyType>> = Object.freeze(
  Object.fromEntries(Object.values(STRATEGIES).map((d) => [d.code, d.type])),
);

/** `BPS-NIFTY-20260105-1` → BULL_PUT_SPREAD; null for ids this planner did not issue. */
export function strategyTypeOfId(strategyId: string): CreditStrategyType | null {
  return CODE_TO_TYPE[strategyId.split('-')[0] ?? ''] ?? null;
}

/** Strategy id of a new position: `{code}-{underlying}-{YYYYMMDD}-{seq}`. */
export function newStrategyId(
  type: CreditStrategyType,
  underlying: string,
  istDate: string,
  seq: number,
): string {
  return `${STRATEGIES[type].code}-${underlying}-${istDate.replaceAll('-', '')}-${seq}`;
}

/** Open positions (§7 step 7): one per open strategy id; rows without one count per symbol. */
export function countOpenPositions(positions: readonly PositionRow[]): number {
  const ids = new Set<string>();
  for (const p of positions) {
    if (p.quantity === 0) continue;
    ids.add(p.strategy_id ?? `symbol:${p.exchange}:${p.symbol}:${p.product}`);
  }
  return ids.size;
}

const LEG_SHAPE: Readonly<
  Record<LegName, { role: 'SHORT' | 'HEDGE'; optionType: 'CE' | 'PE'; pair: LegName }>
> = {
  short_put: { role: 'SHORT', optionType: 'PE', pair: 'long_put' },
  long_put: { role: 'HEDGE', optionType: 'PE', pair: 'short_put' },
  short_call: { role: 'SHORT', optionType: 'CE', pair: 'long_call' },
  long_call: { role: 'HEDGE', optionType: 'CE', pair: 'short_call' },
};

export interface OpenMeta {
  readonly entryUnderlying?: number;
  readonly impliedMove?: number;
  readonly lotSize?: number;
}

/**
 * The credit positions this planner opened, rebuilt from the PositionBook (the authority): rows
 * grouped by strategy id, legs read from the leg name and the option symbol. `meta` adds what the
 * book does not hold (entry underlying and implied move for the dynamic stop, lot size).
 */
export function openStrategiesFromBook(
  book: PositionSnapshot,
  meta: (strategyId: string, underlying: string) => OpenMeta | undefined = () => undefined,
): OpenStrategy[] {
  const byId = new Map<string, PositionRow[]>();
  for (const p of book.positions) {
    if (p.quantity === 0 || p.strategy_id === undefined) continue;
    if (strategyTypeOfId(p.strategy_id) === null) continue;
    const rows = byId.get(p.strategy_id) ?? [];
    rows.push(p);
    byId.set(p.strategy_id, rows);
  }
  const out: OpenStrategy[] = [];
  for (const [strategyId, rows] of byId) {
    const type = strategyTypeOfId(strategyId)!;
    const legs: OpenLeg[] = [];
    let expiry: string | undefined;
    let underlying: string | undefined;
    for (const r of rows) {
      const shape = r.leg !== undefined ? LEG_SHAPE[r.leg as LegName] : undefined;
      const parsed = parseOptionSymbol(r.symbol);
      if (shape === undefined || parsed === null) continue;
      // A short leg is held short (negative), a hedge long; anything else is not this leg any more.
      if (shape.role === 'SHORT' ? r.quantity >= 0 : r.quantity <= 0) continue;
      expiry ??= parsed.expiry;
      underlying ??= r.underlying ?? parsed.underlying;
      legs.push({
        name: r.leg as LegName,
        role: shape.role,
        optionType: shape.optionType,
        strike: parsed.strike,
        symbol: r.symbol,
        quantity: Math.abs(r.quantity),
        entryPrice: r.average_price,
        pairLeg: shape.pair,
      });
    }
    if (legs.length === 0 || expiry === undefined || underlying === undefined) continue;
    const m = meta(strategyId, underlying);
    const exchange = rows[0]!.exchange;
    out.push({
      strategyId,
      strategyType: type,
      underlying,
      exchange,
      expiry,
      lotSize: m?.lotSize ?? 1,
      legs,
      ...(m?.entryUnderlying !== undefined ? { entryUnderlying: m.entryUnderlying } : {}),
      ...(m?.impliedMove !== undefined ? { impliedMove: m.impliedMove } : {}),
    });
  }
  return out.sort((a, b) => (a.strategyId < b.strategyId ? -1 : a.strategyId > b.strategyId ? 1 : 0));
}

interface LegOrder {
  readonly leg: string;
  readonly action: Action;
  readonly role: LegRole;
  readonly pairLeg?: string;
  readonly symbol: string;
  readonly optionType: 'CE' | 'PE';
  readonly strike: number;
  readonly expiry: string;
  readonly quantity: number;
  readonly expectedPrice: number;
}

function buildGroup(
  clock: Clock,
  base: {
    strategyId: string;
    groupId: string;
    strategyType: StrategyType;
    intent: OrderIntent;
    underlying: string;
    exchange: string;
    lotSize: number;
    product: OrderRequestPayload['product'];
    correlationId?: string;
    reason: string;
    trace?: readonly SizingStep[];
    regimeVersion?: number;
  },
  legs: readonly LegOrder[],
): OrderRequest[] {
  return legs.map((l, i) =>
    makeEvent(
      clock,
      'ORDER_REQUEST',
      {
        source_agent: 'risk',
        strategy_id: base.strategyId,
        ...(base.correlationId !== undefined ? { correlation_id: base.correlationId } : {}),
      },
      {
        leg: l.leg,
        action: l.action,
        intent: base.intent,
        symbol: l.symbol,
        exchange: base.exchange,
        underlying: base.underlying,
        quantity: l.quantity,
        lot_size: base.lotSize,
        pricetype: 'MARKET',
        product: base.product,
        price: 0,
        trigger_price: 0,
        option_type: l.optionType,
        strike: l.strike,
        expiry: l.expiry,
        group: {
          group_id: base.groupId,
          strategy_type: base.strategyType,
          leg_count: legs.length,
          leg_index: i,
          role: l.role,
          ...(l.pairLeg !== undefined ? { pair_leg: l.pairLeg } : {}),
        },
        expected_price: l.expectedPrice,
        ...(base.trace !== undefined ? { sizing_trace: base.trace.map((s) => ({ ...s })) } : {}),
        ...(base.regimeVersion !== undefined ? { regime_version: base.regimeVersion } : {}),
        reason: base.reason,
      },
    ),
  );
}

/**
 * Plans the entry of one credit strategy: regime and enablement checks, strike selection, the §7
 * 8-step sizing chain, the §6 caps on the sized group, then one ORDER_REQUEST per leg (hedges
 * first) with keys `{strategy_id}:{leg}:{action}`, the full sizing trace and the regime version.
 * Any refusal returns a denial (code, gate, message) and no orders.
 */
export function planEntry(input: EntryPlanInput): EntryPlan {
  const { opportunity: o, config, chain } = input;
  const def = STRATEGIES[o.strategyType];
  if (!isCreditStrategy(o.strategyType) || def === undefined) {
    return denied(
      'SIZING_INVALID_INPUT',
      'strategy.unknown',
      { strategyType: o.strategyType },
      'unknown strategy',
    );
  }
  if (!config.execution.enabledStrategies.includes(o.strategyType)) {
    return denied(
      'SIZING_INVALID_INPUT',
      'strategy.disabled',
      { strategyType: o.strategyType, enabled: config.execution.enabledStrategies },
      `${o.strategyType} is not enabled (TOMIC_ENABLED_STRATEGIES)`,
    );
  }
  if (o.regime.underlying !== o.underlying || chain.underlying !== o.underlying) {
    return denied(
      'SIZING_INVALID_INPUT',
      'strategy.underlying',
      { underlying: o.underlying, regime: o.regime.underlying, chain: chain.underlying },
      'regime, chain and opportunity name different underlyings',
    );
  }
  const entry = entryAllowed(def, o.regime);
  if (!entry.ok) {
    return denied(
      'SIZING_INVALID_INPUT',
      'strategy.regime',
      {
        reason: entry.reason,
        regime: o.regime.regime,
        flags: o.regime.flags,
        regimeVersion: o.regime.version,
      },
      entry.message,
    );
  }
  const already = openStrategiesFromBook(input.book).find(
    (s) => s.strategyType === o.strategyType && s.underlying === o.underlying,
  );
  if (
    already !== undefined ||
    input.book.positions.some((p) => p.strategy_id === input.strategyId && p.quantity !== 0)
  ) {
    return denied(
      'IDEMPOTENCY_SKIP',
      'risk.already_open',
      { open: already?.strategyId ?? input.strategyId, underlying: o.underlying },
      `${o.strategyType} is already open on ${o.underlying}`,
    );
  }

  // §4: strikes are picked by delta from the chain's IVs; greeks older than the API limit block credit spreads.
  const chainAge = input.nowMs - chain.asOfMs;
  const maxChainAge = Math.min(config.freshness.greeksApiMaxAgeMs, PLAN_LIMITS.freshness.greeksApiMaxAgeMs);
  if (!(chainAge <= maxChainAge)) {
    return denied(
      'GREEKS_API_STALE',
      'freshness.chain',
      { chainAgeMs: chainAge, maxAgeMs: maxChainAge, underlying: o.underlying },
      `option chain is ${chainAge} ms old (limit ${maxChainAge} ms): credit spread blocked`,
    );
  }

  const sel = selectLegs(def, chain, config.strategy, input.nowWallMs);
  if (!sel.ok) {
    return denied(
      'SIZING_INVALID_INPUT',
      `strategy.${sel.reason.toLowerCase()}`,
      { reason: sel.reason, ...sel.details },
      sel.message,
    );
  }

  const lot = sel.lotSize;
  const shorts = sel.legs.filter((l) => l.role === 'SHORT');
  const shortDeltaSum = shorts.reduce((s, l) => s + Math.abs(l.delta ?? config.strategy.shortDelta), 0);
  // The loss one unit takes when the stop fires ((multiple − 1) × credit), never beyond the defined max.
  const stopLoss = (config.strategy.stopLossMultiple - 1) * sel.creditPerUnit;
  const slPerUnit = stopLoss > 0 ? Math.min(stopLoss, sel.maxLossPerUnit) : sel.maxLossPerUnit;
  const edge: EdgeEstimate = input.edge ?? {
    winRate: Math.min(1, Math.max(0, 1 - shortDeltaSum)),
    rewardRisk: slPerUnit > 0 ? sel.creditPerUnit / slPerUnit : 0,
  };
  const marginPerLot = input.marginPerLot ?? sel.widthPoints * lot;
  const acct = input.account.account;
  const sizing: SizingInput = {
    capital: acct.capital,
    ewmaDailyVol: input.market.ewmaDailyVol,
    // Carver's exposure of a credit spread: the short strikes' delta-equivalent of the underlying.
    exposurePerLot: lot * sel.spot * shortDeltaSum,
    winRate: edge.winRate,
    rewardRisk: edge.rewardRisk,
    slDistancePerLot: slPerUnit * lot,
    lotSize: lot,
    vix: input.market.vix ?? o.regime.vix ?? 0,
    correlation: input.market.correlation ?? 0,
    sectorMarginUsed: acct.usedMarginByUnderlying[o.underlying] ?? 0,
    openPositions: countOpenPositions(input.book.positions),
    marginPerLot,
    margin: input.account.margin,
    nowMs: input.nowMs,
  };
  const sized = runSizingChain(sizing, config.sizing);
  if (!sized.ok) {
    const last = sized.trace[sized.trace.length - 1];
    return denied(
      sized.code,
      `sizing.step${last?.step ?? 0}`,
      { note: last?.note ?? '', ...(last?.values ?? {}) },
      sized.message,
      sized.trace,
    );
  }

  // Gross notional as the Execution agent's gate counts it: every leg's quantity × strike.
  const notionalPerLot = sel.legs.reduce((s, l) => s + lot * l.strike, 0);
  const breakers = new CircuitBreakers(config.breakers);
  // §6 max notional rejects an order that takes the book past 5× capital. Rather than propose a size
  // the gate must refuse, the planner shrinks it to the headroom (a step that only reduces, like §7's);
  // with no room for one lot, the breaker check below refuses it.
  const headroom = acct.capital * breakers.params.maxGrossNotionalMultiple - acct.grossNotional;
  const fit = Math.floor(headroom / notionalPerLot);
  let lots = sized.lots;
  let trace: readonly SizingStep[] = sized.trace;
  if (fit >= 1 && fit < lots) {
    trace = [
      ...trace,
      {
        step: 10,
        name: 'notional_headroom',
        input: lots,
        output: fit,
        note: '§6 max notional: lots cut to the gross notional headroom',
        values: {
          capital: acct.capital,
          maxGrossNotionalMultiple: breakers.params.maxGrossNotionalMultiple,
          grossNotional: acct.grossNotional,
          notionalPerLot,
          headroom,
        },
      },
    ];
    lots = fit;
  }
  const quantity = lots * lot;
  const cap = breakers.checkOrder(
    {
      underlying: o.underlying,
      notional: lots * notionalPerLot,
      marginRequired: lots * marginPerLot,
      reducesRisk: false,
      legs: sel.legs.length,
    },
    acct,
    input.nowMs,
  );
  if (!cap.ok) return { ...cap, trace };

  const groupId = `${input.strategyId}:entry`;
  const orders = buildGroup(
    frozenClock(input.nowMs, input.nowWallMs),
    {
      strategyId: input.strategyId,
      groupId,
      strategyType: o.strategyType,
      intent: 'ENTRY',
      underlying: o.underlying,
      exchange: sel.exchange,
      lotSize: lot,
      product: config.execution.product,
      ...(input.correlationId !== undefined ? { correlationId: input.correlationId } : {}),
      reason: `${o.strategyType} on ${o.regime.regime} (regime v${o.regime.version}); credit ${sel.creditPerUnit.toFixed(2)}/unit, ${lots} lots`,
      trace,
      regimeVersion: o.regime.version,
    },
    sel.legs.map((l) => ({
      leg: l.name,
      action: l.action,
      role: l.role,
      pairLeg: l.pairLeg,
      symbol: l.symbol,
      optionType: l.optionType,
      strike: l.strike,
      expiry: l.expiry,
      quantity,
      expectedPrice: l.expectedPrice,
    })),
  );
  return {
    ok: true,
    strategyId: input.strategyId,
    groupId,
    lots,
    quantity,
    orders,
    selection: sel,
    trace,
  };
}

export interface ExitPlanInput {
  readonly open: OpenStrategy;
  readonly decision: Extract<ExitDecision, { action: 'CLOSE' }>;
  readonly config: Pick<RiskConfig, 'execution'>;
  readonly marks?: Readonly<Record<string, number>>;
  readonly nowMs: number;
  readonly nowWallMs: number;
  readonly correlationId?: string;
  /**
   * 1 for the first exit of a position. A later attempt (the previous one failed or filled only in
   * part) names its group `…:exit#n` and its legs `<leg>#n`, so its keys are new: keys are
   * `{strategy_id}:{leg}:{action}` and a failed key can never be enqueued again.
   */
  readonly attempt?: number;
}

/** The leg name an exit attempt uses (attempt 1 keeps the entry's name). */
export function exitLegName(leg: string, attempt: number): string {
  return attempt > 1 ? `${leg}#${attempt}` : leg;
}

/**
 * The EXIT group of an open position: every leg reversed, shorts bought back first and hedges sold
 * after (§5: the hedge outlives its short). Keys `{strategy_id}:{leg}:{action}` differ from the
 * entry's because the action is reversed.
 */
export function planExit(input: ExitPlanInput): OrderRequest[] {
  const { open } = input;
  const attempt = Math.max(1, Math.floor(input.attempt ?? 1));
  const legs = [
    ...open.legs.filter((l) => l.role === 'SHORT'),
    ...open.legs.filter((l) => l.role === 'HEDGE'),
  ];
  // Only legs still in the group can be paired (a retry may find the shorts already bought back).
  const names = new Set(legs.map((l) => l.name));
  return buildGroup(
    frozenClock(input.nowMs, input.nowWallMs),
    {
      strategyId: open.strategyId,
      groupId: attempt > 1 ? `${open.strategyId}:exit#${attempt}` : `${open.strategyId}:exit`,
      strategyType: open.strategyType,
      intent: 'EXIT',
      underlying: open.underlying,
      exchange: open.exchange,
      lotSize: Math.max(1, Math.floor(open.lotSize)),
      product: input.config.execution.product,
      ...(input.correlationId !== undefined ? { correlationId: input.correlationId } : {}),
      reason: `${input.decision.reason}: ${input.decision.message}`,
    },
    legs.map((l) => ({
      leg: exitLegName(l.name, attempt),
      action: l.role === 'SHORT' ? 'BUY' : 'SELL',
      role: l.role,
      ...(l.pairLeg !== undefined && names.has(l.pairLeg)
        ? { pairLeg: exitLegName(l.pairLeg, attempt) }
        : {}),
      symbol: l.symbol,
      optionType: l.optionType,
      strike: l.strike,
      expiry: open.expiry,
      quantity: l.quantity,
      expectedPrice: input.marks?.[l.symbol] ?? 0,
    })),
  );
}

export interface HedgeBuyInput {
  readonly put: BlackSwanPut;
  readonly lots: number;
  readonly underlying: string;
  readonly strategyId: string;
  readonly config: Pick<RiskConfig, 'execution'>;
  readonly nowMs: number;
  readonly nowWallMs: number;
  readonly reason: string;
  readonly correlationId?: string;
}

/**
 * The month's Black Swan put: one BUY leg, its own group. Intent ENTRY, not HEDGE_ROLL: the
 * Execution agent plans HEDGE_ROLL groups as closing ones (longs must SELL), and buying the new
 * put opens a position that must pass the entry gates anyway.
 */
export function planBlackSwanBuy(input: HedgeBuyInput): OrderRequest[] {
  const { put } = input;
  return buildGroup(
    frozenClock(input.nowMs, input.nowWallMs),
    {
      strategyId: input.strategyId,
      groupId: `${input.strategyId}:buy`,
      strategyType: 'BLACK_SWAN_HEDGE',
      intent: 'ENTRY',
      underlying: input.underlying,
      exchange: put.exchange,
      lotSize: put.lotSize,
      product: input.config.execution.product,
      ...(input.correlationId !== undefined ? { correlationId: input.correlationId } : {}),
      reason: input.reason,
    },
    [
      {
        leg: 'hedge_put',
        action: 'BUY',
        role: 'SINGLE',
        symbol: put.symbol,
        optionType: 'PE',
        strike: put.strike,
        expiry: put.expiry,
        quantity: input.lots * put.lotSize,
        expectedPrice: put.price,
      },
    ],
  );
}

/** Selling last month's Black Swan put (intent HEDGE_ROLL: a closing group). */
export function planBlackSwanSell(input: {
  readonly position: PositionRow;
  readonly lotSize: number;
  readonly config: Pick<RiskConfig, 'execution'>;
  readonly nowMs: number;
  readonly nowWallMs: number;
  readonly expectedPrice?: number;
}): OrderRequest[] {
  const p = input.position;
  const parsed = parseOptionSymbol(p.symbol);
  const strategyId = p.strategy_id ?? `BSH-${p.underlying ?? 'NIFTY'}`;
  return buildGroup(
    frozenClock(input.nowMs, input.nowWallMs),
    {
      strategyId,
      groupId: `${strategyId}:roll`,
      strategyType: 'BLACK_SWAN_HEDGE',
      intent: 'HEDGE_ROLL',
      underlying: p.underlying ?? parsed?.underlying ?? 'NIFTY',
      exchange: p.exchange,
      lotSize: input.lotSize,
      product: p.product === 'CNC' ? input.config.execution.product : p.product,
      reason: 'monthly Black Swan roll: sell the expiring hedge',
    },
    [
      {
        leg: p.leg ?? 'hedge_put',
        action: 'SELL',
        role: 'SINGLE',
        symbol: p.symbol,
        optionType: 'PE',
        strike: parsed?.strike ?? 1,
        expiry: parsed?.expiry ?? '1970-01-01',
        quantity: Math.abs(p.quantity),
        expectedPrice: input.expectedPrice ?? 0,
      },
    ],
  );
}
