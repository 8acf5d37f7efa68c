import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  type BuildOptions,
  buildApp,
  type ControlDeps,
  type ControlResult,
  hashPassword,
  type OrderView,
  type PasswordHash,
  type PendingOrder,
  type StatusSnapshot,
} from '../../../../src/api/index.js';
import { VirtualClock } from '../../../../src/clock/index.js';
import { type Config, loadConfig, secretValues } from '../../../../src/config/index.js';
import { deny, makeEvent, Redactor, type TomicEvent } from '../../../../src/contracts/index.js';
import { createLogger } from '../../../../src/log/index.js';
import { prometheusText } from '../../../../src/runtime/observability.js';
import { AuditStore } from '../../../../src/store/audit-store.js';
import { type JournalEntry, openDatabase, SystemStateStore } from '../../../../src/store/index.js';

export const API_KEY = 'tomic-test-api-key-0123456789abcdef';
export const ADMIN_USER = 'admin';
export const ADMIN_PASSWORD = 'correct-horse-battery-staple';
/** A broker order id as OpenAlgo returns them (15+ digits): must never appear in a response. */
export const BROKER_ORDER_ID = '250117000123456';
export const OTHER_BROKER_ORDER_ID = '250117000654321';

let sharedHash: Promise<PasswordHash> | undefined;
/** One scrypt run per test file: the KDF is deliberately slow. */
export function adminHash(): Promise<PasswordHash> {
  sharedHash ??= hashPassword(ADMIN_PASSWORD);
  return sharedHash;
}

