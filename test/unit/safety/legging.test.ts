import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEGGING_POLICIES, loadConfig, type StrategyTypeName } from '../../../src/config/index.js';
import {
  type LeggingPlan,
  type LegSpec,
  type PlanInput,
  type PlanStep,
  planLegging,
  validatePlan,
} from '../../../src/safety/index.js';

// test_execution_safety, invariants 1 and 3: every legging policy of the §5 table.

const Q = 130;
const leg = (
  name: string,
  action: 'BUY' | 'SELL',
  role: LegSpec['role'],
  over: Partial<LegSpec> = {},
): LegSpec => ({
  leg: name,
  action,
  role,
  quantity: Q,
  symbol: `SYM_${name}`,
  ...over,
});

const GROUPS: Record<StrategyTypeName, LegSpec[]> = {
  BULL_PUT_SPREAD: [
    leg('short_put', 'SELL', 'SHORT', { pairLeg: 'long_put', side: 'PUT' }),
    leg('long_put', 'BUY', 'HEDGE', { pairLeg: 'short_put', side: 'PUT' }),
  ],
  BEAR_CALL_SPREAD: [
    leg('short_call', 'SELL', 'SHORT', { pairLeg: 'long_call', side: 'CALL' }),
    leg('long_call', 'BUY', 'HEDGE', { side: 'CALL' }),
  ],
  IRON_CONDOR: [
    leg('short_call', 'SELL', 'SHORT', { pairLeg: 'call_wing', side: 'CALL' }),
    leg('short_put', 'SELL', 'SHORT', { pairLeg: 'put_wing', side: 'PUT' }),
    leg('call_wing', 'BUY', 'HEDGE', { side: 'CALL' }),
    leg('put_wing', 'BUY', 'HEDGE', { side: 'PUT' }),
  ],
  RISK_REVERSAL: [
    leg('short_put', 'SELL', 'SHORT', { pairLeg: 'long_call', side: 'PUT' }),
    leg('long_call', 'BUY', 'LONG', { side: 'CALL' }),
  ],
  DITM_CALL: [leg('ditm_call', 'BUY', 'SINGLE', { side: 'CALL' })],
  CALENDAR_DIAGONAL: [
    leg('front_short', 'SELL', 'SHORT', { pairLeg: 'back_long', expiry: '2026-02-26' }),
    leg('back_long', 'BUY', 'HEDGE', { expiry: '2026-03-26' }),
  ],
  BLACK_SWAN_HEDGE: [leg('tail_put', 'BUY', 'SINGLE', { side: 'PUT' })],
};

const plan = (strategyType: StrategyTypeName, basketSupported: boolean, over: Partial<PlanInput> = {}) => {
  const r = planLegging({ strategyType, legs: GROUPS[strategyType], basketSupported, ...over });
  if (!r.ok) throw new Error(`plan refused: ${r.message}`);
  return r.plan;
};
const order = (p: LeggingPlan) =>
  p.steps.map((s) => (s.kind === 'BASKET' ? `[${s.legs.join(',')}]` : `${s.leg}@${s.delayBeforeMs}`));
const violationOf = (p: LeggingPlan) => {
  const v = validatePlan(p, LEGGING_POLICIES[p.strategyType]);
  return v.ok ? null : v.code;
};

describe('invariant 1: ATOMIC first when the broker supports baskets', () => {
  it.each([
    'BULL_PUT_SPREAD',
    'BEAR_CALL_SPREAD',
    'IRON_CONDOR',
    'RISK_REVERSAL',
    'CALENDAR_DIAGONAL',
  ] as const)('%s → one basket, hedges listed first', (s) => {
    const p = plan(s, true);
    expect(p.mode).toBe('ATOMIC');
    expect(p.steps).toHaveLength(1);
    const basket = p.steps[0]!;
    expect(basket.kind === 'BASKET' && basket.legs.length).toBe(GROUPS[s].length);
    if (basket.kind === 'BASKET') {
      const shortFlags = basket.legs.map((n) => GROUPS[s].find((l) => l.leg === n)!.role === 'SHORT');
      expect(shortFlags).toEqual([...shortFlags].sort((a, b) => Number(a) - Number(b)));
    }
    expect(violationOf(p)).toBeNull();
  });

  it.each(['DITM_CALL', 'BLACK_SWAN_HEDGE'] as const)('%s is SINGLE_LEG even with baskets', (s) => {
    const p = plan(s, true);
    expect(p.mode).toBe('SINGLE_LEG');
    expect(violationOf(p)).toBeNull();
  });
});

