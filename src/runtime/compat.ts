import { type CompatRow, formatCompatTable, OpenAlgoClient, runCompatMatrix } from '../broker/index.js';
import { SystemClock } from '../clock/index.js';
import type { Config } from '../config/index.js';
import { createLogger } from '../log/index.js';

/**
 * `tomic compat`: the plan's Broker Compatibility Matrix against the configured OpenAlgo endpoints, or
 * against a freshly started embedded simulator when none are configured.
 */
export async function runCompat(
  config: Config,
  opts: { allowLive: boolean },
): Promise<{ rows: CompatRow[]; table: string }> {
  const clock = new SystemClock();
  const logger = createLogger({ name: 'compat', level: 'warn', secrets: [config.endpoints.executionApiKey] });
  let stopSim: (() => Promise<void>) | undefined;
  let rest = config.endpoints.executionRest;
  let key = config.endpoints.executionApiKey;
  let feeds = [config.endpoints.feedPrimaryWs, config.endpoints.feedFallbackWs].filter(
    (x): x is string => !!x,
  );
  if (config.embeddedSim) {
    const { startConfiguredSimulator } = await import('./sim-host.js');
    const sim = await startConfiguredSimulator(config);
    rest = sim.restUrl;
    key = sim.apiKey;
    feeds = [sim.wsPrimaryUrl, sim.wsFallbackUrl];
    stopSim = () => sim.stop();
  }
  if (!rest || !key) throw new Error('TOMIC_EXECUTION_REST and TOMIC_EXECUTION_API_KEY are required');
  const client = new OpenAlgoClient({
    baseUrl: rest,
    apiKey: key,
    timeoutMs: config.endpoints.restTimeoutMs,
    clock,
    logger,
  });
  try {
    const rows = await runCompatMatrix({
      client,
      feedUrls: feeds,
      apiKey: key,
      clock,
      logger,
      allowLive: opts.allowLive,
    });
    return { rows, table: formatCompatTable(rows) };
  } finally {
    await client.close();
    await stopSim?.();
  }
}
