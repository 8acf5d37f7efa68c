import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import { OrderDeniedPayload } from '../../../src/contracts/index.js';
import {
  type AnalyticsInputs,
  assessAnalytics,
  QuoteFreshness,
  splitFailureAction,
} from '../../../src/safety/index.js';

// test_contracts (freshness part): plan §4 market-data and analytics gates, §12 monotonic clock, §14.

const ORDER = { underlying: 'NIFTY', options: ['NIFTY26FEB2625000PE'], needDepth: false };
const T0 = 1_000_000;

function tracker(): QuoteFreshness {
  const f = new QuoteFreshness();
  f.recordTick('NIFTY', T0);
  f.recordTick('NIFTY26FEB2625000PE', T0, { depth: true });
  return f;
}

describe('§4 market-data gates', () => {
  it('underlying quote: exactly 5.000 s old passes, 5.001 s blocks with STALE_QUOTE', () => {
    const f = new QuoteFreshness();
    f.recordTick('NIFTY', T0);
    f.recordTick('NIFTY26FEB2625000PE', T0 + 4_000);
    expect(f.checkOrderData(ORDER, T0 + 5_000).ok).toBe(true);
    const d = f.checkOrderData(ORDER, T0 + 5_001);
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.code).toBe('STALE_QUOTE');
    expect(d.gate).toBe('freshness.underlying');
    expect(d.details).toMatchObject({ symbol: 'NIFTY', ageMs: 5_001, thresholdMs: 5_000 });
    // The denial is a journaled, typed ORDER_DENIED payload.
    expect(OrderDeniedPayload.safeParse(d.event).success).toBe(true);
  });

  it('option quote: exactly 10.000 s passes, 10.001 s blocks with STALE_QUOTE', () => {
    const f = tracker();
    f.recordTick('NIFTY', T0 + 9_000); // keep the underlying fresh
    expect(f.checkOrderData(ORDER, T0 + 10_000).ok).toBe(true);
    const d = f.checkOrderData(ORDER, T0 + 10_001);
    expect(d.ok ? null : [d.code, d.gate, d.details?.symbol]).toEqual([
      'STALE_QUOTE',
      'freshness.option',
      'NIFTY26FEB2625000PE',
    ]);
  });

  it('every option of the order is checked, not only the first', () => {
    const f = tracker();
    f.recordTick('NIFTY26FEB2624800PE', T0 - 20_000);
    const d = f.checkOrderData({ ...ORDER, options: [...ORDER.options, 'NIFTY26FEB2624800PE'] }, T0 + 1);
    expect(d.ok ? null : d.details?.symbol).toBe('NIFTY26FEB2624800PE');
  });

  it('a symbol never ticked blocks (fail closed), and so does a NaN clock reading', () => {
    const f = new QuoteFreshness();
    const d = f.checkOrderData(ORDER, T0);
    expect(d.ok ? null : [d.code, d.details?.neverSeen]).toEqual(['STALE_QUOTE', true]);
    expect(tracker().checkOrderData(ORDER, Number.NaN).ok).toBe(false);
  });

  it('feed switch: blocked with FEED_SWITCHING up to and including 30 s after, allowed at 30.001 s', () => {
    const f = tracker();
    f.recordFeedSwitch(T0);
    for (const t of [T0, T0 + 1, T0 + 29_999, T0 + 30_000]) {
      f.recordTick('NIFTY', t);
      f.recordTick('NIFTY26FEB2625000PE', t, { depth: true });
      const d = f.checkOrderData(ORDER, t);
      expect(d.ok ? null : d.code).toBe('FEED_SWITCHING');
    }
    const t = T0 + 30_001;
    f.recordTick('NIFTY', t);
    f.recordTick('NIFTY26FEB2625000PE', t);
    expect(f.checkOrderData(ORDER, t).ok).toBe(true);
  });

  it('depth missing when the slippage check needs it blocks with NO_DEPTH; stale depth counts as missing', () => {
    const f = new QuoteFreshness();
    f.recordTick('NIFTY', T0);
    f.recordTick('NIFTY26FEB2625000PE', T0); // LTP only, no depth
    const need = { ...ORDER, needDepth: true };
    expect(f.checkOrderData(ORDER, T0).ok).toBe(true);
    const d = f.checkOrderData(need, T0);
    expect(d.ok ? null : [d.code, d.details?.symbol]).toEqual(['NO_DEPTH', 'NIFTY26FEB2625000PE']);
    f.recordDepth('NIFTY26FEB2625000PE', T0);
    expect(f.checkOrderData(need, T0).ok).toBe(true);
    // LTP ticks keep the quote fresh, but the book is 10.001 s old.
    f.recordTick('NIFTY', T0 + 10_001);
    f.recordTick('NIFTY26FEB2625000PE', T0 + 10_001);
    expect(f.hasDepth('NIFTY26FEB2625000PE')).toBe(true);
    expect(f.hasDepth('NIFTY26FEB2625000PE', T0 + 10_001)).toBe(false);
    const stale = f.checkOrderData(need, T0 + 10_001);
    expect(stale.ok ? null : stale.code).toBe('NO_DEPTH');
  });

  it('uses the monotonic clock only: a wall-clock jump (NTP, DST) changes nothing (§12)', () => {
    const clock = new VirtualClock({ monotonicMs: T0 });
    const f = new QuoteFreshness();
    f.recordTick('NIFTY', clock.monotonicMs());
    f.recordTick('NIFTY26FEB2625000PE', clock.monotonicMs());
    clock.jumpWall(-3_600_000);
    clock.advance(4_000);
    clock.jumpWall(+7_200_000);
    expect(f.checkOrderData(ORDER, clock.monotonicMs()).ok).toBe(true);
    clock.advance(1_001);
    expect(f.checkOrderData(ORDER, clock.monotonicMs()).ok).toBe(false);
  });
});

