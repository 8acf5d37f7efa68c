import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AgentStatus } from '../api/schemas.js';
import type { Clock } from '../clock/index.js';
import type { Config } from '../config/index.js';
import type { AgentName, ErrorCode } from '../contracts/index.js';
import type { Logger } from '../log/index.js';
import { FromAgent } from './agent-ipc.js';
import { type CrashCause, heartbeatMissed, onAgentFailure, type RestartParams } from './restart-policy.js';

const HOST_ENTRY = fileURLToPath(new URL('./agent-host.ts', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export interface ProcessManagerDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The effective config every agent receives over IPC (embedded simulator endpoints included). */
  readonly config: Config;
  readonly params: RestartParams;
  /** Runbook step before any restart: cancel all open orders. */
  cancelOpenOrders(reason: string): Promise<void>;
  /** Restarts exhausted, or an agent asked for it. */
  killSwitch(reason: string, code: ErrorCode): Promise<void>;
  /** Health reported by an agent (about every second). */
  onHealth?(agent: AgentName, health: Record<string, unknown>): void;
  /** Agent restarted after a crash: the PositionBook reconciles on the Execution agent's start. */
  onRestarted?(agent: AgentName, attempt: number): void;
  /** Defaults to src/runtime/agent-host.ts; tests pass a fixture that misbehaves on purpose. */
  readonly entry?: string;
  readonly execArgv?: readonly string[];
}

interface Slot {
  readonly name: AgentName;
  child: ChildProcess | undefined;
  state: AgentStatus['state'];
  restarts: number;
  spawnedMono: number;
  lastBeatMono: number | null;
  health: Record<string, unknown> | undefined;
  /** Set when we stop or kill it ourselves: its exit is not a crash. */
  expectingExit: boolean;
  recovering: boolean;
}

/**
 * The supervisor's side of the agent processes: forks each agent (its own Node process, crash
 * isolation), watches exits and heartbeats, and applies the Agent Crash Recovery runbook: cancel
 * open orders, restart after the backoff (at most `maxRestarts`), else the kill switch.
 */
export class ProcessManager {
  readonly #slots = new Map<AgentName, Slot>();
  #closing = false;

  constructor(private readonly d: ProcessManagerDeps) {}

  /** Forks the agents and resolves when each has reported ready (or failed to). */
  async start(names: readonly AgentName[]): Promise<void> {
    this.#closing = false;
    await Promise.all(
      names.map((name) => {
        const slot: Slot = this.#slots.get(name) ?? {
          name,
          child: undefined,
          state: 'STARTING',
          restarts: 0,
          spawnedMono: 0,
          lastBeatMono: null,
          health: undefined,
          expectingExit: false,
          recovering: false,
        };
        this.#slots.set(name, slot);
        return this.#spawn(slot);
      }),
    );
  }

  /** A HEARTBEAT seen on the bus (any message from the agent also proves it alive). */
  heartbeat(name: AgentName, pid: number): void {
    const slot = this.#slots.get(name);
    if (slot?.child?.pid === pid) slot.lastBeatMono = this.d.clock.monotonicMs();
  }

  /** Called every supervisor tick: a silent agent is killed and handled as a crash. */
  checkHeartbeats(): void {
    const now = this.d.clock.monotonicMs();
    for (const slot of this.#slots.values()) {
      if (slot.state !== 'RUNNING' || slot.recovering || !slot.child) continue;
      if (!heartbeatMissed(slot.lastBeatMono, slot.spawnedMono, now, this.d.params.heartbeatTimeoutMs))
        continue;
      this.d.logger.error({ agent: slot.name, pid: slot.child.pid }, 'heartbeat missed: killing the agent');
      slot.expectingExit = true;
      slot.child.kill('SIGKILL');
      void this.#failed(slot, 'HEARTBEAT_MISSED');
    }
  }

  status(): AgentStatus[] {
    const now = this.d.clock.monotonicMs();
    return [...this.#slots.values()].map((s) => ({
      name: s.name,
      pid: s.child?.pid ?? null,
      state: s.state,
      heartbeatAgeMs: s.lastBeatMono === null ? null : Math.max(0, now - s.lastBeatMono),
      restarts: s.restarts,
    }));
  }

  /** The last health an agent reported, while its process is running. */
  health(name: AgentName): Record<string, unknown> | undefined {
    const s = this.#slots.get(name);
    return s?.state === 'RUNNING' ? s.health : undefined;
  }

  /** Monotonic ms since the agent's current process was spawned; undefined when it has none. */
  uptimeMs(name: AgentName): number | undefined {
    const s = this.#slots.get(name);
    return s?.child ? this.d.clock.monotonicMs() - s.spawnedMono : undefined;
  }

  isRunning(name: AgentName): boolean {
    return this.#slots.get(name)?.state === 'RUNNING';
  }

  pid(name: AgentName): number | undefined {
    return this.#slots.get(name)?.child?.pid;
  }

  /**
   * Asks the agents to stop (they finish their cycle), waits up to `timeoutMs`, then SIGKILLs the
   * rest. Stopped agents are not restarted.
   */
  async stop(
    names: readonly AgentName[] | 'all',
    timeoutMs: number,
  ): Promise<{ stopped: AgentName[]; killed: AgentName[] }> {
    const slots = [...this.#slots.values()].filter((s) => names === 'all' || names.includes(s.name));
    if (names === 'all') this.#closing = true;
    const stopped: AgentName[] = [];
    const killed: AgentName[] = [];
    await Promise.all(
      slots.map(async (slot) => {
        const child = slot.child;
        slot.expectingExit = true;
        if (!child || child.exitCode !== null || child.signalCode !== null) {
          slot.state = 'STOPPED';
          return;
        }
        slot.state = 'STOPPING';
        const exited = new Promise<boolean>((resolve) => {
          const t = this.d.clock.setTimeout(() => resolve(false), timeoutMs);
          child.once('exit', () => {
            this.d.clock.clearTimeout(t);
            resolve(true);
          });
        });
        if (child.connected) child.send({ type: 'stop' });
        else child.kill('SIGTERM');
        if (await exited) stopped.push(slot.name);
        else {
          child.kill('SIGKILL');
          killed.push(slot.name);
        }
        slot.state = 'STOPPED';
      }),
    );
    return { stopped, killed };
  }

  #spawn(slot: Slot): Promise<void> {
    slot.expectingExit = false;
    slot.state = 'STARTING';
    slot.health = undefined;
    slot.lastBeatMono = null;
    slot.spawnedMono = this.d.clock.monotonicMs();
    const child = fork(this.d.entry ?? HOST_ENTRY, [slot.name], {
      execArgv: [...(this.d.execArgv ?? ['--import', 'tsx'])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    slot.child = child;
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = () => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      const readyTimer = this.d.clock.setTimeout(() => {
        if (slot.state === 'STARTING' && slot.child === child) {
          this.d.logger.error({ agent: slot.name }, 'agent did not report ready in time');
          slot.expectingExit = true;
          child.kill('SIGKILL');
          void this.#failed(slot, 'SPAWN_FAILED');
        }
        settle();
      }, READY_TIMEOUT_MS);
      child.on('message', (raw: unknown) => {
        const parsed = FromAgent.safeParse(raw);
        if (!parsed.success || slot.child !== child) return;
        const msg = parsed.data;
        slot.lastBeatMono = this.d.clock.monotonicMs();
        if (msg.type === 'ready') {
          slot.state = 'RUNNING';
          this.d.clock.clearTimeout(readyTimer);
          this.d.logger.info({ agent: slot.name, pid: msg.pid }, 'agent running');
          settle();
        } else if (msg.type === 'health') {
          slot.health = msg.health;
          this.d.onHealth?.(slot.name, msg.health);
        } else if (msg.type === 'kill') {
          void this.d.killSwitch(msg.reason, msg.code as ErrorCode);
        } else if (msg.type === 'fatal') {
          this.d.logger.error({ agent: slot.name, error: msg.message }, 'agent failed to start');
        }
      });
      child.once('exit', (code, signal) => {
        this.d.clock.clearTimeout(readyTimer);
        settle();
        if (slot.child !== child) return;
        if (slot.expectingExit || this.#closing) {
          if (slot.state !== 'RESTARTING') slot.state = 'STOPPED';
          return;
        }
        this.d.logger.error({ agent: slot.name, code, signal }, 'agent process exited unexpectedly');
        void this.#failed(slot, 'EXIT');
      });
      child.send({ type: 'init', agent: slot.name, config: this.d.config });
    });
  }

  async #failed(slot: Slot, cause: CrashCause): Promise<void> {
    if (slot.recovering || this.#closing) return;
    slot.recovering = true;
    try {
      const decision = onAgentFailure(slot.name, cause, slot.restarts, this.d.params);
      if (decision.action === 'KILL_SWITCH') {
        slot.state = 'CRASHED';
        const code: ErrorCode =
          cause === 'HEARTBEAT_MISSED' ? 'AGENT_HEARTBEAT_MISSED' : 'AGENT_RESTART_FAILED';
        await this.d.killSwitch(decision.reason, code);
        return;
      }
      slot.state = 'RESTARTING';
      await this.d
        .cancelOpenOrders(`agent ${slot.name} crashed (${cause})`)
        .catch((err: unknown) => this.d.logger.error({ err }, 'cancel before restart failed'));
      await this.d.clock.sleep(decision.afterMs);
      if (this.#closing) return;
      slot.restarts = decision.attempt;
      this.d.logger.warn({ agent: slot.name, attempt: decision.attempt }, 'restarting agent');
    } finally {
      slot.recovering = false;
    }
    // Outside the recovering window: a restart that crashes again is the next failure.
    await this.#spawn(slot);
    if ((slot.state as AgentStatus['state']) === 'RUNNING') this.d.onRestarted?.(slot.name, slot.restarts);
  }
}
