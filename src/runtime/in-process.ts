import type { Bus } from '../bus/index.js';
import type { Clock } from '../clock/index.js';
import type { Config } from '../config/index.js';
import type { AgentName, ErrorCode } from '../contracts/index.js';
import type { Logger } from '../log/index.js';
import { AGENT_FACTORIES, type HostedAgent } from './agent-registry.js';

export interface InProcessOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Usually an InMemoryBus: one process, one global event order. */
  readonly bus: Bus;
  readonly agents: readonly AgentName[];
  /** What a kill switch request does here (the supervisor is not running). */
  readonly onKillSwitch?: (reason: string, code: ErrorCode) => void;
}

export interface InProcessSystem {
  readonly agents: ReadonlyMap<AgentName, HostedAgent>;
  /** Stops the agents in reverse start order and releases what they opened. */
  stop(): Promise<void>;
}

/**
 * Replay and test mode (DESIGN.md): the same agent classes the supervisor forks, built by the same
 * factories, run in one process on one bus.
 */
export async function startInProcess(o: InProcessOptions): Promise<InProcessSystem> {
  const agents = new Map<AgentName, HostedAgent>();
  for (const name of o.agents) {
    const factory = AGENT_FACTORIES[name];
    if (!factory) throw new Error(`unknown agent ${name}`);
    const hosted = factory(
      {
        name,
        clock: o.clock,
        bus: o.bus,
        logger: o.logger.child({ agent: name }),
        heartbeatIntervalMs: o.config.agents.heartbeatIntervalMs,
      },
      { config: o.config, requestKillSwitch: (reason, code) => o.onKillSwitch?.(reason, code) },
    );
    await hosted.agent.start();
    agents.set(name, hosted);
  }
  return {
    agents,
    stop: async () => {
      for (const name of [...agents.keys()].reverse()) {
        const h = agents.get(name);
        await h?.agent.stop();
        await h?.dispose?.();
      }
    },
  };
}
