import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import { UnhedgedIncidentPayload } from '../../../src/contracts/index.js';
import { type FillInput, type UnhedgedAction, UnhedgedTimer } from '../../../src/safety/index.js';

// test_execution_safety, invariant 2: a short without its paired hedge for > 5 s is closed at MARKET.

const LOT = 65;
const T0 = 100_000;
const shortFill = (qty: number, nowMs: number, over: Partial<FillInput> = {}): FillInput => ({
  groupId: 'g1',
  leg: 'short_put',
  role: 'SHORT',
  pairLeg: 'long_put',
  action: 'SELL',
  filledQty: qty,
  symbol: 'NIFTY26FEB2625000PE',
  nowMs,
  ...over,
});
const hedgeFill = (qty: number, nowMs: number, over: Partial<FillInput> = {}): FillInput => ({
  groupId: 'g1',
  leg: 'long_put',
  role: 'HEDGE',
  pairLeg: 'short_put',
  action: 'BUY',
  filledQty: qty,
  symbol: 'NIFTY26FEB2624800PE',
  nowMs,
  ...over,
});
const closes = (a: UnhedgedAction[]) => a.filter((x) => x.type === 'FORCE_CLOSE');

describe('unhedged exposure timer', () => {
  it('hedge first, then short: never unhedged, nothing to do', () => {
    const t = new UnhedgedTimer();
    t.onFill(hedgeFill(2 * LOT, T0));
    t.onFill(shortFill(2 * LOT, T0 + 500));
    expect(t.nextDeadline()).toBeNull();
    expect(t.poll(T0 + 60_000)).toEqual([]);
  });

  it('exactly 5.000 s unhedged is allowed; at 5.001 s the short is bought back at MARKET + CRITICAL', () => {
    const t = new UnhedgedTimer();
    t.onFill(shortFill(2 * LOT, T0));
    expect(t.nextDeadline()).toBe(T0 + 5_001);
    expect(t.poll(T0 + 5_000)).toEqual([]);
    const [fc1, ...rest] = t.poll(T0 + 5_001);
    expect(rest).toEqual([]);
    expect(fc1).toMatchObject({
      type: 'FORCE_CLOSE',
      groupId: 'g1',
      leg: 'short_put',
      symbol: 'NIFTY26FEB2625000PE',
      quantity: 2 * LOT,
      action: 'BUY',
      orderType: 'MARKET',
      unhedgedMs: 5_001,
      alert: { level: 'CRITICAL', code: 'UNHEDGED_EXPOSURE' },
    });
    if (fc1?.type === 'FORCE_CLOSE')
      expect(UnhedgedIncidentPayload.safeParse(fc1.incident).success).toBe(true);
    // Emitted once: the close is pending now (the next deadline is only the lost-close backstop).
    expect(t.poll(T0 + 9_000)).toEqual([]);
    expect(t.nextDeadline()).toBe(T0 + 10_002);
    t.onFill(shortFill(2 * LOT, T0 + 9_500, { action: 'BUY' }));
    expect(t.nextDeadline()).not.toBeNull(); // the RESOLVED report
    expect(t.poll(T0 + 9_500).map((a) => a.type)).toEqual(['RESOLVED']);
    expect(t.nextDeadline()).toBeNull();
  });

  it('partial fills count: a short of 2 lots hedged by 1 lot has 1 lot unhedged', () => {
    const t = new UnhedgedTimer();
    t.onFill(hedgeFill(LOT, T0));
    t.onFill(shortFill(2 * LOT, T0 + 10));
    expect(t.exposures()).toEqual([
      expect.objectContaining({ leg: 'short_put', shortQty: 2 * LOT, unhedgedQty: LOT, sinceMs: T0 + 10 }),
    ]);
    const out = closes(t.poll(T0 + 5_011));
    expect(out.map((a) => a.type === 'FORCE_CLOSE' && a.quantity)).toEqual([LOT]);
  });

  it('the hedge arriving within 5 s resolves it: no close at all', () => {
    const t = new UnhedgedTimer();
    t.onFill(shortFill(LOT, T0));
    t.onFill(hedgeFill(LOT, T0 + 4_999));
    expect(t.poll(T0 + 20_000)).toEqual([]);
  });

  it('more short fills while unhedged keep the earliest deadline (no unit lives past 5 s)', () => {
    const t = new UnhedgedTimer();
    t.onFill(shortFill(LOT, T0));
    t.onFill(shortFill(LOT, T0 + 3_000));
    const out = closes(t.poll(T0 + 5_001));
    expect(out.map((a) => a.type === 'FORCE_CLOSE' && a.quantity)).toEqual([2 * LOT]);
  });

  it('the force close filling reports RESOLVED', () => {
    const t = new UnhedgedTimer();
    t.onFill(shortFill(LOT, T0));
    t.poll(T0 + 5_001);
    t.onFill(shortFill(LOT, T0 + 5_300, { action: 'BUY' }));
    const [r] = t.poll(T0 + 5_300);
    expect(r).toMatchObject({ type: 'RESOLVED', leg: 'short_put' });
    if (r) expect(UnhedgedIncidentPayload.safeParse(r.incident).success).toBe(true);
    expect(t.exposures()).toEqual([]);
  });

  it('a cancelled force close is re-issued at once (the exposure is already overdue)', () => {
    const t = new UnhedgedTimer();
    t.onFill(shortFill(2 * LOT, T0));
    t.poll(T0 + 5_001);
    t.onFill(shortFill(LOT, T0 + 5_200, { action: 'BUY' })); // half bought back
    t.onCancel({ groupId: 'g1', leg: 'short_put', nowMs: T0 + 5_400, forceClose: true, remainingQty: LOT });
    expect(t.nextDeadline()).toBe(T0 + 5_400);
    const out = closes(t.poll(T0 + 5_400));
    expect(out.map((a) => a.type === 'FORCE_CLOSE' && a.quantity)).toEqual([LOT]);
  });

  it('a force close that never buys back (lost, or a partial whose remainder nobody reported) is re-issued after 5 s', () => {
    const t = new UnhedgedTimer();
    t.onFill(shortFill(2 * LOT, T0));
    expect(closes(t.poll(T0 + 5_001))).toHaveLength(1);
    t.onFill(shortFill(LOT, T0 + 6_000, { action: 'BUY' })); // half filled, the rest silently dropped
    expect(t.nextDeadline()).toBe(T0 + 10_002);
    expect(t.poll(T0 + 10_001)).toEqual([]);
    const again = closes(t.poll(T0 + 10_002));
    expect(again.map((a) => a.type === 'FORCE_CLOSE' && a.quantity)).toEqual([LOT]);
  });

  it("the hedge's order cancelled: the short is closed at once, not after 5 s", () => {
    const t = new UnhedgedTimer();
    t.onFill(hedgeFill(LOT, T0));
    t.onFill(shortFill(2 * LOT, T0 + 100));
    t.onCancel({ groupId: 'g1', leg: 'long_put', nowMs: T0 + 600 });
    const out = closes(t.poll(T0 + 600));
    expect(out.map((a) => a.type === 'FORCE_CLOSE' && a.quantity)).toEqual([LOT]);
  });

  it('selling the hedge before the short (a wrong-order exit) starts the timer', () => {
    const t = new UnhedgedTimer();
    t.onFill(hedgeFill(LOT, T0));
    t.onFill(shortFill(LOT, T0 + 500));
    t.onFill(hedgeFill(LOT, T0 + 10_000, { action: 'SELL' }));
    expect(t.poll(T0 + 15_000)).toEqual([]);
    expect(closes(t.poll(T0 + 15_001))).toHaveLength(1);
  });

  it('a short with no pair at all is naked: closed after 5 s', () => {
    const t = new UnhedgedTimer();
    const { pairLeg: _p, ...naked } = shortFill(LOT, T0);
    t.onFill(naked);
    expect(closes(t.poll(T0 + 5_001))).toHaveLength(1);
  });

  it('iron condor: each short is covered only by its own wing', () => {
    const t = new UnhedgedTimer();
    const f = (
      leg: string,
      role: 'SHORT' | 'HEDGE',
      action: 'BUY' | 'SELL',
      pairLeg: string,
      nowMs: number,
    ) => t.onFill({ groupId: 'ic', leg, role, pairLeg, action, filledQty: LOT, symbol: leg, nowMs });
    f('put_wing', 'HEDGE', 'BUY', 'short_put', T0);
    f('short_put', 'SHORT', 'SELL', 'put_wing', T0 + 500);
    f('call_wing', 'HEDGE', 'BUY', 'short_call', T0 + 1_000);
    f('put_wing', 'HEDGE', 'BUY', 'short_put', T0 + 1_200); // extra put wing does not cover the call
    f('short_call', 'SHORT', 'SELL', 'call_wing', T0 + 1_500);
    f('short_call', 'SHORT', 'SELL', 'call_wing', T0 + 1_600);
    const out = closes(t.poll(T0 + 6_601));
    expect(out.map((a) => a.type === 'FORCE_CLOSE' && [a.leg, a.quantity])).toEqual([['short_call', LOT]]);
  });

  it('risk reversal: a tighter per-leg limit (3 s) applies; it can never be looser than 5 s', () => {
    const t = new UnhedgedTimer();
    t.onFill(shortFill(LOT, T0, { pairLeg: 'long_call', maxUnhedgedMs: 3_000 }));
    expect(t.poll(T0 + 3_000)).toEqual([]);
    expect(closes(t.poll(T0 + 3_001))).toHaveLength(1);
    const loose = new UnhedgedTimer();
    loose.onFill(shortFill(LOT, T0, { maxUnhedgedMs: 60_000 }));
    expect(closes(loose.poll(T0 + 5_001))).toHaveLength(1);
  });

  it('no config can loosen it: a 60 s limit is clamped to 5 s', () => {
    const t = new UnhedgedTimer({ maxUnhedgedMs: 60_000 });
    expect(t.maxUnhedgedMs).toBe(5_000);
    t.onFill(shortFill(LOT, T0));
    expect(closes(t.poll(T0 + 5_001))).toHaveLength(1);
    expect(new UnhedgedTimer({ maxUnhedgedMs: 1_000 }).maxUnhedgedMs).toBe(1_000);
  });

  it('driven by a VirtualClock timer at nextDeadline(), the close goes out at 5.001 s', () => {
    const clock = new VirtualClock({ monotonicMs: T0 });
    const t = new UnhedgedTimer();
    const sent: Array<{ at: number; qty: number }> = [];
    const schedule = () => {
      const d = t.nextDeadline();
      if (d === null) return;
      clock.setTimeout(() => {
        for (const a of t.poll(clock.monotonicMs()))
          if (a.type === 'FORCE_CLOSE') sent.push({ at: clock.monotonicMs(), qty: a.quantity });
        schedule();
      }, d - clock.monotonicMs());
    };
    t.onFill(shortFill(LOT, clock.monotonicMs()));
    schedule();
    clock.advance(10_000);
    expect(sent).toEqual([{ at: T0 + 5_001, qty: LOT }]);
  });

  it('rejects a NaN or negative fill quantity (a bug upstream), ignores zero', () => {
    const t = new UnhedgedTimer();
    expect(() => t.onFill(shortFill(Number.NaN, T0))).toThrow(TypeError);
    expect(() => t.onFill(shortFill(-1, T0))).toThrow(TypeError);
    t.onFill(shortFill(0, T0));
    expect(t.exposures()).toEqual([]);
  });
});

