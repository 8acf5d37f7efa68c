import type { Clock } from '../clock/index.js';
import type { ErrorCode } from '../contracts/index.js';
import type { SystemStateStore } from '../store/system-state.js';

/** What a runbook reports, step by step, for the audit row and the operator. */
export interface RunbookReport {
  readonly runbook: 'KILL_SWITCH' | 'SAFE_SHUTDOWN';
  readonly reason: string;
  readonly steps: Array<{ step: string; ok: boolean; detail: string }>;
}

export interface KillSwitchPorts {
  readonly state: SystemStateStore;
  /** OpenAlgo /api/v1/cancelallorder. */
  cancelAllOrders(): Promise<{ ok: boolean; detail: string }>;
  /** Queued commands (PENDING, AWAITING_APPROVAL) → FAILED. */
  failQueuedCommands(reason: string): number;
  stopSignalAgents(): Promise<string[]>;
  alertCritical(code: ErrorCode, message: string, details: Record<string, unknown>): void;
  audit(action: string, outcome: string, detail: Record<string, unknown>): void;
}

/**
 * Kill Switch runbook, in the plan's order: pause (HALTED, durable, so the Execution agent stops
 * placing at once), cancel all open orders, reject every queued command, stop the signal agents, send
 * the [CRITICAL] alert. Positions stay open: closing them is the trader's decision.
 * Every step runs even when an earlier one fails; the report says which did not.
 */
export async function runKillSwitch(
  ports: KillSwitchPorts,
  reason: string,
  actor: string,
  code: ErrorCode = 'KILL_SWITCH',
): Promise<RunbookReport> {
  const steps: RunbookReport['steps'] = [];
  const t = ports.state.transition('HALTED', reason, actor, { code });
  steps.push({
    step: 'pause',
    ok: true,
    detail: t.changed ? `HALTED (was ${t.previous})` : 'already HALTED',
  });
  try {
    const c = await ports.cancelAllOrders();
    steps.push({ step: 'cancel_all_orders', ok: c.ok, detail: c.detail });
  } catch (err) {
    steps.push({ step: 'cancel_all_orders', ok: false, detail: String(err) });
  }
  try {
    const n = ports.failQueuedCommands(`kill switch: ${reason}`);
    steps.push({ step: 'reject_queued_commands', ok: true, detail: `${n} command(s) FAILED` });
  } catch (err) {
    steps.push({ step: 'reject_queued_commands', ok: false, detail: String(err) });
  }
  try {
    const stopped = await ports.stopSignalAgents();
    steps.push({ step: 'stop_signal_agents', ok: true, detail: stopped.join(', ') || 'none running' });
  } catch (err) {
    steps.push({ step: 'stop_signal_agents', ok: false, detail: String(err) });
  }
  ports.alertCritical(code, `Kill switch engaged: ${reason}. Positions remain open (manual decision).`, {
    actor,
    steps,
  });
  steps.push({ step: 'critical_alert', ok: true, detail: 'sent' });
  const report: RunbookReport = { runbook: 'KILL_SWITCH', reason, steps };
  ports.audit('kill_switch', steps.every((s) => s.ok) ? 'ok' : 'partial', { actor, reason, steps });
  return report;
}

export interface SafeShutdownPorts {
  /** Agents complete their current cycle; resolves with those that had to be killed. */
  stopAgents(timeoutMs: number): Promise<{ stopped: string[]; killed: string[] }>;
  persistPositionBook(): Promise<void>;
  flushJournal(): Promise<void>;
  closeFeeds(): Promise<void>;
  cancelAllOrders(): Promise<{ ok: boolean; detail: string }>;
  audit(action: string, outcome: string, detail: Record<string, unknown>): void;
}

/**
 * Safe Shutdown runbook: agents finish their cycle (5 s), PositionBook persisted, journal flushed,
 * WebSocket connections closed, open orders cancelled as a safety net, shutdown audited.
 */
export async function runSafeShutdown(
  ports: SafeShutdownPorts,
  clock: Clock,
  reason: string,
  cycleTimeoutMs: number,
): Promise<RunbookReport> {
  const steps: RunbookReport['steps'] = [];
  const step = async (name: string, fn: () => Promise<string>) => {
    const started = clock.monotonicMs();
    try {
      const detail = await fn();
      steps.push({
        step: name,
        ok: true,
        detail: `${detail} (${Math.round(clock.monotonicMs() - started)} ms)`,
      });
    } catch (err) {
      steps.push({ step: name, ok: false, detail: String(err) });
    }
  };
  await step('agents_complete_cycle', async () => {
    const r = await ports.stopAgents(cycleTimeoutMs);
    return `stopped ${r.stopped.join(', ') || 'none'}${r.killed.length ? `; killed after ${cycleTimeoutMs} ms: ${r.killed.join(', ')}` : ''}`;
  });
  await step('persist_position_book', async () => {
    await ports.persistPositionBook();
    return 'persisted';
  });
  await step('flush_journal', async () => {
    await ports.flushJournal();
    return 'flushed';
  });
  await step('close_feeds', async () => {
    await ports.closeFeeds();
    return 'closed';
  });
  await step('cancel_open_orders', async () => {
    const c = await ports.cancelAllOrders();
    if (!c.ok) throw new Error(c.detail);
    return c.detail;
  });
  const report: RunbookReport = { runbook: 'SAFE_SHUTDOWN', reason, steps };
  ports.audit('shutdown', steps.every((s) => s.ok) ? 'ok' : 'partial', { reason, steps });
  return report;
}
