import type { Clock, TimerHandle } from '../clock/index.js';
import { type Logger, silentLogger } from '../log/index.js';
import { FeedClient, type FeedClientOptions } from './feed-client.js';
import type { FeedMode, Instrument, Tick } from './feed-protocol.js';
import { QuoteCache } from './quote-cache.js';
import { type FeedRole, ROLE_MODE } from './roles.js';

export type FeedEndpoint = 'primary' | 'fallback';
export type ActiveFeed = FeedEndpoint | 'none';

export interface FeedHealth {
  readonly active: ActiveFeed;
  readonly primaryUp: boolean;
  readonly fallbackUp: boolean;
  readonly primaryFrozen: boolean;
  readonly fallbackFrozen: boolean;
  /** Switches to the fallback since 00:00 IST (plan §13: > 3 a day is CRITICAL). */
  readonly failoversToday: number;
  readonly failoversTotal: number;
  readonly lastSwitchMonoMs: number | undefined;
}

export interface FeedSwitch {
  readonly from: ActiveFeed;
  readonly to: FeedEndpoint;
  readonly reason: string;
  readonly atMonoMs: number;
  readonly atWallMs: number;
}

export interface FeedManagerOptions {
  readonly primaryUrl: string;
  readonly fallbackUrl?: string;
  readonly apiKey: string;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Ticks of the active feed land here; one is created when not given. */
  readonly cache?: QuoteCache;
  /** §4 FEED_SWITCHING: orders are blocked this long after a switch (config.freshness.feedSwitchCooldownMs). */
  readonly switchCooldownMs?: number;
  /**
   * A connected, subscribed feed that has delivered no tick for this long while the other endpoint
   * ticked within the same span is frozen, and is treated as down.
   */
  readonly frozenAfterMs?: number;
  /** The primary must stay healthy this long before traffic moves back to it (no flapping). */
  readonly recoveryStableMs?: number;
  /** At start, wait this long for the primary before settling on the fallback. */
  readonly startupGraceMs?: number;
  /** Period of the health check that catches frozen feeds and recoveries. */
  readonly checkIntervalMs?: number;
  /** Options passed to both FeedClients (payload cap, back-off, heartbeat…). */
  readonly client?: Partial<Omit<FeedClientOptions, 'url' | 'apiKey' | 'clock' | 'logger' | 'name'>>;
  readonly onSwitch?: (e: FeedSwitch) => void;
  /** Failover counter metric: called with the running totals on every switch to the fallback. */
  readonly onFailover?: (counts: { today: number; total: number }, e: FeedSwitch) => void;
  readonly onHealthChange?: (h: FeedHealth) => void;
}

export const FEED_SWITCH_COOLDOWN_MS = 30_000;
const DEFAULT_FROZEN_AFTER_MS = 2_000;
const DEFAULT_RECOVERY_STABLE_MS = 5_000;
const DEFAULT_STARTUP_GRACE_MS = 1_000;
const DEFAULT_CHECK_INTERVAL_MS = 100;
const DAY_MS = 86_400_000;
const IST_OFFSET_MS = 330 * 60_000;

/**
 * Primary + fallback OpenAlgo feeds (plan ws_data_manager, §4, §14). Both connections are kept warm —
 * connected, authenticated and subscribed — so a switch is a change of which one feeds the cache, done
 * in the same turn as the loss is seen (close/error), or within one health check for a frozen feed.
 * Every switch (either direction) records its monotonic time; `isSwitching()` is the FEED_SWITCHING
 * gate's input. With both feeds down `health().active` is `none`.
 */
export class FeedManager {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #primary: FeedClient;
  readonly #fallback: FeedClient | undefined;
  readonly #cache: QuoteCache;
  readonly #cooldownMs: number;
  readonly #frozenAfterMs: number;
  readonly #recoveryStableMs: number;
  readonly #startupGraceMs: number;
  readonly #checkIntervalMs: number;
  readonly #opts: FeedManagerOptions;
  readonly #tickListeners = new Set<(t: Tick) => void>();
  readonly #switchListeners = new Set<(e: FeedSwitch) => void>();
  #active: ActiveFeed = 'none';
  /** The endpoint whose ticks last fed the cache: moving away from it is a switch. */
  #lastSource: FeedEndpoint | undefined;
  #lastSwitchMonoMs: number | undefined;
  #primaryHealthySince: number | undefined;
  #startedAt: number | undefined;
  #failoversTotal = 0;
  #failoversToday = 0;
  #failoverDay: number | undefined;
  #timer: TimerHandle | undefined;
  #running = false;
  #lastHealthKey = '';

