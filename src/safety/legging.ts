import {
  LEGGING_POLICIES,
  type LeggingMode,
  type LeggingPolicy,
  STRATEGY_TYPES,
  type StrategyTypeName,
} from '../config/index.js';
import type { Action, LegRole } from '../contracts/index.js';
import { ALLOW, type Allow, type GateDenial, gateDenial } from './denial.js';
import { tightenExecution } from './limits.js';

/**
 * §5 invariant 1 (per-strategy legging policy) and invariant 3 (SMART_ORDER_DELAY between legs).
 *
 * The policy always comes from the frozen LEGGING_POLICIES table; no input or config reaches it.
 * Plans, opening a position:
 * - ATOMIC: one basket with every leg, when the policy prefers it and the broker supports baskets.
 * - HEDGE_FIRST: every long (hedge) leg, then the shorts.
 * - HEDGE_FIRST_PER_SIDE (iron condor): put wing → put short → call wing → call short. "Buy wings →
 *   sell shorts" per side: each side is a complete hedge-first spread, so a failure on the call side
 *   still leaves a whole bull put spread, never a naked leg. Puts go first by convention only.
 * - SHORT_FIRST_WITH_KILL_SWITCH (risk reversal): sell the put, then buy the call at MARKET; if the
 *   call has not filled within 3 s of the put, the put is closed (`closeOnMissLeg`).
 * - SINGLE_LEG: long legs only, one after another.
 * Closing a position mirrors it: shorts are bought back before the legs that hedge them are sold
 * (per side for the condor), so the hedge outlives the short. Every leg step after the first waits
 * SMART_ORDER_DELAY (≥ 500 ms).
 */

export type OptionSide = 'PUT' | 'CALL';
export type PlanDirection = 'OPEN' | 'CLOSE';

export interface LegSpec {
  readonly leg: string;
  readonly action: Action;
  readonly role: LegRole;
  /** For a SHORT: the leg that hedges it (or, on a hedge, the short it protects). */
  readonly pairLeg?: string;
  readonly side?: OptionSide;
  readonly quantity: number;
  readonly symbol: string;
  /** YYYY-MM-DD, for calendar/diagonal ordering checks. */
  readonly expiry?: string;
}

export type PlanStep =
  | { readonly kind: 'BASKET'; readonly legs: readonly string[] }
  | {
      readonly kind: 'LEG';
      readonly leg: string;
      readonly delayBeforeMs: number;
      /** Forced order type (risk reversal call: MARKET). */
      readonly pricetype?: 'MARKET';
      /** This leg must fill within this many ms of the previous fill… */
      readonly hedgeWithinMs?: number;
      /** …or this (earlier, filled) leg is closed at MARKET. */
      readonly closeOnMissLeg?: string;
    };

export interface LeggingPlan {
  readonly strategyType: StrategyTypeName;
  readonly direction: PlanDirection;
  readonly mode: LeggingMode;
  readonly basketSupported: boolean;
  readonly smartOrderDelayMs: number;
  readonly riskReversalHedgeMs: number;
  readonly legs: readonly LegSpec[];
  readonly steps: readonly PlanStep[];
}

export interface PlanInput {
  readonly strategyType: StrategyTypeName;
  readonly legs: readonly LegSpec[];
  readonly basketSupported: boolean;
  readonly smartOrderDelayMs?: number;
  readonly riskReversalHedgeMs?: number;
  readonly direction?: PlanDirection;
}

const violation = (reason: string, details: Record<string, unknown> = {}): GateDenial =>
  gateDenial(
    'LEGGING_POLICY_VIOLATION',
    'legging',
    { reason, ...details },
    {},
    `Legging policy violation: ${reason}`,
  );

const isStrategy = (s: string): s is StrategyTypeName => (STRATEGY_TYPES as readonly string[]).includes(s);

/** The leg protecting `short` (its pair_leg, or a leg that names it as its pair). */
function hedgeOf(legs: readonly LegSpec[], short: LegSpec): LegSpec | undefined {
  if (short.pairLeg !== undefined) return legs.find((l) => l.leg === short.pairLeg);
  return legs.find((l) => l !== short && l.pairLeg === short.leg);
}

/** In a closing plan the short leg is the one bought back. */
const isShortLeg = (l: LegSpec) => l.role === 'SHORT';

/**
 * The structure each strategy must have (so a plan cannot, say, drop a condor wing). Returns the
 * reason it does not fit, or null.
 */
