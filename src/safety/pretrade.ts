import type { TradingState } from '../contracts/index.js';
import type { AccountState, CircuitBreakers } from './circuit-breakers.js';
import { type GateDenial, gateDenial } from './denial.js';
import type { QuoteFreshness } from './freshness.js';
import type { SizingParams } from './limits.js';
import { runSizingChain, type SizingInput, type SizingStep } from './sizing-chain.js';
import { checkTradingState, type SafetyAction } from './trading-state.js';

export interface PreTradeOrder {
  readonly underlying: string;
  /** Option symbols traded (freshness of each quote). */
  readonly options: readonly string[];
  readonly needDepth: boolean;
  readonly reducesRisk: boolean;
  readonly safetyAction?: SafetyAction;
  /** Broker orders (legs) this decision places; default 1. */
  readonly legs?: number;
  /** Gross notional (₹) of one lot of the whole group, for the §6 notional cap. */
  readonly notionalPerLot: number;
  readonly leg?: string;
  readonly symbol?: string;
  /** Risk-reducing orders carry their own size (the position being closed) and skip the chain. */
  readonly lots?: number;
  readonly lotSize?: number;
}

export interface PreTradeInput {
  readonly state: TradingState;
  readonly order: PreTradeOrder;
  readonly account: AccountState;
  /** The §7 chain inputs for an opening order; ignored for risk-reducing ones. */
  readonly sizing: Omit<SizingInput, 'nowMs'> | null;
}

export interface PreTradeDeps {
  readonly freshness: QuoteFreshness;
  readonly breakers: CircuitBreakers;
  readonly sizingParams?: Partial<SizingParams>;
}

export type PreTradeResult =
  | {
      readonly ok: true;
      readonly lots: number;
      readonly quantity: number;
      readonly trace: readonly SizingStep[];
    }
  | { readonly ok: false; readonly denial: GateDenial; readonly trace: readonly SizingStep[] };

const NO_TRACE: readonly SizingStep[] = Object.freeze([]);

/**
 * The whole pre-trade check for one order decision, in precedence order: trading state, daily-loss
 * kill switch, §4 market-data freshness, §7 sizing chain, then the §6 caps and the rate throttle on
 * the sized order. Safety actions (the kill switch's orders, the unhedged force close) skip
 * freshness: a MARKET close needs no price, and waiting for a fresh quote would keep a naked short
 * open. Risk-reducing orders skip the sizing chain (their size is the position they close).
 */
export function preTradeCheck(deps: PreTradeDeps, input: PreTradeInput, nowMs: number): PreTradeResult {
  const o = input.order;
  const ctx = {
    ...(o.leg !== undefined ? { leg: o.leg } : {}),
    ...(o.symbol !== undefined ? { symbol: o.symbol } : {}),
  };
  const st = checkTradingState(input.state, o);
  if (!st.ok) return { ok: false, denial: st, trace: NO_TRACE };

  const safety = o.safetyAction !== undefined && o.reducesRisk;
  if (!safety) {
    const loss = deps.breakers.checkDailyLoss(input.account, ctx);
    if (!loss.ok) return { ok: false, denial: loss, trace: NO_TRACE };
    const fresh = deps.freshness.checkOrderData(o, nowMs);
    if (!fresh.ok) return { ok: false, denial: fresh, trace: NO_TRACE };
  }

  let lots: number;
  let quantity: number;
  let trace: readonly SizingStep[] = NO_TRACE;
  if (o.reducesRisk) {
    lots = o.lots ?? 0;
    quantity = lots * (o.lotSize ?? 0);
    if (!(Number.isInteger(lots) && lots > 0 && Number.isInteger(quantity) && quantity > 0)) {
      return {
        ok: false,
        denial: gateDenial(
          'SIZING_INVALID_INPUT',
          'pretrade.close_size',
          { lots: o.lots, lotSize: o.lotSize },
          ctx,
        ),
        trace,
      };
    }
  } else {
    if (input.sizing === null) {
      return {
        ok: false,
        denial: gateDenial('SIZING_INVALID_INPUT', 'sizing.input', { reason: 'sizing inputs missing' }, ctx),
        trace,
      };
    }
    const sized = runSizingChain({ ...input.sizing, nowMs }, deps.sizingParams);
    trace = sized.trace;
    if (!sized.ok) {
      const last = sized.trace[sized.trace.length - 1];
      return {
        ok: false,
        denial: gateDenial(
          sized.code,
          `sizing.step${last?.step ?? 0}`,
          { note: last?.note ?? '' },
          ctx,
          sized.message,
        ),
        trace,
      };
    }
    lots = sized.lots;
    quantity = sized.quantity;
  }

  const marginPerLot = input.sizing?.marginPerLot ?? 0;
  const b = deps.breakers.checkOrder(
    {
      underlying: o.underlying,
      notional: lots * o.notionalPerLot,
      marginRequired: o.reducesRisk ? 0 : lots * marginPerLot,
      reducesRisk: o.reducesRisk,
      ...(o.safetyAction !== undefined ? { safetyAction: o.safetyAction } : {}),
      ...(o.legs !== undefined ? { legs: o.legs } : {}),
      ...ctx,
    },
    input.account,
    nowMs,
  );
  if (!b.ok) return { ok: false, denial: b, trace };
  return { ok: true, lots, quantity, trace };
}
