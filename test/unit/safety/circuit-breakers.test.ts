import { describe, expect, it } from 'vitest';
import {
  OrderDeniedPayload,
  TradingStatePayload,
  UnhedgedIncidentPayload,
} from '../../../src/contracts/index.js';
import {
  type AccountState,
  type BreakerOrder,
  CircuitBreakers,
  checkTradingState,
  nextTradingState,
  UnhedgedTimer,
} from '../../../src/safety/index.js';

// test_circuit_breakers: all 5 breakers of §6 (+ the trading state they feed).

const CAPITAL = 1_000_000;
const account = (over: Partial<AccountState> = {}): AccountState => ({
  capital: CAPITAL,
  realizedPnl: 0,
  unrealizedPnl: 0,
  grossNotional: 0,
  usedMarginByUnderlying: {},
  usedMarginTotal: 0,
  ...over,
});
const entry = (over: Partial<BreakerOrder> = {}): BreakerOrder => ({
  underlying: 'NIFTY',
  notional: 100_000,
  marginRequired: 50_000,
  reducesRisk: false,
  ...over,
});
const exit = (over: Partial<BreakerOrder> = {}): BreakerOrder => entry({ reducesRisk: true, ...over });
const NOW = 50_000_000;

describe('breaker 1: daily max loss (realized + unrealized < −6 % of capital)', () => {
  it('exactly −6.000 % does not trip; −6.001 % trips the kill switch with a CRITICAL alert', () => {
    const b = new CircuitBreakers();
    expect(b.checkOrder(entry(), account({ realizedPnl: -60_000 }), NOW).ok).toBe(true);
    const d = b.checkOrder(entry(), account({ realizedPnl: -60_010 }), NOW);
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect([d.code, d.action, d.alert]).toEqual(['BREAKER_DAILY_LOSS', 'KILL_SWITCH', 'CRITICAL']);
    expect(d.details).toMatchObject({ pnl: -60_010, limit: -60_000 });
    expect(OrderDeniedPayload.safeParse(d.event).success).toBe(true);
  });

  it('adds realized and unrealized', () => {
    const b = new CircuitBreakers();
    expect(b.checkDailyLoss(account({ realizedPnl: -30_000, unrealizedPnl: -30_000 })).ok).toBe(true);
    expect(b.checkDailyLoss(account({ realizedPnl: -30_000, unrealizedPnl: -30_001 })).ok).toBe(false);
    expect(b.checkDailyLoss(account({ realizedPnl: 100_000, unrealizedPnl: -159_999 })).ok).toBe(true);
  });

  it('applies to exits too (the kill switch decides; positions stay for the trader)', () => {
    const b = new CircuitBreakers();
    const d = b.checkOrder(exit(), account({ unrealizedPnl: -70_000 }), NOW);
    expect(d.ok ? null : d.code).toBe('BREAKER_DAILY_LOSS');
  });

  it('fails closed on garbage account data (NaN P&L, zero capital)', () => {
    const b = new CircuitBreakers();
    expect(b.checkOrder(entry(), account({ unrealizedPnl: Number.NaN }), NOW).ok).toBe(false);
    expect(b.checkOrder(entry(), account({ capital: 0 }), NOW).ok).toBe(false);
    expect(b.checkOrder(entry({ notional: Number.NaN }), account(), NOW).ok).toBe(false);
  });
});

describe('breaker 2: max order rate (> 30 orders per rolling minute → throttle + RISK)', () => {
  it('the 30th order in a minute passes, the 31st is throttled', () => {
    const b = new CircuitBreakers();
    for (let i = 0; i < 29; i++) b.recordOrder(NOW + i);
    expect(b.checkOrder(entry(), account(), NOW + 100).ok).toBe(true); // the 30th
    b.recordOrder(NOW + 100);
    const d = b.checkOrder(entry(), account(), NOW + 101); // the 31st
    expect(d.ok ? null : [d.code, d.action, d.alert]).toEqual(['BREAKER_ORDER_RATE', 'THROTTLE', 'RISK']);
  });

  it('the window rolls on the monotonic clock: an order exactly 60 s old no longer counts', () => {
    const b = new CircuitBreakers();
    for (let i = 0; i < 30; i++) b.recordOrder(NOW + i * 10); // NOW … NOW+290
    expect(b.checkOrder(entry(), account(), NOW + 59_999).ok).toBe(false);
    const d = b.checkOrder(entry(), account(), NOW + 59_999);
    expect(d.ok ? null : d.details?.retryAfterMs).toBe(1);
    expect(b.ordersInWindow(NOW + 60_000)).toBe(29);
    expect(b.checkOrder(entry(), account(), NOW + 60_000).ok).toBe(true);
  });

  it('a multi-leg group needs room for all its legs', () => {
    const b = new CircuitBreakers();
    for (let i = 0; i < 27; i++) b.recordOrder(NOW);
    expect(b.checkOrder(entry({ legs: 3 }), account(), NOW).ok).toBe(true);
    expect(b.checkOrder(entry({ legs: 4 }), account(), NOW).ok).toBe(false);
  });

  it('closing orders are never throttled, yet they count against new entries', () => {
    const b = new CircuitBreakers();
    for (let i = 0; i < 40; i++) {
      expect(b.checkOrder(exit(), account(), NOW + i).ok).toBe(true);
      b.recordOrder(NOW + i);
    }
    expect(b.checkOrder(entry(), account(), NOW + 41).ok).toBe(false);
  });
});

