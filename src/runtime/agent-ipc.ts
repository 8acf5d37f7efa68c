import { z } from 'zod';
import { AgentName } from '../contracts/index.js';

/**
 * The supervisor ↔ agent-process channel (Node's fork IPC). The bus carries telemetry between
 * agents; this channel carries what the supervisor must not lose: lifecycle, health, and kill
 * switch requests. The config travels here, never on a command line or in the environment.
 */
export const ToAgent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('init'), agent: AgentName, config: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('stop') }),
]);
export type ToAgent = z.infer<typeof ToAgent>;

export const FromAgent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number().int().positive() }),
  /** Liveness and what the agent reports about itself, every second. */
  z.object({ type: z.literal('health'), health: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('kill'), reason: z.string(), code: z.string() }),
  z.object({ type: z.literal('stopped') }),
  z.object({ type: z.literal('fatal'), message: z.string() }),
]);
export type FromAgent = z.infer<typeof FromAgent>;

export const HEALTH_INTERVAL_MS = 1_000;
