import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionRuntime } from '../../src/agents/execution/execution-runtime.js';
import { OpenAlgoClient } from '../../src/broker/index.js';
import { realDelay, SystemClock } from '../../src/clock/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { TomicEvent } from '../../src/contracts/index.js';
import { silentLogger } from '../../src/log/index.js';
import { startSimulator } from '../../src/sim/index.js';
import { CommandStore } from '../../src/store/command-store.js';
import { openDatabase } from '../../src/store/index.js';
import { bullPutSpreadFromChain } from '../support/spread-from-chain.js';

type Sim = Awaited<ReturnType<typeof startSimulator>>;

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    if (cond()) return;
    await realDelay(50);
  }
  throw new Error('condition not met in time');
}

describe('Execution runtime against the OpenAlgo-compatible simulator', () => {
  let sim: Sim;
  let runtime: ExecutionRuntime;
  let commands: CommandStore;
  let client: OpenAlgoClient;
  const clock = new SystemClock();
  const events: TomicEvent[] = [];
  const ac = new AbortController();
  let running: Promise<void>;

  beforeAll(async () => {
    sim = await startSimulator({ source: 'generator', seed: 7, basketSupported: false });
    const dataDir = mkdtempSync(join(tmpdir(), 'tomic-e2e-exec-'));
    const cfg = loadConfig({
      envFile: null,
      env: {
        TOMIC_DATA_DIR: dataDir,
        TOMIC_FEED_PRIMARY_WS: sim.wsPrimaryUrl,
        TOMIC_FEED_FALLBACK_WS: sim.wsFallbackUrl,
        TOMIC_EXECUTION_REST: sim.restUrl,
        TOMIC_EXECUTION_API_KEY: sim.apiKey,
      },
    });
    if (!cfg.ok) throw new Error(cfg.errors.join('; '));
    runtime = new ExecutionRuntime({
      config: cfg.config,
      clock,
      logger: silentLogger(),
      publish: (e) => events.push(e),
      requestKillSwitch: () => undefined,
    });
    running = runtime.run(ac.signal);
    commands = new CommandStore(openDatabase(dataDir, 'commands'), {
      clock,
      retry: CommandStore.retryPolicyFromConfig(cfg.config),
      leaseMs: cfg.config.commands.leaseMs,
    });
    client = new OpenAlgoClient({ baseUrl: sim.restUrl, apiKey: sim.apiKey, timeoutMs: 5_000, clock });
  });

  afterAll(async () => {
    ac.abort();
    await running.catch(() => undefined);
    await runtime.close();
    await client.close();
    await sim.stop();
  });

  it('places a bull put spread hedge first over real HTTP, once, and the book matches the broker', async () => {
    const legs = await bullPutSpreadFromChain(client, clock, 'TOMIC_E2E_BPS_NIFTY_20260215', {
      shortOffset: 2,
      width: 4,
    });
    commands.enqueueGroup(legs);
    await until(() => commands.counts().DONE + commands.counts().FAILED === 2);
    const rejects = events.filter((e) => e.event_type === 'ORDER_REJECT' || e.event_type === 'ORDER_DENIED');
    expect(rejects.map((e) => JSON.stringify(e.payload))).toEqual([]);
    expect(commands.counts().DONE).toBe(2);
    const tagged = sim
      .orders()
      .filter((o) => String(o.strategy ?? '').startsWith('TOMIC_E2E_BPS_NIFTY_20260215'));
    expect(tagged.map((o) => o.action)).toEqual(['BUY', 'SELL']);
    // The same group enqueued again is an idempotency skip, never a second order.
    expect(commands.enqueueGroup(legs).every((r) => !r.ok)).toBe(true);
    // §8: the book the Execution agent wrote equals the broker's positionbook.
    expect(await runtime.reconcileWithBroker()).toEqual({ ok: true, discrepancies: 0 });
    expect(
      runtime.book
        .readSnapshot()
        .positions.map((p) => p.quantity)
        .sort((a, b) => a - b),
    ).toEqual([-legs[1]!.payload.quantity, legs[0]!.payload.quantity]);
    expect(events.filter((e) => e.event_type === 'ORDER_FILL')).toHaveLength(2);
  });
});
