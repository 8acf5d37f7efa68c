import type { Config } from '../../config/index.js';
import type { ErrorCode } from '../../contracts/index.js';
import { Agent, type AgentContext } from '../agent-base.js';
import { ExecutionRuntime } from './execution-runtime.js';

export interface ExecutionAgentOptions {
  readonly config: Config;
  /** Asks the Supervisor to run the kill switch (the host forwards it over IPC). */
  readonly requestKillSwitch: (reason: string, code: ErrorCode) => void;
}

/**
 * The Execution agent (plan `execution_agent`): the ExecutionRuntime under the agent lifecycle.
 * Its events go on the bus; its health (feed, account, broker timeouts) is reported to the
 * Supervisor by the host.
 */
export class ExecutionAgent extends Agent {
  readonly runtime: ExecutionRuntime;

  constructor(ctx: AgentContext, o: ExecutionAgentOptions) {
    super(ctx);
    this.runtime = new ExecutionRuntime({
      config: o.config,
      clock: ctx.clock,
      logger: ctx.logger,
      publish: (e) => this.bus.publish(e),
      requestKillSwitch: o.requestKillSwitch,
    });
  }

  protected override async run(signal: AbortSignal): Promise<void> {
    await this.runtime.run(signal);
  }

  protected override async cleanup(): Promise<void> {
    await this.runtime.close();
  }
}
