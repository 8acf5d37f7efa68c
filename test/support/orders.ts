import type { Clock } from '../../src/clock/index.js';
import { makeEvent, type OrderRequest, type OrderRequestPayload } from '../../src/contracts/index.js';

export const STRATEGY_ID = 'TOMIC_VOL_BPS_NIFTY_20260215';

/** A leg of a bull put spread (long_put hedge + short_put) as the Risk agent would enqueue it. */
export function bpsLeg(
  clock: Clock,
  leg: 'long_put' | 'short_put',
  over: Partial<OrderRequestPayload> = {},
): OrderRequest {
  const short = leg === 'short_put';
  return makeEvent(
    clock,
    'ORDER_REQUEST',
    { source_agent: 'risk', strategy_id: STRATEGY_ID, correlation_id: 'corr-1' },
    {
      leg,
      action: short ? 'SELL' : 'BUY',
      intent: 'ENTRY',
      symbol: short ? 'NIFTY26FEB2625000PE' : 'NIFTY26FEB2624800PE',
      exchange: 'NFO',
      underlying: 'NIFTY',
      quantity: 130,
      lot_size: 65,
      pricetype: 'MARKET',
      product: 'NRML',
      price: 0,
      trigger_price: 0,
      option_type: 'PE',
      strike: short ? 25000 : 24800,
      expiry: '2026-02-26',
      group: {
        group_id: 'g-bps-1',
        strategy_type: 'BULL_PUT_SPREAD',
        leg_count: 2,
        leg_index: short ? 1 : 0,
        role: short ? 'SHORT' : 'HEDGE',
        pair_leg: short ? 'long_put' : 'short_put',
      },
      expected_price: short ? 120 : 60,
      ...over,
    },
  );
}