describe('§4 analytics gates: exact fallbacks', () => {
  const NOW = 10_000_000;
  const at = (age: number, value = 1) => ({ value, asOfMs: NOW - age });
  const allFresh: AnalyticsInputs = {
    pcr: at(0, 1.1),
    gex: at(0),
    maxPain: at(0, 25_000),
    greeksOwn: at(0),
    greeksApi: at(0),
    vix: at(0, 14),
  };

  it('all fresh: everything used, no flags', () => {
    expect(assessAnalytics(allFresh, NOW)).toEqual({
      pcr: { value: 1.1 },
      useGex: true,
      useMaxPain: true,
      greeksSource: 'own',
      blockCreditSpreads: false,
      vix: { value: 14 },
      flags: [],
    });
  });

  it('PCR: 120 s uses it; 120.001 s uses the last known value and flags PCR_STALE', () => {
    expect(assessAnalytics({ ...allFresh, pcr: at(120_000, 0.9) }, NOW).pcr).toEqual({ value: 0.9 });
    const a = assessAnalytics({ ...allFresh, pcr: at(120_001, 0.9) }, NOW);
    expect(a.pcr).toEqual({ value: 0.9, flag: 'PCR_STALE' });
    expect(a.flags).toEqual(['PCR_STALE']);
    expect(assessAnalytics({ ...allFresh, pcr: null }, NOW).pcr).toEqual({ value: null, flag: 'PCR_STALE' });
  });

  it('GEX: 120 s used; 120.001 s skips GEX support/resistance (Ichimoku only)', () => {
    expect(assessAnalytics({ ...allFresh, gex: at(120_000) }, NOW).useGex).toBe(true);
    const a = assessAnalytics({ ...allFresh, gex: at(120_001) }, NOW);
    expect([a.useGex, a.flags]).toEqual([false, ['GEX_STALE']]);
  });

  it('Max Pain: 300 s used; 300.001 s skips the Max Pain bias', () => {
    expect(assessAnalytics({ ...allFresh, maxPain: at(300_000) }, NOW).useMaxPain).toBe(true);
    const a = assessAnalytics({ ...allFresh, maxPain: at(300_001) }, NOW);
    expect([a.useMaxPain, a.flags]).toEqual([false, ['MAX_PAIN_STALE']]);
  });

  it('IV/greeks: own ≤ 60 s; older → API fallback; API also > 120 s → credit spreads blocked', () => {
    expect(assessAnalytics({ ...allFresh, greeksOwn: at(60_000) }, NOW).greeksSource).toBe('own');
    const api = assessAnalytics({ ...allFresh, greeksOwn: at(60_001), greeksApi: at(120_000) }, NOW);
    expect([api.greeksSource, api.blockCreditSpreads, api.flags]).toEqual(['api', false, ['GREEKS_STALE']]);
    const none = assessAnalytics({ ...allFresh, greeksOwn: at(60_001), greeksApi: at(120_001) }, NOW);
    expect([none.greeksSource, none.blockCreditSpreads, none.flags]).toEqual([
      'none',
      true,
      ['GREEKS_STALE', 'GREEKS_API_STALE'],
    ]);
    const missing = assessAnalytics({ ...allFresh, greeksOwn: null, greeksApi: null }, NOW);
    expect(missing.blockCreditSpreads).toBe(true);
  });

  it('VIX: 60 s used; 60.001 s uses the last known value and flags VIX_STALE', () => {
    expect(assessAnalytics({ ...allFresh, vix: at(60_000, 18) }, NOW).vix).toEqual({ value: 18 });
    const a = assessAnalytics({ ...allFresh, vix: at(60_001, 18) }, NOW);
    expect([a.vix, a.flags]).toEqual([{ value: 18, flag: 'VIX_STALE' }, ['VIX_STALE']]);
  });
});

