/**
 * `tomic start` as an operator runs it: the real binary, the supervisor with Execution and
 * Journaling as separate processes, the embedded simulator, the control API — driven with the real
 * `tomic` CLI. Covers the issue-8 lifecycle, the Kill Switch, Agent Crash Recovery and Safe Shutdown
 * runbooks, and the masking grep over every log line, database and API answer.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAlgoClient } from '../../src/broker/index.js';
import { realDelay, SystemClock } from '../../src/clock/index.js';
import { loadConfig } from '../../src/config/index.js';
import { CommandStore } from '../../src/store/command-store.js';
import { openDatabase } from '../../src/store/index.js';
import { FAKE_BOT_TOKEN, FakeTelegram } from '../integration/alerts/fake-telegram.js';
import { bullPutSpreadFromChain } from '../support/spread-from-chain.js';

const BIN = resolve('bin/tomic.js');
const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => res(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 45_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await realDelay(200);
  }
}

describe('tomic start + the tomic CLI against the running system', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tomic-e2e-ops-'));
  let env: NodeJS.ProcessEnv;
  let system: ChildProcess;
  let out = '';
  let exited: Promise<number | null>;
  const clock = new SystemClock();
  /** The simulator's order ids for our orders: must never appear in a log line unmasked. */
  const brokerIds: string[] = [];
  /** A local Telegram Bot API: the operator's phone. */
  const tg = new FakeTelegram(clock);
  const CHAT = 111;

  /** Runs `tomic <args>`; resolves with the exit code and output, never throws on a non-zero exit. */
  async function tomic(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const r = await run(process.execPath, [BIN, ...args], { env, timeout: 60_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return {
        code: typeof e.code === 'number' ? e.code : -1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      };
    }
  }

  async function statusJson(): Promise<{
    tradingState: { state: string; code: string | null };
    agents: Array<{ name: string; pid: number | null; state: string; restarts: number }>;
    lifecycle: string;
  }> {
    const r = await tomic('status', '--json');
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }

  beforeAll(async () => {
    const apiPort = await freePort();
    await tg.start();
    env = {
      ...process.env,
      TOMIC_DATA_DIR: dir,
      TOMIC_API_PORT: String(apiPort),
      TOMIC_LOG_LEVEL: 'debug',
      TOMIC_SIM_SOURCE: 'generator',
      // Agent Crash Recovery with short, still-valid timings: one restart, then the kill switch.
      TOMIC_AGENT_MAX_RESTARTS: '1',
      TOMIC_AGENT_RESTART_BACKOFF_MS: '500',
      TOMIC_TELEGRAM_BOT_TOKEN: FAKE_BOT_TOKEN,
      TOMIC_TELEGRAM_CHAT_IDS: String(CHAT),
      TOMIC_TELEGRAM_API_ROOT: tg.url,
    };
    system = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    system.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    system.stderr?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    exited = new Promise((res) => system.once('exit', (code) => res(code)));
    await until('the system to run', () => (out.includes('"msg":"TOMIC running"') ? true : undefined));
  }, 90_000);

  afterAll(async () => {
    if (system.exitCode === null) system.kill('SIGKILL');
    await tg.stop();
  });

  it('status shows the agents as separate processes, as a table and as JSON', async () => {
    const table = await tomic('status');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/trading\s+ACTIVE/);
    expect(table.stdout).toMatch(/execution\s+RUNNING/);
    expect(table.stdout).toMatch(/journaling\s+RUNNING/);
    expect(table.stdout).toMatch(/^regime\s+\S/m);
    const s = await statusJson();
    expect(s.agents.map((a) => a.name).sort()).toEqual(['execution', 'journaling', 'regime', 'risk']);
    const pids = s.agents.map((a) => a.pid);
    expect(new Set(pids).size).toBe(4);
    expect(pids).not.toContain(system.pid);
    expect(s.agents.every((a) => a.state === 'RUNNING')).toBe(true);
  });

  it('Telegram: /status answers, /pause and /resume act, from the authorised chat', async () => {
    const before = tg.messages.length;
    tg.pushMessage(CHAT, '/status');
    await tg.waitForMessages(before + 1);
    expect(tg.messages.at(-1)?.text).toContain('Trading: ACTIVE');
    tg.pushMessage(CHAT, '/pause from the phone');
    await tg.waitForMessages(before + 2);
    expect((await statusJson()).tradingState).toMatchObject({ state: 'REDUCING', code: 'TRADING_PAUSED' });
    tg.pushMessage(CHAT, '/resume');
    await tg.waitForMessages(before + 3);
    expect((await statusJson()).tradingState.state).toBe('ACTIVE');
  });

  it('places a bull put spread through the execution process, journals it, and shows positions', async () => {
    const cfg = loadConfig({ env: env as Record<string, string>, envFile: null });
    if (!cfg.ok) throw new Error(cfg.errors.join('; '));
    const restUrl = /broker\s+(http:\/\/\S+)/.exec(out)?.[1];
    expect(restUrl).toBeDefined();
    const simKey = readFileSync(join(dir, 'sim-api-key'), 'utf8').trim();
    const client = new OpenAlgoClient({ baseUrl: restUrl!, apiKey: simKey, timeoutMs: 5_000, clock });
    const legs = await bullPutSpreadFromChain(client, clock, 'TOMIC_OPS_BPS_NIFTY', {
      shortOffset: 2,
      width: 4,
    });
    const commands = new CommandStore(openDatabase(dir, 'commands'), {
      clock,
      retry: CommandStore.retryPolicyFromConfig(cfg.config),
      leaseMs: cfg.config.commands.leaseMs,
    });
    expect(commands.enqueueGroup(legs).every((r) => r.ok)).toBe(true);
    commands.close();

    const orders = await until('both legs to finish', async () => {
      const r = await tomic('orders', '--json', '--strategy', 'TOMIC_OPS_BPS_NIFTY');
      const rows = JSON.parse(r.stdout) as Array<{
        status: string;
        leg: string;
        broker_order_id: string | null;
      }>;
      return rows.length === 2 && rows.every((o) => ['DONE', 'FAILED', 'DEAD_LETTER'].includes(o.status))
        ? rows
        : undefined;
    });
    // Broker order ids never leave the API unmasked.
    for (const o of orders) if (o.broker_order_id) expect(o.broker_order_id).toMatch(/^\*\*\*/);

    const journal = await until('the journal rows', async () => {
      const r = await tomic('journal', '--json', '--strategy', 'TOMIC_OPS_BPS_NIFTY');
      const page = JSON.parse(r.stdout) as { total: number; rows: unknown[] };
      return page.total >= 2 ? page : undefined;
    });
    expect(journal.total).toBeGreaterThanOrEqual(2);
    // §13: the placements were timed and recorded by the supervisor.
    const metrics = await until('the placement latency metric', async () => {
      const m = JSON.parse((await tomic('metrics', '--json')).stdout) as { orderLatencyP99Ms: number | null };
      return m.orderLatencyP99Ms !== null ? m : undefined;
    });
    expect(metrics.orderLatencyP99Ms).toBeGreaterThan(0);
    expect((await tomic('journal')).stdout).toContain('TOMIC_OPS_BPS_NIFTY');

    const book = await until('the book to match the broker', async () => {
      const mine = JSON.parse((await tomic('positions', '--json')).stdout) as {
        positions: Array<{ symbol: string; quantity: number }>;
      };
      const theirs = await client.positionBook();
      if (!theirs.ok) return undefined;
      const broker = theirs.data.positions
        .filter((p) => p.quantity !== 0)
        .map((p) => `${p.symbol}:${p.quantity}`)
        .sort();
      const local = mine.positions.map((p) => `${p.symbol}:${p.quantity}`).sort();
      return JSON.stringify(local) === JSON.stringify(broker) ? local : undefined;
    });
    const ob = await client.orderBook();
    if (ob.ok) brokerIds.push(...ob.data.orders.map((o) => o.orderId));
    expect(brokerIds.length).toBeGreaterThan(0);
    const done = orders.filter((o) => o.status === 'DONE').length;
    if (done === 2) expect(book).toHaveLength(2);
    await client.close();
  });

  it('pause, kill and resume behave as the runbooks say, with exit codes scripts can rely on', async () => {
    const pause = await tomic('pause', 'checking', 'the', 'feed');
    expect(pause.code).toBe(0);
    expect((await statusJson()).tradingState).toMatchObject({ state: 'REDUCING', code: 'TRADING_PAUSED' });

    const kill = await tomic('kill', '--json', 'operator', 'drill');
    expect(kill.code).toBe(0);
    expect(JSON.parse(kill.stdout)).toMatchObject({ action: 'kill', state: 'HALTED' });
    // HALTED is sticky: pausing is refused (exit 1, the code on stderr).
    const refused = await tomic('pause', 'again');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('TRADING_HALTED');

    const audit = new Database(join(dir, 'tomic_audit.db'), { readonly: true });
    const row = audit
      .prepare("SELECT outcome, detail FROM audit_log WHERE action = 'kill_switch' ORDER BY id DESC LIMIT 1")
      .get() as { outcome: string; detail: string };
    audit.close();
    const steps = (JSON.parse(row.detail) as { steps: Array<{ step: string; ok: boolean }> }).steps;
    expect(steps.map((s) => s.step)).toEqual([
      'pause',
      'cancel_all_orders',
      'reject_queued_commands',
      'stop_signal_agents',
      'critical_alert',
    ]);
    expect(steps.every((s) => s.ok)).toBe(true);
    // The phone hears about it.
    await until('the [CRITICAL] Telegram alert', () =>
      tg.messages.some((m) => m.text.includes('CRITICAL') && m.text.includes('Kill switch'))
        ? true
        : undefined,
    );

    expect((await tomic('resume')).code).toBe(0);
    expect((await statusJson()).tradingState.state).toBe('ACTIVE');
  });

  it('a crashing execution agent is restarted once, then the kill switch runs well inside 60 s', async () => {
    const first = (await statusJson()).agents.find((a) => a.name === 'execution')!;
    process.kill(first.pid!, 'SIGKILL');
    const restarted = await until('the restart', async () => {
      const a = (await statusJson()).agents.find((x) => x.name === 'execution')!;
      return a.state === 'RUNNING' && a.pid !== first.pid ? a : undefined;
    });
    expect(restarted.restarts).toBe(1);

    const t0 = Date.now();
    process.kill(restarted.pid!, 'SIGKILL');
    const s = await until('the kill switch', async () => {
      const st = await statusJson();
      return st.tradingState.state === 'HALTED' ? st : undefined;
    });
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(s.tradingState.code).toBe('AGENT_RESTART_FAILED');
    expect(s.agents.find((a) => a.name === 'execution')?.state).toBe('CRASHED');
  });

  it('stop (safe shutdown) keeps the API up; start brings the agents back', async () => {
    expect((await tomic('resume')).code).toBe(0);
    const stop = await tomic('stop');
    expect(stop.code, stop.stderr).toBe(0);
    expect((await statusJson()).lifecycle).toBe('STOPPED');
    const start = await tomic('start');
    expect(start.code, start.stderr).toBe(0);
    const s = await statusJson();
    expect(s.lifecycle).toBe('RUNNING');
    expect(s.agents.every((a) => a.state === 'RUNNING')).toBe(true);
  });

  it('SIGTERM runs the safe shutdown; afterwards the CLI reports the API unreachable (exit 4)', async () => {
    system.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('safe shutdown complete');
    expect((await tomic('status')).code).toBe(4);
    const audit = new Database(join(dir, 'tomic_audit.db'), { readonly: true });
    const n = audit.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'shutdown'").get() as {
      n: number;
    };
    audit.close();
    expect(n.n).toBeGreaterThanOrEqual(2);
  });

  it('no secret appears in any log line, database row or event file (masking §10)', () => {
    const secrets = [
      ...['api-key', 'sim-api-key', 'admin-password'].map((f) => readFileSync(join(dir, f), 'utf8').trim()),
      FAKE_BOT_TOKEN,
    ];
    const haystacks: Array<[string, string]> = [['stdout/stderr', out]];
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.db'))) {
      const db = new Database(join(dir, f), { readonly: true });
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{
        name: string;
      }>;
      for (const t of tables)
        haystacks.push([`${f}:${t.name}`, JSON.stringify(db.prepare(`SELECT * FROM "${t.name}"`).all())]);
      db.close();
    }
    for (const f of readdirSync(join(dir, 'events'))) {
      haystacks.push([`events/${f}`, readFileSync(join(dir, 'events', f), 'utf8')]);
    }
    expect(out.length).toBeGreaterThan(1_000);
    // §10 "payload logging sanitizes api_key, broker_order_id": no broker order id in any log line.
    const leaked = brokerIds.filter((id) => out.split('\n').some((l) => l.startsWith('{') && l.includes(id)));
    expect(leaked).toEqual([]);
    for (const s of secrets) {
      const hits = haystacks.filter(([, text]) => text.includes(s)).map(([where]) => where);
      expect(hits).toEqual([]);
    }
  });
});
