/**
 * Entry point of an agent process. The supervisor forks this file (`--import tsx`), sends `init`
 * with the agent name and the effective config over IPC, and `stop` for a safe shutdown. The host
 * connects the agent to the bus, reports health every second, and forwards kill switch requests.
 * A parent that disappears (IPC closed) stops the agent: an orphan must not keep trading.
 */

import { busEndpoints, ZmqBus } from '../bus/index.js';
import { SystemClock } from '../clock/index.js';
import { type Config, secretValues } from '../config/index.js';
import type { AgentName } from '../contracts/index.js';
import { createLogger } from '../log/index.js';
import { type FromAgent, HEALTH_INTERVAL_MS, ToAgent } from './agent-ipc.js';
import { AGENT_FACTORIES, type HostedAgent } from './agent-registry.js';

function send(msg: FromAgent): void {
  if (process.connected) process.send?.(msg);
}

let hosted: HostedAgent | undefined;
let closeBus: (() => Promise<void>) | undefined;
let healthTimer: NodeJS.Timeout | undefined;
let stopping = false;

async function init(agentName: AgentName, config: Config): Promise<void> {
  const factory = AGENT_FACTORIES[agentName];
  if (!factory) throw new Error(`unknown agent ${agentName}`);
  const clock = new SystemClock();
  const logger = createLogger({
    name: `tomic-${agentName}`,
    level: config.logLevel,
    secrets: secretValues(config),
  }).child({ agent: agentName });
  const bus = await ZmqBus.connect({ ...endpointsOf(config), logger });
  closeBus = () => bus.close();
  hosted = factory(
    {
      name: agentName,
      clock,
      bus,
      logger,
      heartbeatIntervalMs: config.agents.heartbeatIntervalMs,
    },
    {
      config,
      requestKillSwitch: (reason, code) => send({ type: 'kill', reason, code }),
    },
  );
  // The publisher and subscriber reach the proxy before the agent's first event (its heartbeat).
  await bus.ready();
  await hosted.agent.start();
  send({ type: 'ready', pid: process.pid });
  const report = () => {
    try {
      send({ type: 'health', health: JSON.parse(JSON.stringify(hosted?.health() ?? {})) });
    } catch (err) {
      logger.error({ err }, 'health report failed');
    }
  };
  report();
  // Health doubles as liveness: report well inside the supervisor's heartbeat timeout.
  healthTimer = setInterval(
    report,
    Math.min(HEALTH_INTERVAL_MS, Math.floor(config.agents.heartbeatTimeoutMs / 3)),
  );
}

function endpointsOf(config: Config) {
  const e = busEndpoints(config);
  return { xsubEndpoint: e.xsub, xpubEndpoint: e.xpub };
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (healthTimer) clearInterval(healthTimer);
  try {
    await hosted?.agent.stop();
    await hosted?.dispose?.();
    await closeBus?.();
  } finally {
    send({ type: 'stopped' });
    process.exit(code);
  }
}

process.on('message', (raw: unknown) => {
  const msg = ToAgent.safeParse(raw);
  if (!msg.success) return;
  if (msg.data.type === 'stop') {
    void stop(0);
    return;
  }
  init(msg.data.agent, msg.data.config as unknown as Config).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    send({ type: 'fatal', message });
    process.stderr.write(`agent failed to start: ${message}\n`);
    process.exit(1);
  });
});
process.on('disconnect', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
// Ctrl-C reaches the whole process group: the supervisor runs the shutdown and tells us when.
process.on('SIGINT', () => undefined);
