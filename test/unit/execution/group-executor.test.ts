import { describe, expect, it } from 'vitest';
import {
  type ClaimedLeg,
  type ExecStep,
  GroupExecutor,
  type LegOutcome,
} from '../../../src/agents/execution/group-executor.js';
import { basketTag } from '../../../src/agents/execution/order-tracking.js';
import { VirtualClock } from '../../../src/clock/index.js';
import { drive } from '../../support/drive.js';
import { bpsLeg, STRATEGY_ID } from '../../support/orders.js';
import { ScriptedBroker } from '../../support/scripted-broker.js';

const HEDGE_FIRST: ExecStep[] = [
  { kind: 'LEG', leg: 'long_put', delayBeforeMs: 0 },
  { kind: 'LEG', leg: 'short_put', delayBeforeMs: 500 },
];
const OPTS = { pollMs: 50, fillTimeoutMs: 3_000, ambiguityChecks: 3, ambiguityIntervalMs: 200 };

function setup() {
  const clock = new VirtualClock();
  const broker = new ScriptedBroker(clock);
  const legs: ClaimedLeg[] = [
    { id: 1, ownerToken: 't1', event: bpsLeg(clock, 'long_put') },
    { id: 2, ownerToken: 't2', event: bpsLeg(clock, 'short_put') },
  ];
  const done: Array<{ leg: string; outcome: LegOutcome; at: number }> = [];
  const fills: string[] = [];
  const hooks = {
    onLegDone: (l: ClaimedLeg, outcome: LegOutcome) => {
      done.push({ leg: l.event.payload.leg, outcome, at: clock.monotonicMs() });
    },
    onFill: (l: ClaimedLeg) => {
      fills.push(l.event.payload.leg);
    },
  };
  return { clock, broker, legs, done, fills, hooks, exec: new GroupExecutor(broker, clock, OPTS) };
}