function shapeProblem(type: StrategyTypeName, legs: readonly LegSpec[], dir: PlanDirection): string | null {
  if (legs.length === 0) return 'no legs';
  const names = new Set<string>();
  for (const l of legs) {
    if (names.has(l.leg)) return `duplicate leg ${l.leg}`;
    names.add(l.leg);
    if (!(Number.isInteger(l.quantity) && l.quantity > 0))
      return `leg ${l.leg}: quantity must be a positive integer`;
  }
  const opening = dir === 'OPEN';
  const shortAction: Action = opening ? 'SELL' : 'BUY';
  const longAction: Action = opening ? 'BUY' : 'SELL';
  const shorts = legs.filter(isShortLeg);
  const longs = legs.filter((l) => !isShortLeg(l));
  for (const s of shorts) if (s.action !== shortAction) return `short leg ${s.leg} must ${shortAction}`;
  for (const l of longs) if (l.action !== longAction) return `long leg ${l.leg} must ${longAction}`;
  // A closing group may be any part of the position (one side of a condor, a leftover wing): the
  // order of the legs it holds is what the policy constrains. Whether a hedge sold alone leaves a
  // short open is the position book's knowledge, and the unhedged timer's backstop.
  if (!opening) return null;

  // Each short is covered by its own hedge, for its whole quantity (hedges are not double-counted).
  const covered = new Map<string, number>();
  for (const s of shorts) {
    const h = hedgeOf(legs, s);
    if (!h) return `short leg ${s.leg} has no paired hedge in the group`;
    if (isShortLeg(h)) return `short leg ${s.leg} is paired with another short (${h.leg})`;
    const used = (covered.get(h.leg) ?? 0) + s.quantity;
    if (used > h.quantity)
      return `hedge ${h.leg} (${h.quantity}) does not cover short ${s.leg} (${s.quantity})`;
    covered.set(h.leg, used);
  }

  const sides = (ls: LegSpec[]) => ls.map((l) => l.side);
  const count = (ls: LegSpec[], side: OptionSide) => ls.filter((l) => l.side === side).length;
  switch (type) {
    case 'BULL_PUT_SPREAD':
    case 'BEAR_CALL_SPREAD': {
      const side: OptionSide = type === 'BULL_PUT_SPREAD' ? 'PUT' : 'CALL';
      if (shorts.length !== 1 || longs.length !== 1) return `${type} needs one hedge and one short`;
      if ([...sides(shorts), ...sides(longs)].some((s) => s !== undefined && s !== side))
        return `${type} legs are ${side}s`;
      return null;
    }
    case 'IRON_CONDOR': {
      if (shorts.length !== 2 || longs.length !== 2) return 'IRON_CONDOR needs two wings and two shorts';
      if (count(shorts, 'PUT') !== 1 || count(shorts, 'CALL') !== 1)
        return 'IRON_CONDOR needs a put and a call short';
      if (count(longs, 'PUT') !== 1 || count(longs, 'CALL') !== 1)
        return 'IRON_CONDOR needs a put and a call wing';
      for (const s of shorts) {
        if (hedgeOf(legs, s)?.side !== s.side)
          return `short ${s.leg} must be hedged by the wing on its own side`;
      }
      return null;
    }
    case 'RISK_REVERSAL': {
      if (shorts.length !== 1 || longs.length !== 1) return 'RISK_REVERSAL needs a short put and a long call';
      if (shorts[0]!.side !== 'PUT' || longs[0]!.side !== 'CALL')
        return 'RISK_REVERSAL sells the put and buys the call';
      return null;
    }
    case 'CALENDAR_DIAGONAL': {
      if (shorts.length !== 1 || longs.length !== 1)
        return 'CALENDAR_DIAGONAL needs a back-month long and a front-month short';
      const f = shorts[0]!.expiry;
      const b = longs[0]!.expiry;
      if (f !== undefined && b !== undefined && !(b > f))
        return 'the long leg must be the later (back) month';
      return null;
    }
    case 'DITM_CALL':
    case 'BLACK_SWAN_HEDGE': {
      if (shorts.length > 0) return `${type} has no short legs`;
      if (type === 'DITM_CALL' && legs.length !== 1) return 'DITM_CALL is a single leg';
      const side: OptionSide = type === 'DITM_CALL' ? 'CALL' : 'PUT';
      if (legs.some((l) => l.side !== undefined && l.side !== side)) return `${type} legs are ${side}s`;
      return null;
    }
  }
}

const sideRank = (l: LegSpec) => (l.side === 'CALL' ? 1 : 0);

function legSteps(order: readonly LegSpec[], delayMs: number): PlanStep[] {
  return order.map((l, idx) => ({ kind: 'LEG', leg: l.leg, delayBeforeMs: idx === 0 ? 0 : delayMs }));
}

