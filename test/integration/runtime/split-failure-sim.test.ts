import { afterEach, describe, expect, it } from 'vitest';
import {
  bullPutSpread,
  instrumentsOf,
  niftyChain,
  SimHarness,
  until,
} from '../execution/support/sim-harness.js';

/**
 * Plan §14 split-failure table, row by row, with the simulator's fault injection standing in for the
 * broken broker, the Execution agent (ExecutionRuntime) as the order path, and the SupervisorMonitor
 * as the Supervisor runs it (the agent's feed report + an OpenAlgo ping + the agent's broker health).
 */
describe('§14 split-failure behaviour against the simulator', () => {
  let h: SimHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('feed broker down, execution up: the freshness gate blocks new orders, positions are managed on last known state', async () => {
    h = await SimHarness.start();
    const chain = await niftyChain(h.client);
    const held = bullPutSpread(h.clock, chain, 'TOMIC_SPLIT_HELD', 2, 3);
    const fresh = bullPutSpread(h.clock, chain, 'TOMIC_SPLIT_NEW', 3, 2);
    await h.feedsReady(instrumentsOf([...held, ...fresh]));
    // An open position from before the failure.
    h.commands.enqueueGroup(held);
    await until(() => h!.commands.counts().DONE === 2, 'the held spread filled');
    h.startMonitor(100);
    const bookBefore = h.runtime.book.readSnapshot().positions;

    h.sim.faults.set({ primaryFeed: 'down' });
    await until(() => h!.runtime.feed.active() === 'fallback', 'fallback active');
    const t = await h.tick();
    expect(t.split).toMatchObject({ blockNewOrders: true, killSwitch: false, code: 'FEED_SWITCHING' });

    h.commands.enqueueGroup(fresh);
    await until(() => h!.commands.counts().FAILED === 2, 'new entry refused');
    expect(h.ofType('ORDER_DENIED').map((e) => e.payload.code)).toEqual(['FEED_SWITCHING', 'FEED_SWITCHING']);
    expect(h.simOrders('TOMIC_SPLIT_NEW')).toEqual([]);
    // Existing positions: still held, and the book still agrees with the (reachable) execution broker.
    expect(h.runtime.book.readSnapshot().positions).toEqual(bookBefore);
    expect(await h.runtime.reconcileWithBroker()).toEqual({ ok: true, discrepancies: 0 });
    expect(h.state.read().state).toBe('ACTIVE');
    expect(h.kills).toEqual([]);
  });

  it('feed broker down and the fallback feed down too: kill switch', async () => {
    h = await SimHarness.start();
    const chain = await niftyChain(h.client);
    const queued = bullPutSpread(h.clock, chain, 'TOMIC_SPLIT_FEEDS', 2, 3);
    await h.feedsReady(instrumentsOf(queued));
    h.commands.enqueueGroup(queued, { awaitApproval: true });
    h.startMonitor(100);

    h.sim.faults.set({ primaryFeed: 'down', fallbackFeed: 'down' });
    await until(() => h!.kills.length > 0, 'kill switch');
    expect(h.kills[0]).toMatchObject({ code: 'FEED_DOWN' });
    expect(h.kills[0]!.reason).toMatch(/feeds both down/);
    expect(h.state.read().state).toBe('HALTED');
    expect(h.commands.counts()).toMatchObject({ AWAITING_APPROVAL: 0, FAILED: 2 });
    // cancelallorder went out (the execution broker is up).
    expect(h.kills[0]!.report.steps.find((s) => s.step === 'cancel_all_orders')?.ok).toBe(true);
    expect(h.alerts.map((a) => a.code)).toEqual(['FEED_DOWN']);
  });

  it('execution broker down, feed up: commands queue durably and retry, analysis goes on; 5 timeouts in a row → kill switch + CRITICAL', async () => {
    h = await SimHarness.start({
      env: { TOMIC_RETRY_NETWORK_BASE_MS: '500', TOMIC_REST_TIMEOUT_MS: '500' },
    });
    const chain = await niftyChain(h.client);
    const legs = bullPutSpread(h.clock, chain, 'TOMIC_SPLIT_EXEC', 2, 3);
    await h.feedsReady(instrumentsOf(legs));
    await until(() => h!.runtime.account() !== undefined, 'first funds read');

    // REST refuses connections: every call fails at once (connect error = network timeout class).
    h.sim.faults.set({ restDown: true });
    h.commands.enqueueGroup(legs);
    await until(() => h!.ofType('COMMAND_STATUS').length >= 2, 'first attempt failed');

    // After the first attempt: the legs wait in the command table for their retry, nothing is halted.
    const t = await h.tick();
    expect(t.health.executionUp).toBe(false);
    expect(t.split).toMatchObject({ killSwitch: false, queueCommands: true, code: 'EXECUTION_DOWN' });
    expect(t.killed).toBeNull();
    const rows = h.commands.list({ strategyId: 'TOMIC_SPLIT_EXEC' });
    expect(rows.map((r) => r.status)).toEqual(['PENDING', 'PENDING']);
    expect(rows.every((r) => r.next_retry_at !== null && r.error_class === 'NETWORK_TIMEOUT')).toBe(true);
    // Analysis goes on: the feed broker still streams.
    const tickBefore = h.runtime.freshness.lastTickMs('NIFTY')!;
    await until(() => (h!.runtime.freshness.lastTickMs('NIFTY') ?? 0) > tickBefore, 'ticks keep coming');

    h.startMonitor(100);
    await until(() => h!.kills.length > 0, 'kill switch');
    expect(h.kills[0]).toMatchObject({ code: 'EXECUTION_DOWN' });
    expect(h.runtime.health().consecutiveBrokerTimeouts).toBeGreaterThanOrEqual(5);
    expect(h.alerts).toEqual([expect.objectContaining({ code: 'EXECUTION_DOWN' })]);
    expect(h.state.read().state).toBe('HALTED');
    await until(
      () =>
        h!.commands
          .list({ strategyId: 'TOMIC_SPLIT_EXEC' })
          .every((r) => r.status === 'FAILED' || r.status === 'DEAD_LETTER'),
      'the group ends terminal',
    );
    h.sim.faults.clear();
    expect(h.simOrders('TOMIC_SPLIT_EXEC')).toEqual([]);
  });

  it('both down: immediate kill switch, and no order goes out afterwards', async () => {
    h = await SimHarness.start();
    const chain = await niftyChain(h.client);
    const legs = bullPutSpread(h.clock, chain, 'TOMIC_SPLIT_BOTH', 2, 3);
    await h.feedsReady(instrumentsOf(legs));
    h.startMonitor(100);

    const downAt = h.clock.monotonicMs();
    h.sim.faults.set({ restDown: true, primaryFeed: 'down' });
    await until(() => h!.kills.length > 0, 'kill switch');
    // Immediate: no order, no retry count needed, the first monitor cycles that see both down.
    expect(h.kills[0]!.atMonoMs - downAt).toBeLessThan(5_000);
    expect(h.kills[0]).toMatchObject({ code: 'KILL_SWITCH' });
    expect(h.kills[0]!.reason).toMatch(/both down/);
    expect(h.state.read().state).toBe('HALTED');
    expect(h.alerts.map((a) => a.code)).toEqual(['KILL_SWITCH']);

    // Whatever arrives now is refused by the trading state before any gate or broker call.
    h.sim.faults.clear();
    h.commands.enqueueGroup(legs);
    await until(() => h!.commands.counts().FAILED === 2, 'orders refused');
    expect(h.ofType('ORDER_DENIED').map((e) => e.payload.code)).toEqual(['TRADING_HALTED', 'TRADING_HALTED']);
    expect(h.simOrders('TOMIC_SPLIT_BOTH')).toEqual([]);
  });
});
