import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import type { ErrorCode } from '../../../src/contracts/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { type ExecutionHealthReport, SupervisorMonitor } from '../../../src/runtime/supervisor-monitor.js';
import { type BrokerHealth, CircuitBreakers } from '../../../src/safety/index.js';
import { openDatabase } from '../../../src/store/index.js';
import { SystemStateStore } from '../../../src/store/system-state.js';

const HEALTHY: BrokerHealth = {
  primaryFeedUp: true,
  fallbackFeedUp: true,
  executionUp: true,
  consecutiveExecutionTimeouts: 0,
  feedDownSinceMs: null,
};

function setup(base: Partial<BrokerHealth>, exec: ExecutionHealthReport | undefined) {
  const clock = new VirtualClock();
  const state = new SystemStateStore(openDatabase(mkdtempSync(join(tmpdir(), 'tomic-mon-')), 'commands'));
  const kills: Array<{ reason: string; code: ErrorCode }> = [];
  const monitor = new SupervisorMonitor(
    {
      clock,
      logger: silentLogger(),
      state,
      breakers: new CircuitBreakers(),
      reclaimExpired: () => [],
      checkpoint: () => undefined,
      health: () => ({ ...HEALTHY, ...base }),
      execution: () => exec,
      account: () => undefined,
      killSwitch: async (reason, code) => {
        kills.push({ reason, code });
        state.transition('HALTED', reason, 'supervisor', { code });
      },
    },
    { consecutiveTimeoutsKill: 5, feedSwitchCooldownMs: 30_000 },
  );
  return { monitor, kills, state };
}

const report = (n: number): ExecutionHealthReport => ({
  consecutiveBrokerTimeouts: n,
  lastBrokerSuccessMonoMs: 1,
  running: true,
});

describe('SupervisorMonitor with the Execution agent health (§14)', () => {
  it("the agent's timeout streak marks the execution broker down: commands queue, no kill below 5", async () => {
    const s = setup({}, report(4));
    const t = await s.monitor.tick();
    expect(t.health).toMatchObject({ executionUp: false, consecutiveExecutionTimeouts: 4 });
    expect(t.split).toMatchObject({ killSwitch: false, queueCommands: true, code: 'EXECUTION_DOWN' });
    expect(s.kills).toEqual([]);
  });

  it('5 consecutive timeouts reported by the agent → kill switch even while the ping still answers', async () => {
    const s = setup({}, report(5));
    const t = await s.monitor.tick();
    expect(t.killed).toMatch(/5 consecutive execution timeouts/);
    expect(s.kills).toEqual([expect.objectContaining({ code: 'EXECUTION_DOWN' })]);
    expect(s.state.read().state).toBe('HALTED');
  });

  it('a streak with the primary feed down is "both down": immediate kill switch', async () => {
    const s = setup({ primaryFeedUp: false, feedDownSinceMs: 0 }, report(1));
    expect((await s.monitor.tick()).split).toMatchObject({ killSwitch: true, code: 'KILL_SWITCH' });
  });

  it('no report (agent restarting) leaves the Supervisor health as is; a garbled count halts on the safe side', async () => {
    expect((await setup({}, undefined).monitor.tick()).health).toEqual(HEALTHY);
    expect((await setup({}, report(0)).monitor.tick()).health).toEqual(HEALTHY);
    const garbled = setup({}, report(Number.NaN));
    expect((await garbled.monitor.tick()).split.killSwitch).toBe(true);
  });
});
