import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { type RunningSimulator, startSimulator } from '../sim/index.js';

/**
 * The simulator's API key: from config, else generated once and kept in the data folder (0600) so a
 * plain HTTP client can use it. It is never printed.
 */
export function simApiKey(config: Config): { key: string; file: string | null } {
  if (config.sim.apiKey) return { key: config.sim.apiKey, file: null };
  const file = join(config.dataDir, 'sim-api-key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), file };
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(24).toString('hex');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { key, file };
}

/** Starts the OpenAlgo-compatible simulator with the settings of `config.sim`. */
export async function startConfiguredSimulator(
  config: Config,
  overrides: { speed?: number } = {},
): Promise<RunningSimulator> {
  return startSimulator({
    seed: config.sim.seed,
    source: config.sim.source,
    speed: overrides.speed ?? config.sim.speed,
    dataDir: config.sim.dataDir,
    apiKey: simApiKey(config).key,
    host: config.sim.host,
    restPort: config.sim.restPort,
    wsPrimaryPort: config.sim.wsPrimaryPort,
    wsFallbackPort: config.sim.wsFallbackPort,
    startingCapital: config.sim.startingCapital,
    spreadLeverage: config.sim.spreadLeverage,
    microstructure: true,
    microstructureParams: config.replay,
  });
}