describe('invariant 1: the fallback exactly as the table says (no basket)', () => {
  it('Bull Put Spread: HEDGE_FIRST — buy long put, then sell short put', () => {
    const p = plan('BULL_PUT_SPREAD', false);
    expect([p.mode, order(p)]).toEqual(['HEDGE_FIRST', ['long_put@0', 'short_put@500']]);
    expect(violationOf(p)).toBeNull();
  });

  it('Bear Call Spread: HEDGE_FIRST — buy long call, then sell short call', () => {
    const p = plan('BEAR_CALL_SPREAD', false);
    expect([p.mode, order(p)]).toEqual(['HEDGE_FIRST', ['long_call@0', 'short_call@500']]);
    expect(violationOf(p)).toBeNull();
  });

  it('Iron Condor: HEDGE_FIRST per side — put wing, put short, call wing, call short', () => {
    const p = plan('IRON_CONDOR', false);
    expect([p.mode, order(p)]).toEqual([
      'HEDGE_FIRST_PER_SIDE',
      ['put_wing@0', 'short_put@500', 'call_wing@500', 'short_call@500'],
    ]);
    expect(violationOf(p)).toBeNull();
  });

  it('Risk Reversal: SHORT_FIRST_WITH_KILL_SWITCH — sell put, buy call at MARKET within 3 s or close the put', () => {
    const p = plan('RISK_REVERSAL', false);
    expect(p.mode).toBe('SHORT_FIRST_WITH_KILL_SWITCH');
    expect(p.steps).toEqual([
      { kind: 'LEG', leg: 'short_put', delayBeforeMs: 0 },
      {
        kind: 'LEG',
        leg: 'long_call',
        delayBeforeMs: 500,
        pricetype: 'MARKET',
        hedgeWithinMs: 3_000,
        closeOnMissLeg: 'short_put',
      },
    ]);
    expect(violationOf(p)).toBeNull();
  });

  it('DITM Call: SINGLE_LEG', () => {
    const p = plan('DITM_CALL', false);
    expect([p.mode, order(p)]).toEqual(['SINGLE_LEG', ['ditm_call@0']]);
    expect(violationOf(p)).toBeNull();
  });

  it('Calendar/Diagonal: HEDGE_FIRST — buy back month, then sell front month', () => {
    const p = plan('CALENDAR_DIAGONAL', false);
    expect([p.mode, order(p)]).toEqual(['HEDGE_FIRST', ['back_long@0', 'front_short@500']]);
    expect(violationOf(p)).toBeNull();
  });

  it('closing mirrors it: shorts bought back before their hedges are sold (condor per side)', () => {
    const close = (l: LegSpec): LegSpec => ({ ...l, action: l.action === 'BUY' ? 'SELL' : 'BUY' });
    const r = planLegging({
      strategyType: 'IRON_CONDOR',
      legs: GROUPS.IRON_CONDOR.map(close),
      basketSupported: false,
      direction: 'CLOSE',
    });
    expect(r.ok && order(r.plan)).toEqual(['short_put@0', 'put_wing@500', 'short_call@500', 'call_wing@500']);
    if (r.ok) expect(violationOf(r.plan)).toBeNull();
    const bad = r.ok ? { ...r.plan, steps: [...r.plan.steps].reverse() } : null;
    expect(bad && violationOf(bad)).toBe('LEGGING_POLICY_VIOLATION');
  });

  it('a closing group may be part of the position (one side, a lone short), still short before hedge', () => {
    const close = (l: LegSpec): LegSpec => ({ ...l, action: l.action === 'BUY' ? 'SELL' : 'BUY' });
    const putSide = GROUPS.IRON_CONDOR.filter((l) => l.side === 'PUT').map(close);
    const r = planLegging({
      strategyType: 'IRON_CONDOR',
      legs: putSide,
      basketSupported: false,
      direction: 'CLOSE',
    });
    expect(r.ok && order(r.plan)).toEqual(['short_put@0', 'put_wing@500']);
    const lone = GROUPS.IRON_CONDOR.filter((l) => l.leg === 'short_call').map(close);
    expect(
      planLegging({ strategyType: 'IRON_CONDOR', legs: lone, basketSupported: false, direction: 'CLOSE' }).ok,
    ).toBe(true);
    const rr = planLegging({
      strategyType: 'RISK_REVERSAL',
      legs: GROUPS.RISK_REVERSAL.map(close),
      basketSupported: false,
      direction: 'CLOSE',
    });
    expect(rr.ok && order(rr.plan)).toEqual(['short_put@0', 'long_call@500']);
    // A closing group must still close: a "close" that sells a short is refused.
    const wrong = GROUPS.BULL_PUT_SPREAD.map((l) => ({ ...l }));
    expect(
      planLegging({
        strategyType: 'BULL_PUT_SPREAD',
        legs: wrong,
        basketSupported: false,
        direction: 'CLOSE',
      }).ok,
    ).toBe(false);
  });
});

