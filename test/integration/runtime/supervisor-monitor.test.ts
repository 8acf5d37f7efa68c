import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { runKillSwitch } from '../../../src/runtime/runbooks.js';
import { SupervisorMonitor } from '../../../src/runtime/supervisor-monitor.js';
import { type AccountState, type BrokerHealth, CircuitBreakers } from '../../../src/safety/index.js';
import { CommandStore } from '../../../src/store/command-store.js';
import { openDatabase } from '../../../src/store/index.js';
import { SystemStateStore } from '../../../src/store/system-state.js';
import { bpsLeg } from '../../support/orders.js';

const cfg = loadConfig({ env: {}, envFile: null });
if (!cfg.ok) throw new Error('config');
const config = cfg.config;
const HEALTHY: BrokerHealth = {
  primaryFeedUp: true,
  fallbackFeedUp: true,
  executionUp: true,
  consecutiveExecutionTimeouts: 0,
  feedDownSinceMs: null,
};

function setup() {
  const clock = new VirtualClock();
  const db = openDatabase(mkdtempSync(join(tmpdir(), 'tomic-sup-')), 'commands');
  const commands = new CommandStore(db, {
    clock,
    retry: CommandStore.retryPolicyFromConfig(config),
    leaseMs: config.commands.leaseMs,
  });
  const state = new SystemStateStore(db);
  let health = HEALTHY;
  let account: AccountState | undefined;
  const cancelled: string[] = [];
  const monitor = new SupervisorMonitor(
    {
      clock,
      logger: silentLogger(),
      state,
      breakers: new CircuitBreakers(),
      reclaimExpired: () => commands.reclaimExpired(),
      checkpoint: () => commands.checkpoint(),
      health: () => health,
      account: () => account,
      killSwitch: async (reason, code) => {
        await runKillSwitch(
          {
            state,
            cancelAllOrders: async () => {
              cancelled.push(reason);
              return { ok: true, detail: 'ok' };
            },
            failQueuedCommands: (r) => commands.failAllQueued(r),
            stopSignalAgents: async () => [],
            alertCritical: () => undefined,
            audit: () => undefined,
          },
          reason,
          'supervisor',
          code,
        );
      },
    },
    { consecutiveTimeoutsKill: 5, feedSwitchCooldownMs: 30_000 },
  );
  return {
    clock,
    commands,
    state,
    monitor,
    cancelled,
    setHealth: (h: Partial<BrokerHealth>) => {
      health = { ...HEALTHY, ...h };
    },
    setAccount: (a: AccountState) => {
      account = a;
    },
  };
}

describe('Supervisor monitor', () => {
  it("reclaims a crashed worker's expired lease (Stale PROCESSING runbook)", async () => {
    const s = setup();
    s.commands.enqueue(
      bpsLeg(s.clock, 'long_put', {
        group: { group_id: 'solo', strategy_type: 'DITM_CALL', leg_count: 1, leg_index: 0, role: 'SINGLE' },
      }),
    );
    expect(s.commands.claim()).not.toBeNull();
    expect((await s.monitor.tick()).reclaimed).toEqual([]);
    s.clock.advance(config.commands.leaseMs + 1);
    expect((await s.monitor.tick()).reclaimed).toEqual([{ id: 1, status: 'PENDING' }]);
  });

  it('§14 both feeds down → kill switch: HALTED, orders cancelled, queued commands FAILED', async () => {
    const s = setup();
    s.commands.enqueueGroup([bpsLeg(s.clock, 'long_put'), bpsLeg(s.clock, 'short_put')]);
    s.setHealth({ primaryFeedUp: false, fallbackFeedUp: false, feedDownSinceMs: 0 });
    const t = await s.monitor.tick();
    expect(t.killed).toMatch(/feeds both down/);
    expect(s.state.read()).toMatchObject({ state: 'HALTED', code: 'FEED_DOWN' });
    expect(s.commands.counts().FAILED).toBe(2);
    expect((await s.monitor.tick()).killed).toBeNull();
    expect(s.cancelled).toHaveLength(1);
  });

  it('§14 one feed down with execution up only blocks; no kill switch', async () => {
    const s = setup();
    s.setHealth({ primaryFeedUp: false, feedDownSinceMs: 0 });
    const t = await s.monitor.tick();
    expect(t.killed).toBeNull();
    expect(s.state.read().state).toBe('ACTIVE');
  });

  it('§6 daily loss beyond -6 % of capital → kill switch', async () => {
    const s = setup();
    const base = { capital: 1_000_000, grossNotional: 0, usedMarginByUnderlying: {}, usedMarginTotal: 0 };
    s.setAccount({ ...base, realizedPnl: -30_000, unrealizedPnl: -30_000 });
    expect((await s.monitor.tick()).killed).toBeNull();
    s.setAccount({ ...base, realizedPnl: -30_000, unrealizedPnl: -30_010 });
    expect((await s.monitor.tick()).killed).not.toBeNull();
    expect(s.state.read()).toMatchObject({ state: 'HALTED', code: 'BREAKER_DAILY_LOSS' });
  });
});
