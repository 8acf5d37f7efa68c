import {
  type AccountState,
  type CircuitBreakers,
  type GateDenial,
  gateDenial,
  type QuoteFreshness,
} from '../../safety/index.js';
import type { ClaimedLeg } from './group-executor.js';

export interface GateInputs {
  readonly freshness: QuoteFreshness;
  readonly breakers: CircuitBreakers;
  /** Current account view (funds + book); `undefined` when it is not known yet. */
  readonly account: AccountState | undefined;
  /** Margin the group blocks (from OpenAlgo's margin endpoint, or the Risk agent's estimate). */
  readonly marginRequired: number;
  readonly nowMs: number;
}

/**
 * The Execution agent's last look before a group goes out (the Risk agent already sized it): §6 daily
 * loss, §4 market-data freshness (underlying, every option, depth for the slippage check, the feed
 * switch cooldown), then the §6 caps and the order-rate throttle on the whole group. Risk-reducing
 * groups (exits) skip nothing but the caps the breakers exempt them from.
 */
export function executionGate(legs: readonly ClaimedLeg[], g: GateInputs): GateDenial | null {
  const first = legs[0]!.event.payload;
  const reducesRisk = legs.every(
    (l) => l.event.payload.intent !== 'ENTRY' && l.event.payload.intent !== 'ADJUST',
  );
  if (!g.account) {
    return gateDenial(
      'SIZING_MARGIN_STALE',
      'execution.account',
      { reason: 'funds not yet read from the broker' },
      {},
    );
  }
  const loss = g.breakers.checkDailyLoss(g.account);
  if (!loss.ok) return loss;
  const fresh = g.freshness.checkOrderData(
    {
      underlying: first.underlying,
      options: legs
        .filter((l) => l.event.payload.option_type !== undefined)
        .map((l) => l.event.payload.symbol),
      // Limit orders are priced against the book: the slippage check needs depth (§4 NO_DEPTH).
      needDepth: legs.some((l) => l.event.payload.pricetype === 'LIMIT'),
    },
    g.nowMs,
  );
  if (!fresh.ok) return fresh;
  const notional = legs.reduce(
    (s, l) => s + l.event.payload.quantity * (l.event.payload.strike ?? l.event.payload.expected_price),
    0,
  );
  const b = g.breakers.checkOrder(
    {
      underlying: first.underlying,
      notional,
      marginRequired: reducesRisk ? 0 : g.marginRequired,
      reducesRisk,
      legs: legs.length,
    },
    g.account,
    g.nowMs,
  );
  return b.ok ? null : b;
}