describe('invariant 1: validatePlan refuses any plan that breaks the policy', () => {
  const swap = (p: LeggingPlan, steps: PlanStep[]): LeggingPlan => ({ ...p, steps });

  it('a short sold before its hedge', () => {
    const p = plan('BULL_PUT_SPREAD', false);
    expect(
      violationOf(
        swap(p, [
          { kind: 'LEG', leg: 'short_put', delayBeforeMs: 0 },
          { kind: 'LEG', leg: 'long_put', delayBeforeMs: 500 },
        ]),
      ),
    ).toBe('LEGGING_POLICY_VIOLATION');
  });

  it('condor: a short before its own side wing (even with the other wing bought)', () => {
    const p = plan('IRON_CONDOR', false);
    const steps: PlanStep[] = ['call_wing', 'short_put', 'put_wing', 'short_call'].map((l, i) => ({
      kind: 'LEG',
      leg: l,
      delayBeforeMs: i ? 500 : 0,
    }));
    expect(violationOf(swap(p, steps))).toBe('LEGGING_POLICY_VIOLATION');
  });

  it('a leg missing, a leg twice, an unknown leg', () => {
    const p = plan('IRON_CONDOR', false);
    expect(violationOf(swap(p, p.steps.slice(0, 3)))).toBe('LEGGING_POLICY_VIOLATION');
    expect(violationOf(swap(p, [...p.steps, p.steps[0]!]))).toBe('LEGGING_POLICY_VIOLATION');
    expect(violationOf(swap(p, [...p.steps, { kind: 'LEG', leg: 'ghost', delayBeforeMs: 500 }]))).toBe(
      'LEGGING_POLICY_VIOLATION',
    );
  });

  it('a hedge smaller than its short (partial cover is not cover)', () => {
    const legs = GROUPS.BULL_PUT_SPREAD.map((l) => (l.role === 'HEDGE' ? { ...l, quantity: 65 } : l));
    const r = planLegging({ strategyType: 'BULL_PUT_SPREAD', legs, basketSupported: false });
    expect(r.ok ? null : r.code).toBe('LEGGING_POLICY_VIOLATION');
    const p = plan('BULL_PUT_SPREAD', false);
    expect(violationOf({ ...p, legs })).toBe('LEGGING_POLICY_VIOLATION');
  });

  it('a short with no paired hedge, or a condor short hedged by the other side', () => {
    const naked = [leg('short_put', 'SELL', 'SHORT', { side: 'PUT' }), leg('long_put', 'BUY', 'LONG')];
    expect(planLegging({ strategyType: 'BULL_PUT_SPREAD', legs: naked, basketSupported: true }).ok).toBe(
      false,
    );
    const crossed = GROUPS.IRON_CONDOR.map((l) =>
      l.leg === 'short_put'
        ? { ...l, pairLeg: 'call_wing' }
        : l.leg === 'short_call'
          ? { ...l, pairLeg: 'put_wing' }
          : l,
    );
    expect(planLegging({ strategyType: 'IRON_CONDOR', legs: crossed, basketSupported: false }).ok).toBe(
      false,
    );
  });

  it('the fallback chosen while the broker supports baskets, or a basket in a fallback plan', () => {
    const fallback = plan('BULL_PUT_SPREAD', false);
    expect(violationOf({ ...fallback, basketSupported: true })).toBe('LEGGING_POLICY_VIOLATION');
    const atomic = plan('BULL_PUT_SPREAD', true);
    expect(violationOf({ ...atomic, basketSupported: false })).toBe('LEGGING_POLICY_VIOLATION');
    expect(violationOf({ ...fallback, steps: atomic.steps })).toBe('LEGGING_POLICY_VIOLATION');
  });

  it('risk reversal: the call not at MARKET, a deadline over 3 s, or no put close on a miss', () => {
    const p = plan('RISK_REVERSAL', false);
    const call = p.steps[1] as Extract<PlanStep, { kind: 'LEG' }>;
    const { pricetype: _p, ...limitCall } = call;
    expect(violationOf(swap(p, [p.steps[0]!, limitCall]))).toBe('LEGGING_POLICY_VIOLATION');
    expect(violationOf(swap(p, [p.steps[0]!, { ...call, hedgeWithinMs: 3_001 }]))).toBe(
      'LEGGING_POLICY_VIOLATION',
    );
    const { closeOnMissLeg: _c, ...noClose } = call;
    expect(violationOf(swap(p, [p.steps[0]!, noClose]))).toBe('LEGGING_POLICY_VIOLATION');
    expect(violationOf(swap(p, [p.steps[1]!, { ...p.steps[0]!, delayBeforeMs: 500 } as PlanStep]))).toBe(
      'LEGGING_POLICY_VIOLATION',
    );
  });

  it('a calendar whose long leg is the nearer month', () => {
    const legs = GROUPS.CALENDAR_DIAGONAL.map((l) => ({
      ...l,
      expiry: l.role === 'SHORT' ? '2026-04-30' : '2026-02-26',
    }));
    expect(planLegging({ strategyType: 'CALENDAR_DIAGONAL', legs, basketSupported: false }).ok).toBe(false);
  });

  it('a single-leg strategy with a short', () => {
    const legs = [leg('naked', 'SELL', 'SHORT', { side: 'CALL' })];
    expect(planLegging({ strategyType: 'DITM_CALL', legs, basketSupported: false }).ok).toBe(false);
  });
});