// Property: under random fills, partial fills, cancels and force-close outcomes, on virtual time with
// the runtime polling at nextDeadline(), no unhedged short quantity outlives 5 s (1 ms resolution).

interface LegDef {
  leg: string;
  role: 'SHORT' | 'HEDGE';
  pair?: string;
}
const GROUP_DEFS: Record<string, LegDef[]> = {
  bps: [
    { leg: 'S', role: 'SHORT', pair: 'H' },
    { leg: 'H', role: 'HEDGE', pair: 'S' },
  ],
  ic: [
    { leg: 'SP', role: 'SHORT', pair: 'HP' },
    { leg: 'SC', role: 'SHORT', pair: 'HC' },
    { leg: 'HP', role: 'HEDGE' },
    { leg: 'HC', role: 'HEDGE' },
  ],
  naked: [{ leg: 'N', role: 'SHORT' }],
};
const ALL_LEGS = Object.entries(GROUP_DEFS).flatMap(([g, legs]) => legs.map((l) => ({ g, ...l })));

const arbEvent = fc.record({
  dt: fc.integer({ min: 0, max: 3_500 }),
  legIdx: fc.nat({ max: ALL_LEGS.length - 1 }),
  kind: fc.constantFrom('open', 'open', 'open', 'exitHedge', 'cancel'),
  lots: fc.integer({ min: 1, max: 3 }),
});
const arbBroker = fc.record({
  latency: fc.integer({ min: 0, max: 1_500 }),
  outcome: fc.constantFrom('fill', 'fill', 'partial', 'cancel'),
});

