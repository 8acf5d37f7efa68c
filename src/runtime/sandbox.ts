import { InMemoryBus } from '../bus/index.js';
import { type Clock, SystemClock } from '../clock/index.js';
import type { Config } from '../config/index.js';
import type { AgentName, ErrorCode } from '../contracts/index.js';
import { type Logger, silentLogger } from '../log/index.js';
import type { RunningSimulator } from '../sim/index.js';
import { migrateAll } from '../store/index.js';
import { type InProcessSystem, startInProcess } from './in-process.js';
import { startConfiguredSimulator, withSimulator } from './sim-host.js';

export const PIPELINE_AGENTS: readonly AgentName[] = ['journaling', 'execution', 'regime', 'risk'];

export interface SandboxOptions {
  readonly config: Config;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly agents?: readonly AgentName[];
  /** Simulated market seconds per real second. */
  readonly speed?: number;
  readonly onKillSwitch?: (reason: string, code: ErrorCode) => void;
}

export interface Sandbox {
  readonly sim: RunningSimulator;
  /** The config the agents run with (simulator endpoints filled in). */
  readonly config: Config;
  readonly bus: InMemoryBus;
  readonly system: InProcessSystem;
  stop(): Promise<void>;
}

/**
 * The whole trading pipeline in one process — simulator, Regime, Risk, Execution and Journaling on
 * an in-memory bus — for the pipeline tests, the soak and the benchmarks. The agents are the ones
 * `tomic start` forks; only the transport differs.
 */
export async function startSandbox(o: SandboxOptions): Promise<Sandbox> {
  migrateAll(o.config.dataDir);
  const sim = await startConfiguredSimulator(o.config, o.speed !== undefined ? { speed: o.speed } : {});
  const config = withSimulator(o.config, sim);
  const logger = o.logger ?? silentLogger();
  const bus = new InMemoryBus({ logger });
  const system = await startInProcess({
    config,
    clock: o.clock ?? new SystemClock(),
    logger,
    bus,
    agents: o.agents ?? PIPELINE_AGENTS,
    ...(o.onKillSwitch ? { onKillSwitch: o.onKillSwitch } : {}),
  });
  return {
    sim,
    config,
    bus,
    system,
    stop: async () => {
      await system.stop();
      await bus.close();
      await sim.stop();
    },
  };
}
