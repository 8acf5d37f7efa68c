import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExecutionService } from '../../../src/agents/execution/execution-service.js';
import { GroupExecutor } from '../../../src/agents/execution/group-executor.js';
import { VirtualClock } from '../../../src/clock/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { type GateDenial, UnhedgedTimer } from '../../../src/safety/index.js';
import { CommandStore } from '../../../src/store/command-store.js';
import { openDatabase } from '../../../src/store/index.js';
import { PositionBook } from '../../../src/store/position-book.js';
import { SystemStateStore } from '../../../src/store/system-state.js';
import { drive } from '../../support/drive.js';
import { bpsLeg } from '../../support/orders.js';
import { ScriptedBroker } from '../../support/scripted-broker.js';

const cfg = loadConfig({ env: {}, envFile: null });
if (!cfg.ok) throw new Error('config');
const config = cfg.config;

function setup(opts: { denial?: GateDenial } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tomic-exec-'));
  const clock = new VirtualClock();
  const commandsDb = openDatabase(dir, 'commands');
  const commands = new CommandStore(commandsDb, {
    clock,
    retry: CommandStore.retryPolicyFromConfig(config),
    leaseMs: config.commands.leaseMs,
  });
  const opened = PositionBook.open(openDatabase(dir, 'positions'));
  if (!opened.ok) throw new Error(opened.message);
  const book = opened.book;
  const state = new SystemStateStore(commandsDb);
  const broker = new ScriptedBroker(clock);
  const events: Array<{ type: string; payload: Record<string, unknown> }> = [];
  const kills: string[] = [];
  const service = new ExecutionService(
    {
      clock,
      logger: silentLogger(),
      commands,
      broker,
      book,
      state,
      timer: new UnhedgedTimer({ maxUnhedgedMs: config.breakers.maxUnhedgedMs }),
      preTrade: () => opts.denial ?? null,
      recordOrder: () => undefined,
      emit: (type, _base, payload) => events.push({ type, payload: payload as Record<string, unknown> }),
      requestKillSwitch: (reason) => kills.push(reason),
    },
    {
      leaseMs: config.commands.leaseMs,
      smartOrderDelayMs: config.execution.smartOrderDelayMs,
      riskReversalHedgeMs: config.execution.riskReversalHedgeMs,
      consecutiveTimeoutsKill: config.execution.consecutiveTimeoutsKill,
      pollMs: 50,
      fillTimeoutMs: 3_000,
    },
  );
  const enqueueBps = () => {
    const legs = [bpsLeg(clock, 'long_put'), bpsLeg(clock, 'short_put')];
    commands.enqueueGroup(legs);
    return legs;
  };
  return { clock, commands, book, state, broker, events, kills, service, enqueueBps };
}

/** A leg of the spread's EXIT group as the Risk agent plans it; attempt n > 1 names legs `<leg>#n`. */
function bpsExitLeg(clock: VirtualClock, leg: 'long_put' | 'short_put', attempt: number) {
  const n = (name: string) => (attempt > 1 ? `${name}#${attempt}` : name);
  const short = leg === 'short_put';
  return bpsLeg(clock, leg, {
    leg: n(leg),
    action: short ? 'BUY' : 'SELL',
    intent: 'EXIT',
    group: {
      group_id: attempt > 1 ? `g-bps-1:exit#${attempt}` : 'g-bps-1:exit',
      strategy_type: 'BULL_PUT_SPREAD',
      leg_count: 2,
      leg_index: short ? 0 : 1,
      role: short ? 'SHORT' : 'HEDGE',
      pair_leg: n(short ? 'long_put' : 'short_put'),
    },
  });
}

const qty = (book: PositionBook, symbol: string) =>
  book.readSnapshot().positions.find((p) => p.symbol === symbol)?.quantity ?? 0;