describe('unhedged timer property (fast-check)', () => {
  it('never lets an unhedged short live past 5 s of virtual time', () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent, { minLength: 1, maxLength: 40 }),
        fc.infiniteStream(arbBroker),
        (events, broker) => {
          const timer = new UnhedgedTimer();
          const key = (g: string, l: string) => `${g}/${l}`;
          const pos = new Map<string, number>();
          const outstanding = new Map<string, number>(); // force-close quantity working at the broker
          const since = new Map<string, number>();
          const hedgeCancelled = new Set<string>();
          const fcCancelled = new Set<string>();
          const orders: Array<{ due: number; g: string; l: string; qty: number; outcome: string }> = [];
          let t = 0;

          const uncovered = (g: string, d: LegDef) => {
            const p = pos.get(key(g, d.leg)) ?? 0;
            if (p >= 0) return 0;
            const hedge = d.pair ? Math.max(0, pos.get(key(g, d.pair)) ?? 0) : 0;
            return Math.max(0, -p - hedge) - (outstanding.get(key(g, d.leg)) ?? 0);
          };
          const refresh = () => {
            for (const { g, ...d } of ALL_LEGS) {
              if (d.role !== 'SHORT') continue;
              const k = key(g, d.leg);
              if (uncovered(g, d) > 0) {
                if (!since.has(k)) since.set(k, t);
              } else {
                since.delete(k);
                fcCancelled.delete(k);
              }
            }
          };
          const fill = (g: string, d: LegDef, action: 'BUY' | 'SELL', qty: number) => {
            pos.set(key(g, d.leg), (pos.get(key(g, d.leg)) ?? 0) + (action === 'BUY' ? qty : -qty));
            hedgeCancelled.delete(key(g, d.leg));
            timer.onFill({
              groupId: g,
              leg: d.leg,
              role: d.role,
              ...(d.pair ? { pairLeg: d.pair } : {}),
              action,
              filledQty: qty,
              symbol: d.leg,
              nowMs: t,
            });
          };
          const pollAndCheck = () => {
            for (const a of timer.poll(t)) {
              if (a.type !== 'FORCE_CLOSE') continue;
              const d = GROUP_DEFS[a.groupId]!.find((x) => x.leg === a.leg)!;
              const k = key(a.groupId, a.leg);
              // Exactly the uncovered quantity, never early unless expedited by a cancel, never late.
              expect(a.quantity).toBe(uncovered(a.groupId, d));
              const age = t - since.get(k)!;
              const expedited = (d.pair && hedgeCancelled.has(key(a.groupId, d.pair))) || fcCancelled.has(k);
              if (!expedited) expect(age).toBeGreaterThan(5_000);
              expect(age).toBeLessThanOrEqual(5_001);
              outstanding.set(k, (outstanding.get(k) ?? 0) + a.quantity);
              const b = broker.next().value;
              orders.push({
                due: t + b.latency,
                g: a.groupId,
                l: a.leg,
                qty: a.quantity,
                outcome: b.outcome,
              });
            }
            refresh();
            for (const { g, ...d } of ALL_LEGS) {
              if (d.role === 'SHORT' && uncovered(g, d) > 0) {
                expect(t - since.get(key(g, d.leg))!).toBeLessThanOrEqual(5_000);
              }
            }
          };
          const brokerDue = () => orders.reduce((m, o) => Math.min(m, o.due), Number.POSITIVE_INFINITY);
          const runUntil = (target: number) => {
            for (;;) {
              const next = Math.min(timer.nextDeadline() ?? Number.POSITIVE_INFINITY, brokerDue());
              if (next > target) break;
              t = Math.max(t, next);
              for (const o of orders.filter((x) => x.due <= t)) {
                orders.splice(orders.indexOf(o), 1);
                const d = GROUP_DEFS[o.g]!.find((x) => x.leg === o.l)!;
                const k = key(o.g, o.l);
                const filled =
                  o.outcome === 'fill' ? o.qty : o.outcome === 'partial' ? Math.floor(o.qty / 2) : 0;
                if (filled > 0) {
                  outstanding.set(k, outstanding.get(k)! - filled);
                  fill(o.g, d, 'BUY', filled);
                }
                if (filled < o.qty) {
                  outstanding.set(k, outstanding.get(k)! - (o.qty - filled));
                  fcCancelled.add(k);
                  timer.onCancel({
                    groupId: o.g,
                    leg: o.l,
                    nowMs: t,
                    forceClose: true,
                    remainingQty: o.qty - filled,
                  });
                }
              }
              refresh();
              pollAndCheck();
            }
            t = target;
            refresh();
            pollAndCheck();
          };

          for (const e of events) {
            runUntil(t + e.dt);
            const { g, ...d } = ALL_LEGS[e.legIdx]!;
            const qty = e.lots * 50;
            if (e.kind === 'open') fill(g, d, d.role === 'SHORT' ? 'SELL' : 'BUY', qty);
            else if (e.kind === 'exitHedge' && d.role === 'HEDGE') {
              const held = pos.get(key(g, d.leg)) ?? 0;
              if (held > 0) fill(g, d, 'SELL', Math.min(held, qty));
            } else if (e.kind === 'cancel' && d.role === 'HEDGE') {
              hedgeCancelled.add(key(g, d.leg));
              timer.onCancel({ groupId: g, leg: d.leg, nowMs: t });
            }
            refresh();
            pollAndCheck();
          }
          runUntil(t + 30_000);
          // In the end every short is either hedged or being closed.
          for (const { g, ...d } of ALL_LEGS)
            if (d.role === 'SHORT') expect(uncovered(g, d)).toBeLessThanOrEqual(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
