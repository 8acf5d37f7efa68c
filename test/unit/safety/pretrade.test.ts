import { describe, expect, it } from 'vitest';
import {
  type AccountState,
  CircuitBreakers,
  type PreTradeInput,
  preTradeCheck,
  QuoteFreshness,
} from '../../../src/safety/index.js';

// The whole pre-trade check: state → daily loss → freshness → sizing → caps/throttle.

const NOW = 1_000_000;
const OPT = 'NIFTY26FEB2625000PE';
const acct = (over: Partial<AccountState> = {}): AccountState => ({
  capital: 1_000_000,
  realizedPnl: 0,
  unrealizedPnl: 0,
  grossNotional: 0,
  usedMarginByUnderlying: {},
  usedMarginTotal: 0,
  ...over,
});
const input = (over: Partial<PreTradeInput> = {}): PreTradeInput => ({
  state: 'ACTIVE',
  order: {
    underlying: 'NIFTY',
    options: [OPT],
    needDepth: true,
    reducesRisk: false,
    legs: 2,
    notionalPerLot: 1_000_000,
  },
  account: acct(),
  sizing: {
    capital: 1_000_000,
    ewmaDailyVol: 0.01,
    exposurePerLot: 125_000,
    winRate: 0.6,
    rewardRisk: 1.5,
    slDistancePerLot: 5_000,
    lotSize: 65,
    vix: 15,
    correlation: 0.2,
    sectorMarginUsed: 0,
    openPositions: 0,
    marginPerLot: 50_000,
    margin: { availableMargin: 1_000_000, usedMargin: 0, asOfMs: NOW - 1_000 },
  },
  ...over,
});
function deps() {
  const freshness = new QuoteFreshness();
  freshness.recordTick('NIFTY', NOW - 100);
  freshness.recordTick(OPT, NOW - 100, { depth: true });
  return { freshness, breakers: new CircuitBreakers() };
}
const code = (r: ReturnType<typeof preTradeCheck>) => (r.ok ? 'OK' : r.denial.code);

describe('pre-trade check', () => {
  it('all gates pass: the sized order comes out with its trace', () => {
    const r = preTradeCheck(deps(), input(), NOW);
    expect(r.ok && [r.lots, r.quantity, r.trace.length]).toEqual([4, 260, 9]);
  });

  it('precedence: HALTED first, then the daily-loss kill switch, then freshness, then sizing, then caps', () => {
    const d = deps();
    const lossy = acct({ realizedPnl: -70_000 });
    d.freshness.recordFeedSwitch(NOW);
    expect(code(preTradeCheck(d, input({ state: 'HALTED', account: lossy }), NOW))).toBe('TRADING_HALTED');
    expect(code(preTradeCheck(d, input({ account: lossy }), NOW))).toBe('BREAKER_DAILY_LOSS');
    const stale = input({ sizing: { ...input().sizing!, openPositions: 10 } });
    expect(code(preTradeCheck(d, stale, NOW))).toBe('FEED_SWITCHING');
    const ok = deps();
    expect(code(preTradeCheck(ok, stale, NOW))).toBe('SIZING_POSITION_CAP');
    const big = input({ account: acct({ grossNotional: 4_000_000 }) });
    expect(code(preTradeCheck(ok, big, NOW))).toBe('BREAKER_NOTIONAL');
  });

  it('sizing rejections carry the step that refused and the full trace', () => {
    const r = preTradeCheck(
      deps(),
      input({ sizing: { ...input().sizing!, sectorMarginUsed: 500_000 } }),
      NOW,
    );
    expect(r.ok ? null : [r.denial.code, r.denial.gate, r.trace.length]).toEqual([
      'SIZING_SECTOR_HEAT',
      'sizing.step6',
      6,
    ]);
  });

  it('an unhedged force close passes a halted, stale, throttled system; a normal exit does not', () => {
    const d = deps();
    for (let i = 0; i < 40; i++) d.breakers.recordOrder(NOW);
    const close = input({
      state: 'HALTED',
      account: acct({ realizedPnl: -500_000 }),
      sizing: null,
      order: {
        underlying: 'NIFTY',
        options: [OPT],
        needDepth: true,
        reducesRisk: true,
        safetyAction: 'UNHEDGED_FORCE_CLOSE',
        notionalPerLot: 1_000_000,
        lots: 2,
        lotSize: 65,
      },
    });
    const later = NOW + 3_600_000; // every quote an hour old
    expect(preTradeCheck(d, close, later)).toMatchObject({ ok: true, lots: 2, quantity: 130 });
    const { safetyAction: _s, ...plainExit } = close.order;
    expect(code(preTradeCheck(d, { ...close, order: plainExit }, later))).toBe('TRADING_HALTED');
    expect(code(preTradeCheck(d, { ...close, state: 'ACTIVE', order: plainExit }, later))).toBe(
      'BREAKER_DAILY_LOSS',
    );
    expect(
      code(preTradeCheck(d, { ...close, state: 'ACTIVE', account: acct(), order: plainExit }, later)),
    ).toBe('STALE_QUOTE');
  });

  it('an opening order without sizing inputs is refused, never sized by default', () => {
    expect(code(preTradeCheck(deps(), input({ sizing: null }), NOW))).toBe('SIZING_INVALID_INPUT');
  });
});