describe('test_execution_safety: group execution (§3, §5)', () => {
  it('HEDGE_FIRST buys the long put, then sells the short put SMART_ORDER_DELAY later', async () => {
    const { clock, broker, legs, done, hooks, exec } = setup();
    await drive(clock, exec.execute(legs, HEDGE_FIRST, hooks));
    const placed = broker.calls.filter((c) => c.op === 'placeorder');
    expect(placed.map((c) => c.order?.symbol)).toEqual(['NIFTY26FEB2624800PE', 'NIFTY26FEB2625000PE']);
    expect(placed[1]!.at - placed[0]!.at).toBeGreaterThanOrEqual(500);
    expect(done.map((d) => [d.leg, d.outcome.kind])).toEqual([
      ['long_put', 'FILLED'],
      ['short_put', 'FILLED'],
    ]);
    // The OpenAlgo strategy tag is the §3 idempotency key.
    expect(placed[1]!.order?.strategy).toBe(`${STRATEGY_ID}:short_put:SELL`);
  });

  it('never sells more than the hedge filled: a half-filled hedge halves the short (whole lots)', async () => {
    const { clock, broker, legs, hooks, exec } = setup();
    broker.scripts.set('NIFTY26FEB2624800PE', { kind: 'fill', fraction: 0.5 });
    await drive(clock, exec.execute(legs, HEDGE_FIRST, hooks));
    expect(broker.placed().map((o) => [o.action, o.quantity])).toEqual([
      ['BUY', 130],
      ['SELL', 65],
    ]);
  });

  it('a rejected hedge means the short is never sent', async () => {
    const { clock, broker, legs, done, hooks, exec } = setup();
    broker.scripts.set('NIFTY26FEB2624800PE', { kind: 'reject' });
    await drive(clock, exec.execute(legs, HEDGE_FIRST, hooks));
    expect(broker.placed().map((o) => o.action)).toEqual(['BUY']);
    const short = done.find((d) => d.leg === 'short_put')!.outcome;
    expect(short.kind).toBe('NOT_PLACED');
    if (short.kind === 'NOT_PLACED') expect(short.errorClass).toBe('BROKER_REJECT');
  });

  it('broker-side idempotency: a leg already in the orderbook under its tag is adopted, not resent', async () => {
    const { clock, broker, legs, done, hooks, exec } = setup();
    await drive(clock, exec.execute(legs, HEDGE_FIRST, hooks));
    const before = broker.placed().length;
    const again = new GroupExecutor(broker, clock, OPTS);
    const done2: LegOutcome[] = [];
    await drive(
      clock,
      again.execute(legs, HEDGE_FIRST, { ...hooks, onLegDone: (_l, o) => void done2.push(o) }),
    );
    expect(broker.placed().length).toBe(before);
    expect(done2.map((o) => o.kind === 'FILLED' && o.adopted)).toEqual([true, true]);
    expect(done).toHaveLength(2);
  });

  it('an ambiguous placement that reached the broker is found through the orderbook, never resent', async () => {
    const { clock, broker, legs, done, hooks, exec } = setup();
    broker.scripts.set('NIFTY26FEB2624800PE', { kind: 'ambiguous', recorded: true });
    await drive(clock, exec.execute(legs, HEDGE_FIRST, hooks));
    expect(broker.placed().filter((o) => o.symbol === 'NIFTY26FEB2624800PE')).toHaveLength(1);
    expect(done[0]!.outcome.kind).toBe('FILLED');
  });

  it('an ambiguous placement absent from the orderbook fails retryably and is not resent now', async () => {
    const { clock, broker, legs, done, hooks, exec } = setup();
    broker.scripts.set('NIFTY26FEB2624800PE', { kind: 'ambiguous', recorded: false });
    await drive(clock, exec.execute(legs, HEDGE_FIRST, hooks));
    expect(broker.placed()).toHaveLength(1);
    expect(done[0]!.outcome).toMatchObject({ kind: 'ERROR', errorClass: 'NETWORK_TIMEOUT' });
    expect(done[1]!.outcome).toMatchObject({ kind: 'NOT_PLACED', errorClass: 'NETWORK_TIMEOUT' });
  });

  it('places nothing when the orderbook cannot be read for the idempotency check', async () => {
    const { clock, broker, legs, done, hooks, exec } = setup();
    broker.orderbookDown = true;
    await drive(clock, exec.execute(legs, HEDGE_FIRST, hooks));
    expect(broker.placed()).toHaveLength(0);
    expect(done.map((d) => d.outcome.kind)).toEqual(['NOT_PLACED', 'NOT_PLACED']);
  });

  it('ATOMIC: one basketorder under the group tag, results matched by symbol', async () => {
    const { clock, broker, legs, done, hooks, exec } = setup();
    await drive(clock, exec.execute(legs, [{ kind: 'BASKET', legs: ['long_put', 'short_put'] }], hooks));
    expect(broker.calls.filter((c) => c.op.startsWith('basketorder'))).toEqual([
      expect.objectContaining({ op: `basketorder:${basketTag(STRATEGY_ID, 'g-bps-1')}` }),
    ]);
    expect(done.map((d) => d.outcome.kind)).toEqual(['FILLED', 'FILLED']);
  });

  it('tagless live orderbook: matched on symbol/action/quantity, excluding orders linked to other commands', async () => {
    const { clock, broker, legs, hooks, exec } = setup();
    broker.book.push({
      orderId: '111',
      strategy: undefined,
      symbol: 'NIFTY26FEB2624800PE',
      exchange: 'NFO',
      action: 'BUY',
      quantity: 130,
      filledQuantity: 130,
      averagePrice: 61,
      status: 'complete',
      message: undefined,
    });
    await drive(clock, exec.execute(legs, HEDGE_FIRST, hooks, new Set(['111'])));
    expect(broker.placed().filter((o) => o.symbol === 'NIFTY26FEB2624800PE')).toHaveLength(1);
    const broker2 = new ScriptedBroker(clock);
    broker2.book.push({ ...broker.book[0]! });
    const exec2 = new GroupExecutor(broker2, clock, OPTS);
    await drive(clock, exec2.execute(legs, HEDGE_FIRST, hooks));
    expect(broker2.placed().filter((o) => o.symbol === 'NIFTY26FEB2624800PE')).toHaveLength(0);
  });

  it('a step that forces MARKET (risk reversal call) is sent at MARKET whatever the request said', async () => {
    const { clock, broker, hooks, exec } = setup();
    const limitLegs: ClaimedLeg[] = [
      { id: 1, ownerToken: 't1', event: bpsLeg(clock, 'long_put', { pricetype: 'LIMIT', price: 61 }) },
      { id: 2, ownerToken: 't2', event: bpsLeg(clock, 'short_put', { pricetype: 'LIMIT', price: 119 }) },
    ];
    await drive(
      clock,
      exec.execute(
        limitLegs,
        [
          { kind: 'LEG', leg: 'long_put', delayBeforeMs: 0, pricetype: 'MARKET' },
          { kind: 'LEG', leg: 'short_put', delayBeforeMs: 500 },
        ],
        hooks,
      ),
    );
    expect(broker.placed().map((o) => [o.pricetype, o.price])).toEqual([
      ['MARKET', 0],
      ['LIMIT', 119],
    ]);
  });
});
