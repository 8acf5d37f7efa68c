import type { Config } from '../../config/index.js';
import { type ChainParams, type ChainSnapshot, gex, maxPain, pcr } from '../../quant/chain/index.js';
import { Atr, ElderImpulse, Ichimoku, type IchimokuValue } from '../../quant/indicators/index.js';
import type { Stamped } from '../../quant/stamped.js';
import type { RegimeUpdateInput } from '../../store/regime-state.js';
import {
  ATR_PERIOD,
  classifyRegime,
  type GexSummary,
  type RegimeDecision,
  type RegimeParams,
  type RuleBar,
} from './regime-rules.js';

/**
 * One underlying's regime state, without I/O: indicators fed bar by bar, the latest VIX and chain
 * analytics with the monotonic time they were observed, and `evaluate` that hands all of it to the
 * pure rules. Replay and live drive the same engine; only who calls it differs.
 */

export interface EngineBar extends RuleBar {
  /** Interval start, epoch ms (reported as an indicator; not used by the rules). */
  readonly startMs?: number;
}

/** Chain analytics as the regime uses them; null fields leave the last known value in place. */
export interface ChainAnalytics {
  readonly pcr: number | null;
  readonly gex: GexSummary | null;
  readonly maxPain: number | null;
}

export type EngineParams = Pick<
  Config['regime'],
  | 'ichimokuConversion'
  | 'ichimokuBase'
  | 'ichimokuSpanB'
  | 'impulseEma'
  | 'macdFast'
  | 'macdSlow'
  | 'macdSignal'
  | 'vixLow'
  | 'vixHigh'
  | 'vixNoTrade'
  | 'congestionBandPct'
  | 'blowoffAtrMultiple'
  | 'pcrBullish'
  | 'pcrBearish'
>;

/** Which side of the VIX thresholds the last value sits on (a change is worth an early evaluation). */
export type VixBand = 'NONE' | 'LOW' | 'NORMAL' | 'HIGH' | 'NO_TRADE';

export interface EngineStats {
  readonly bars: number;
  readonly rejectedBars: number;
}

/** Bars before the first decision: Ichimoku's span B plus its displacement (plan: 52 + 26). */
export function warmupBars(p: Pick<EngineParams, 'ichimokuSpanB' | 'ichimokuBase'>): number {
  return p.ichimokuSpanB + p.ichimokuBase;
}

export class RegimeEngine {
  readonly #params: RegimeParams;
  readonly #ichimoku: Ichimoku;
  readonly #impulse: ElderImpulse;
  readonly #atr: Atr;
  /** Cloud midlines of the last `ichimokuBase + 1` bars, for the flat-cloud test. */
  readonly #mid: number[] = [];
  readonly #slopeSpan: number;
  #prevIchimoku: IchimokuValue | null = null;
  /** ATR of the bars before the last one: a blow-off bar must not dilute its own yardstick. */
  #priorAtr: number | null = null;
  #lastBar: EngineBar | null = null;
  #vix: Stamped<number> | null = null;
  #pcr: Stamped<number> | null = null;
  #gex: Stamped<GexSummary> | null = null;
  #maxPain: Stamped<number> | null = null;
  #bars = 0;
  #rejected = 0;

  constructor(
    readonly underlying: string,
    readonly params: EngineParams,
    freshness: RegimeParams['freshness'] = {},
  ) {
    this.#params = { regime: params, freshness };
    this.#ichimoku = new Ichimoku(params.ichimokuConversion, params.ichimokuBase, params.ichimokuSpanB);
    this.#impulse = new ElderImpulse(params.impulseEma, params.macdFast, params.macdSlow, params.macdSignal);
    this.#atr = new Atr(ATR_PERIOD);
    this.#slopeSpan = params.ichimokuBase;
  }

  /** Warm-up from history (oldest first); the same path as live bars. */
  seed(bars: readonly EngineBar[]): void {
    for (const b of bars) this.onBar(b);
  }