  constructor(opts: FeedManagerOptions) {
    this.#opts = opts;
    this.#clock = opts.clock;
    this.#log = (opts.logger ?? silentLogger()).child({ component: 'feed-manager' });
    this.#cache = opts.cache ?? new QuoteCache(opts.clock);
    this.#cooldownMs = opts.switchCooldownMs ?? FEED_SWITCH_COOLDOWN_MS;
    this.#frozenAfterMs = opts.frozenAfterMs ?? DEFAULT_FROZEN_AFTER_MS;
    this.#recoveryStableMs = opts.recoveryStableMs ?? DEFAULT_RECOVERY_STABLE_MS;
    this.#startupGraceMs = opts.startupGraceMs ?? DEFAULT_STARTUP_GRACE_MS;
    this.#checkIntervalMs = opts.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
    const mk = (url: string, name: FeedEndpoint) =>
      new FeedClient({
        ...opts.client,
        url,
        apiKey: opts.apiKey,
        clock: opts.clock,
        name,
        ...(opts.logger ? { logger: opts.logger } : {}),
      });
    this.#primary = mk(opts.primaryUrl, 'primary');
    this.#fallback = opts.fallbackUrl ? mk(opts.fallbackUrl, 'fallback') : undefined;
    for (const c of this.#clients()) {
      c.onTick((t) => this.#onTick(c.name as FeedEndpoint, t));
      c.onStateChange(() => this.#evaluate());
    }
  }

  get cache(): QuoteCache {
    return this.#cache;
  }

  get primary(): FeedClient {
    return this.#primary;
  }

  get fallback(): FeedClient | undefined {
    return this.#fallback;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt = this.#clock.monotonicMs();
    for (const c of this.#clients()) c.start();
    this.#scheduleCheck();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.all(this.#clients().map((c) => c.stop()));
    this.#active = 'none';
  }

  /** Subscribes both connections at the role's mode (Regime/Sniper → QUOTE, Execution → DEPTH). */
  subscribe(role: FeedRole, instruments: readonly Instrument[]): void {
    this.subscribeMode(ROLE_MODE[role], instruments);
  }

  subscribeMode(mode: FeedMode, instruments: readonly Instrument[]): void {
    for (const c of this.#clients()) c.subscribe(instruments, mode);
  }

  unsubscribe(mode: FeedMode, instruments: readonly Instrument[]): void {
    for (const c of this.#clients()) c.unsubscribe(instruments, mode);
  }

  /** Ticks of the active feed only (already in the cache when called). */
  onTick(fn: (t: Tick) => void): () => void {
    this.#tickListeners.add(fn);
    return () => this.#tickListeners.delete(fn);
  }

  onSwitch(fn: (e: FeedSwitch) => void): () => void {
    this.#switchListeners.add(fn);
    return () => this.#switchListeners.delete(fn);
  }

  active(): ActiveFeed {
    return this.#active;
  }

  /** Monotonic ms of the last primary↔fallback switch; undefined if there was none. */
  lastSwitchMonoMs(): number | undefined {
    return this.#lastSwitchMonoMs;
  }

  /** True while the §4 cooldown after a switch runs: the FEED_SWITCHING gate blocks orders. */
  isSwitching(nowMonoMs = this.#clock.monotonicMs()): boolean {
    return this.#lastSwitchMonoMs !== undefined && nowMonoMs - this.#lastSwitchMonoMs < this.#cooldownMs;
  }

  health(): FeedHealth {
    this.#rollDay();
    const now = this.#clock.monotonicMs();
    return {
      active: this.#active,
      primaryUp: this.#healthy(this.#primary, this.#fallback, now),
      fallbackUp: this.#fallback ? this.#healthy(this.#fallback, this.#primary, now) : false,
      primaryFrozen: this.#frozen(this.#primary, this.#fallback, now),
      fallbackFrozen: this.#fallback ? this.#frozen(this.#fallback, this.#primary, now) : false,
      failoversToday: this.#failoversToday,
      failoversTotal: this.#failoversTotal,
      lastSwitchMonoMs: this.#lastSwitchMonoMs,
    };
  }

  /** The FEED_STATUS event payload (contracts FeedStatusPayload) for the supervisor to publish. */
  feedStatusPayload(reason: string): {
    active: ActiveFeed;
    primary_up: boolean;
    fallback_up: boolean;
    failovers_today: number;
    reason: string;
  } {
    const h = this.health();
    return {
      active: h.active,
      primary_up: h.primaryUp,
      fallback_up: h.fallbackUp,
      failovers_today: h.failoversToday,
      reason,
    };
  }

  #clients(): FeedClient[] {
    return this.#fallback ? [this.#primary, this.#fallback] : [this.#primary];
  }

  #client(e: FeedEndpoint): FeedClient | undefined {
    return e === 'primary' ? this.#primary : this.#fallback;
  }

  /**
   * Frozen: connected and subscribed, silent for `frozenAfterMs`, while the other endpoint ticked in
   * that span. Market silence alone is legal (illiquid or closed market), so silence on both is not.
   */
  #frozen(c: FeedClient, other: FeedClient | undefined, now: number): boolean {
    if (!c.isReady() || !other?.isReady()) return false;
    const otherTick = other.lastTickMonoMs();
    if (otherTick === undefined || now - otherTick >= this.#frozenAfterMs) return false;
    const since = Math.max(c.lastTickMonoMs() ?? Number.NEGATIVE_INFINITY, c.readySinceMonoMs() ?? now);
    return now - since >= this.#frozenAfterMs;
  }

  #healthy(c: FeedClient, other: FeedClient | undefined, now: number): boolean {
    return c.isReady() && !this.#frozen(c, other, now);
  }

  #onTick(source: FeedEndpoint, tick: Tick): void {
    if (source !== this.#active) return;
    this.#cache.update(tick);
    for (const fn of this.#tickListeners) {
      try {
        fn(tick);
      } catch (e) {
        this.#log.error({ err: e }, 'tick listener threw');
      }
    }
  }

  #scheduleCheck(): void {
    if (!this.#running) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#evaluate();
      this.#scheduleCheck();
    }, this.#checkIntervalMs);
  }

  #evaluate(): void {
    if (!this.#running) return;
    const now = this.#clock.monotonicMs();
    const pUp = this.#healthy(this.#primary, this.#fallback, now);
    const fUp = this.#fallback ? this.#healthy(this.#fallback, this.#primary, now) : false;
    if (pUp) this.#primaryHealthySince ??= now;
    else this.#primaryHealthySince = undefined;

    switch (this.#active) {
      case 'primary':
        if (!pUp) {
          if (fUp) this.#activate('fallback', this.#lossReason('primary', now), now);
          else this.#deactivate('primary and fallback both down', now);
        }
        break;
      case 'fallback':
        if (pUp && now - this.#primaryHealthySince! >= this.#recoveryStableMs) {
          this.#activate('primary', 'primary healthy again', now);
        } else if (!fUp) {
          if (pUp) this.#activate('primary', this.#lossReason('fallback', now), now);
          else this.#deactivate('primary and fallback both down', now);
        }
        break;
      case 'none':
        if (pUp) this.#activate('primary', 'primary up', now);
        else if (
          fUp &&
          (this.#lastSource !== undefined || now - (this.#startedAt ?? now) >= this.#startupGraceMs)
        ) {
          this.#activate('fallback', 'primary unavailable', now);
        }
        break;
    }
    this.#publishHealth();
  }

  #lossReason(e: FeedEndpoint, now: number): string {
    const c = this.#client(e)!;
    const other = this.#client(e === 'primary' ? 'fallback' : 'primary');
    if (c.isReady() && this.#frozen(c, other, now))
      return `${e} frozen (no tick for ${this.#frozenAfterMs} ms)`;
    return `${e} ${c.state()}${c.stats().lastError ? `: ${c.stats().lastError}` : ''}`;
  }

  #activate(to: FeedEndpoint, reason: string, now: number): void {
    const from = this.#active;
    this.#active = to;
    const isSwitch = this.#lastSource !== undefined && this.#lastSource !== to;
    this.#lastSource = to;
    if (!isSwitch) {
      this.#log.info({ active: to, reason }, 'feed active');
      return;
    }
    this.#lastSwitchMonoMs = now;
    const e: FeedSwitch = { from, to, reason, atMonoMs: now, atWallMs: this.#clock.wallMs() };
    this.#log.warn({ from, to, reason }, 'feed switched; orders blocked for the cooldown (FEED_SWITCHING)');
    if (to === 'fallback') {
      this.#rollDay();
      this.#failoversTotal++;
      this.#failoversToday++;
    }
    const call = (fn: ((e: FeedSwitch) => void) | undefined) => {
      try {
        fn?.(e);
      } catch (err) {
        this.#log.error({ err }, 'switch listener threw');
      }
    };
    call(this.#opts.onSwitch);
    for (const fn of this.#switchListeners) call(fn);
    if (to === 'fallback') {
      try {
        this.#opts.onFailover?.({ today: this.#failoversToday, total: this.#failoversTotal }, e);
      } catch (err) {
        this.#log.error({ err }, 'failover listener threw');
      }
    }
  }

  #deactivate(reason: string, _now: number): void {
    if (this.#active === 'none') return;
    this.#active = 'none';
    this.#log.error({ reason }, 'no market feed available (FEED_DOWN)');
  }

  #rollDay(): void {
    const day = Math.floor((this.#clock.wallMs() + IST_OFFSET_MS) / DAY_MS);
    if (this.#failoverDay !== day) {
      this.#failoverDay = day;
      this.#failoversToday = 0;
    }
  }

  #publishHealth(): void {
    const cb = this.#opts.onHealthChange;
    if (!cb) return;
    const h = this.health();
    const k = `${h.active}|${h.primaryUp}|${h.fallbackUp}|${h.failoversToday}`;
    if (k === this.#lastHealthKey) return;
    this.#lastHealthKey = k;
    try {
      cb(h);
    } catch (err) {
      this.#log.error({ err }, 'health listener threw');
    }
  }
}