describe('§14 split-failure behaviour', () => {
  const healthy = {
    primaryFeedUp: true,
    fallbackFeedUp: true,
    executionUp: true,
    consecutiveExecutionTimeouts: 0,
    feedDownSinceMs: null,
  };
  const NOW = 5_000_000;

  it('all healthy: nothing blocked', () => {
    expect(splitFailureAction(healthy, NOW)).toMatchObject({ blockNewOrders: false, killSwitch: false });
  });

  it('feed down, execution up: the 30 s freshness gate blocks new orders, then the fallback trades', () => {
    const down = { ...healthy, primaryFeedUp: false, feedDownSinceMs: NOW - 30_000 };
    expect(splitFailureAction(down, NOW)).toMatchObject({
      blockNewOrders: true,
      killSwitch: false,
      code: 'FEED_SWITCHING',
    });
    expect(splitFailureAction(down, NOW + 1)).toMatchObject({ blockNewOrders: false, killSwitch: false });
    // Unknown since when: assume it just happened.
    expect(splitFailureAction({ ...down, feedDownSinceMs: null }, NOW).blockNewOrders).toBe(true);
  });

  it('feed down and fallback feed also down: kill switch', () => {
    const a = splitFailureAction({ ...healthy, primaryFeedUp: false, fallbackFeedUp: false }, NOW);
    expect(a).toMatchObject({ killSwitch: true, blockNewOrders: true, code: 'FEED_DOWN', alert: 'CRITICAL' });
  });

  it('execution down, feed up: commands queue; the 4th timeout in a row does not kill, the 5th does', () => {
    const exec = { ...healthy, executionUp: false };
    for (const n of [0, 1, 4]) {
      expect(splitFailureAction({ ...exec, consecutiveExecutionTimeouts: n }, NOW)).toMatchObject({
        queueCommands: true,
        killSwitch: false,
        blockNewOrders: false,
        code: 'EXECUTION_DOWN',
      });
    }
    expect(splitFailureAction({ ...exec, consecutiveExecutionTimeouts: 5 }, NOW)).toMatchObject({
      killSwitch: true,
      code: 'EXECUTION_DOWN',
      alert: 'CRITICAL',
    });
    // The count decides even if the health flag has not caught up.
    expect(splitFailureAction({ ...healthy, consecutiveExecutionTimeouts: 5 }, NOW).killSwitch).toBe(true);
    expect(splitFailureAction({ ...healthy, consecutiveExecutionTimeouts: Number.NaN }, NOW).killSwitch).toBe(
      true,
    );
  });

  it('both down: immediate kill switch (no timeout count needed)', () => {
    const a = splitFailureAction({ ...healthy, primaryFeedUp: false, executionUp: false }, NOW);
    expect(a).toMatchObject({ killSwitch: true, code: 'KILL_SWITCH', alert: 'CRITICAL' });
    const all = splitFailureAction(
      { ...healthy, primaryFeedUp: false, fallbackFeedUp: false, executionUp: false },
      NOW,
    );
    expect(all.killSwitch).toBe(true);
  });

  it('no config can loosen it: 50 timeouts allowed or a 1 s cooldown are ignored', () => {
    const exec = { ...healthy, executionUp: false, consecutiveExecutionTimeouts: 5 };
    expect(splitFailureAction(exec, NOW, { consecutiveTimeoutsKill: 50 }).killSwitch).toBe(true);
    const down = { ...healthy, primaryFeedUp: false, feedDownSinceMs: NOW - 2_000 };
    expect(splitFailureAction(down, NOW, { feedSwitchCooldownMs: 1_000 }).blockNewOrders).toBe(true);
    // Tightening works.
    expect(
      splitFailureAction({ ...exec, consecutiveExecutionTimeouts: 2 }, NOW, { consecutiveTimeoutsKill: 2 })
        .killSwitch,
    ).toBe(true);
  });
});
