import { describe, expect, it } from 'vitest';
import { executionGate } from '../../../src/agents/execution/execution-gate.js';
import type { ClaimedLeg } from '../../../src/agents/execution/group-executor.js';
import { VirtualClock } from '../../../src/clock/index.js';
import { type AccountState, CircuitBreakers, QuoteFreshness } from '../../../src/safety/index.js';
import { bpsLeg } from '../../support/orders.js';

const clock = new VirtualClock();
const legs: ClaimedLeg[] = [
  { id: 1, ownerToken: 'a', event: bpsLeg(clock, 'long_put') },
  { id: 2, ownerToken: 'b', event: bpsLeg(clock, 'short_put') },
];
const account: AccountState = {
  capital: 10_000_000,
  realizedPnl: 0,
  unrealizedPnl: 0,
  grossNotional: 0,
  usedMarginByUnderlying: {},
  usedMarginTotal: 0,
};

function fresh(now: number) {
  const f = new QuoteFreshness();
  for (const s of ['NIFTY', 'NIFTY26FEB2624800PE', 'NIFTY26FEB2625000PE']) f.recordTick(s, now);
  return f;
}

describe('execution gate (last look before a group goes out)', () => {
  it('passes a fresh, in-limit group', () => {
    expect(
      executionGate(legs, {
        freshness: fresh(0),
        breakers: new CircuitBreakers(),
        account,
        marginRequired: 50_000,
        nowMs: 5_000,
      }),
    ).toBeNull();
  });

  it('blocks on a stale underlying (5 001 ms) but not at exactly 5 000 ms', () => {
    const f = fresh(0);
    f.recordTick('NIFTY26FEB2624800PE', 1);
    f.recordTick('NIFTY26FEB2625000PE', 1);
    const at = (nowMs: number) =>
      executionGate(legs, {
        freshness: f,
        breakers: new CircuitBreakers(),
        account,
        marginRequired: 0,
        nowMs,
      });
    expect(at(5_000)).toBeNull();
    expect(at(5_001)?.code).toBe('STALE_QUOTE');
  });

  it('blocks within 30 s of a feed switch', () => {
    const f = fresh(10_000);
    f.recordFeedSwitch(9_000);
    expect(
      executionGate(legs, {
        freshness: f,
        breakers: new CircuitBreakers(),
        account,
        marginRequired: 0,
        nowMs: 11_000,
      })?.code,
    ).toBe('FEED_SWITCHING');
  });

  it('kills on daily loss beyond -6 %, and refuses without an account view', () => {
    const losing = { ...account, realizedPnl: -400_000, unrealizedPnl: -200_100 };
    expect(
      executionGate(legs, {
        freshness: fresh(0),
        breakers: new CircuitBreakers(),
        account: losing,
        marginRequired: 0,
        nowMs: 1,
      })?.code,
    ).toBe('BREAKER_DAILY_LOSS');
    expect(
      executionGate(legs, {
        freshness: fresh(0),
        breakers: new CircuitBreakers(),
        account: undefined,
        marginRequired: 0,
        nowMs: 1,
      })?.code,
    ).toBe('SIZING_MARGIN_STALE');
  });

  it('rejects a group that would take gross notional above 5x capital', () => {
    const big = { ...account, grossNotional: 49_990_000 };
    expect(
      executionGate(legs, {
        freshness: fresh(0),
        breakers: new CircuitBreakers(),
        account: big,
        marginRequired: 0,
        nowMs: 1,
      })?.code,
    ).toBe('BREAKER_NOTIONAL');
  });
});