export function planLegging(input: PlanInput): { ok: true; plan: LeggingPlan } | GateDenial {
  if (!isStrategy(input.strategyType)) return violation(`unknown strategy ${String(input.strategyType)}`);
  const policy = LEGGING_POLICIES[input.strategyType];
  const dir: PlanDirection = input.direction ?? 'OPEN';
  const ex = tightenExecution({
    ...(input.smartOrderDelayMs !== undefined ? { smartOrderDelayMs: input.smartOrderDelayMs } : {}),
    ...(input.riskReversalHedgeMs !== undefined ? { riskReversalHedgeMs: input.riskReversalHedgeMs } : {}),
  });
  const legs = [...input.legs];
  const shape = shapeProblem(input.strategyType, legs, dir);
  if (shape !== null) return violation(shape, { strategyType: input.strategyType });

  const base = {
    strategyType: input.strategyType,
    direction: dir,
    basketSupported: input.basketSupported,
    smartOrderDelayMs: ex.smartOrderDelayMs,
    riskReversalHedgeMs: ex.riskReversalHedgeMs,
    legs,
  };
  if (policy.preferred === 'ATOMIC' && input.basketSupported) {
    // Hedges listed first so a broker that walks the basket in order still buys protection first.
    const ordered = [...legs.filter((l) => !isShortLeg(l)), ...legs.filter(isShortLeg)];
    const basket = dir === 'OPEN' ? ordered : ordered.reverse();
    return {
      ok: true,
      plan: { ...base, mode: 'ATOMIC', steps: [{ kind: 'BASKET', legs: basket.map((l) => l.leg) }] },
    };
  }

  const mode = policy.fallback;
  const shorts = legs.filter(isShortLeg);
  const longs = legs.filter((l) => !isShortLeg(l));
  const d = ex.smartOrderDelayMs;
  let steps: PlanStep[];
  switch (mode) {
    case 'SINGLE_LEG':
      steps = legSteps(legs, d);
      break;
    case 'HEDGE_FIRST':
      steps = legSteps(dir === 'OPEN' ? [...longs, ...shorts] : [...shorts, ...longs], d);
      break;
    case 'HEDGE_FIRST_PER_SIDE': {
      const order: LegSpec[] = [];
      for (const s of [...shorts].sort((a, b) => sideRank(a) - sideRank(b))) {
        const h = hedgeOf(legs, s);
        const pair = h && !order.includes(h) ? [h] : [];
        order.push(...(dir === 'OPEN' ? [...pair, s] : [s, ...pair]));
      }
      order.push(...longs.filter((l) => !order.includes(l)));
      steps = legSteps(order, d);
      break;
    }
    case 'SHORT_FIRST_WITH_KILL_SWITCH': {
      if (dir === 'CLOSE') {
        steps = legSteps([...shorts, ...longs], d);
        break;
      }
      const put = shorts[0]!;
      const call = longs[0]!;
      if (!(d < ex.riskReversalHedgeMs)) {
        return violation('SMART_ORDER_DELAY leaves no time to buy the call within the risk reversal window', {
          smartOrderDelayMs: d,
          riskReversalHedgeMs: ex.riskReversalHedgeMs,
        });
      }
      steps = [
        { kind: 'LEG', leg: put.leg, delayBeforeMs: 0 },
        {
          kind: 'LEG',
          leg: call.leg,
          delayBeforeMs: d,
          pricetype: 'MARKET',
          hedgeWithinMs: ex.riskReversalHedgeMs,
          closeOnMissLeg: put.leg,
        },
      ];
      break;
    }
    case 'ATOMIC':
      return violation('the §5 table has no ATOMIC-only policy without a fallback');
  }
  return { ok: true, plan: { ...base, mode, steps } };
}

const samePolicy = (a: LeggingPolicy, b: LeggingPolicy) =>
  a.preferred === b.preferred && a.fallback === b.fallback && a.rationale === b.rationale;

/**
 * Checks any plan (from the planner, or built by hand) against the §5 invariants. `policy` must be the
 * frozen table's entry for the strategy: a different policy is itself a violation.
 */
