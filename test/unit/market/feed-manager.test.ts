import { afterEach, describe, expect, it } from 'vitest';
import { realDelay, VirtualClock } from '../../../src/clock/index.js';
import { FeedManager, type FeedManagerOptions, type FeedSwitch } from '../../../src/market/index.js';
import { type FakeFeed, startFakeFeed, until } from './fake-feed.js';

const KEY = 'feed-key-0123456789abcdef';
const NIFTY = { symbol: 'NIFTY', exchange: 'NSE_INDEX' };
const COOLDOWN = 30_000;

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(opts: Partial<FeedManagerOptions> = {}, startPrimary = true) {
  const primary = await startFakeFeed({ apiKey: KEY });
  const fallback = await startFakeFeed({ apiKey: KEY });
  cleanup.push(
    () => primary.stop(),
    () => fallback.stop(),
  );
  if (!startPrimary) await primary.stop();
  const clock = new VirtualClock({ monotonicMs: 100_000 });
  const switches: FeedSwitch[] = [];
  const failovers: number[] = [];
  const mgr = new FeedManager({
    primaryUrl: primary.url,
    fallbackUrl: fallback.url,
    apiKey: KEY,
    clock,
    switchCooldownMs: COOLDOWN,
    frozenAfterMs: 2_000,
    recoveryStableMs: 5_000,
    startupGraceMs: 1_000,
    checkIntervalMs: 100,
    onSwitch: (e) => switches.push(e),
    onFailover: (c) => failovers.push(c.today),
    ...opts,
  });
  cleanup.push(() => mgr.stop());
  mgr.subscribe('sniper', [NIFTY]);
  mgr.start();
  return { primary, fallback, clock, mgr, switches, failovers };
}

const bothTick = (p: FakeFeed, f: FakeFeed, ltp: number) => {
  p.tick('NIFTY', 'NSE_INDEX', { ltp });
  f.tick('NIFTY', 'NSE_INDEX', { ltp: ltp + 0.5 });
};

async function bothReady(mgr: FeedManager, primary: FakeFeed, fallback: FakeFeed) {
  await until(
    () =>
      mgr.primary.isReady() &&
      mgr.fallback!.isReady() &&
      primary.subscribed().has('NSE_INDEX:NIFTY') &&
      fallback.subscribed().has('NSE_INDEX:NIFTY'),
    3_000,
    'both feeds warm',
  );
}

