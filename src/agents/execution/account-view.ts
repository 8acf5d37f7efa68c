import type { PositionRow } from '../../contracts/index.js';
import type { AccountState } from '../../safety/index.js';

export interface FundsView {
  readonly m2mRealized: number;
  readonly m2mUnrealized: number;
  readonly utilisedDebits: number;
}

/**
 * The §6 account view from the broker's funds (P&L and used margin, the broker being the authority)
 * and our PositionBook (what is held, per underlying). Gross notional counts each position at its
 * underlying's price (an index option's exposure is the index, not its premium); without an
 * underlying quote, the option's own average price is the floor. The broker reports used margin only
 * in total, so it is attributed to underlyings in proportion to their gross notional.
 */
export function accountView(
  capital: number,
  funds: FundsView,
  positions: readonly PositionRow[],
  underlyingPrice: (underlying: string) => number | undefined,
): AccountState {
  const notionalBy = new Map<string, number>();
  for (const p of positions) {
    if (p.quantity === 0) continue;
    const u = p.underlying ?? p.symbol;
    const px = underlyingPrice(u) ?? p.average_price;
    notionalBy.set(u, (notionalBy.get(u) ?? 0) + Math.abs(p.quantity) * px);
  }
  const gross = [...notionalBy.values()].reduce((s, x) => s + x, 0);
  const usedMarginByUnderlying: Record<string, number> = {};
  for (const [u, n] of notionalBy)
    usedMarginByUnderlying[u] = gross > 0 ? (funds.utilisedDebits * n) / gross : 0;
  return {
    capital,
    realizedPnl: funds.m2mRealized,
    unrealizedPnl: funds.m2mUnrealized,
    grossNotional: gross,
    usedMarginByUnderlying,
    usedMarginTotal: funds.utilisedDebits,
  };
}
