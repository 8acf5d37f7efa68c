import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionRuntime } from '../../src/agents/execution/execution-runtime.js';
import { OpenAlgoClient } from '../../src/broker/index.js';
import { createRng, realDelay, SystemClock } from '../../src/clock/index.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { startSimulator } from '../../src/sim/index.js';
import { CommandStore, openDatabase, TERMINAL_COMMAND_STATUSES } from '../../src/store/index.js';
import { bullPutSpreadFromChain } from '../support/spread-from-chain.js';

/**
 * Issue 7 chaos test: the Execution runtime runs as a real child process and is SIGKILLed at seeded
 * random moments of the order lifecycle (before the claim, between hedge and short, after the broker
 * accepted but before DONE …). After every crash a new process takes over. At the broker we require:
 * no duplicate order for any leg, no short sold before its hedge, every command in a terminal state,
 * and a PositionBook equal to the broker's positionbook after reconciliation.
 */
const RUNS = Number(process.env.TOMIC_CHAOS_RUNS ?? 50);
const CHILD = fileURLToPath(new URL('./fixtures/execution-child.ts', import.meta.url));

type Sim = Awaited<ReturnType<typeof startSimulator>>;

describe(`chaos: Execution runtime SIGKILLed at random points (${RUNS} seeded runs)`, () => {
  let sim: Sim;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let commands: CommandStore;
  let client: OpenAlgoClient;
  const clock = new SystemClock();

  beforeAll(async () => {
    sim = await startSimulator({ source: 'generator', seed: 11, basketSupported: false });
    dataDir = mkdtempSync(join(tmpdir(), 'tomic-chaos-'));
    env = {
      PATH: process.env.PATH,
      TOMIC_DATA_DIR: dataDir,
      TOMIC_FEED_PRIMARY_WS: sim.wsPrimaryUrl,
      TOMIC_FEED_FALLBACK_WS: sim.wsFallbackUrl,
      TOMIC_EXECUTION_REST: sim.restUrl,
      TOMIC_EXECUTION_API_KEY: sim.apiKey,
      TOMIC_LEASE_MS: '1000',
      TOMIC_LOG_LEVEL: 'error',
    };
    const cfg = loadConfig({ envFile: null, env: { ...env } });
    if (!cfg.ok) throw new Error(cfg.errors.join('; '));
    commands = new CommandStore(openDatabase(dataDir, 'commands'), {
      clock,
      retry: CommandStore.retryPolicyFromConfig(cfg.config),
      leaseMs: 1_000,
    });
    client = new OpenAlgoClient({ baseUrl: sim.restUrl, apiKey: sim.apiKey, timeoutMs: 5_000, clock });
  });

  afterAll(async () => {
    await client.close();
    await sim.stop();
  });

  async function spawnChild(): Promise<ChildProcess> {
    const child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], env, stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    return child;
  }

  async function kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  // Each run trades its own strikes so positions never net across runs.
  const spread = (run: number) =>
    bullPutSpreadFromChain(client, clock, `TOMIC_CHAOS_BPS_NIFTY_${run}`, {
      shortOffset: 1 + (run % 5),
      width: 6,
    });

  const allTerminal = () => {
    const c = commands.counts();
    return c.PENDING + c.PROCESSING + c.AWAITING_APPROVAL === 0;
  };

  it('never duplicates an order, never sells a short before its hedge, and ends equal to the broker', async () => {
    const rng = createRng(20_261_125);
    let child = await spawnChild();
    for (let run = 0; run < RUNS; run++) {
      commands.enqueueGroup(await spread(run));
      // Kill somewhere in the lifecycle: before the claim … after the broker accepted, before DONE.
      await realDelay(rng.int(0, 1_200));
      await kill(child);
      child = await spawnChild();
      // The Supervisor's job: bring expired leases back.
      for (let t = 0; t < 15_000 && !allTerminal(); t += 100) {
        commands.reclaimExpired();
        await realDelay(100);
      }
    }
    for (let t = 0; t < 30_000 && !allTerminal(); t += 100) {
      commands.reclaimExpired();
      await realDelay(100);
    }
    await kill(child);

    // Every command ended in a terminal state.
    const rows = commands.list({ limit: 1_000 });
    expect(rows).toHaveLength(RUNS * 2);
    expect(rows.filter((r) => !TERMINAL_COMMAND_STATUSES.has(r.status))).toEqual([]);

    // At the broker: at most one order per leg, and no short without an earlier hedge.
    const ours = sim.orders().filter((o) => o.strategy.startsWith('TOMIC_CHAOS_'));
    const perLeg = new Map<string, number>();
    for (const o of ours)
      perLeg.set(`${o.strategy}|${o.symbol}`, (perLeg.get(`${o.strategy}|${o.symbol}`) ?? 0) + 1);
    expect([...perLeg.entries()].filter(([, n]) => n > 1)).toEqual([]);
    for (let run = 0; run < RUNS; run++) {
      const mine = ours.filter((o) => o.strategy.startsWith(`TOMIC_CHAOS_BPS_NIFTY_${run}:`));
      const sell = mine.find((o) => o.action === 'SELL');
      const buy = mine.find((o) => o.action === 'BUY' && o.filled_quantity > 0);
      if (sell) {
        expect(buy, `run ${run}: short sold without a filled hedge`).toBeDefined();
        expect(buy!.placed_at).toBeLessThan(sell.placed_at);
      }
    }

    // The book a crashed writer left behind becomes the broker's after reconciliation.
    const cfg = loadConfig({ envFile: null, env: { ...env } });
    if (!cfg.ok) throw new Error('config');
    const runtime = new ExecutionRuntime({
      config: cfg.config,
      clock,
      logger: silentLogger(),
      publish: () => undefined,
      requestKillSwitch: () => undefined,
    });
    expect((await runtime.reconcileWithBroker()).ok).toBe(true);
    expect(await runtime.reconcileWithBroker()).toEqual({ ok: true, discrepancies: 0 });
    await runtime.close();
  }, 600_000);
});