describe('FeedManager failover', () => {
  it('starts on the primary with the standby warm; only the active feed reaches the cache', async () => {
    const { primary, fallback, mgr, switches } = await setup();
    await bothReady(mgr, primary, fallback);
    expect(mgr.active()).toBe('primary');
    fallback.tick('NIFTY', 'NSE_INDEX', { ltp: 2 });
    primary.tick('NIFTY', 'NSE_INDEX', { ltp: 1 });
    await until(() => mgr.cache.get('NIFTY') !== undefined && mgr.fallback!.stats().ticks === 1);
    await realDelay(20);
    expect(mgr.cache.get('NIFTY')).toMatchObject({ ltp: 1, source: 'primary', ticks: 1 });
    expect(switches).toEqual([]);
    expect(mgr.lastSwitchMonoMs()).toBeUndefined();
    expect(mgr.isSwitching()).toBe(false);
  });

  it('primary loss → fallback in the same turn (0 ms of clock time); FEED_SWITCHING blocks for exactly 30 s', async () => {
    const { primary, fallback, mgr, clock, switches, failovers } = await setup();
    await bothReady(mgr, primary, fallback);
    clock.advance(5_000);
    const lostAt = clock.monotonicMs();
    primary.dropClients();
    await until(() => mgr.active() === 'fallback', 3_000, 'failover');
    // No clock time passed between the loss and the switch: it is event-driven, well within 1 s.
    expect(mgr.lastSwitchMonoMs()).toBe(lostAt);
    expect(switches).toHaveLength(1);
    expect(switches[0]).toMatchObject({ from: 'primary', to: 'fallback', atMonoMs: lostAt });
    expect(failovers).toEqual([1]);
    expect(mgr.health()).toMatchObject({
      active: 'fallback',
      primaryUp: false,
      fallbackUp: true,
      failoversToday: 1,
    });
    expect(mgr.feedStatusPayload('drill')).toEqual({
      active: 'fallback',
      primary_up: false,
      fallback_up: true,
      failovers_today: 1,
      reason: 'drill',
    });
    fallback.tick('NIFTY', 'NSE_INDEX', { ltp: 7 });
    await until(() => mgr.cache.get('NIFTY')?.ltp === 7);
    expect(mgr.cache.get('NIFTY')?.source).toBe('fallback');
    expect(mgr.isSwitching(lostAt + COOLDOWN - 1)).toBe(true);
    expect(mgr.isSwitching(lostAt + COOLDOWN)).toBe(false);
  });

  it('switches back once the primary is healthy for the stability window, with the same cooldown', async () => {
    const { primary, fallback, mgr, clock, switches, failovers } = await setup();
    await bothReady(mgr, primary, fallback);
    await primary.stop();
    await until(() => mgr.active() === 'fallback');
    await primary.restart();
    clock.advance(1_000); // primary's first reconnect attempt
    await until(
      () => mgr.primary.isReady() && primary.subscribed().has('NSE_INDEX:NIFTY'),
      3_000,
      'primary back',
    );
    const healthyAt = clock.monotonicMs();
    bothTick(primary, fallback, 10);
    await until(() => mgr.primary.stats().ticks > 0 && mgr.fallback!.stats().ticks > 0);
    await clock.advanceAsync(4_900);
    expect(mgr.active()).toBe('fallback');
    bothTick(primary, fallback, 11);
    await until(() => mgr.primary.stats().ticks > 1 && mgr.fallback!.stats().ticks > 1);
    await clock.advanceAsync(200);
    expect(mgr.active()).toBe('primary');
    const back = switches.at(-1)!;
    expect(back).toMatchObject({ from: 'fallback', to: 'primary', reason: 'primary healthy again' });
    expect(back.atMonoMs - healthyAt).toBeGreaterThanOrEqual(5_000);
    expect(mgr.lastSwitchMonoMs()).toBe(back.atMonoMs);
    expect(mgr.isSwitching(back.atMonoMs + COOLDOWN - 1)).toBe(true);
    expect(failovers).toEqual([1]);
    expect(mgr.health().failoversTotal).toBe(1);
  });

  it('a frozen primary (connected, silent while the fallback ticks) is failed over', async () => {
    const { primary, fallback, mgr, clock, switches } = await setup();
    await bothReady(mgr, primary, fallback);
    bothTick(primary, fallback, 1);
    await until(() => mgr.primary.stats().ticks === 1 && mgr.fallback!.stats().ticks === 1);
    primary.frozen = true;
    for (let i = 0; i < 4; i++) {
      await clock.advanceAsync(500);
      bothTick(primary, fallback, 2 + i);
      await until(() => mgr.fallback!.stats().ticks === 2 + i);
    }
    await clock.advanceAsync(100);
    expect(mgr.active()).toBe('fallback');
    expect(switches[0]?.reason).toContain('frozen');
    expect(mgr.health().primaryFrozen).toBe(true);
    expect(mgr.primary.isReady()).toBe(true);
  });

  it('market silence on both feeds is legal: no switch', async () => {
    const { primary, fallback, mgr, clock, switches } = await setup();
    await bothReady(mgr, primary, fallback);
    // (Below the 45 s heartbeat timeout: this fake proxy sends no protocol pings.)
    await clock.advanceAsync(40_000);
    expect(mgr.active()).toBe('primary');
    expect(switches).toEqual([]);
  });

  it('both down → active none (reported); the first feed back takes over', async () => {
    const healths: string[] = [];
    const { primary, fallback, mgr, clock } = await setup({ onHealthChange: (h) => healths.push(h.active) });
    await bothReady(mgr, primary, fallback);
    await fallback.stop();
    await primary.stop();
    await until(() => mgr.active() === 'none', 3_000, 'both down');
    expect(mgr.health()).toMatchObject({ active: 'none', primaryUp: false, fallbackUp: false });
    await fallback.restart();
    clock.advance(1_000);
    await until(() => mgr.active() === 'fallback', 3_000, 'fallback back');
    expect(healths).toContain('none');
  });

  it('primary down at start: the fallback serves after the startup grace, and that is not a switch', async () => {
    const { mgr, fallback, clock, switches } = await setup({}, false);
    await until(() => mgr.fallback!.isReady() && fallback.subscribed().has('NSE_INDEX:NIFTY'));
    await clock.advanceAsync(900);
    expect(mgr.active()).toBe('none');
    await clock.advanceAsync(200);
    expect(mgr.active()).toBe('fallback');
    expect(switches).toEqual([]);
    expect(mgr.lastSwitchMonoMs()).toBeUndefined();
  });

  it('roles choose modes: Execution subscribes DEPTH on both endpoints', async () => {
    const { primary, fallback, mgr } = await setup();
    mgr.subscribe('execution', [{ symbol: 'NIFTY28AUG2524000PE', exchange: 'NFO' }]);
    await until(
      () =>
        primary.subscribed().get('NFO:NIFTY28AUG2524000PE')?.has(3) === true &&
        fallback.subscribed().get('NFO:NIFTY28AUG2524000PE')?.has(3) === true,
    );
    expect(primary.subscribed().get('NSE_INDEX:NIFTY')?.has(2)).toBe(true);
  });

  it('failover counts reset at 00:00 IST', async () => {
    const { primary, fallback, mgr, clock } = await setup();
    await bothReady(mgr, primary, fallback);
    primary.dropClients();
    await until(() => mgr.active() === 'fallback');
    expect(mgr.health().failoversToday).toBe(1);
    clock.jumpWall(24 * 3_600_000);
    expect(mgr.health()).toMatchObject({ failoversToday: 0, failoversTotal: 1 });
  });
});
