/**
 * §5 Invariant 1 — per-strategy legging policy, locked at build time. Nothing at run time can
 * change it: the table is deep-frozen and no configuration variable reaches it.
 */
export const STRATEGY_TYPES = [
  'BULL_PUT_SPREAD',
  'BEAR_CALL_SPREAD',
  'IRON_CONDOR',
  'RISK_REVERSAL',
  'DITM_CALL',
  'CALENDAR_DIAGONAL',
  'BLACK_SWAN_HEDGE',
] as const;
export type StrategyTypeName = (typeof STRATEGY_TYPES)[number];

export type LeggingMode =
  | 'ATOMIC'
  | 'HEDGE_FIRST'
  | 'HEDGE_FIRST_PER_SIDE'
  | 'SHORT_FIRST_WITH_KILL_SWITCH'
  | 'SINGLE_LEG';

export interface LeggingPolicy {
  readonly preferred: 'ATOMIC' | 'SINGLE_LEG';
  readonly fallback: LeggingMode;
  readonly rationale: string;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export const LEGGING_POLICIES: Readonly<Record<StrategyTypeName, LeggingPolicy>> = deepFreeze({
  BULL_PUT_SPREAD: {
    preferred: 'ATOMIC',
    fallback: 'HEDGE_FIRST',
    rationale: 'Buy the long put, then sell the short put: the hedge exists before short exposure',
  },
  BEAR_CALL_SPREAD: {
    preferred: 'ATOMIC',
    fallback: 'HEDGE_FIRST',
    rationale: 'Buy the long call, then sell the short call',
  },
  IRON_CONDOR: {
    preferred: 'ATOMIC',
    fallback: 'HEDGE_FIRST_PER_SIDE',
    rationale: 'Buy the wings, then sell the shorts, per side: never naked on either side',
  },
  RISK_REVERSAL: {
    preferred: 'ATOMIC',
    fallback: 'SHORT_FIRST_WITH_KILL_SWITCH',
    rationale:
      'Sell the put, then buy the call at MARKET within 3 s: premium capture matters, the call is cheap',
  },
  DITM_CALL: { preferred: 'SINGLE_LEG', fallback: 'SINGLE_LEG', rationale: 'No hedge leg needed' },
  CALENDAR_DIAGONAL: {
    preferred: 'ATOMIC',
    fallback: 'HEDGE_FIRST',
    rationale: 'Buy the back month, then sell the front month: the long leg protects',
  },
  BLACK_SWAN_HEDGE: { preferred: 'SINGLE_LEG', fallback: 'SINGLE_LEG', rationale: 'Long puts only' },
});
