import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import { runKillSwitch, runSafeShutdown } from '../../../src/runtime/runbooks.js';
import { openDatabase } from '../../../src/store/index.js';
import { SystemStateStore } from '../../../src/store/system-state.js';

function killPorts(overrides: Partial<Parameters<typeof runKillSwitch>[0]> = {}) {
  const log: string[] = [];
  const state = new SystemStateStore(openDatabase(mkdtempSync(join(tmpdir(), 'tomic-rb-')), 'commands'));
  return {
    log,
    ports: {
      state,
      cancelAllOrders: async () => {
        log.push(`cancel_all (state=${state.read().state})`);
        return { ok: true, detail: 'Canceled 2 orders' };
      },
      failQueuedCommands: () => {
        log.push('fail_queued');
        return 3;
      },
      stopSignalAgents: async () => {
        log.push('stop_signal_agents');
        return ['regime', 'risk'];
      },
      alertCritical: (code: string, message: string) => log.push(`alert ${code}: ${message}`),
      audit: (action: string, outcome: string) => log.push(`audit ${action} ${outcome}`),
      ...overrides,
    },
  };
}

describe('Kill Switch runbook', () => {
  it('runs the plan steps in order: pause, cancel all, reject queued, stop signal agents, CRITICAL alert; positions stay', async () => {
    const { ports, log } = killPorts();
    const r = await runKillSwitch(ports, 'daily loss -6.2%', 'supervisor', 'BREAKER_DAILY_LOSS');
    expect(log).toEqual([
      'cancel_all (state=HALTED)',
      'fail_queued',
      'stop_signal_agents',
      'alert BREAKER_DAILY_LOSS: Kill switch engaged: daily loss -6.2%. Positions remain open (manual decision).',
      'audit kill_switch ok',
    ]);
    expect(r.steps.map((s) => s.step)).toEqual([
      'pause',
      'cancel_all_orders',
      'reject_queued_commands',
      'stop_signal_agents',
      'critical_alert',
    ]);
    expect(ports.state.read().state).toBe('HALTED');
  });

  it('keeps going when a step fails, and says so', async () => {
    const { ports, log } = killPorts({
      cancelAllOrders: async () => {
        throw new Error('broker down');
      },
    });
    const r = await runKillSwitch(ports, 'both feeds down', 'supervisor');
    expect(r.steps.find((s) => s.step === 'cancel_all_orders')).toMatchObject({ ok: false });
    expect(log).toContain('fail_queued');
    expect(log.at(-1)).toBe('audit kill_switch partial');
  });
});

describe('Safe Shutdown runbook', () => {
  it('stops agents, persists the book, flushes the journal, closes feeds, cancels orders, audits', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const r = await runSafeShutdown(
      {
        stopAgents: async (ms) => {
          log.push(`stop_agents ${ms}`);
          return { stopped: ['execution', 'journaling'], killed: [] };
        },
        persistPositionBook: async () => void log.push('persist'),
        flushJournal: async () => void log.push('flush'),
        closeFeeds: async () => void log.push('close_feeds'),
        cancelAllOrders: async () => {
          log.push('cancel_all');
          return { ok: true, detail: 'No open orders to cancel' };
        },
        audit: (a, o) => log.push(`audit ${a} ${o}`),
      },
      clock,
      'tomic stop',
      5_000,
    );
    expect(log).toEqual([
      'stop_agents 5000',
      'persist',
      'flush',
      'close_feeds',
      'cancel_all',
      'audit shutdown ok',
    ]);
    expect(r.steps.every((s) => s.ok)).toBe(true);
  });
});