describe('breaker 3: max notional (gross > 5× capital → reject + RISK)', () => {
  it('exactly 5× after the order passes; one rupee more is rejected', () => {
    const b = new CircuitBreakers();
    expect(b.checkOrder(entry({ notional: 100_000 }), account({ grossNotional: 4_900_000 }), NOW).ok).toBe(
      true,
    );
    const d = b.checkOrder(entry({ notional: 100_001 }), account({ grossNotional: 4_900_000 }), NOW);
    expect(d.ok ? null : [d.code, d.action, d.alert]).toEqual(['BREAKER_NOTIONAL', 'REJECT', 'RISK']);
  });

  it('closing orders pass over the cap (they lower notional)', () => {
    const b = new CircuitBreakers();
    expect(b.checkOrder(exit({ notional: 1e9 }), account({ grossNotional: 6_000_000 }), NOW).ok).toBe(true);
  });
});

describe('breaker 4: per-underlying cap (> 30 % of used margin → reject that underlying)', () => {
  const book = (nifty: number) =>
    account({
      usedMarginByUnderlying: { NIFTY: nifty, BANKNIFTY: 1_000_000 - nifty },
      usedMarginTotal: 1_000_000,
    });

  it('exactly 30 % passes; 30.001 % rejects NIFTY only, other underlyings still trade', () => {
    const b = new CircuitBreakers();
    expect(b.checkOrder(entry(), book(300_000), NOW).ok).toBe(true);
    const d = b.checkOrder(entry(), book(300_010), NOW);
    expect(d.ok ? null : [d.code, d.details?.underlying]).toEqual(['BREAKER_UNDERLYING_CAP', 'NIFTY']);
    expect(
      b.checkOrder(
        entry({ underlying: 'RELIANCE' }),
        account({
          usedMarginByUnderlying: { NIFTY: 300_010, BANKNIFTY: 200_000 },
          usedMarginTotal: 1_000_000,
        }),
        NOW,
      ).ok,
    ).toBe(true);
  });

  it('an empty book can open its first position; exits pass over the cap', () => {
    const b = new CircuitBreakers();
    expect(b.checkOrder(entry(), account(), NOW).ok).toBe(true);
    expect(b.checkOrder(exit(), book(900_000), NOW).ok).toBe(true);
  });
});

describe('breaker 5: max unhedged seconds (any short unhedged > 5 s → force close, incident)', () => {
  it("consumes the unhedged timer's output: force close at MARKET + CRITICAL incident", () => {
    const b = new CircuitBreakers();
    const timer = new UnhedgedTimer();
    timer.onFill({
      groupId: 'g1',
      leg: 'short_put',
      role: 'SHORT',
      pairLeg: 'long_put',
      action: 'SELL',
      filledQty: 65,
      symbol: 'NIFTY26FEB2625000PE',
      nowMs: NOW,
    });
    expect(timer.poll(NOW + 5_000)).toEqual([]);
    const [fc] = timer.poll(NOW + 5_001);
    expect(fc?.type).toBe('FORCE_CLOSE');
    if (fc?.type !== 'FORCE_CLOSE') return;
    const ev = b.onUnhedged(fc);
    expect(ev).toMatchObject({ code: 'BREAKER_UNHEDGED', action: 'FORCE_CLOSE', alert: 'CRITICAL' });
    expect(UnhedgedIncidentPayload.safeParse(ev.incident).success).toBe(true);
    expect(b.denialCounts().BREAKER_UNHEDGED).toBe(1);
    // The force close itself passes every breaker, even a blown daily loss and a full rate window.
    for (let i = 0; i < 60; i++) b.recordOrder(NOW + 5_001);
    const close = exit({ safetyAction: 'UNHEDGED_FORCE_CLOSE' });
    expect(b.checkOrder(close, account({ realizedPnl: -500_000 }), NOW + 5_001).ok).toBe(true);
    expect(checkTradingState('HALTED', close).ok).toBe(true);
  });
});

