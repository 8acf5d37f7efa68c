import type { Clock, TimerHandle } from '../../clock/index.js';
import type { ErrorCode, PayloadOf, TomicEvent } from '../../contracts/index.js';
import type { Logger } from '../../log/index.js';
import {
  type GateDenial,
  planLegging,
  type UnhedgedForceClose,
  type UnhedgedTimer,
} from '../../safety/index.js';
import type { ClaimedCommand, CommandStore } from '../../store/command-store.js';
import type { PositionBook } from '../../store/position-book.js';
import type { SystemStateStore } from '../../store/system-state.js';
import { BrokerHealthTracker, type ExecutionHealth } from './broker-health.js';
import { type ClaimedLeg, GroupExecutor, type LegOutcome } from './group-executor.js';
import { trackOrder } from './order-tracking.js';
import {
  BasketUnsupported,
  type BrokerOutcome,
  type ErrorClass,
  type ExecutionBroker,
  type OrderSnapshot,
} from './ports.js';

/** Most recent commands whose broker order ids seed the known-id set (see #knownOrderIds). */
const KNOWN_IDS_LOAD = 500;

/** How long a claimed part of a group waits for its other legs' retry to come due (see #completeGroup). */
const STRAGGLER_WAIT_MS = 1_000;

/** The §2 error class of a failed leg, as the registry code its ORDER_REJECT event carries. */
const CLASS_CODE: Readonly<Record<ErrorClass, ErrorCode>> = {
  NETWORK_TIMEOUT: 'BROKER_NETWORK_TIMEOUT',
  RATE_LIMIT: 'BROKER_RATE_LIMIT',
  BROKER_REJECT: 'BROKER_REJECT',
  VALIDATION: 'BROKER_VALIDATION',
  UNKNOWN: 'BROKER_UNKNOWN',
};

/** Event to publish: type, payload and the §3 chain it belongs to. The agent turns it into an event. */
export type Emit = <T extends TomicEvent['event_type']>(
  type: T,
  base: { strategy_id?: string; correlation_id?: string },
  payload: PayloadOf<T>,
) => void;

export interface ExecutionServiceDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly commands: CommandStore;
  readonly broker: ExecutionBroker;
  readonly book: PositionBook;
  readonly state: SystemStateStore;
  readonly timer: UnhedgedTimer;
  /** §4/§6/§7 checks for a group about to be placed; the agent composes feeds, breakers and account. */
  preTrade(legs: readonly ClaimedLeg[]): GateDenial | null | Promise<GateDenial | null>;
  /** Called for every order the broker accepted (breaker order-rate window). */
  recordOrder(count: number): void;
  emit: Emit;
  /** §14: the agent cannot go on (e.g. 5 consecutive execution timeouts): the Supervisor halts. */
  requestKillSwitch(reason: string, code: ErrorCode): void;
  /**
   * Broker call health for the Supervisor. When given, its owner feeds it (the runtime does so from
   * the REST client's call hook, which sees every call); otherwise the service records the outcomes
   * of its own broker port.
   */
  readonly brokerHealth?: BrokerHealthTracker;
}

export interface ExecutionParams {
  readonly leaseMs: number;
  readonly smartOrderDelayMs: number;
  readonly riskReversalHedgeMs: number;
  readonly consecutiveTimeoutsKill: number;
  readonly pollMs: number;
  readonly fillTimeoutMs: number;
}

/**
 * The Execution agent's work: claim whole groups from the command table, gate them, plan the §5
 * legging, execute, ack each leg as soon as its outcome is known, keep the PositionBook (only writer),
 * and run the §5 unhedged timer on every fill. Force closes skip every gate: a MARKET buy-back needs
 * no quote and must never wait.
 */
/** Market buy-backs of a short beyond its hedge before the kill switch is asked for. */
const TRIM_ATTEMPTS = 5;

export class ExecutionService {
  readonly #executor: GroupExecutor;
  readonly #broker: ExecutionBroker;
  readonly #health: BrokerHealthTracker;
  #running = false;
  #ended = false;
  #known: Set<string> | undefined;
  #consecutiveTimeouts = 0;
  #timerHandle: TimerHandle | undefined;
  #forceClosing = new Set<string>();
  #signal: AbortSignal | undefined;

