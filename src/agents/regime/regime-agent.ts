import type { Config } from '../../config/index.js';
import { type ErrorCode, isErrorCode } from '../../contracts/index.js';
import type { ChainParams } from '../../quant/chain/index.js';
import type { AtomicRegimeState, RegimeUpdate, RegimeUpdateInput } from '../../store/regime-state.js';
import { Agent, type AgentContext } from '../agent-base.js';
import { BarBuilder, type ClosedBar } from './bar-builder.js';
import type { RegimePorts, RegimeTick } from './ports.js';
import { chainAnalytics, RegimeEngine, warmupBars } from './regime-engine.js';

/**
 * The ALERT code of a regime class change. The registry has no regime code yet (the lead adds
 * `REGIME_CHANGE`); until then the §13 metric-threshold code carries the [REGIME] alert.
 */
const WANTED_ALERT_CODE: string = 'REGIME_CHANGE';
export const REGIME_ALERT_CODE: ErrorCode = isErrorCode(WANTED_ALERT_CODE)
  ? WANTED_ALERT_CODE
  : 'METRIC_THRESHOLD';

/** Late ticks of a bar are still taken this long after its end before the timer closes it. */
export const DEFAULT_BAR_GRACE_MS = 2_000;

export interface RegimeAgentOptions {
  /** Underlyings to classify, e.g. ['NIFTY', 'BANKNIFTY']; one engine each. */
  readonly underlyings: readonly string[];
  /** India VIX symbol on the feed (default 'INDIAVIX'). */
  readonly vixSymbol?: string;
  readonly regime: Config['regime'];
  readonly freshness: Config['freshness'];
  readonly ports: RegimePorts;
  /** §8 AtomicRegimeState, opened by the caller as the single writer (the caller releases it). */
  readonly state: AtomicRegimeState;
  /** How often the option chain is fetched for PCR / GEX / Max Pain. */
  readonly chainIntervalMs: number;
  /** See DEFAULT_BAR_GRACE_MS. */
  readonly barGraceMs?: number;
  /** Extra pricing inputs for GEX per underlying (e.g. `unitsPerOi`); `wallMs` is market time. */
  readonly chainParams?: (underlying: string) => ChainParams;
  readonly alertCode?: ErrorCode;
}

interface Slot {
  readonly engine: RegimeEngine;
  readonly builder: BarBuilder;
  /** Bars closed by ticks before the warm-up finished, applied after it (in order). */
  pending: ClosedBar[] | null;
  /** `regime|flags` of the last published update: unchanged decisions are not republished. */
  lastKey: string | null;
  lastRegime: RegimeUpdate['regime'] | null;
  latest: RegimeUpdate | null;
}

/**
 * Plan Phase 2 `regime_agent`: builds bars from the underlying's QUOTE ticks, classifies each closed
 * bar (regime-rules.ts), and — when the class or the flags change — writes the AtomicRegimeState
 * (single writer, §8) and publishes REGIME_UPDATE carrying the state's version, plus an ALERT at level
 * REGIME when the class changes. India VIX ticks feed every engine (a VIX threshold crossing is
 * evaluated at once rather than at the next bar); the chain is fetched every `chainIntervalMs` for the
 * secondary PCR / GEX / Max Pain confirmation.
 */
export class RegimeAgent extends Agent {
  readonly #opts: RegimeAgentOptions;
  readonly #slots = new Map<string, Slot>();
  readonly #vixSymbol: string;
  readonly #interval: number;
  readonly #grace: number;
  #unsubscribe: (() => void) | undefined;
  /** Newest tick time seen (exchange axis) and the monotonic time it arrived: the market's clock. */
  #lastTickMs = Number.NEGATIVE_INFINITY;
  #lastTickMono = 0;

