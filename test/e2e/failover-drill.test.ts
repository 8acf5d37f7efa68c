import { afterEach, describe, expect, it } from 'vitest';
import { metricsOf } from '../../src/runtime/metrics-recorder.js';
import {
  bullPutSpread,
  instrumentsOf,
  niftyChain,
  SimHarness,
  until,
} from '../integration/execution/support/sim-harness.js';

/**
 * Plan runbook "Failover Drill (Monthly)", one test per line, against the OpenAlgo-compatible
 * simulator over real HTTP and WebSocket, with real SQLite. Faults come from the simulator's fault
 * injection. "Simulate agent crash → verify kill switch < 60 s" is the process manager's (supervisor
 * tests), not here.
 */
describe('Failover drill (runbook)', () => {
  let h: SimHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('primary WS disconnect → the feed is on the fallback within 1 s', async () => {
    h = await SimHarness.start();
    await h.feedsReady([{ symbol: 'NIFTY', exchange: 'NSE_INDEX' }]);
    const switches: Array<{ to: string; atMonoMs: number }> = [];
    h.runtime.feed.onSwitch((e) => switches.push({ to: e.to, atMonoMs: e.atMonoMs }));

    const droppedAt = h.clock.monotonicMs();
    h.sim.faults.set({ primaryFeed: 'down' });
    await until(() => switches.length > 0, 'a feed switch');

    // Spec limit (runbook), measured on the monotonic clock from the drop to the switch.
    expect(switches[0]!.to).toBe('fallback');
    expect(switches[0]!.atMonoMs - droppedAt).toBeLessThanOrEqual(1_000);
    expect(h.runtime.feed.active()).toBe('fallback');
    // The fallback really feeds the cache: a tick newer than the switch arrives.
    await until(
      () => (h!.runtime.freshness.lastTickMs('NIFTY') ?? 0) > switches[0]!.atMonoMs,
      'a tick from the fallback',
    );
    // The switch is published (FEED_STATUS, §13 failover count) and the §4 gate records it.
    const status = h.ofType('FEED_STATUS').at(-1);
    expect(status?.payload).toMatchObject({ active: 'fallback', primary_up: false, fallback_up: true });
    expect(metricsOf(status!)).toEqual([expect.objectContaining({ by: 1 })]);
    expect(h.runtime.feed.isSwitching()).toBe(true);
  });

  it('within the 30 s cooldown after a switch an ENTRY is denied FEED_SWITCHING and nothing reaches the broker', async () => {
    h = await SimHarness.start();
    // The cooldown cannot be shortened: TOMIC_FEED_SWITCH_COOLDOWN_MS has the plan's 30 s as minimum.
    expect(h.config.freshness.feedSwitchCooldownMs).toBe(30_000);
    const chain = await niftyChain(h.client);
    const legs = bullPutSpread(h.clock, chain, 'TOMIC_DRILL_COOLDOWN');
    await h.feedsReady(instrumentsOf(legs));

    h.sim.faults.set({ primaryFeed: 'down' });
    await until(() => h!.runtime.feed.active() === 'fallback', 'switch to the fallback');
    const switchedAt = h.runtime.feed.lastSwitchMonoMs()!;
    const ordersBefore = h.sim.orders().length;

    h.commands.enqueueGroup(legs);
    await until(() => h!.commands.counts().FAILED === 2, 'both legs denied');

    const denied = h.ofType('ORDER_DENIED');
    expect(denied.map((e) => e.payload.code)).toEqual(['FEED_SWITCHING', 'FEED_SWITCHING']);
    expect(denied[0]!.payload.gate).toBe('freshness.feed_switch');
    const since = Number(denied[0]!.payload.details?.sinceSwitchMs);
    expect(since).toBeGreaterThanOrEqual(0);
    expect(since).toBeLessThan(30_000);
    // Denied inside the cooldown, and not one order (nor basket) reached the simulator.
    expect(h.clock.monotonicMs() - switchedAt).toBeLessThan(30_000);
    expect(h.sim.orders().length).toBe(ordersBefore);
    expect(h.simOrders('TOMIC_DRILL_COOLDOWN')).toEqual([]);
    for (const row of h.commands.list({ limit: 10 })) {
      expect(row.status).toBe('FAILED');
      expect(row.last_error).toMatch(/^FEED_SWITCHING/);
    }
    // The Supervisor's reading of §14 agrees: primary down, on the fallback, orders blocked, no halt.
    const t = await h.tick();
    expect(t.split).toMatchObject({ blockNewOrders: true, killSwitch: false, code: 'FEED_SWITCHING' });
    expect(h.state.read().state).toBe('ACTIVE');
  });

  it('stale data → the freshness gate blocks the order and the denial is recorded', async () => {
    // Short but plan-valid freshness limits (§4 allows tightening: ≤ 5 s / ≤ 10 s).
    h = await SimHarness.start({
      env: { TOMIC_UNDERLYING_QUOTE_MAX_AGE_MS: '2000', TOMIC_OPTION_QUOTE_MAX_AGE_MS: '2000' },
    });
    const chain = await niftyChain(h.client);
    const legs = bullPutSpread(h.clock, chain, 'TOMIC_DRILL_STALE');
    await h.feedsReady(instrumentsOf(legs));

    // Both feeds stay connected but go silent: no switch (silence on both is not a frozen feed), the
    // quotes just age.
    h.sim.faults.set({ primaryFeed: 'frozen', fallbackFeed: 'frozen' });
    const lastTick = () =>
      Math.max(...instrumentsOf(legs).map((i) => h!.runtime.freshness.lastTickMs(i.symbol) ?? 0));
    await until(
      () => h!.clock.monotonicMs() - lastTick() > 2_000 + 250,
      'quotes older than the limit',
      10_000,
    );
    expect(h.runtime.feed.active()).toBe('primary');

    h.commands.enqueueGroup(legs);
    await until(() => h!.commands.counts().FAILED === 2, 'group denied');

    const denied = h.ofType('ORDER_DENIED');
    expect(denied).toHaveLength(2);
    for (const d of denied) {
      expect(d.payload.code).toBe('STALE_QUOTE');
      expect(d.payload.gate).toMatch(/^freshness\./);
      // §13 "stale-data blocks / hour" counts it.
      expect(metricsOf(d)).toEqual([expect.objectContaining({ by: 1 })]);
    }
    expect(denied[0]!.payload.details).toMatchObject({ thresholdMs: 2_000 });
    expect(Number(denied[0]!.payload.details?.ageMs)).toBeGreaterThan(2_000);
    // Recorded durably on the command rows, and nothing reached the broker.
    for (const row of h.commands.list({ limit: 10 })) {
      expect(row.status).toBe('FAILED');
      expect(row.last_error).toMatch(/^STALE_QUOTE/);
    }
    expect(h.simOrders('TOMIC_DRILL_STALE')).toEqual([]);
  });

  it('execution broker timeouts → retry with backoff, then DEAD_LETTER; 5 in a row → the Supervisor runs the kill switch', async () => {
    h = await SimHarness.start({
      env: {
        TOMIC_REST_TIMEOUT_MS: '300',
        TOMIC_RETRY_NETWORK_BASE_MS: '200',
        TOMIC_ORDER_MODE: 'full_auto',
      },
    });
    const chain = await niftyChain(h.client);
    const legs = bullPutSpread(h.clock, chain, 'TOMIC_DRILL_TIMEOUT');
    const queued = bullPutSpread(h.clock, chain, 'TOMIC_DRILL_QUEUED', 3, 2);
    await h.feedsReady(instrumentsOf([...legs, ...queued]));
    await until(() => h!.runtime.account() !== undefined, 'first funds read');
    h.startMonitor(100);
    // A resting order the kill switch must cancel (a bid far below the market).
    const resting = await h.client.placeOrder({
      strategy: 'MANUAL_RESTING',
      symbol: legs[0]!.payload.symbol,
      exchange: 'NFO',
      action: 'BUY',
      quantity: legs[0]!.payload.quantity,
      pricetype: 'LIMIT',
      product: 'NRML',
      price: 0.05,
      trigger_price: 0,
    });
    expect(resting.ok).toBe(true);
    // A group waiting for approval (Semi-Auto) is a queued command the kill switch must fail.
    h.commands.enqueueGroup(queued, { awaitApproval: true });
    expect(h.commands.counts().AWAITING_APPROVAL).toBe(2);
    expect(h.runtime.health()).toMatchObject({ running: true, consecutiveBrokerTimeouts: 0 });
    expect(h.runtime.health().lastBrokerSuccessMonoMs).not.toBeNull();

    // The broker hangs: every REST answer comes after 1.5 s, past the client's 300 ms timeout.
    h.sim.faults.set({ restDelayMs: 1_500 });
    h.commands.enqueueGroup(legs);
    await until(() => h!.commands.counts().DEAD_LETTER === 2, 'both legs dead-lettered');

    // Retried per the §2 policy: three attempts, backoff growing between them, then DEAD_LETTER.
    const longId = h.commands
      .list({ limit: 10 })
      .find((r) => r.idempotency_key === legs[0]!.idempotency_key)?.id;
    const tries = h.ofType('COMMAND_STATUS').filter((e) => e.payload.command_id === longId);
    expect(tries.map((e) => e.payload.status)).toEqual(['PENDING', 'PENDING', 'DEAD_LETTER']);
    const rejects = h
      .ofType('ORDER_REJECT')
      .filter((e) => e.payload.leg === 'long_put' && e.strategy_id === 'TOMIC_DRILL_TIMEOUT');
    expect(rejects.map((e) => e.payload.code)).toEqual(Array(3).fill('BROKER_NETWORK_TIMEOUT'));
    // Each retry waits its backoff (200 ms, then 400 ms) on top of the timed-out calls themselves.
    expect(rejects[1]!.ts - rejects[0]!.ts).toBeGreaterThanOrEqual(200 + 300);
    expect(rejects[2]!.ts - rejects[1]!.ts).toBeGreaterThanOrEqual(400 + 300);
    // Dead letter raises the [CRITICAL] alert (§13 "any occurrence").
    expect(
      h
        .ofType('ALERT')
        .filter((e) => e.payload.level === 'CRITICAL' && e.payload.code === 'COMMAND_DEAD_LETTER'),
    ).toHaveLength(2);

    // The Supervisor saw ≥ 5 broker timeouts in a row in the agent's health and ran the kill switch.
    await until(() => h!.kills.length > 0, 'kill switch');
    expect(h.kills).toHaveLength(1);
    const kill = h.kills[0]!;
    expect(kill.code).toBe('EXECUTION_DOWN');
    expect(kill.reason).toMatch(/consecutive execution timeouts/);
    expect(h.runtime.health().consecutiveBrokerTimeouts).toBeGreaterThanOrEqual(5);
    expect(h.state.read().state).toBe('HALTED');
    expect(kill.report.steps.map((s) => s.step)).toEqual([
      'pause',
      'cancel_all_orders',
      'reject_queued_commands',
      'stop_signal_agents',
      'critical_alert',
    ]);
    expect(h.alerts.map((a) => a.code)).toEqual(['EXECUTION_DOWN']);
    // Queued commands → FAILED.
    const queuedRows = h.commands.list({ limit: 20 }).filter((r) => r.strategy_id === 'TOMIC_DRILL_QUEUED');
    expect(queuedRows.map((r) => r.status)).toEqual(['FAILED', 'FAILED']);
    // cancelallorder was sent: the hung broker still executes it when its delay ends.
    const restingId = resting.ok && !resting.data.queued ? resting.data.orderId : '';
    await until(
      () => h!.sim.orders().find((o) => o.orderid === restingId)?.status === 'cancelled',
      'the resting order cancelled by cancelallorder',
    );
    // Nothing of the timed-out group ever reached the broker (the orderbook check came first).
    expect(h.simOrders('TOMIC_DRILL_TIMEOUT')).toEqual([]);
    // Positions stay open: the kill switch closes nothing.
    expect(h.sim.orders().filter((o) => o.pricetype === 'MARKET')).toEqual([]);
  });
});
