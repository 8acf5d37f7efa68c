import type { FaultController, Faults, FeedState } from './types.js';

export const NO_FAULTS: Readonly<Faults> = Object.freeze({
  primaryFeed: 'up',
  fallbackFeed: 'up',
  restDelayMs: 0,
  rejectNext: 0,
  rateLimitNext: 0,
  timeoutAfterAcceptNext: 0,
  restDown: false,
});

const FEED_STATES: readonly FeedState[] = ['up', 'down', 'frozen'];
const COUNTERS = ['restDelayMs', 'rejectNext', 'rateLimitNext', 'timeoutAfterAcceptNext'] as const;

/** Checks a partial fault set from an untrusted source (the admin endpoint); undefined when valid. */
export function faultErrors(f: Record<string, unknown>): string | undefined {
  for (const [k, v] of Object.entries(f)) {
    if (k === 'primaryFeed' || k === 'fallbackFeed') {
      if (!FEED_STATES.includes(v as FeedState)) return `${k} must be one of: up, down, frozen`;
    } else if ((COUNTERS as readonly string[]).includes(k)) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        return `${k} must be a non-negative integer`;
    } else if (k === 'restDown') {
      if (typeof v !== 'boolean') return 'restDown must be a boolean';
    } else return `unknown fault ${k}`;
  }
  return undefined;
}

/**
 * Fault injection state. Counters (`rejectNext` …) are consumed one per affected request; listeners
 * (feeds, REST listener) react to changes at once.
 */
export class FaultState implements FaultController {
  #f: Faults = { ...NO_FAULTS };
  readonly #listeners: ((f: Faults, prev: Faults) => void)[] = [];
  #restart: () => Promise<void> = async () => {};

  constructor(initial?: Partial<Faults>) {
    if (initial) this.set(initial);
  }

  onChange(l: (f: Faults, prev: Faults) => void): void {
    this.#listeners.push(l);
  }

  onRestart(fn: () => Promise<void>): void {
    this.#restart = fn;
  }

  set(f: Partial<Faults>): void {
    const err = faultErrors(f as Record<string, unknown>);
    if (err) throw new TypeError(err);
    const prev = this.#f;
    this.#f = { ...prev, ...f };
    for (const l of this.#listeners) l(this.get(), prev);
  }

  clear(): void {
    this.set({ ...NO_FAULTS });
  }

  get(): Faults {
    return { ...this.#f };
  }

  restart(): Promise<void> {
    return this.#restart();
  }

  /** Consumes one unit of a counter; true when the fault applies to this request. */
  take(counter: 'rejectNext' | 'rateLimitNext' | 'timeoutAfterAcceptNext'): boolean {
    if (this.#f[counter] <= 0) return false;
    this.#f = { ...this.#f, [counter]: this.#f[counter] - 1 };
    return true;
  }

  get current(): Readonly<Faults> {
    return this.#f;
  }
}
