import type { Agent, AgentContext } from '../agents/agent-base.js';
import { ExecutionAgent } from '../agents/execution/execution-agent.js';
import { JournalingAgent } from '../agents/journaling/journaling-agent.js';
import type { Config } from '../config/index.js';
import type { AgentName, ErrorCode } from '../contracts/index.js';

export interface HostServices {
  readonly config: Config;
  requestKillSwitch(reason: string, code: ErrorCode): void;
}

/** An agent as its host runs it: the lifecycle plus what it reports to the supervisor. */
export interface HostedAgent {
  readonly agent: Agent;
  health(): Record<string, unknown>;
  /** Releases what the factory opened besides the agent (feeds, clients, databases). */
  dispose?(): Promise<void>;
}

type Factory = (ctx: AgentContext, s: HostServices) => HostedAgent;

/** Every agent the supervisor can fork, by name. One place to add an agent. */
export const AGENT_FACTORIES: Partial<Record<AgentName, Factory>> = {
  execution: (ctx, s) => {
    const agent = new ExecutionAgent(ctx, s);
    const rt = agent.runtime;
    return {
      agent,
      health: () => ({
        feed: rt.feed.health(),
        account: rt.account() ?? null,
        commands: rt.commands.counts(),
      }),
    };
  },
  journaling: (ctx, s) => {
    const agent = new JournalingAgent(ctx, s.config);
    return { agent, health: () => ({}) };
  },
};

/** Agents the kill switch stops (signal agents); Execution and Journaling keep running. */
export const SIGNAL_AGENTS: ReadonlySet<AgentName> = new Set(['regime', 'sniper', 'volatility', 'risk']);