export function validatePlan(plan: LeggingPlan, policy?: LeggingPolicy): Allow | GateDenial {
  if (!isStrategy(plan.strategyType)) return violation(`unknown strategy ${String(plan.strategyType)}`);
  const table = LEGGING_POLICIES[plan.strategyType];
  if (policy !== undefined && !samePolicy(policy, table)) {
    return violation('policy differs from the frozen §5 legging table', { strategyType: plan.strategyType });
  }
  const dir = plan.direction;
  if (dir !== 'OPEN' && dir !== 'CLOSE') return violation(`unknown direction ${String(dir)}`);
  const shape = shapeProblem(plan.strategyType, plan.legs, dir);
  if (shape !== null) return violation(shape);

  // Every leg exactly once; nothing else.
  const position = new Map<string, number>();
  plan.steps.forEach((s, idx) => {
    for (const name of s.kind === 'BASKET' ? s.legs : [s.leg]) {
      position.set(name, position.has(name) ? Number.NaN : idx);
    }
  });
  for (const [name, idx] of position) {
    if (Number.isNaN(idx)) return violation(`leg ${name} appears more than once`);
    if (!plan.legs.some((l) => l.leg === name)) return violation(`step names unknown leg ${name}`);
  }
  for (const l of plan.legs) if (!position.has(l.leg)) return violation(`leg ${l.leg} missing from the plan`);

  // Mode must be the table's: ATOMIC when preferred and the broker has baskets, else the fallback.
  const atomicExpected = table.preferred === 'ATOMIC' && plan.basketSupported;
  const expectedMode: LeggingMode = atomicExpected ? 'ATOMIC' : table.fallback;
  if (plan.mode !== expectedMode) {
    return violation(`mode ${plan.mode} but the table says ${expectedMode}`, {
      strategyType: plan.strategyType,
    });
  }
  if (plan.mode === 'ATOMIC') {
    return plan.steps.length === 1 && plan.steps[0]!.kind === 'BASKET'
      ? ALLOW
      : violation('ATOMIC means one basket with every leg');
  }
  if (plan.steps.some((s) => s.kind === 'BASKET'))
    return violation(`${plan.mode} places legs one by one, not in a basket`);

  // Invariant 3: SMART_ORDER_DELAY before every leg after the first.
  const ex = tightenExecution({
    smartOrderDelayMs: plan.smartOrderDelayMs,
    riskReversalHedgeMs: plan.riskReversalHedgeMs,
  });
  for (const [idx, s] of plan.steps.entries()) {
    if (s.kind === 'LEG' && idx > 0 && !(s.delayBeforeMs >= ex.smartOrderDelayMs)) {
      return violation(
        `leg ${s.leg} follows the previous leg after ${s.delayBeforeMs} ms < SMART_ORDER_DELAY ${ex.smartOrderDelayMs} ms`,
      );
    }
  }

  const shorts = plan.legs.filter(isShortLeg);
  const at = (l: LegSpec) => position.get(l.leg)!;

  if (plan.mode === 'SHORT_FIRST_WITH_KILL_SWITCH' && dir === 'OPEN') {
    const put = shorts[0]!;
    const call = plan.legs.find((l) => !isShortLeg(l))!;
    const first = plan.steps[0];
    const second = plan.steps[1];
    if (plan.steps.length !== 2 || first?.kind !== 'LEG' || first.leg !== put.leg) {
      return violation('risk reversal sells the put first');
    }
    if (second?.kind !== 'LEG' || second.leg !== call.leg)
      return violation('risk reversal buys the call second');
    if (second.pricetype !== 'MARKET') return violation('risk reversal buys the call at MARKET');
    if (second.hedgeWithinMs === undefined || !(second.hedgeWithinMs <= ex.riskReversalHedgeMs)) {
      return violation(`the call must be bought within ${ex.riskReversalHedgeMs} ms`, {
        hedgeWithinMs: second.hedgeWithinMs ?? null,
      });
    }
    if (!(second.delayBeforeMs < second.hedgeWithinMs)) {
      return violation('the delay before the call leaves no time within the risk reversal window');
    }
    if (second.closeOnMissLeg !== put.leg) return violation('a missed call must close the put');
    return ALLOW;
  }

  // Hedge-first (opening): each short after its hedge; the plain HEDGE_FIRST buys every long first.
  // Closing: each hedge after the short it protects.
  for (const s of shorts) {
    const h = hedgeOf(plan.legs, s);
    if (!h) continue; // closing only the short: nothing to order it against
    const ok = dir === 'OPEN' ? at(h) < at(s) : at(s) < at(h);
    if (!ok) {
      return violation(
        dir === 'OPEN'
          ? `short ${s.leg} is sold before its hedge ${h.leg} is bought`
          : `hedge ${h.leg} is sold before short ${s.leg} is bought back`,
      );
    }
  }
  if (plan.mode === 'HEDGE_FIRST' && dir === 'OPEN') {
    const lastLong = Math.max(...plan.legs.filter((l) => !isShortLeg(l)).map(at));
    const firstShort = Math.min(...shorts.map(at));
    if (shorts.length > 0 && !(lastLong < firstShort))
      return violation('HEDGE_FIRST buys every long leg before any short');
  }
  return ALLOW;
}
