import { type Clock, sleepOn, type TimerHandle } from './clock.js';

interface Timer {
  id: number;
  due: number;
  seq: number;
  fn: () => void;
}

/**
 * Deterministic time for replay and tests. Time moves only through `advance`/`advanceAsync`;
 * timers fire in due order (ties in scheduling order), including timers scheduled while advancing.
 */
export class VirtualClock implements Clock {
  #mono: number;
  #wall: number;
  #seq = 0;
  #nextId = 1;
  #timers: Timer[] = [];

  constructor(opts: { monotonicMs?: number; wallMs?: number } = {}) {
    this.#mono = opts.monotonicMs ?? 0;
    this.#wall = opts.wallMs ?? Date.UTC(2026, 0, 5, 3, 45, 0); // 09:15 IST on a Monday
  }

  monotonicMs(): number {
    return this.#mono;
  }

  wallMs(): number {
    return this.#wall;
  }

  /** Simulates an NTP/DST wall-clock jump: wall time moves, monotonic time does not (§12). */
  jumpWall(deltaMs: number): void {
    this.#wall += deltaMs;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { id: this.#nextId++, due: this.#mono + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle.id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  pendingTimers(): number {
    return this.#timers.length;
  }

  #popDue(until: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers) {
      if (t.due > until) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    if (best) this.#timers = this.#timers.filter((t) => t !== best);
    return best;
  }

  #moveTo(target: number): void {
    const delta = target - this.#mono;
    if (delta > 0) {
      this.#mono = target;
      this.#wall += delta;
    }
  }

  /** Advances synchronously, firing due timers in order. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('VirtualClock cannot go backwards');
    const until = this.#mono + ms;
    for (let t = this.#popDue(until); t; t = this.#popDue(until)) {
      this.#moveTo(t.due);
      t.fn();
    }
    this.#moveTo(until);
  }

  /**
   * Advances like `advance`, but lets promise continuations run after each timer, so async loops
   * (`await clock.sleep()`) progress exactly as they would in real time.
   */
  async advanceAsync(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError('VirtualClock cannot go backwards');
    const until = this.#mono + ms;
    await flushMicrotasks();
    for (let t = this.#popDue(until); t; t = this.#popDue(until)) {
      this.#moveTo(t.due);
      t.fn();
      await flushMicrotasks();
    }
    this.#moveTo(until);
    await flushMicrotasks();
  }
}

/** Lets every queued promise continuation run (several turns, for chains of awaits). */
export async function flushMicrotasks(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
