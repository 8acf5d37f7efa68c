import type { AlertLevelName } from '../contracts/index.js';
import { type AlertPayload, formatAlert, formatRepeat, formatSummary, mostSevere } from './format.js';

/** Telegram rates are per minute. */
export const ALERT_RATE_WINDOW_MS = 60_000;
/** Distinct alerts remembered for de-duplication; beyond it the oldest windows are closed early. */
const MAX_DEDUP_KEYS = 1_000;

export interface Outgoing {
  readonly level: AlertLevelName;
  readonly text: string;
  readonly kind: 'alert' | 'repeat' | 'summary';
}

export interface AlertGateOptions {
  /** Same code + message inside this window: sent once, the repeat count follows when it closes. */
  readonly dedupWindowMs: number;
  /** Messages per rolling minute; the rest wait and go out as one summary. */
  readonly maxPerMinute: number;
  readonly rateWindowMs?: number;
}

interface DedupEntry {
  readonly alert: AlertPayload;
  readonly closesAt: number;
  repeats: number;
}

/**
 * Pure decision of what reaches the phone (no I/O; time is passed in): de-duplication, then a
 * moving-window rate limit whose overflow is batched into one summary, so a flapping feed costs a
 * handful of messages, not hundreds. Order is kept: once anything is held, later messages join the
 * batch until a slot frees.
 */
export class AlertGate {
  readonly #opts: Required<AlertGateOptions>;
  readonly #dedup = new Map<string, DedupEntry>();
  readonly #sent: number[] = [];
  #held: Outgoing[] = [];
  #suppressed = 0;

  constructor(opts: AlertGateOptions) {
    this.#opts = { rateWindowMs: ALERT_RATE_WINDOW_MS, ...opts };
  }

  /** Alerts de-duplicated since start (not counting the later repeat notes). */
  get suppressed(): number {
    return this.#suppressed;
  }

  get heldCount(): number {
    return this.#held.length;
  }

  /** An alert arrives at monotonic `now`; returns what to send right away. */
  offer(alert: AlertPayload, now: number): Outgoing[] {
    const candidates = this.#closeDue(now);
    if (this.#opts.dedupWindowMs > 0) {
      const key = `${alert.code}\u0000${alert.message}`;
      const seen = this.#dedup.get(key);
      if (seen && now < seen.closesAt) {
        seen.repeats++;
        this.#suppressed++;
        return this.#release(candidates, now);
      }
      if (this.#dedup.size >= MAX_DEDUP_KEYS) this.#closeOldest(candidates);
      this.#dedup.set(key, { alert, closesAt: now + this.#opts.dedupWindowMs, repeats: 0 });
    }
    candidates.push({ level: alert.level, text: formatAlert(alert), kind: 'alert' });
    return this.#release(candidates, now);
  }

  /** Closes due de-dup windows (their repeat counts) and releases the held batch when a slot is free. */
  tick(now: number): Outgoing[] {
    return this.#release(this.#closeDue(now), now);
  }

  /** Monotonic time at which `tick` has something to do, or null. */
  nextDueMs(): number | null {
    let due: number | null = null;
    for (const e of this.#dedup.values()) {
      if (e.repeats > 0 && (due === null || e.closesAt < due)) due = e.closesAt;
    }
    if (this.#held.length > 0) {
      // A slot frees when the oldest counted send leaves the window (at once if none is counted).
      const slot = this.#sent.length > 0 ? this.#sent[0]! + this.#opts.rateWindowMs : 0;
      if (due === null || slot < due) due = slot;
    }
    return due;
  }

  #repeat(e: DedupEntry): Outgoing {
    return {
      level: e.alert.level,
      text: formatRepeat(e.alert, e.repeats, this.#opts.dedupWindowMs),
      kind: 'repeat',
    };
  }

  /** Repeat notes of the de-dup windows that closed by `now`. */
  #closeDue(now: number): Outgoing[] {
    const out: Outgoing[] = [];
    for (const [key, e] of this.#dedup) {
      if (now < e.closesAt) continue;
      this.#dedup.delete(key);
      if (e.repeats > 0) out.push(this.#repeat(e));
    }
    return out;
  }

  /**
   * Sends candidates while slots are free and nothing waits; the rest join the held batch, which
   * leaves as one message as soon as a slot is free — with anything that arrived meanwhile, so an
   * urgent alert behind the batch does not wait another minute.
   */
  #release(candidates: Outgoing[], now: number): Outgoing[] {
    const out: Outgoing[] = [];
    this.#pruneSent(now);
    for (const c of candidates) {
      if (this.#held.length === 0 && this.#sent.length < this.#opts.maxPerMinute) {
        this.#sent.push(now);
        out.push(c);
      } else {
        this.#held.push(c);
      }
    }
    if (this.#held.length > 0 && this.#sent.length < this.#opts.maxPerMinute) this.#flushHeld(now, out);
    return out;
  }

  #flushHeld(now: number, out: Outgoing[]): void {
    const held = this.#held;
    this.#held = [];
    this.#sent.push(now);
    // A single held message goes out as itself; two or more become one summary.
    out.push(
      held.length === 1
        ? held[0]!
        : {
            level: mostSevere(held.map((h) => h.level)),
            text: formatSummary(held, this.#opts.maxPerMinute),
            kind: 'summary',
          },
    );
  }

  #closeOldest(out: Outgoing[]): void {
    const first = this.#dedup.entries().next().value;
    if (!first) return;
    this.#dedup.delete(first[0]);
    if (first[1].repeats > 0) out.push(this.#repeat(first[1]));
  }

  #pruneSent(now: number): void {
    let drop = 0;
    while (drop < this.#sent.length && this.#sent[drop]! <= now - this.#opts.rateWindowMs) drop++;
    if (drop) this.#sent.splice(0, drop);
  }
}
