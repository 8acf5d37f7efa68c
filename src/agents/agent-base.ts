import type { Bus, Topics } from '../bus/bus.js';
import type { Clock, TimerHandle } from '../clock/index.js';
import {
  type AgentName,
  type EventBase,
  type EventOf,
  type EventType,
  makeEvent,
  type PayloadOf,
  type TomicEvent,
} from '../contracts/index.js';
import type { Logger } from '../log/index.js';

export interface AgentContext {
  readonly name: AgentName;
  readonly clock: Clock;
  readonly bus: Bus;
  readonly logger: Logger;
  /** HEARTBEAT period (config.agents.heartbeatIntervalMs; the plan's 60 s). */
  readonly heartbeatIntervalMs: number;
  /** Process id reported in heartbeats (the in-process replay uses the host's pid). */
  readonly pid?: number;
}

export type AgentStatus = 'IDLE' | 'STARTING' | 'RUNNING' | 'STOPPING' | 'STOPPED';

/**
 * Plan `agent_base`: the lifecycle every agent shares. The same class runs in its own process
 * (live, forked by the supervisor) or in-process on a VirtualClock (replay, tests): all time, I/O
 * and messaging come from the injected context.
 *
 * Subclasses declare their `topics`, react in `onEvent`, and may run a long loop in `run(signal)`;
 * `stop()` aborts the signal and resolves once that loop has ended.
 */
export abstract class Agent {
  protected readonly clock: Clock;
  protected readonly bus: Bus;
  protected readonly log: Logger;
  readonly name: AgentName;
  #status: AgentStatus = 'IDLE';
  #seq = 0;
  #startedMono = 0;
  #timer: TimerHandle | undefined;
  #unsubscribe: (() => void) | undefined;
  #ac: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(protected readonly ctx: AgentContext) {
    this.clock = ctx.clock;
    this.bus = ctx.bus;
    this.log = ctx.logger;
    this.name = ctx.name;
  }

  /** Event types this agent reacts to; none by default. */
  protected readonly topics: Topics = [];

  /** Called for each subscribed event. Errors are logged; the agent keeps running. */
  protected onEvent(_event: TomicEvent): void | Promise<void> {}

  /** The agent's main loop, if it has one. Must return soon after `signal` aborts. */
  protected async run(_signal: AbortSignal): Promise<void> {}

  /** Releases what the agent holds (feeds, sockets) after its loop has ended. */
  protected async cleanup(): Promise<void> {}

  get status(): AgentStatus {
    return this.#status;
  }

  async start(): Promise<void> {
    if (this.#status !== 'IDLE' && this.#status !== 'STOPPED') return;
    this.#status = 'STARTING';
    this.#startedMono = this.clock.monotonicMs();
    this.#ac = new AbortController();
    if (this.topics === '*' || this.topics.length > 0) {
      this.#unsubscribe = this.bus.subscribe(this.topics, (e) => this.#dispatch(e));
    }
    this.heartbeat();
    this.#scheduleHeartbeat();
    const signal = this.#ac.signal;
    this.#loop = this.run(signal).catch((err: unknown) => {
      if (!signal.aborted) this.log.error({ err }, `${this.name} loop ended with an error`);
    });
    this.#status = 'RUNNING';
  }

  /** Aborts the loop and resolves once it has ended (Safe Shutdown waits on this). */
  async stop(): Promise<void> {
    if (this.#status !== 'RUNNING' && this.#status !== 'STARTING') return;
    this.#status = 'STOPPING';
    this.heartbeat();
    this.#unsubscribe?.();
    if (this.#timer) this.clock.clearTimeout(this.#timer);
    this.#ac?.abort();
    await this.#loop;
    await this.cleanup();
    this.#status = 'STOPPED';
  }

  /** Publishes a HEARTBEAT now (also every `heartbeatIntervalMs` while running). */
  heartbeat(): void {
    const status =
      this.#status === 'STOPPING' ? 'STOPPING' : this.#status === 'RUNNING' ? 'RUNNING' : 'STARTING';
    this.publish('HEARTBEAT', {
      agent: this.name,
      pid: this.ctx.pid ?? process.pid,
      seq: this.#seq++,
      uptime_ms: Math.max(0, this.clock.monotonicMs() - this.#startedMono),
      status,
    });
  }

  /** Builds, validates and publishes an event from this agent (best effort, §2). */
  protected publish<T extends EventType>(
    type: T,
    payload: PayloadOf<T>,
    base: Omit<EventBase, 'source_agent'> = {},
  ): EventOf<T> {
    const event = makeEvent(this.clock, type, { ...base, source_agent: this.name }, payload);
    this.bus.publish(event as TomicEvent);
    return event;
  }

  #scheduleHeartbeat(): void {
    this.#timer = this.clock.setTimeout(() => {
      if (this.#status !== 'RUNNING') return;
      this.heartbeat();
      this.#scheduleHeartbeat();
    }, this.ctx.heartbeatIntervalMs);
  }

  #dispatch(event: TomicEvent): void {
    if (this.#status !== 'RUNNING' && this.#status !== 'STARTING') return;
    try {
      const r = this.onEvent(event);
      if (r instanceof Promise) {
        r.catch((err: unknown) => this.log.error({ err, event_type: event.event_type }, 'onEvent failed'));
      }
    } catch (err) {
      this.log.error({ err, event_type: event.event_type }, 'onEvent failed');
    }
  }
}