  constructor(ctx: AgentContext, opts: RegimeAgentOptions) {
    super(ctx);
    if (opts.underlyings.length === 0) throw new RangeError('RegimeAgent: no underlyings');
    this.#opts = opts;
    this.#vixSymbol = opts.vixSymbol ?? 'INDIAVIX';
    this.#interval = opts.regime.barIntervalMs;
    this.#grace = opts.barGraceMs ?? DEFAULT_BAR_GRACE_MS;
    const persisted = opts.state.readSnapshot().regimes;
    for (const u of opts.underlyings) {
      this.#slots.set(u, {
        engine: new RegimeEngine(u, opts.regime, opts.freshness),
        builder: new BarBuilder(this.#interval),
        pending: [],
        lastKey: null,
        // A restart compares against the class last written, so a change across it still alerts.
        lastRegime: persisted[u]?.regime ?? null,
        latest: null,
      });
    }
  }

  /** The last update this agent published for `underlying`. */
  latest(underlying: string): RegimeUpdate | null {
    return this.#slots.get(underlying)?.latest ?? null;
  }

  /** The engine of `underlying` (diagnostics and tests). */
  engine(underlying: string): RegimeEngine | undefined {
    return this.#slots.get(underlying)?.engine;
  }

  protected override async run(signal: AbortSignal): Promise<void> {
    const symbols = [...this.#slots.keys(), this.#vixSymbol];
    this.#unsubscribe = this.#opts.ports.subscribeTicks(symbols, (t) => this.#onTick(t));
    await this.#warmUp(signal);
    if (signal.aborted) return;
    await this.#fetchChains(signal);
    for (const u of this.#slots.keys()) this.#publishIfChanged(u);
    await Promise.all([this.#barLoop(signal), this.#chainLoop(signal)]);
  }

  protected override async cleanup(): Promise<void> {
    // The FeedManager's subscriptions are shared and not reference counted: only our listener goes.
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  async #warmUp(signal: AbortSignal): Promise<void> {
    const count = warmupBars(this.#opts.regime) * 2;
    for (const [u, slot] of this.#slots) {
      let seededEnd = Number.NEGATIVE_INFINITY;
      try {
        const bars = await this.#opts.ports.history(u, this.#interval, count, signal);
        slot.engine.seed(bars.map((b) => ({ ...b, startMs: b.timeMs })));
        const last = bars[bars.length - 1];
        if (last) {
          seededEnd = last.timeMs + this.#interval;
          slot.builder.skipUntil(seededEnd);
        }
        this.log.info({ underlying: u, bars: bars.length, warm: slot.engine.warm }, 'regime warm-up');
      } catch (err) {
        if (signal.aborted) return;
        this.log.warn({ err, underlying: u }, 'regime warm-up history failed; warming from live bars');
      }
      // Bars the ticks closed meanwhile: those the history already held are copies.
      const queued = slot.pending ?? [];
      slot.pending = null;
      for (const b of queued) if (b.startMs >= seededEnd) slot.engine.onBar(b);
    }
    try {
      const vix = await this.#opts.ports.history(this.#vixSymbol, this.#interval, 1, signal);
      const last = vix[vix.length - 1];
      if (last) {
        // Stamp the historical VIX with its real age so the §4 VIX gate judges it honestly.
        const ageMs = Math.max(0, this.#marketNow() - (last.timeMs + this.#interval));
        const mono = this.clock.monotonicMs() - ageMs;
        for (const slot of this.#slots.values()) slot.engine.onVix(last.close, mono);
      }
    } catch (err) {
      if (signal.aborted) return;
      this.log.warn({ err }, 'regime warm-up VIX history failed');
    }
  }

  #onTick(t: RegimeTick): void {
    // Called from the feed's listener loop: nothing here may throw into it.
    try {
      if (Number.isFinite(t.timeMs) && t.timeMs >= this.#lastTickMs) {
        this.#lastTickMs = t.timeMs;
        this.#lastTickMono = t.monoMs;
      }
      if (t.symbol === this.#vixSymbol) {
        for (const [u, slot] of this.#slots) {
          if (slot.engine.onVix(t.price, t.monoMs) && slot.pending === null) this.#publishIfChanged(u);
        }
        return;
      }
      const slot = this.#slots.get(t.symbol);
      if (!slot) return;
      const bar = slot.builder.onTick(t.price, t.timeMs);
      if (bar) this.#onBar(t.symbol, slot, bar);
    } catch (err) {
      this.log.error({ err, symbol: t.symbol }, 'regime tick handling failed');
    }
  }

  #onBar(underlying: string, slot: Slot, bar: ClosedBar): void {
    if (slot.pending !== null) {
      slot.pending.push(bar);
      return;
    }
    if (slot.engine.onBar(bar)) this.#publishIfChanged(underlying);
  }

  #publishIfChanged(underlying: string): void {
    const slot = this.#slots.get(underlying);
    if (!slot) return;
    let update: RegimeUpdateInput | null;
    try {
      update = slot.engine.evaluate(this.clock.monotonicMs());
    } catch (err) {
      this.log.error({ err, underlying }, 'regime evaluation failed');
      return;
    }
    if (update === null) return;
    const key = `${update.regime}|${update.flags.join(',')}`;
    if (key === slot.lastKey) return;
    const w = this.#opts.state.write(update);
    if (!w.ok) {
      // Lost the single-writer lock (or a malformed payload): publishing an unversioned regime would
      // let readers act on a state nobody recorded.
      this.log.error(
        { code: w.code, details: w.details, underlying },
        `regime state write refused: ${w.message}`,
      );
      return;
    }
    const written = w.updates[0]!;
    slot.lastKey = key;
    slot.latest = written;
    this.publish('REGIME_UPDATE', written);
    const prev = slot.lastRegime;
    slot.lastRegime = written.regime;
    if (prev !== null && prev !== written.regime) {
      this.publish('ALERT', {
        level: 'REGIME',
        code: this.#opts.alertCode ?? REGIME_ALERT_CODE,
        message: `${underlying} regime ${prev} → ${written.regime}`,
        details: {
          underlying,
          from: prev,
          to: written.regime,
          version: written.version,
          score: written.score,
          flags: written.flags,
        },
      });
    }
  }

  /** Closes bars whose end (plus the grace) has passed without a tick of the next interval. */
  async #barLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const now = this.#marketNow();
      for (const [u, slot] of this.#slots) {
        const bar = slot.builder.flush(now - this.#grace);
        if (bar) this.#onBar(u, slot, bar);
      }
      const nextEnd = slot0(this.#slots).builder.alignStart(now - this.#grace) + this.#interval + this.#grace;
      try {
        await this.clock.sleep(Math.max(1, nextEnd - now), signal);
      } catch {
        return;
      }
    }
  }

  /**
   * Market time on the bars' axis: the newest tick's exchange time advanced by the monotonic time since
   * it arrived (wall time before any tick). Live this is wall time give or take the feed delay; against
   * a simulator replaying another date it follows the market, so the bar timer never closes a bar early.
   */
  #marketNow(): number {
    if (!Number.isFinite(this.#lastTickMs)) return this.clock.wallMs();
    return this.#lastTickMs + Math.max(0, this.clock.monotonicMs() - this.#lastTickMono);
  }

  async #chainLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.clock.sleep(this.#opts.chainIntervalMs, signal);
      } catch {
        return;
      }
      await this.#fetchChains(signal);
    }
  }

  async #fetchChains(signal: AbortSignal): Promise<void> {
    for (const [u, slot] of this.#slots) {
      if (signal.aborted) return;
      try {
        const snap = await this.#opts.ports.fetchChain(u, signal);
        if (snap === null) continue;
        const params: ChainParams = { ...this.#opts.chainParams?.(u), wallMs: this.#marketNow() };
        slot.engine.onChain(chainAnalytics(snap, params), snap.asOfMs);
      } catch (err) {
        if (signal.aborted) return;
        // The analytics keep their last value and age; the §4 table decides what that means.
        this.log.warn({ err, underlying: u }, 'option chain fetch failed');
      }
    }
  }
}

function slot0(slots: ReadonlyMap<string, Slot>): Slot {
  return slots.values().next().value as Slot;
}