  /** Feeds one closed bar. A bar with a non-finite or inverted price is rejected (counted). */
  onBar(bar: EngineBar): boolean {
    const ok =
      [bar.open, bar.high, bar.low, bar.close].every((x) => Number.isFinite(x) && x > 0) &&
      bar.high >= bar.low &&
      bar.high >= Math.max(bar.open, bar.close) - 1e-9 &&
      bar.low <= Math.min(bar.open, bar.close) + 1e-9;
    if (!ok) {
      this.#rejected++;
      return false;
    }
    this.#prevIchimoku = this.#ichimoku.value;
    const ich = this.#ichimoku.update(bar);
    this.#impulse.update(bar.close);
    this.#priorAtr = this.#atr.value;
    this.#atr.update(bar);
    if (ich !== null) {
      this.#mid.push((ich.cloudA + ich.cloudB) / 2);
      if (this.#mid.length > this.#slopeSpan + 1) this.#mid.shift();
    }
    this.#lastBar = bar;
    this.#bars++;
    return true;
  }

  /** Records a VIX value seen at monotonic `monoMs`; returns whether its threshold band changed. */
  onVix(value: number, monoMs: number): boolean {
    if (!Number.isFinite(value) || value < 0 || !Number.isFinite(monoMs)) return false;
    if (this.#vix !== null && monoMs < this.#vix.asOfMs) return false;
    const before = this.vixBand();
    this.#vix = { value, asOfMs: monoMs };
    return this.vixBand() !== before;
  }

  /** Records chain analytics computed from a snapshot taken at monotonic `monoMs`. */
  onChain(a: ChainAnalytics, monoMs: number): void {
    if (!Number.isFinite(monoMs)) return;
    if (a.pcr !== null && Number.isFinite(a.pcr)) this.#pcr = { value: a.pcr, asOfMs: monoMs };
    if (a.gex !== null) this.#gex = { value: a.gex, asOfMs: monoMs };
    if (a.maxPain !== null && Number.isFinite(a.maxPain))
      this.#maxPain = { value: a.maxPain, asOfMs: monoMs };
  }

  vixBand(): VixBand {
    if (this.#vix === null) return 'NONE';
    const v = this.#vix.value;
    const p = this.params;
    return v > p.vixNoTrade ? 'NO_TRADE' : v > p.vixHigh ? 'HIGH' : v < p.vixLow ? 'LOW' : 'NORMAL';
  }

  /** True once every indicator has a value (Ichimoku needs spanB + displacement bars). */
  get warm(): boolean {
    return this.#ichimoku.value !== null && this.#impulse.value !== null && this.#priorAtr !== null;
  }

  stats(): EngineStats {
    return { bars: this.#bars, rejectedBars: this.#rejected };
  }

  /** The rules' full decision at monotonic `nowMonoMs`, or null before warm-up. */
  decide(nowMonoMs: number): RegimeDecision | null {
    if (!this.warm) return null;
    const first = this.#mid[0];
    const last = this.#mid[this.#mid.length - 1];
    const close = this.#lastBar?.close;
    const slope =
      this.#mid.length > this.#slopeSpan && first !== undefined && last !== undefined && close
        ? ((last - first) / close) * 100
        : null;
    return classifyRegime(
      {
        nowMs: nowMonoMs,
        bar: this.#lastBar,
        ichimoku: this.#ichimoku.value,
        prevIchimoku: this.#prevIchimoku,
        impulse: this.#impulse.value,
        atr: this.#priorAtr,
        cloudSlopePct: slope,
        vix: this.#vix,
        pcr: this.#pcr,
        gex: this.#gex,
        maxPain: this.#maxPain,
      },
      this.#params,
    );
  }

  /** The REGIME_UPDATE fields (the version is the state store's), or null before warm-up. */
  evaluate(nowMonoMs: number): RegimeUpdateInput | null {
    const d = this.decide(nowMonoMs);
    if (d === null) return null;
    const start = this.#lastBar?.startMs;
    return {
      underlying: this.underlying,
      regime: d.regime,
      score: d.score,
      vix: d.vix === null ? null : Math.max(0, d.vix),
      flags: [...d.flags],
      indicators: {
        ...d.indicators,
        bar_start_ms: start !== undefined && Number.isFinite(start) ? start : null,
      },
    };
  }
}

/**
 * PCR (OI), GEX and Max Pain of a snapshot (src/quant/chain). A part that cannot be computed (no OI,
 * no expiry time for GEX) is null, so the engine keeps the last known value and its age.
 */
export function chainAnalytics(snapshot: ChainSnapshot, params: ChainParams = {}): ChainAnalytics {
  const p = pcr(snapshot).value.oi;
  let g: GexSummary | null = null;
  try {
    const v = gex(snapshot, params).value;
    g = Number.isFinite(v.total)
      ? { total: v.total, flip: v.flip, support: v.support, resistance: v.resistance }
      : null;
  } catch {
    // No T and no wall time to derive it: GEX is skipped for this snapshot.
    g = null;
  }
  const mp = maxPain(snapshot).value;
  return { pcr: p, gex: g, maxPain: mp === null ? null : mp.strike };
}