describe('invariant 3: SMART_ORDER_DELAY (0.5 s) between legs', () => {
  it('every leg after the first waits ≥ 500 ms; 499 ms is a violation', () => {
    const p = plan('IRON_CONDOR', false);
    const fast = p.steps.map((s, i) => (s.kind === 'LEG' && i > 0 ? { ...s, delayBeforeMs: 499 } : s));
    expect(violationOf({ ...p, steps: fast })).toBe('LEGGING_POLICY_VIOLATION');
  });

  it('a config delay below 500 ms is raised to 500; above it is kept', () => {
    expect(order(plan('BULL_PUT_SPREAD', false, { smartOrderDelayMs: 10 }))).toEqual([
      'long_put@0',
      'short_put@500',
    ]);
    expect(order(plan('BULL_PUT_SPREAD', false, { smartOrderDelayMs: 800 }))).toEqual([
      'long_put@0',
      'short_put@800',
    ]);
    // A plan claiming a lower delay still has to meet 500 ms.
    const p = plan('BULL_PUT_SPREAD', false);
    const lowered = {
      ...p,
      smartOrderDelayMs: 0,
      steps: p.steps.map((s) => (s.kind === 'LEG' && s.delayBeforeMs ? { ...s, delayBeforeMs: 100 } : s)),
    };
    expect(violationOf(lowered)).toBe('LEGGING_POLICY_VIOLATION');
  });
});

