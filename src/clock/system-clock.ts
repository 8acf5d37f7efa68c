import { type Clock, sleepOn, type TimerHandle } from './clock.js';

/**
 * Real time. `monotonicMs` is the host's CLOCK_MONOTONIC (`process.hrtime`), which is shared by every
 * process on the machine, so leases and deadlines written to SQLite by one process can be compared by
 * another. It restarts at boot: stores treat a deadline further ahead than its maximum span as expired.
 */
export class SystemClock implements Clock {
  readonly #timers = new Map<number, NodeJS.Timeout>();
  #nextId = 1;

  monotonicMs(): number {
    return Number(process.hrtime.bigint()) / 1e6;
  }

  wallMs(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    const t = setTimeout(
      () => {
        this.#timers.delete(id);
        fn();
      },
      Math.max(0, ms),
    );
    // Business timers must never keep a stopping process alive on their own.
    t.unref();
    this.#timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const t = this.#timers.get(handle.id);
    if (t) clearTimeout(t);
    this.#timers.delete(handle.id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

/** Real wall-clock sleep, for I/O back-off outside business logic (e.g. tests waiting on sockets). */
export function realDelay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