export function testConfig(dir: string, env: Record<string, string> = {}): Config {
  const r = loadConfig({
    env: {
      TOMIC_DATA_DIR: dir,
      TOMIC_API_KEY: API_KEY,
      TOMIC_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...env,
    },
    envFile: null,
    cwd: dir,
  });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

export interface FakeSystem {
  readonly deps: ControlDeps;
  readonly clock: VirtualClock;
  readonly audit: AuditStore;
  readonly state: SystemStateStore;
  readonly config: Config;
  readonly dir: string;
  /** Every line the logger wrote (JSON). */
  readonly logLines: string[];
  /** Control calls in order, e.g. `pause:feed:admin`. */
  readonly calls: string[];
  readonly pending: PendingOrder[];
  emit(e: TomicEvent): void;
  subscribers(): number;
  /** Makes the next control call throw (a bug in the runtime). */
  failNext(): void;
}

/**
 * A realistic stand-in for the runtime: trading state in a real SystemStateStore, a real
 * AuditStore, Semi-Auto approvals, command rows and journal entries that carry broker order ids,
 * and analytics text that (wrongly) contains the API key — the API must mask all of it.
 */
export function fakeSystem(env: Record<string, string> = {}): FakeSystem {
  const dir = mkdtempSync(join(tmpdir(), 'tomic-api-'));
  const config = testConfig(dir, env);
  const clock = new VirtualClock();
  const logLines: string[] = [];
  const logger = createLogger({
    name: 'api-test',
    level: 'debug',
    secrets: secretValues(config),
    destination: { write: (s: string) => void logLines.push(s) },
  });
  const redactor = new Redactor(secretValues(config));
  const audit = new AuditStore(openDatabase(dir, 'audit'), { clock, redactor });
  const state = new SystemStateStore(openDatabase(dir, 'commands'));
  const handlers = new Set<(e: TomicEvent) => void>();
  const calls: string[] = [];
  let lifecycle: StatusSnapshot['lifecycle'] = 'RUNNING';
  let paused = false;
  let throwNext = false;
  const startedAt = clock.monotonicMs();

  const pending: PendingOrder[] = [7, 8].map((id) => ({
    id,
    strategyId: 'TOMIC_VOL_BPS_NIFTY_20260215',
    groupId: 'g-bps-1',
    leg: id === 7 ? 'long_put' : 'short_put',
    symbol: id === 7 ? 'NIFTY26FEB2624800PE' : 'NIFTY26FEB2625000PE',
    exchange: 'NFO',
    action: id === 7 ? 'BUY' : 'SELL',
    intent: 'ENTRY',
    quantity: 130,
    pricetype: 'MARKET',
    price: 0,
    reason: 'bull put spread, regime BULLISH',
    createdAt: '2026-01-05 03:45:00',
  }));

  const guard = <T>(fn: () => T): T => {
    if (throwNext) {
      throwNext = false;
      throw new Error('runtime exploded');
    }
    return fn();
  };

  const orders: OrderView[] = [
    {
      id: 12,
      status: 'DONE',
      strategy_id: 'TOMIC_VOL_BPS_NIFTY_20260215',
      group_id: 'g-bps-1',
      idempotency_key: 'TOMIC_VOL_BPS_NIFTY_20260215:short_put:SELL',
      leg: 'short_put',
      symbol: 'NIFTY26FEB2625000PE',
      action: 'SELL',
      quantity: 130,
      attempt_count: 1,
      max_attempts: 5,
      last_error: null,
      error_class: null,
      broker_order_id: BROKER_ORDER_ID,
      created_at: '2026-01-05 03:45:01',
      processed_at: '2026-01-05 03:45:02',
    },
    {
      id: 11,
      status: 'FAILED',
      strategy_id: 'TOMIC_VOL_BPS_NIFTY_20260215',
      group_id: 'g-bps-1',
      idempotency_key: 'TOMIC_VOL_BPS_NIFTY_20260215:long_put:BUY',
      leg: 'long_put',
      symbol: 'NIFTY26FEB2624800PE',
      action: 'BUY',
      quantity: 130,
      attempt_count: 5,
      max_attempts: 5,
      // The broker's text repeats its own order id: free text must be scrubbed too.
      last_error: `order ${OTHER_BROKER_ORDER_ID} rejected: RMS margin`,
      error_class: 'REJECT',
      broker_order_id: OTHER_BROKER_ORDER_ID,
      created_at: '2026-01-05 03:45:00',
      processed_at: '2026-01-05 03:45:03',
    },
  ];

  const journalRows = (): JournalEntry[] =>
    Array.from({ length: 5 }, (_, i) => ({
      id: i + 1,
      event_id: `00000000-0000-4000-8000-00000000000${i}`,
      entry_type: i % 2 === 0 ? 'FILL' : 'REJECT',
      event_type: i % 2 === 0 ? 'ORDER_FILL' : 'ORDER_REJECT',
      correlation_id: 'corr-1',
      strategy_id: i < 3 ? 'TOMIC_VOL_BPS_NIFTY_20260215' : 'TOMIC_SNIPER_DITM_RELIANCE_20260215',
      leg: 'short_put',
      symbol: 'NIFTY26FEB2625000PE',
      action: 'SELL',
      command_id: 12,
      status: null,
      code: i % 2 === 0 ? null : 'BROKER_REJECT',
      message: i % 2 === 0 ? `filled as ${BROKER_ORDER_ID}` : 'rejected',
      mode: 'paper',
      quantity: 130,
      expected_price: 101.5,
      actual_price: 101.25,
      slippage: -0.25,
      slippage_bps: -24.6,
      sizing_trace: [{ step: 'risk', lots: 2 }],
      regime: { regime: 'BULLISH' },
      parameters: { maxRiskPct: 2 },
      detail: { broker_order_id: BROKER_ORDER_ID, orderid: BROKER_ORDER_ID },
      wall_ms: clock.wallMs() - (5 - i) * 1_000,
      recorded_at: '2026-01-05 03:45:00',
    }));

  const result = (message: string): ControlResult => ({ ok: true, message, state: state.read().state });

  const deps: ControlDeps = {
    clock,
    config,
    logger,
    audit,
    redactor,
    control: {
      start: async (by) =>
        guard(() => {
          calls.push(`start:${by.user}`);
          if (lifecycle === 'RUNNING') return result('already running');
          lifecycle = 'RUNNING';
          return result('agents started');
        }),
      stop: async (by) =>
        guard(() => {
          calls.push(`stop:${by.user}`);
          lifecycle = 'STOPPED';
          return result('safe shutdown complete');
        }),
      pause: async (reason, by) =>
        guard(() => {
          calls.push(`pause:${reason}:${by.user}`);
          if (state.read().state === 'HALTED') return deny('TRADING_HALTED');
          paused = true;
          return result('trading paused');
        }),
      resume: async (by) =>
        guard(() => {
          calls.push(`resume:${by.user}`);
          paused = false;
          state.transition('ACTIVE', 'operator resume', by.user, { operatorResume: true });
          return result('trading resumed');
        }),
      kill: async (reason, by) =>
        guard(() => {
          calls.push(`kill:${reason}:${by.user}`);
          state.transition('HALTED', reason, by.user, { code: 'KILL_SWITCH' });
          return { ok: true, message: 'kill switch engaged', state: 'HALTED', details: { cancelled: 3 } };
        }),
    },
    approvals: {
      list: () => pending.slice(),
      approve: async (id, by) =>
        guard(() => {
          calls.push(`approve:${id}:${by.user}`);
          const i = pending.findIndex((p) => p.id === id);
          if (i < 0) return deny('COMMAND_NOT_FOUND');
          pending.splice(i, 1);
          return { ok: true, message: `command ${id} approved` };
        }),
      reject: async (id, reason, by) =>
        guard(() => {
          calls.push(`reject:${id}:${reason}:${by.user}`);
          const i = pending.findIndex((p) => p.id === id);
          if (i < 0) return deny('COMMAND_NOT_FOUND');
          pending.splice(i, 1);
          return { ok: true, message: `command ${id} rejected` };
        }),
    },
    status: () => {
      const s = state.read();
      return {
        version: '0.1.0',
        mode: config.mode,
        orderMode: config.execution.orderMode,
        embeddedSim: config.embeddedSim,
        lifecycle,
        tradingState: { state: s.state, reason: s.reason, code: s.code, actor: s.actor, version: s.version },
        paused,
        uptimeMs: clock.monotonicMs() - startedAt,
        agents: [
          { name: 'execution', pid: 4242, state: 'RUNNING', heartbeatAgeMs: 1_200, restarts: 0 },
          { name: 'risk', pid: 4243, state: 'RUNNING', heartbeatAgeMs: 800, restarts: 1 },
          { name: 'regime', pid: null, state: 'CRASHED', heartbeatAgeMs: null, restarts: 3 },
        ],
        feed: {
          active: 'primary',
          primaryUp: true,
          fallbackUp: true,
          failoversToday: 1,
          failoversTotal: 4,
          lastSwitchAgeMs: 3_600_000,
          cooldownRemainingMs: 0,
        },
        breakers: [
          { name: 'daily_loss', value: 0.4, threshold: 2, unit: '% of capital', tripped: false },
          { name: 'order_rate', value: 3, threshold: 30, unit: 'orders/min', tripped: false },
        ],
        freshness: [
          { symbol: 'NIFTY', ageMs: 250, maxAgeMs: 5_000, stale: false },
          { symbol: 'NIFTY26FEB2625000PE', ageMs: 12_000, maxAgeMs: 10_000, stale: true },
        ],
        commands: { PENDING: 0, PROCESSING: 0, DONE: 1, FAILED: 1, AWAITING_APPROVAL: pending.length },
        pendingApprovals: pending.length,
      };
    },
    positions: () => ({
      version: 3,
      positions: [
        {
          symbol: 'NIFTY26FEB2625000PE',
          exchange: 'NFO',
          product: 'NRML',
          quantity: -130,
          average_price: 101.25,
          strategy_id: 'TOMIC_VOL_BPS_NIFTY_20260215',
          leg: 'short_put',
          underlying: 'NIFTY',
        },
      ],
    }),
    orders: (f) =>
      orders
        .filter((o) => (f.status ? o.status === f.status : true))
        .filter((o) => (f.strategyId ? o.strategy_id === f.strategyId : true))
        .slice(f.offset, f.offset + f.limit),
    journal: (q) => {
      const all = journalRows()
        .filter((r) => (q.strategyId ? r.strategy_id === q.strategyId : true))
        .filter((r) => (q.type ? r.entry_type === q.type : true))
        .filter((r) => (q.code ? r.code === q.code : true))
        .filter((r) => (q.sinceWallMs !== undefined ? r.wall_ms >= q.sinceWallMs : true));
      return { rows: all.slice(q.offset, q.offset + q.limit), total: all.length };
    },
    analytics: () => ({
      slippage: { paper: { fills: 3, mean_bps: 4.2 }, live: { fills: 0, mean_bps: null } },
      rejects_by_code: { BROKER_REJECT: 2 },
      // A careless upstream message: the configured key must still never reach a client.
      note: `reconciled with key ${API_KEY}`,
    }),
    metrics: async () => {
      const reading = {
        orderLatencyP99Ms: 42,
        rejectRatePct: 5,
        staleBlocksPerHour: 1,
        failoversToday: 1,
        unhedgedIncidentsToday: 0,
        deadLettersToday: 0,
        leaseReclaimsPerHour: 0,
        slippageDrift: null,
      };
      return { json: reading, prometheus: await prometheusText(reading) };
    },
    events: {
      subscribe: (h) => {
        handlers.add(h);
        return () => handlers.delete(h);
      },
    },
  };

  return {
    deps,
    clock,
    audit,
    state,
    config,
    dir,
    logLines,
    calls,
    pending,
    emit: (e) => {
      for (const h of handlers) h(e);
    },
    subscribers: () => handlers.size,
    failNext: () => {
      throwNext = true;
    },
  };
}

/** buildApp with the shared admin hash (the plain-text path is tested once, separately). */
export async function testApp(sys: FakeSystem, opts: BuildOptions = {}): Promise<FastifyInstance> {
  return buildApp(sys.deps, { adminPassword: await adminHash(), ...opts });
}

export function alertEvent(
  clock: VirtualClock,
  level: 'CRITICAL' | 'RISK' | 'SIGNAL' | 'REGIME',
  message: string,
  details?: Record<string, unknown>,
): TomicEvent {
  return makeEvent(
    clock,
    'ALERT',
    { source_agent: 'supervisor' },
    {
      level,
      code: level === 'CRITICAL' ? 'FEED_DOWN' : 'METRIC_THRESHOLD',
      message,
      ...(details ? { details } : {}),
    },
  );
}

export function fillEvent(clock: VirtualClock): TomicEvent {
  return makeEvent(
    clock,
    'ORDER_FILL',
    { source_agent: 'execution', strategy_id: 'TOMIC_VOL_BPS_NIFTY_20260215' },
    {
      leg: 'short_put',
      action: 'SELL',
      symbol: 'NIFTY26FEB2625000PE',
      exchange: 'NFO',
      product: 'NRML',
      broker_order_id: BROKER_ORDER_ID,
      filled_quantity: 130,
      ordered_quantity: 130,
      average_price: 101.25,
      expected_price: 101.5,
      command_id: 12,
    },
  );
}
