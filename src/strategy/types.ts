import type { Config } from '../config/index.js';
import type { Action, LegRole, OptionType, RegimeClass } from '../contracts/index.js';
import type { ChainSnapshot, OptionQuote } from '../quant/index.js';

/** The credit strategies this module defines (Phase 2). */
export type CreditStrategyType = 'BULL_PUT_SPREAD' | 'BEAR_CALL_SPREAD' | 'IRON_CONDOR';

/** Leg names; they are the `{leg}` of the §3 idempotency key `{strategy_id}:{leg}:{action}`. */
export type LegName = 'short_put' | 'long_put' | 'short_call' | 'long_call';

/** How a leg's strike is chosen. */
export type StrikeRule =
  /** The listed strike whose |delta| is nearest `strategy.shortDelta`. */
  | { readonly kind: 'SHORT_DELTA' }
  /** `strategy.wingWidthStrikes` listed strikes further out of the money than leg `from`. */
  | { readonly kind: 'WING'; readonly from: LegName };

export interface LegDefinition {
  readonly name: LegName;
  /** SHORT legs collect premium; HEDGE legs cap their loss (§5: the hedge exists before the short). */
  readonly role: Extract<LegRole, 'SHORT' | 'HEDGE'>;
  readonly optionType: OptionType;
  /** Opening action; an exit reverses it. */
  readonly action: Action;
  readonly strike: StrikeRule;
  /** The leg this one is paired with (short ↔ its hedge). */
  readonly pairLeg: LegName;
}

export type ExitRule = 'SHORT_STRIKE_BREACHED' | 'STOP_LOSS' | 'DYNAMIC_STOP' | 'DTE_EXIT' | 'PROFIT_TARGET';

/** A strategy as data: its legs (hedges first), the regimes it may open in, and its exits. */
export interface StrategyDefinition {
  readonly type: CreditStrategyType;
  /** Short code used in strategy ids, e.g. `BPS-NIFTY-20260105-1`. */
  readonly code: 'BPS' | 'BCS' | 'IC';
  readonly direction: 'BULLISH' | 'BEARISH' | 'NEUTRAL';
  readonly legs: readonly LegDefinition[];
  readonly entryRegimes: readonly RegimeClass[];
  /** Exit rules in the order they are checked. */
  readonly exits: readonly ExitRule[];
}

/** The `strategy` config section (Phase 2 parameters). */
export type StrategyParams = Pick<
  Config['strategy'],
  | 'shortDelta'
  | 'wingWidthStrikes'
  | 'minDte'
  | 'maxDte'
  | 'exitDte'
  | 'profitTargetPct'
  | 'stopLossMultiple'
  | 'impliedMoveMultiple'
  | 'riskFreeRatePct'
>;

export type BlackSwanParams = Config['blackSwan'];

/** A chain quote that also names its tradable symbol (OpenAlgo's optionchain gives both). */
export interface TradableQuote extends OptionQuote {
  readonly symbol?: string;
  readonly lotSize?: number;
}
export interface TradableRow {
  readonly strike: number;
  readonly ce?: TradableQuote;
  readonly pe?: TradableQuote;
}
export interface TradableExpiry {
  readonly expiry: string;
  readonly T?: number;
  readonly rows: readonly TradableRow[];
}

/** An option chain the strategies can trade from: analytics snapshot + symbols and contract size. */
export interface StrategyChain extends ChainSnapshot {
  readonly expiries: readonly TradableExpiry[];
  /** Exchange of the option contracts (default NFO). */
  readonly exchange?: string;
  /** Contract (lot) size; a quote's own `lotSize` wins. */
  readonly lotSize?: number;
}

export interface SelectedLeg {
  readonly name: LegName;
  readonly role: 'SHORT' | 'HEDGE';
  readonly optionType: OptionType;
  readonly action: Action;
  readonly pairLeg: LegName;
  readonly expiry: string;
  readonly strike: number;
  readonly symbol: string;
  /** Price the decision assumes (mid, else LTP), per unit. */
  readonly expectedPrice: number;
  /** BSM delta at the quote's IV (negative for puts); null when no IV could be had. */
  readonly delta: number | null;
  readonly iv: number | null;
}

export type SelectReason =
  | 'NO_EXPIRY_IN_WINDOW'
  | 'NO_SHORT_STRIKE'
  | 'SHORT_DELTA_OFF'
  | 'NO_HEDGE_STRIKE'
  | 'NO_PRICE'
  | 'NO_CREDIT'
  | 'NO_LOT_SIZE';

export type LegSelection =
  | {
      readonly ok: true;
      readonly strategyType: CreditStrategyType;
      readonly underlying: string;
      readonly exchange: string;
      readonly spot: number;
      readonly expiry: string;
      /** Calendar days to the 15:30 IST expiry close, fractional. */
      readonly dte: number;
      readonly lotSize: number;
      /** Hedges first, then shorts (the order they are placed when opening). */
      readonly legs: readonly SelectedLeg[];
      /** Premium collected per unit: Σ short prices − Σ hedge prices (> 0). */
      readonly creditPerUnit: number;
      /** Widest spread between a short and its hedge, in points. */
      readonly widthPoints: number;
      /** Worst loss per unit at expiry: width − credit. */
      readonly maxLossPerUnit: number;
      /** Straddle-implied move to expiry, points (null when the chain has no ATM straddle). */
      readonly impliedMove: number | null;
    }
  | {
      readonly ok: false;
      readonly reason: SelectReason;
      readonly message: string;
      readonly details: Readonly<Record<string, unknown>>;
    };

/** One leg of an open position, as the exit rules see it. */
export interface OpenLeg {
  readonly name: LegName;
  readonly role: 'SHORT' | 'HEDGE';
  readonly optionType: OptionType;
  readonly strike: number;
  readonly symbol: string;
  /** Units held (positive). */
  readonly quantity: number;
  /** Average entry price per unit. */
  readonly entryPrice: number;
  readonly pairLeg?: LegName;
}

export interface OpenStrategy {
  readonly strategyId: string;
  readonly strategyType: CreditStrategyType;
  readonly underlying: string;
  readonly exchange: string;
  readonly expiry: string;
  readonly lotSize: number;
  readonly legs: readonly OpenLeg[];
  /** Underlying price when opened; with `impliedMove` it anchors the dynamic stop. */
  readonly entryUnderlying?: number;
  /** Straddle-implied move (points) used for the dynamic stop. */
  readonly impliedMove?: number;
}

export type ExitDecision =
  | { readonly action: 'HOLD'; readonly details: Readonly<Record<string, unknown>> }
  | {
      readonly action: 'CLOSE';
      readonly reason: ExitRule;
      readonly message: string;
      readonly details: Readonly<Record<string, unknown>>;
    };