describe('the policy table cannot be changed at run time or by config (§5)', () => {
  it('LEGGING_POLICIES is deep-frozen', () => {
    expect(Object.isFrozen(LEGGING_POLICIES)).toBe(true);
    expect(Object.isFrozen(LEGGING_POLICIES.RISK_REVERSAL)).toBe(true);
    expect(() => {
      (LEGGING_POLICIES as unknown as Record<string, unknown>).BULL_PUT_SPREAD = {
        preferred: 'ATOMIC',
        fallback: 'SHORT_FIRST_WITH_KILL_SWITCH',
      };
    }).toThrow(TypeError);
    expect(() => {
      (LEGGING_POLICIES.IRON_CONDOR as { fallback: string }).fallback = 'HEDGE_FIRST';
    }).toThrow(TypeError);
  });

  it('no configuration reaches it: any env leaves the table and the plans identical', () => {
    const before = JSON.stringify(LEGGING_POLICIES);
    const r = loadConfig({
      env: {
        TOMIC_SMART_ORDER_DELAY_MS: '500',
        TOMIC_RISK_REVERSAL_HEDGE_MS: '3000',
        TOMIC_BASKET_ORDERS: 'off',
        TOMIC_ENABLED_STRATEGIES: 'RISK_REVERSAL,IRON_CONDOR',
      },
      envFile: null,
      cwd: '/tmp',
    });
    expect(r.ok).toBe(true);
    expect(JSON.stringify(LEGGING_POLICIES)).toBe(before);
    // Out-of-range values are refused by loadConfig.
    const bad = loadConfig({
      env: { TOMIC_SMART_ORDER_DELAY_MS: '100', TOMIC_RISK_REVERSAL_HEDGE_MS: '10000' },
      envFile: null,
      cwd: '/tmp',
    });
    expect(bad.ok ? [] : bad.errors.map((e) => e.split(':')[0])).toEqual([
      'TOMIC_SMART_ORDER_DELAY_MS',
      'TOMIC_RISK_REVERSAL_HEDGE_MS',
    ]);
  });

  it('a plan validated against any other policy is refused', () => {
    const p = plan('RISK_REVERSAL', false);
    const forged = {
      preferred: 'ATOMIC',
      fallback: 'SHORT_FIRST_WITH_KILL_SWITCH',
      rationale: 'mine',
    } as const;
    const v = validatePlan(p, forged);
    expect(v.ok ? null : v.code).toBe('LEGGING_POLICY_VIOLATION');
    const bps = plan('BULL_PUT_SPREAD', false);
    expect(validatePlan(bps, LEGGING_POLICIES.RISK_REVERSAL).ok).toBe(false);
  });

  it('a risk reversal deadline from config can only tighten (10 s → 3 s)', () => {
    const p = plan('RISK_REVERSAL', false, { riskReversalHedgeMs: 10_000 });
    expect((p.steps[1] as { hedgeWithinMs?: number }).hedgeWithinMs).toBe(3_000);
    expect(
      (plan('RISK_REVERSAL', false, { riskReversalHedgeMs: 1_500 }).steps[1] as { hedgeWithinMs?: number })
        .hedgeWithinMs,
    ).toBe(1_500);
  });
});

describe('properties', () => {
  const strategies = Object.keys(GROUPS) as StrategyTypeName[];

  it('whatever order the legs arrive in, the planned plan validates and keeps the hedge first', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...strategies),
        fc.boolean(),
        fc.integer({ min: 0, max: 5_000 }),
        fc.infiniteStream(fc.nat()),
        (s, basket, delay, seeds) => {
          const legs = [...GROUPS[s]];
          for (let i = legs.length - 1; i > 0; i--) {
            const j = seeds.next().value % (i + 1);
            [legs[i], legs[j]] = [legs[j]!, legs[i]!];
          }
          const r = planLegging({ strategyType: s, legs, basketSupported: basket, smartOrderDelayMs: delay });
          if (!r.ok) return s === 'RISK_REVERSAL' && !basket && delay >= 3_000;
          expect(validatePlan(r.plan).ok).toBe(true);
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('any reordering of a hedged fallback plan validates iff every short comes after its hedge', () => {
    const hedged = ['BULL_PUT_SPREAD', 'BEAR_CALL_SPREAD', 'IRON_CONDOR', 'CALENDAR_DIAGONAL'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...hedged), fc.infiniteStream(fc.nat()), (s, seeds) => {
        const p = plan(s, false);
        const names = p.steps.map((x) => (x.kind === 'LEG' ? x.leg : ''));
        for (let i = names.length - 1; i > 0; i--) {
          const j = seeds.next().value % (i + 1);
          [names[i], names[j]] = [names[j]!, names[i]!];
        }
        const steps: PlanStep[] = names.map((n, i) => ({ kind: 'LEG', leg: n, delayBeforeMs: i ? 500 : 0 }));
        const idx = (n: string) => names.indexOf(n);
        const legs = GROUPS[s];
        const shorts = legs.filter((l) => l.role === 'SHORT');
        const hedgeOf = (l: LegSpec) => l.pairLeg ?? legs.find((h) => h.pairLeg === l.leg)!.leg;
        let expected = shorts.every((x) => idx(hedgeOf(x)) < idx(x.leg));
        if (s !== 'IRON_CONDOR') {
          const lastLong = Math.max(...legs.filter((l) => l.role !== 'SHORT').map((l) => idx(l.leg)));
          expected &&= lastLong < Math.min(...shorts.map((l) => idx(l.leg)));
        }
        expect(validatePlan({ ...p, steps }).ok).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });
});
