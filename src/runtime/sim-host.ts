import type { Config } from '../config/index.js';
import { type RunningSimulator, startSimulator } from '../sim/index.js';
import { localSecret, SECRET_FILES } from './local-secrets.js';

/** The simulator's API key: from config, else generated once into the data folder (0600). */
export function simApiKey(config: Config): { key: string; file: string | null } {
  const s = localSecret(config.dataDir, SECRET_FILES.simApiKey, config.sim.apiKey);
  return { key: s.value, file: s.file };
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
    microstructure: config.sim.microstructure,
    microstructureParams: config.replay,
    basketSupported: config.sim.basketOrders,
    tickIntervalMs: config.sim.tickIntervalMs,
    wsAuthGraceMs: config.sim.wsAuthGraceMs,
    replayStart: config.sim.replayStart,
  });
}

/** The config with every endpoint pointed at a running simulator (what the agents then use). */
export function withSimulator(config: Config, sim: RunningSimulator): Config {
  return Object.freeze({
    ...config,
    endpoints: Object.freeze({
      ...config.endpoints,
      feedPrimaryWs: sim.wsPrimaryUrl,
      feedFallbackWs: sim.wsFallbackUrl,
      executionRest: sim.restUrl,
      executionApiKey: sim.apiKey,
      analyticsRest: sim.restUrl,
    }),
  });
}
