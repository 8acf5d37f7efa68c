import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realDelay, SystemClock } from '../../../src/clock/index.js';
import { loadConfig } from '../../../src/config/index.js';
import type { ErrorCode } from '../../../src/contracts/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { ProcessManager } from '../../../src/runtime/process-manager.js';

const ENTRY = resolve('test/integration/runtime/fixtures/fake-agent.ts');

function config() {
  const r = loadConfig({ env: { TOMIC_DATA_DIR: mkdtempSync(join(tmpdir(), 'tomic-pm-')) }, envFile: null });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await realDelay(25);
  }
}

/** Real child processes running the fake agent in the given mode. */
function manager(mode: string, params: { maxRestarts?: number; heartbeatTimeoutMs?: number } = {}) {
  process.env.FAKE_AGENT_MODE = mode;
  const calls: string[] = [];
  const kills: Array<{ reason: string; code: ErrorCode }> = [];
  const pm = new ProcessManager({
    clock: new SystemClock(),
    logger: silentLogger(),
    config: config(),
    params: {
      maxRestarts: params.maxRestarts ?? 2,
      restartBackoffMs: 100,
      heartbeatTimeoutMs: params.heartbeatTimeoutMs ?? 10_000,
    },
    cancelOpenOrders: async (reason) => void calls.push(`cancel:${reason}`),
    killSwitch: async (reason, code) => void kills.push({ reason, code }),
    onRestarted: (agent, attempt) => void calls.push(`restarted:${agent}:${attempt}`),
    entry: ENTRY,
  });
  return { pm, calls, kills };
}

let current: ProcessManager | undefined;
afterEach(async () => {
  await current?.stop('all', 500);
  current = undefined;
});

describe('ProcessManager — Agent Crash Recovery runbook with real processes', () => {
  it('a healthy agent runs in its own process and reports health', async () => {
    const { pm } = manager('healthy');
    current = pm;
    await pm.start(['execution']);
    const [s] = pm.status();
    expect(s).toMatchObject({ name: 'execution', state: 'RUNNING', restarts: 0 });
    expect(s?.pid).not.toBe(process.pid);
    await until(() => pm.health('execution') !== undefined);
    expect(pm.health('execution')).toEqual({ feed: { active: 'primary' } });
  });

  it('a crashing agent: open orders cancelled before each restart, max restarts, then the kill switch', async () => {
    const { pm, calls, kills } = manager('crash', { maxRestarts: 2 });
    current = pm;
    await pm.start(['execution']);
    await until(() => kills.length > 0);
    expect(calls.filter((c) => c.startsWith('cancel:'))).toHaveLength(2);
    expect(calls.filter((c) => c.startsWith('restarted:'))).toEqual([
      'restarted:execution:1',
      'restarted:execution:2',
    ]);
    // Cancel always precedes the restart it belongs to.
    expect(calls.indexOf('restarted:execution:1')).toBeGreaterThan(
      calls.findIndex((c) => c.startsWith('cancel:')),
    );
    expect(kills).toHaveLength(1);
    expect(kills[0]?.code).toBe('AGENT_RESTART_FAILED');
    expect(pm.status()[0]).toMatchObject({ state: 'CRASHED', restarts: 2 });
  });

  it('an agent that goes silent is killed when its heartbeat is missed and restarted', async () => {
    const { pm, calls } = manager('silent', { maxRestarts: 1, heartbeatTimeoutMs: 300 });
    current = pm;
    await pm.start(['journaling']);
    const firstPid = pm.pid('journaling');
    await realDelay(400);
    pm.checkHeartbeats();
    await until(() => calls.includes('restarted:journaling:1'));
    expect(pm.pid('journaling')).not.toBe(firstPid);
    expect(() => process.kill(firstPid!, 0)).toThrow();
  });

  it('heartbeats on the bus count as liveness only for the current process', async () => {
    const { pm, kills } = manager('silent', { maxRestarts: 0, heartbeatTimeoutMs: 300 });
    current = pm;
    await pm.start(['journaling']);
    const pid = pm.pid('journaling')!;
    for (let i = 0; i < 4; i++) {
      await realDelay(150);
      pm.heartbeat('journaling', pid);
      pm.heartbeat('journaling', pid + 1_000_000); // another process's beat proves nothing
      pm.checkHeartbeats();
    }
    expect(kills).toEqual([]);
    await realDelay(400);
    pm.checkHeartbeats();
    await until(() => kills.length === 1);
    expect(kills[0]?.code).toBe('AGENT_HEARTBEAT_MISSED');
  });

  it('an agent asking for the kill switch over IPC gets it', async () => {
    const { pm, kills } = manager('kill');
    current = pm;
    await pm.start(['execution']);
    await until(() => kills.length > 0);
    expect(kills[0]).toEqual({ reason: 'five consecutive broker timeouts', code: 'BROKER_NETWORK_TIMEOUT' });
  });

  it('stop: a cooperative agent exits by itself; a stubborn one is SIGKILLed after the cycle timeout', async () => {
    const a = manager('healthy');
    await a.pm.start(['journaling']);
    expect(await a.pm.stop('all', 5_000)).toEqual({ stopped: ['journaling'], killed: [] });
    expect(a.calls).toEqual([]);

    const b = manager('stubborn');
    await b.pm.start(['execution']);
    const pid = b.pm.pid('execution')!;
    expect(await b.pm.stop('all', 300)).toEqual({ stopped: [], killed: ['execution'] });
    await until(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    // A stopped agent is not a crash: no restart, no kill switch.
    expect(b.calls).toEqual([]);
    expect(b.kills).toEqual([]);
  });
});
