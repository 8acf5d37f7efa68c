import pino, { type DestinationStream, type Logger } from 'pino';
import { Redactor } from '../contracts/redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Secret values (API keys, tokens) to scrub from every line, wherever they appear. */
  secrets?: ReadonlyArray<string | undefined>;
  destination?: DestinationStream;
}

/**
 * One pino logger per process (§10): every object logged passes through the masking policy, and
 * every message string is scrubbed of configured secret values.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const redactor = new Redactor(opts.secrets ?? []);
  return pino(
    {
      name: opts.name,
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      formatters: { log: (obj) => redactor.redact(obj) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? redactor.scrubString(a) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      serializers: { err: (e: unknown) => redactor.redact(e instanceof Error ? e : { value: e }) },
    },
    // Synchronous: the last lines before a crash or exit are the ones that matter.
    opts.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** A logger that writes nowhere, for tests that do not inspect logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