describe('trading state (ACTIVE | REDUCING | HALTED)', () => {
  it('kill switch halts; HALTED is sticky until an explicit operator resume', () => {
    const t = nextTradingState('ACTIVE', {
      kind: 'KILL_SWITCH',
      reason: 'daily loss',
      code: 'BREAKER_DAILY_LOSS',
    });
    expect(t.state).toBe('HALTED');
    expect(TradingStatePayload.safeParse(t.event).success).toBe(true);
    expect(nextTradingState('HALTED', { kind: 'AUTO_RESUME', reason: 'feed back' }).state).toBe('HALTED');
    expect(nextTradingState('HALTED', { kind: 'REDUCE', reason: 'x' }).state).toBe('HALTED');
    const r = nextTradingState('HALTED', { kind: 'OPERATOR_RESUME', reason: 'checked', operator: 'admin' });
    expect([r.state, r.changed, r.event?.previous]).toEqual(['ACTIVE', true, 'HALTED']);
  });

  it('REDUCING passes risk-reducing orders only; AUTO_RESUME returns to ACTIVE', () => {
    expect(checkTradingState('REDUCING', { reducesRisk: true }).ok).toBe(true);
    const d = checkTradingState('REDUCING', { reducesRisk: false });
    expect(d.ok ? null : d.code).toBe('TRADING_REDUCING');
    expect(nextTradingState('REDUCING', { kind: 'AUTO_RESUME', reason: 'ok' }).state).toBe('ACTIVE');
  });

  it('HALTED blocks everything except the safety actions (kill switch, unhedged force close)', () => {
    expect(checkTradingState('HALTED', { reducesRisk: false }).ok).toBe(false);
    const d = checkTradingState('HALTED', { reducesRisk: true });
    expect(d.ok ? null : d.code).toBe('TRADING_HALTED');
    expect(checkTradingState('HALTED', { reducesRisk: true, safetyAction: 'KILL_SWITCH' }).ok).toBe(true);
    // A "safety action" that would add risk is not one.
    expect(checkTradingState('HALTED', { reducesRisk: false, safetyAction: 'KILL_SWITCH' }).ok).toBe(false);
  });
});

describe('denials are typed events and counted', () => {
  it('counts each denial by code', () => {
    const b = new CircuitBreakers();
    b.checkOrder(entry(), account({ realizedPnl: -70_000 }), NOW);
    b.checkOrder(entry({ notional: 6e6 }), account(), NOW);
    b.checkOrder(entry({ notional: 6e6 }), account(), NOW);
    expect(b.denialCounts()).toEqual({ BREAKER_DAILY_LOSS: 1, BREAKER_NOTIONAL: 2 });
  });
});

describe('no config can switch a breaker off (§5/§6)', () => {
  it('absurdly loose params are clamped to the plan values', () => {
    const b = new CircuitBreakers({
      dailyMaxLossPct: 90,
      maxOrdersPerMinute: 10_000,
      maxGrossNotionalMultiple: 100,
      perUnderlyingMarginPct: 100,
      maxUnhedgedMs: 3_600_000,
    });
    expect(b.params).toEqual({
      dailyMaxLossPct: 6,
      maxOrdersPerMinute: 30,
      maxGrossNotionalMultiple: 5,
      perUnderlyingMarginPct: 30,
      maxUnhedgedMs: 5_000,
    });
    expect(b.checkDailyLoss(account({ realizedPnl: -60_001 })).ok).toBe(false);
    for (let i = 0; i < 30; i++) b.recordOrder(NOW);
    expect(b.checkOrder(entry(), account(), NOW).ok).toBe(false);
    // NaN falls back to the plan value rather than disabling the rule.
    expect(new CircuitBreakers({ dailyMaxLossPct: Number.NaN }).params.dailyMaxLossPct).toBe(6);
  });

  it('tighter params tighten', () => {
    const b = new CircuitBreakers({ dailyMaxLossPct: 2, maxOrdersPerMinute: 5 });
    expect(b.checkDailyLoss(account({ realizedPnl: -20_001 })).ok).toBe(false);
    for (let i = 0; i < 5; i++) b.recordOrder(NOW);
    expect(b.checkOrder(entry(), account(), NOW).ok).toBe(false);
  });
});