  constructor(
    private readonly d: ExecutionServiceDeps,
    private readonly p: ExecutionParams,
  ) {
    this.#health = d.brokerHealth ?? new BrokerHealthTracker();
    this.#broker = d.brokerHealth ? d.broker : recordingBroker(d.broker, this.#health, d.clock);
    this.#executor = new GroupExecutor(this.#broker, d.clock, {
      pollMs: p.pollMs,
      fillTimeoutMs: p.fillTimeoutMs,
      ambiguityChecks: 3,
      ambiguityIntervalMs: 500,
    });
  }

  /** The claim loop; returns when `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    this.#running = true;
    try {
      while (!signal.aborted) {
        const group = this.d.commands.claimNextGroup();
        if (group.length === 0) {
          await this.d.commands.waitForWork(signal).catch(() => undefined);
          continue;
        }
        await this.processGroup(group);
      }
    } finally {
      this.#running = false;
      // The owner closes the stores next: no unhedged-timer callback may fire into them afterwards.
      this.#ended = true;
      if (this.#timerHandle) this.d.clock.clearTimeout(this.#timerHandle);
      this.#timerHandle = undefined;
    }
  }

  /** §14 inputs for the Supervisor: broker timeouts in a row, last good call, loop running. */
  health(): ExecutionHealth {
    return this.#health.snapshot(this.#running, this.d.clock.monotonicMs());
  }

  async processGroup(claimed: readonly ClaimedCommand[]): Promise<void> {
    const legs = await this.#completeGroup(
      claimed.map((c) => ({ id: c.id, ownerToken: c.ownerToken, event: c.event })),
    );
    const renew = this.#keepLeases(legs);
    try {
      await this.#process(legs);
    } finally {
      renew();
    }
  }

  /**
   * Legs of a group that failed together get their retry times a few ms apart (each leg's backoff is
   * computed when that leg is failed), so the first claim may hold only part of the group, and a half
   * group would be refused by the legging planner. Legs still PENDING and due within
   * STRAGGLER_WAIT_MS are waited for and claimed into the group; legs on another schedule are not.
   */
  async #completeGroup(legs: ClaimedLeg[]): Promise<ClaimedLeg[]> {
    const first = legs[0];
    if (!first || legs.length >= first.event.payload.group.leg_count) return legs;
    const groupId = first.event.payload.group.group_id;
    const held = new Set(legs.map((l) => l.id));
    const due = this.d.commands
      .list({ strategyId: first.event.strategy_id, status: 'PENDING', limit: 100 })
      .filter((r) => r.group_id === groupId && !held.has(r.id))
      .map((r) => r.next_retry_at ?? 0);
    if (due.length === 0) return legs;
    const waitMs = Math.max(...due) - this.d.clock.monotonicMs();
    if (waitMs > STRAGGLER_WAIT_MS) return legs;
    if (waitMs > 0) {
      // Sleeping past the due time by 1 ms: the store compares whole milliseconds.
      await this.d.clock.sleep(Math.ceil(waitMs) + 1, this.#signal).catch(() => undefined);
    }
    const more = this.d.commands
      .claimGroup(groupId)
      .map((c): ClaimedLeg => ({ id: c.id, ownerToken: c.ownerToken, event: c.event }));
    return [...legs, ...more].sort(
      (a, b) => a.event.payload.group.leg_index - b.event.payload.group.leg_index,
    );
  }

  async #process(legs: ClaimedLeg[]): Promise<void> {
    const reducesRisk = legs.every(
      (l) => l.event.payload.intent !== 'ENTRY' && l.event.payload.intent !== 'ADJUST',
    );
    const trading = this.d.state.read();
    if (trading.state === 'HALTED' || (trading.state === 'REDUCING' && !reducesRisk)) {
      const code: ErrorCode = trading.state === 'HALTED' ? 'TRADING_HALTED' : 'TRADING_REDUCING';
      this.#denyGroup(legs, code, `trading state ${trading.state}: ${trading.reason}`, 'trading_state');
      return;
    }
    const denial = await this.d.preTrade(legs);
    if (denial) {
      this.#denyGroup(legs, denial.code, denial.message, denial.gate, denial.details);
      return;
    }
    const known = this.#knownOrderIds();
    for (;;) {
      const planned = this.#plan(legs, reducesRisk);
      if (!planned.ok) {
        this.#denyGroup(legs, planned.code, planned.message, planned.gate, planned.details);
        return;
      }
      try {
        const outcomes = await this.#executor.execute(
          legs,
          planned.plan.steps,
          {
            onPlaced: () => this.d.recordOrder(1),
            onLegDone: (leg, outcome) => this.#settle(leg, outcome),
            onFill: (leg, order) => this.#onFill(leg, order),
            onMustClose: (leg, quantity, reason) => this.#close(leg, quantity, reason),
          },
          known,
        );
        await this.#trimExcessShorts(legs, outcomes);
        break;
      } catch (err) {
        // basketorder missing on this broker: nothing was placed; the next plan uses the fallback.
        if (!(err instanceof BasketUnsupported) || this.#broker.basketSupported) throw err;
        this.d.logger.warn({ error: err.message }, 'basketorder not supported: legging fallback from now on');
      }
    }
    this.#scheduleTimer();
  }

  /**
   * Broker order ids already linked to commands (tagless live orderbooks must not hand one command's
   * order to another). Read from the command table once, then kept by this service, the only writer
   * of broker_order_id: re-reading 500 rows per group cost a millisecond on every order.
   */
  #knownOrderIds(): Set<string> {
    this.#known ??= new Set(
      this.d.commands
        .list({ limit: KNOWN_IDS_LOAD })
        .map((r) => r.broker_order_id)
        .filter((x): x is string => typeof x === 'string'),
    );
    return this.#known;
  }

  #plan(legs: readonly ClaimedLeg[], reducesRisk: boolean) {
    return planLegging({
      strategyType: legs[0]!.event.payload.group.strategy_type,
      legs: legs.map((l) => ({
        leg: l.event.payload.leg,
        action: l.event.payload.action,
        role: l.event.payload.group.role,
        ...(l.event.payload.group.pair_leg ? { pairLeg: l.event.payload.group.pair_leg } : {}),
        ...(l.event.payload.option_type
          ? { side: l.event.payload.option_type === 'PE' ? ('PUT' as const) : ('CALL' as const) }
          : {}),
        quantity: l.event.payload.quantity,
        symbol: l.event.payload.symbol,
        ...(l.event.payload.expiry ? { expiry: l.event.payload.expiry } : {}),
      })),
      basketSupported: this.#broker.basketSupported,
      smartOrderDelayMs: this.p.smartOrderDelayMs,
      riskReversalHedgeMs: this.p.riskReversalHedgeMs,
      direction: reducesRisk ? 'CLOSE' : 'OPEN',
    });
  }

  #denyGroup(
    legs: readonly ClaimedLeg[],
    code: ErrorCode,
    message: string,
    gate: string,
    details?: Readonly<Record<string, unknown>>,
  ): void {
    for (const leg of legs) {
      this.d.commands.fail(leg.id, leg.ownerToken, 'VALIDATION', `${code}: ${message}`);
      this.d.emit(
        'ORDER_DENIED',
        { strategy_id: leg.event.strategy_id, correlation_id: leg.event.correlation_id },
        {
          code,
          message,
          gate,
          leg: leg.event.payload.leg,
          symbol: leg.event.payload.symbol,
          ...(details ? { details: { ...details } } : {}),
        },
      );
    }
  }

  #settle(leg: ClaimedLeg, outcome: LegOutcome): void {
    const e = leg.event;
    const chain = { strategy_id: e.strategy_id, correlation_id: e.correlation_id };
    if (outcome.kind === 'FILLED') {
      this.#consecutiveTimeouts = 0;
      const acked = this.d.commands.ack(leg.id, leg.ownerToken, { brokerOrderId: outcome.order.orderId });
      if (acked.ok) this.#knownOrderIds().add(outcome.order.orderId);
      if (outcome.adopted) {
        this.d.emit('IDEMPOTENCY_SKIP', chain, {
          duplicate_key: e.idempotency_key,
          where: 'BROKER',
          existing_command_id: leg.id,
          broker_order_id: outcome.order.orderId,
        });
      }
      return;
    }
    const errorClass = outcome.kind === 'REJECTED' ? 'BROKER_REJECT' : outcome.errorClass;
    const message = outcome.message;
    const r = this.d.commands.fail(leg.id, leg.ownerToken, errorClass, message);
    this.d.emit('ORDER_REJECT', chain, {
      leg: e.payload.leg,
      action: e.payload.action,
      symbol: e.payload.symbol,
      code: CLASS_CODE[errorClass],
      message,
      command_id: leg.id,
      ...(outcome.kind === 'REJECTED' && outcome.orderId ? { broker_order_id: outcome.orderId } : {}),
    });
    if (r.ok)
      this.d.emit('COMMAND_STATUS', chain, {
        command_id: leg.id,
        status: r.status,
        attempt_count: 0,
        last_error: message,
      });
    if (errorClass === 'NETWORK_TIMEOUT') {
      this.#consecutiveTimeouts += 1;
      if (this.#consecutiveTimeouts >= this.p.consecutiveTimeoutsKill) {
        this.d.requestKillSwitch(
          `${this.#consecutiveTimeouts} consecutive execution timeouts`,
          'EXECUTION_DOWN',
        );
      }
    }
  }

  #onFill(leg: ClaimedLeg, order: OrderSnapshot): void {
    const e = leg.event;
    const p = e.payload;
    const now = this.d.clock.monotonicMs();
    const applied = this.d.book.applyFill({
      symbol: p.symbol,
      exchange: p.exchange,
      product: p.product,
      action: p.action,
      quantity: order.filledQuantity,
      price: order.averagePrice,
      fillId: `${order.orderId}:${order.filledQuantity}`,
      strategy_id: e.strategy_id,
      // An exit (possibly a retry, `short_put#2`) keeps the position's entry leg name.
      ...(p.intent === 'EXIT' ? {} : { leg: p.leg }),
      underlying: p.underlying,
    });
    // The timer pairs the shorts and hedges a group opens. An exit's SELL closes a long (a wing, a
    // DITM call), it opens no short: fed to the timer it would read as a naked short and be
    // "force closed" into a new long.
    if (p.intent === 'ENTRY' || p.intent === 'ADJUST') {
      this.d.timer.onFill({
        groupId: p.group.group_id,
        leg: p.leg,
        role: p.group.role,
        ...(p.group.pair_leg ? { pairLeg: p.group.pair_leg } : {}),
        action: p.action,
        filledQty: order.filledQuantity,
        symbol: p.symbol,
        nowMs: now,
      });
      this.#scheduleTimer();
    }
    const chain = { strategy_id: e.strategy_id, correlation_id: e.correlation_id };
    this.d.emit('ORDER_FILL', chain, {
      leg: p.leg,
      action: p.action,
      symbol: p.symbol,
      exchange: p.exchange,
      product: p.product,
      broker_order_id: order.orderId,
      filled_quantity: order.filledQuantity,
      ordered_quantity: p.quantity,
      average_price: order.averagePrice,
      expected_price: p.expected_price,
      command_id: leg.id,
    });
    if (applied.ok && !applied.duplicate) {
      const snap = this.d.book.readSnapshot();
      this.d.emit('POSITION_UPDATE', {}, { version: snap.version, positions: [...snap.positions] });
    }
  }

  /** Invariant 2: arm a clock timer at the unhedged timer's next deadline. */
  #scheduleTimer(): void {
    if (this.#timerHandle) this.d.clock.clearTimeout(this.#timerHandle);
    this.#timerHandle = undefined;
    if (this.#ended) return;
    const due = this.d.timer.nextDeadline();
    if (due === null) return;
    this.#timerHandle = this.d.clock.setTimeout(
      () => void this.pollUnhedged(),
      Math.max(0, due - this.d.clock.monotonicMs()),
    );
  }

  /** Fires due force closes (also callable directly by tests and the agent's own loop). */
  async pollUnhedged(): Promise<void> {
    for (const action of this.d.timer.poll(this.d.clock.monotonicMs())) {
      if (action.type === 'FORCE_CLOSE') await this.#forceClose(action);
      else this.d.emit('UNHEDGED_INCIDENT', {}, action.incident);
    }
    this.#scheduleTimer();
  }

  async #forceClose(fc: UnhedgedForceClose): Promise<void> {
    const key = `${fc.groupId}:${fc.leg}`;
    if (this.#forceClosing.has(key)) return;
    this.#forceClosing.add(key);
    try {
      this.d.emit('UNHEDGED_INCIDENT', {}, fc.incident);
      this.d.emit(
        'ALERT',
        {},
        { level: 'CRITICAL', code: fc.alert.code, message: fc.alert.message, details: { ...fc.incident } },
      );
      const exchange =
        this.d.book.readSnapshot().positions.find((x) => x.symbol === fc.symbol)?.exchange ?? 'NFO';
      await this.#marketClose(
        fc.groupId,
        fc.leg,
        fc.symbol,
        exchange,
        fc.quantity,
        'unhedged short beyond the limit',
      );
    } finally {
      this.#forceClosing.delete(key);
    }
  }

  /**
   * After a group, no short may stand beyond its hedge. Opening, a basket can fill the short more
   * than the hedge (partial fills differ by strike); closing, a buy-back can fill less than the
   * hedge sold with it. Once both orders are final the gap can never close by itself, so the excess
   * short is bought back now rather than when the 5 s timer runs out. A leg whose outcome is unknown
   * is left to the timer.
   */
  async #trimExcessShorts(
    legs: readonly ClaimedLeg[],
    outcomes: ReadonlyMap<string, LegOutcome>,
  ): Promise<void> {
    const filled = (o: LegOutcome) => (o.kind === 'FILLED' ? o.order.filledQuantity : 0);
    for (const leg of legs) {
      const p = leg.event.payload;
      if (p.group.role !== 'SHORT' || !p.group.pair_leg) continue;
      const hedgeLeg = legs.find((l) => l.event.payload.leg === p.group.pair_leg);
      const short = outcomes.get(p.leg);
      const hedge = outcomes.get(p.group.pair_leg);
      if (!hedgeLeg || !short || !hedge || short.kind === 'ERROR' || hedge.kind === 'ERROR') continue;
      let excess: number;
      if (p.intent === 'ENTRY') excess = filled(short) - filled(hedge);
      else if (p.intent === 'EXIT') {
        const stillShort = p.quantity - filled(short);
        const hedgeLeft = hedgeLeg.event.payload.quantity - filled(hedge);
        excess = stillShort - hedgeLeft;
      } else continue;
      if (excess <= 0) continue;
      const message = `${p.symbol} (${leg.event.strategy_id}/${p.leg}): ${excess} short beyond its hedge after the ${p.intent === 'ENTRY' ? 'entry' : 'exit'}; bought back at once`;
      this.d.emit(
        'ALERT',
        { strategy_id: leg.event.strategy_id, correlation_id: leg.event.correlation_id },
        {
          level: 'RISK',
          code: 'UNHEDGED_EXPOSURE',
          message,
          details: { group_id: p.group.group_id, excess },
        },
      );
      let left = excess;
      for (let attempt = 0; attempt < TRIM_ATTEMPTS && left > 0; attempt++) {
        left -= await this.#marketClose(p.group.group_id, p.leg, p.symbol, p.exchange, left, message, 'BUY');
      }
      if (left > 0) {
        const why = `${p.symbol}: ${left} short still beyond its hedge after ${TRIM_ATTEMPTS} buy-backs`;
        this.d.emit('ALERT', {}, { level: 'CRITICAL', code: 'UNHEDGED_EXPOSURE', message: why });
        this.d.requestKillSwitch(why, 'UNHEDGED_EXPOSURE');
      }
    }
  }

  async #close(leg: ClaimedLeg, quantity: number, reason: string): Promise<void> {
    const p = leg.event.payload;
    await this.#marketClose(
      p.group.group_id,
      p.leg,
      p.symbol,
      p.exchange,
      quantity,
      reason,
      p.action === 'SELL' ? 'BUY' : 'SELL',
    );
  }

  /** A MARKET order outside the command table's gates (safety action), tagged so a retry finds it. */
  async #marketClose(
    groupId: string,
    leg: string,
    symbol: string,
    exchange: string,
    quantity: number,
    reason: string,
    action: 'BUY' | 'SELL' = 'BUY',
  ): Promise<number> {
    const position = this.d.book
      .readSnapshot()
      .positions.find((x) => x.symbol === symbol && x.exchange === exchange);
    const product = position?.product ?? 'NRML';
    const strategy = `${position?.strategy_id ?? 'TOMIC'}:${leg}.force_close:${action}`;
    const r = await this.#broker.placeOrder({
      strategy,
      symbol,
      exchange,
      action,
      quantity,
      pricetype: 'MARKET',
      product,
      price: 0,
      trigger_price: 0,
    });
    if (!r.ok) {
      this.d.logger.error(
        { symbol, quantity, reason, error: r.message },
        'force close failed; timer will retry',
      );
      this.d.timer.onCancel({ groupId, leg, nowMs: this.d.clock.monotonicMs(), forceClose: true });
      return 0;
    }
    this.d.recordOrder(1);
    const snap = await trackOrder(this.#broker, this.d.clock, r.value.orderId, strategy, {
      pollMs: this.p.pollMs,
      fillTimeoutMs: this.p.fillTimeoutMs,
      ...(this.#signal ? { signal: this.#signal } : {}),
    });
    if (snap && snap.filledQuantity > 0) {
      this.d.book.applyFill({
        symbol,
        exchange,
        product,
        action,
        quantity: snap.filledQuantity,
        price: snap.averagePrice,
        fillId: `${snap.orderId}:${snap.filledQuantity}`,
        // The position keeps the leg name it was opened under (a retry's `#n` is not a new leg).
        leg: position?.leg ?? leg,
        ...(position?.strategy_id ? { strategy_id: position.strategy_id } : {}),
      });
      this.d.timer.onFill({
        groupId,
        leg,
        role: 'SHORT',
        action,
        filledQty: snap.filledQuantity,
        symbol,
        nowMs: this.d.clock.monotonicMs(),
      });
      const book = this.d.book.readSnapshot();
      this.d.emit('POSITION_UPDATE', {}, { version: book.version, positions: [...book.positions] });
      return snap.filledQuantity;
    }
    this.d.timer.onCancel({ groupId, leg, nowMs: this.d.clock.monotonicMs(), forceClose: true });
    return 0;
  }

  /** Renews the group's leases while it is being worked (a long legging plan outlives no lease). */
  #keepLeases(legs: readonly ClaimedLeg[]): () => void {
    let handle: TimerHandle | undefined;
    const every = Math.max(1_000, Math.floor(this.p.leaseMs / 3));
    const tick = () => {
      for (const l of legs) this.d.commands.renewLease(l.id, l.ownerToken);
      handle = this.d.clock.setTimeout(tick, every);
    };
    handle = this.d.clock.setTimeout(tick, every);
    return () => {
      if (handle) this.d.clock.clearTimeout(handle);
    };
  }
}

/** The broker port with every outcome recorded in the health tracker (when nobody else feeds it). */
function recordingBroker(b: ExecutionBroker, h: BrokerHealthTracker, clock: Clock): ExecutionBroker {
  const rec = async <T>(p: Promise<BrokerOutcome<T>>): Promise<BrokerOutcome<T>> => {
    const r = await p;
    h.record(
      r.ok ? { ok: true } : { ok: false, errorClass: r.errorClass, ambiguous: r.ambiguous },
      clock.monotonicMs(),
    );
    return r;
  };
  return {
    get basketSupported() {
      return b.basketSupported;
    },
    placeOrder: (o) => rec(b.placeOrder(o)),
    basketOrder: (s, o) => rec(b.basketOrder(s, o)),
    orderStatus: (id, s) => rec(b.orderStatus(id, s)),
    orderBook: () => rec(b.orderBook()),
    cancelOrder: (id, s) => rec(b.cancelOrder(id, s)),
  };
}
