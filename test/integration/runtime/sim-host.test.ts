import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OpenAlgoClient } from '../../../src/broker/index.js';
import { SystemClock } from '../../../src/clock/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { simApiKey, startConfiguredSimulator } from '../../../src/runtime/sim-host.js';

function config(env: Record<string, string>) {
  const r = loadConfig({
    env: {
      TOMIC_DATA_DIR: mkdtempSync(join(tmpdir(), 'tomic-simhost-')),
      TOMIC_SIM_SOURCE: 'generator',
      ...env,
    },
    envFile: null,
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

describe('the embedded simulator follows its config keys', () => {
  it('TOMIC_SIM_BASKET_ORDERS=false: basketorder answers like a broker without it', async () => {
    const cfg = config({ TOMIC_SIM_BASKET_ORDERS: 'false', TOMIC_SIM_MICROSTRUCTURE: 'false' });
    const sim = await startConfiguredSimulator(cfg);
    const client = new OpenAlgoClient({
      baseUrl: sim.restUrl,
      apiKey: simApiKey(cfg).key,
      timeoutMs: 5_000,
      clock: new SystemClock(),
    });
    try {
      const r = await client.basketOrder({
        strategy: 'TOMIC_T:BASKET',
        orders: [
          {
            symbol: 'NIFTY',
            exchange: 'NSE_INDEX',
            action: 'BUY',
            quantity: 1,
            pricetype: 'MARKET',
            product: 'MIS',
          },
        ],
      });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.httpStatus).toBe(404);
    } finally {
      await client.close();
      await sim.stop();
    }
  });

  it('rejects a malformed replay start date naming the variable', () => {
    const r = loadConfig({ env: { TOMIC_SIM_REPLAY_START: '04/09/2025' }, envFile: null });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(/TOMIC_SIM_REPLAY_START.*YYYY-MM-DD/);
  });
});
