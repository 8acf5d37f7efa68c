import type { RegimeClass } from '../contracts/index.js';
import type { CreditStrategyType, ExitRule, StrategyDefinition } from './types.js';

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

const EXITS: readonly ExitRule[] = [
  'SHORT_STRIKE_BREACHED',
  'STOP_LOSS',
  'DYNAMIC_STOP',
  'DTE_EXIT',
  'PROFIT_TARGET',
];

/**
 * Phase 2 credit strategies as data. Legs are listed hedge first: that is the order they are placed
 * when opening (§5 HEDGE_FIRST), and the reverse of the order they are closed in.
 */
export const STRATEGIES: Readonly<Record<CreditStrategyType, StrategyDefinition>> = deepFreeze({
  BULL_PUT_SPREAD: {
    type: 'BULL_PUT_SPREAD',
    code: 'BPS',
    direction: 'BULLISH',
    legs: [
      {
        name: 'long_put',
        role: 'HEDGE',
        optionType: 'PE',
        action: 'BUY',
        strike: { kind: 'WING', from: 'short_put' },
        pairLeg: 'short_put',
      },
      {
        name: 'short_put',
        role: 'SHORT',
        optionType: 'PE',
        action: 'SELL',
        strike: { kind: 'SHORT_DELTA' },
        pairLeg: 'long_put',
      },
    ],
    entryRegimes: ['BULLISH'],
    exits: EXITS,
  },
  BEAR_CALL_SPREAD: {
    type: 'BEAR_CALL_SPREAD',
    code: 'BCS',
    direction: 'BEARISH',
    legs: [
      {
        name: 'long_call',
        role: 'HEDGE',
        optionType: 'CE',
        action: 'BUY',
        strike: { kind: 'WING', from: 'short_call' },
        pairLeg: 'short_call',
      },
      {
        name: 'short_call',
        role: 'SHORT',
        optionType: 'CE',
        action: 'SELL',
        strike: { kind: 'SHORT_DELTA' },
        pairLeg: 'long_call',
      },
    ],
    entryRegimes: ['BEARISH'],
    exits: EXITS,
  },
  IRON_CONDOR: {
    type: 'IRON_CONDOR',
    code: 'IC',
    direction: 'NEUTRAL',
    legs: [
      {
        name: 'long_put',
        role: 'HEDGE',
        optionType: 'PE',
        action: 'BUY',
        strike: { kind: 'WING', from: 'short_put' },
        pairLeg: 'short_put',
      },
      {
        name: 'long_call',
        role: 'HEDGE',
        optionType: 'CE',
        action: 'BUY',
        strike: { kind: 'WING', from: 'short_call' },
        pairLeg: 'short_call',
      },
      {
        name: 'short_put',
        role: 'SHORT',
        optionType: 'PE',
        action: 'SELL',
        strike: { kind: 'SHORT_DELTA' },
        pairLeg: 'long_put',
      },
      {
        name: 'short_call',
        role: 'SHORT',
        optionType: 'CE',
        action: 'SELL',
        strike: { kind: 'SHORT_DELTA' },
        pairLeg: 'long_call',
      },
    ],
    entryRegimes: ['CONGESTION'],
    exits: EXITS,
  },
} satisfies Record<CreditStrategyType, StrategyDefinition>);

export const CREDIT_STRATEGY_TYPES: readonly CreditStrategyType[] = Object.freeze([
  'BULL_PUT_SPREAD',
  'BEAR_CALL_SPREAD',
  'IRON_CONDOR',
]);

export function isCreditStrategy(s: string): s is CreditStrategyType {
  return (CREDIT_STRATEGY_TYPES as readonly string[]).includes(s);
}

export function strategyDefinition(type: CreditStrategyType): StrategyDefinition {
  return STRATEGIES[type];
}

/** Regimes in which no new short premium is sold, whatever the strategy. */
export const NO_TRADE_REGIMES: readonly RegimeClass[] = Object.freeze(['BLOWOFF', 'NO_TRADE']);

/**
 * Regime flags that forbid opening short premium: extreme volatility, missing inputs, and greeks too
 * stale to pick strikes by delta (§4 GREEKS_API_STALE: "block credit spread signals"). Any flag
 * starting with `NO_TRADE` is also a stop. Not here on purpose: HIGH_VOL (VIX above the high
 * threshold) — §7 step 4 sizes it down (the VIX multiplier), blocking it would make that step dead —
 * and THIN_PREMIUM (VIX below the low mark), which is information for the journal, not a cut-off.
 */
export const NO_TRADE_FLAGS: readonly string[] = Object.freeze([
  // Raised by the Regime agent's rules (src/agents/regime REGIME_FLAGS).
  'VIX_NO_TRADE',
  'VIX_MISSING',
  'INSUFFICIENT_DATA',
  // §4: API greeks too old to pick strikes by delta.
  'GREEKS_API_STALE',
  'NO_TRADE',
]);

export type EntryCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: 'REGIME_NO_TRADE' | 'REGIME_MISMATCH' | 'NO_TRADE_FLAG';
      readonly message: string;
    };

/** Whether `def` may open in this regime (class and flags of a REGIME_UPDATE). */
export function entryAllowed(
  def: StrategyDefinition,
  regime: { readonly regime: RegimeClass; readonly flags: readonly string[] },
): EntryCheck {
  if (NO_TRADE_REGIMES.includes(regime.regime)) {
    return { ok: false, reason: 'REGIME_NO_TRADE', message: `no new short premium in ${regime.regime}` };
  }
  const flag = regime.flags.find((f) => NO_TRADE_FLAGS.includes(f) || f.startsWith('NO_TRADE'));
  if (flag !== undefined) {
    return { ok: false, reason: 'NO_TRADE_FLAG', message: `regime flag ${flag} forbids new short premium` };
  }
  if (!def.entryRegimes.includes(regime.regime)) {
    return {
      ok: false,
      reason: 'REGIME_MISMATCH',
      message: `${def.type} opens in ${def.entryRegimes.join('/')}, not ${regime.regime}`,
    };
  }
  return { ok: true };
}

/** The strategies (among `enabled`) that open in this regime. */
export function strategiesForRegime(
  regime: { readonly regime: RegimeClass; readonly flags: readonly string[] },
  enabled: readonly string[],
): StrategyDefinition[] {
  return CREDIT_STRATEGY_TYPES.filter((t) => enabled.includes(t))
    .map((t) => STRATEGIES[t])
    .filter((d) => entryAllowed(d, regime).ok);
}