describe('Execution service on real stores', () => {
  it('executes a bull put spread hedge first, acks both legs, and books the fills', async () => {
    const s = setup();
    s.broker.basketSupported = false;
    s.enqueueBps();
    await drive(s.clock, s.service.processGroup(s.commands.claimNextGroup()));
    expect(s.broker.placed().map((o) => o.action)).toEqual(['BUY', 'SELL']);
    expect(s.commands.counts().DONE).toBe(2);
    expect(qty(s.book, 'NIFTY26FEB2624800PE')).toBe(130);
    expect(qty(s.book, 'NIFTY26FEB2625000PE')).toBe(-130);
    expect(s.events.filter((e) => e.type === 'ORDER_FILL')).toHaveLength(2);
    expect(s.events.some((e) => e.type === 'POSITION_UPDATE')).toBe(true);
  });

  it('HALTED: nothing reaches the broker, every leg FAILED with a TRADING_HALTED denial event', async () => {
    const s = setup();
    s.state.transition('HALTED', 'kill switch', 'test');
    s.enqueueBps();
    await drive(s.clock, s.service.processGroup(s.commands.claimNextGroup()));
    expect(s.broker.calls).toHaveLength(0);
    expect(s.commands.counts().FAILED).toBe(2);
    expect(s.events.filter((e) => e.type === 'ORDER_DENIED').map((e) => e.payload.code)).toEqual([
      'TRADING_HALTED',
      'TRADING_HALTED',
    ]);
  });

  it('a pre-trade denial (e.g. STALE_QUOTE) places nothing and is an event', async () => {
    const denial = {
      ok: false,
      code: 'STALE_QUOTE',
      message: 'underlying quote 5001 ms old',
      gate: 'freshness.underlying',
      alert: null,
    } as unknown as GateDenial;
    const s = setup({ denial });
    s.enqueueBps();
    await drive(s.clock, s.service.processGroup(s.commands.claimNextGroup()));
    expect(s.broker.calls).toHaveLength(0);
    expect(s.events.filter((e) => e.type === 'ORDER_DENIED').map((e) => e.payload.code)).toEqual([
      'STALE_QUOTE',
      'STALE_QUOTE',
    ]);
  });

  it('invariant 2: a short left without its hedge is bought back at MARKET just after 5 s, with a CRITICAL alert', async () => {
    const s = setup();
    // The basket goes unanswered; the short is in the orderbook (filled), the hedge is not: its fate
    // is unknown, so only the timer can decide.
    s.broker.basketAmbiguous = true;
    s.broker.scripts.set('NIFTY26FEB2624800PE', { kind: 'ambiguous', recorded: false });
    s.enqueueBps();
    await drive(s.clock, s.service.processGroup(s.commands.claimNextGroup()));
    expect(qty(s.book, 'NIFTY26FEB2625000PE')).toBe(-130);
    // The short was found (and its fill registered) at the last orderbook lookup of the ambiguity check.
    const shortFilledAt = Math.max(...s.broker.calls.filter((c) => c.op === 'orderbook').map((c) => c.at));
    await s.clock.advanceAsync(shortFilledAt + 5_000 - s.clock.monotonicMs());
    expect(
      s.broker.placed().filter((o) => o.action === 'BUY' && o.symbol === 'NIFTY26FEB2625000PE'),
    ).toHaveLength(0);
    await s.clock.advanceAsync(200);
    await drive(s.clock, Promise.resolve());
    const buyBack = s.broker.placed().filter((o) => o.action === 'BUY' && o.symbol === 'NIFTY26FEB2625000PE');
    expect(buyBack).toEqual([expect.objectContaining({ pricetype: 'MARKET', quantity: 130 })]);
    expect(qty(s.book, 'NIFTY26FEB2625000PE')).toBe(0);
    expect(s.events.some((e) => e.type === 'ALERT' && e.payload.code === 'UNHEDGED_EXPOSURE')).toBe(true);
  });

  it('a basket that fills the short beyond its hedge: the excess is bought back at once, not after 5 s', async () => {
    const s = setup();
    // Partial fills differ by strike: the hedge gets one lot of two, the short both.
    s.broker.scripts.set('NIFTY26FEB2624800PE', { kind: 'fill', fraction: 0.5 });
    s.enqueueBps();
    const t0 = s.clock.monotonicMs();
    await drive(s.clock, s.service.processGroup(s.commands.claimNextGroup()));
    const trims = s.broker.placed().filter((o) => o.action === 'BUY' && o.symbol === 'NIFTY26FEB2625000PE');
    expect(trims).toEqual([expect.objectContaining({ pricetype: 'MARKET', quantity: 65 })]);
    const trimmedAt = s.broker.calls.find(
      (c) => c.order?.symbol === 'NIFTY26FEB2625000PE' && c.order.action === 'BUY',
    )!.at;
    expect(trimmedAt - t0).toBeLessThan(config.breakers.maxUnhedgedMs);
    expect(qty(s.book, 'NIFTY26FEB2624800PE')).toBe(65);
    expect(qty(s.book, 'NIFTY26FEB2625000PE')).toBe(-65);
    // The 5 s timer never had to act.
    await s.clock.advanceAsync(6_000);
    await drive(s.clock, Promise.resolve());
    expect(s.events.some((e) => e.type === 'UNHEDGED_INCIDENT' && e.payload.action === 'FORCE_CLOSE')).toBe(
      false,
    );
    expect(
      s.broker.placed().filter((o) => o.symbol === 'NIFTY26FEB2625000PE' && o.action === 'BUY'),
    ).toHaveLength(1);
    // Told, at RISK level: it was exposure, briefly, not a timer incident.
    expect(s.events.filter((e) => e.type === 'ALERT').map((e) => [e.payload.level, e.payload.code])).toEqual([
      ['RISK', 'UNHEDGED_EXPOSURE'],
    ]);
  });

  it('an exit retry (legs `#2`): a partial buy-back sells only the hedge it freed; the rest keeps its entry leg names', async () => {
    const s = setup();
    s.broker.basketSupported = false;
    s.enqueueBps();
    await drive(s.clock, s.service.processGroup(s.commands.claimNextGroup()));
    const exitLeg = (leg: 'long_put' | 'short_put') => bpsExitLeg(s.clock, leg, 2);
    // The short's buy-back fills one lot of two; the hedge's sale in full.
    s.broker.scripts.set('NIFTY26FEB2625000PE', { kind: 'fill', fraction: 0.5 });
    expect(s.commands.enqueueGroup([exitLeg('short_put'), exitLeg('long_put')]).every((r) => r.ok)).toBe(
      true,
    );
    await drive(s.clock, s.service.processGroup(s.commands.claimNextGroup()));
    // The hedge was sold only down to what still covers the short: never a naked short.
    const rows = s.book.readSnapshot().positions;
    expect(rows.map((r) => [r.symbol, r.quantity, r.leg])).toEqual([
      ['NIFTY26FEB2624800PE', 65, 'long_put'],
      ['NIFTY26FEB2625000PE', -65, 'short_put'],
    ]);
    const hedgeSale = s.broker
      .placed()
      .filter((o) => o.symbol === 'NIFTY26FEB2624800PE' && o.action === 'SELL');
    expect(hedgeSale).toEqual([expect.objectContaining({ quantity: 65 })]);
  });

  it('an exit basket whose buy-back fills short of the hedge it sold: the naked remainder is bought back at once', async () => {
    const s = setup();
    s.enqueueBps();
    await drive(s.clock, s.service.processGroup(s.commands.claimNextGroup()));
    const exitLeg = (leg: 'long_put' | 'short_put') => bpsExitLeg(s.clock, leg, 1);
    // The buy-back fills half (the hedge sale in full); the trim that follows fills half of what is
    // left, then the rest: it keeps buying until no short stands beyond its hedge.
    s.broker.scripts.set('NIFTY26FEB2625000PE', { kind: 'fill', fraction: 0.5, once: true });
    expect(s.commands.enqueueGroup([exitLeg('short_put'), exitLeg('long_put')]).every((r) => r.ok)).toBe(
      true,
    );
    const claimed = s.commands.claimNextGroup();
    await drive(s.clock, s.service.processGroup(claimed));
    const book = s.book.readSnapshot().positions;
    const short = book.find((r) => r.symbol === 'NIFTY26FEB2625000PE')?.quantity ?? 0;
    const long = book.find((r) => r.symbol === 'NIFTY26FEB2624800PE')?.quantity ?? 0;
    expect(-short).toBeLessThanOrEqual(long);
    expect(s.events.some((e) => e.type === 'ALERT' && e.payload.code === 'UNHEDGED_EXPOSURE')).toBe(true);
  });

  it('crash after the broker accepted, before DONE: the reclaimed retry adopts the orders, no duplicate', async () => {
    const s = setup();
    s.broker.basketSupported = false;
    s.enqueueBps();
    const claimed = s.commands.claimNextGroup();
    // The "crashed" agent placed both legs but never acked.
    const crashed = new GroupExecutor(s.broker, s.clock, {
      pollMs: 50,
      fillTimeoutMs: 3_000,
      ambiguityChecks: 1,
      ambiguityIntervalMs: 10,
    });
    await drive(
      s.clock,
      crashed.execute(
        claimed.map((c) => ({ id: c.id, ownerToken: c.ownerToken, event: c.event })),
        [
          { kind: 'LEG', leg: 'long_put', delayBeforeMs: 0 },
          { kind: 'LEG', leg: 'short_put', delayBeforeMs: 500 },
        ],
        { onLegDone: () => undefined, onFill: () => undefined },
      ),
    );
    expect(s.broker.placed()).toHaveLength(2);
    s.clock.advance(config.commands.leaseMs + 1);
    expect(s.commands.reclaimExpired().map((r) => r.status)).toEqual(['PENDING', 'PENDING']);
    await drive(s.clock, s.service.processGroup(s.commands.claimNextGroup()));
    expect(s.broker.placed()).toHaveLength(2);
    expect(s.commands.counts().DONE).toBe(2);
    expect(s.events.filter((e) => e.type === 'IDEMPOTENCY_SKIP')).toHaveLength(2);
  });

  it('a retried group whose legs come due a few ms apart is gathered and planned whole', async () => {
    const s = setup();
    s.broker.basketSupported = false;
    s.enqueueBps();
    const [a, b] = s.commands.claimNextGroup();
    // Each leg's backoff is computed when that leg is failed: here 5 ms apart.
    s.commands.fail(a!.id, a!.ownerToken, 'NETWORK_TIMEOUT', 'timeout');
    s.clock.advance(5);
    s.commands.fail(b!.id, b!.ownerToken, 'NETWORK_TIMEOUT', 'timeout');
    s.clock.advance(config.commands.networkTimeoutBaseBackoffMs - 4);
    const first = s.commands.claimNextGroup();
    expect(first).toHaveLength(1);
    await drive(s.clock, s.service.processGroup(first));
    expect(s.events.filter((e) => e.type === 'ORDER_DENIED')).toEqual([]);
    expect(s.broker.placed().map((o) => o.action)).toEqual(['BUY', 'SELL']);
    expect(s.commands.counts().DONE).toBe(2);
  });

  it('health(): broker timeouts in a row from its own port, reset by an answer; loop state', async () => {
    const s = setup();
    expect(s.service.health()).toMatchObject({ running: false, consecutiveBrokerTimeouts: 0 });
    s.broker.orderbookDown = true;
    s.enqueueBps();
    await drive(s.clock, s.service.processGroup(s.commands.claimNextGroup()));
    expect(s.service.health()).toMatchObject({ consecutiveBrokerTimeouts: 1, lastBrokerSuccessMonoMs: null });
    s.broker.orderbookDown = false;
    s.clock.advance(60_000);
    const ac = new AbortController();
    const loop = s.service.run(ac.signal);
    expect(s.service.health().running).toBe(true);
    await drive(
      s.clock,
      (async () => {
        while (s.commands.counts().DONE < 2) await s.clock.sleep(50);
      })(),
    );
    expect(s.service.health()).toMatchObject({ running: true, consecutiveBrokerTimeouts: 0 });
    expect(s.service.health().lastBrokerSuccessMonoMs).not.toBeNull();
    ac.abort();
    await drive(s.clock, loop);
    expect(s.service.health().running).toBe(false);
  });

  it('an EXIT that sells a long is not an unhedged short: no force close', async () => {
    const s = setup();
    s.commands.enqueue(
      bpsLeg(s.clock, 'long_put', {
        action: 'SELL',
        intent: 'EXIT',
        group: { group_id: 'exit-1', strategy_type: 'DITM_CALL', leg_count: 1, leg_index: 0, role: 'SINGLE' },
      }),
    );
    await drive(s.clock, s.service.processGroup(s.commands.claimNextGroup()));
    await drive(s.clock, s.clock.sleep(config.breakers.maxUnhedgedMs * 3));
    await s.service.pollUnhedged();
    expect(s.broker.placed().map((o) => o.action)).toEqual(['SELL']);
    expect(s.events.filter((e) => e.type === 'UNHEDGED_INCIDENT')).toEqual([]);
  });
});
