import { describe, expect, it } from 'vitest';
import { accountView } from '../../../src/agents/execution/account-view.js';

describe('account view for the §6 breakers', () => {
  it('values options at their underlying and attributes used margin by notional', () => {
    const a = accountView(
      10_000_000,
      { m2mRealized: -1_000, m2mUnrealized: 500, utilisedDebits: 300_000 },
      [
        {
          symbol: 'NIFTY26FEB2624800PE',
          exchange: 'NFO',
          product: 'NRML',
          quantity: 130,
          average_price: 60,
          underlying: 'NIFTY',
        },
        {
          symbol: 'NIFTY26FEB2625000PE',
          exchange: 'NFO',
          product: 'NRML',
          quantity: -130,
          average_price: 120,
          underlying: 'NIFTY',
        },
        {
          symbol: 'BANKNIFTY26FEB2652000PE',
          exchange: 'NFO',
          product: 'NRML',
          quantity: -30,
          average_price: 200,
          underlying: 'BANKNIFTY',
        },
        {
          symbol: 'NIFTY26FEB2625200PE',
          exchange: 'NFO',
          product: 'NRML',
          quantity: 0,
          average_price: 0,
          underlying: 'NIFTY',
        },
      ],
      (u) => ({ NIFTY: 25_000, BANKNIFTY: 52_000 })[u],
    );
    expect(a.grossNotional).toBe(260 * 25_000 + 30 * 52_000);
    expect(a.realizedPnl + a.unrealizedPnl).toBe(-500);
    expect(a.usedMarginByUnderlying.NIFTY! + a.usedMarginByUnderlying.BANKNIFTY!).toBeCloseTo(300_000, 6);
    expect(a.usedMarginByUnderlying.NIFTY! / a.usedMarginByUnderlying.BANKNIFTY!).toBeCloseTo(
      6_500_000 / 1_560_000,
      9,
    );
  });

  it('falls back to the premium when the underlying has no quote', () => {
    const a = accountView(
      1,
      { m2mRealized: 0, m2mUnrealized: 0, utilisedDebits: 0 },
      [{ symbol: 'X', exchange: 'NFO', product: 'NRML', quantity: -10, average_price: 5 }],
      () => undefined,
    );
    expect(a.grossNotional).toBe(50);
    expect(a.usedMarginByUnderlying).toEqual({ X: 0 });
  });
});
