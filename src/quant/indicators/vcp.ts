import { assertPeriod, type Bar, runSeries, type StreamingIndicator } from './types.js';

export interface VcpOptions {
  /** Bars in the base window (default 120 sessions, ~6 months). */
  readonly lookback?: number;
  /** Zig-zag reversal that makes a swing, as a fraction (default 0.03 = 3 %). */
  readonly minSwing?: number;
  /** Recent bars whose average volume is compared with the window's (default 10). */
  readonly dryUpBars?: number;
}

export interface VcpValue {
  /** Depth of each contraction of the base, oldest first: (swing high − swing low)/swing high. */
  readonly depths: readonly number[];
  /** True when there are at least two contractions and each is shallower than the one before. */
  readonly contracting: boolean;
  /** Depth of the latest contraction (the base's tightness); NaN without contractions. */
  readonly lastDepth: number;
  /** Breakout level: the latest swing high of the base. */
  readonly pivot: number;
  /** (pivot − close)/close: how far price is below the pivot (negative once broken out). */
  readonly distanceToPivot: number;
  /** Average volume of the last `dryUpBars` over the window's average (null without volume). */
  readonly volumeRatio: number | null;
}

/**
 * Volatility Contraction Pattern measure (Minervini, "Trade Like a Stock Market Wizard", 2013):
 * a base made of successively shallower pullbacks on drying-up volume, bought at the pivot.
 * Swings are found with a percentage zig-zag over the window; the base starts at its highest
 * swing high; each swing high → swing low leg is a contraction (the leg still in progress counts).
 */
export class Vcp implements StreamingIndicator<Bar, VcpValue> {
  readonly lookback: number;
  readonly minSwing: number;
  readonly dryUpBars: number;
  readonly #high: Float64Array;
  readonly #low: Float64Array;
  readonly #vol: Float64Array;
  #count = 0;
  #hasVolume = true;
  #value: VcpValue | null = null;

  constructor(options: VcpOptions = {}) {
    this.lookback = options.lookback ?? 120;
    this.minSwing = options.minSwing ?? 0.03;
    this.dryUpBars = options.dryUpBars ?? 10;
    assertPeriod('Vcp lookback', this.lookback, 3);
    assertPeriod('Vcp dryUpBars', this.dryUpBars);
    if (!(this.minSwing > 0 && this.minSwing < 1)) throw new RangeError(`Vcp: minSwing must be in (0, 1)`);
    if (this.dryUpBars > this.lookback) throw new RangeError('Vcp: dryUpBars exceeds lookback');
    this.#high = new Float64Array(this.lookback);
    this.#low = new Float64Array(this.lookback);
    this.#vol = new Float64Array(this.lookback);
  }

  update(bar: Bar): VcpValue | null {
    const slot = this.#count % this.lookback;
    this.#high[slot] = bar.high;
    this.#low[slot] = bar.low;
    this.#vol[slot] = bar.volume ?? 0;
    if (bar.volume === undefined) this.#hasVolume = false;
    this.#count++;
    if (this.#count < this.lookback) {
      this.#value = null;
      return null;
    }
    this.#value = this.#measure(bar.close);
    return this.#value;
  }

  get value(): VcpValue | null {
    return this.#value;
  }

  #at(arr: Float64Array, i: number): number {
    return arr[(this.#count - this.lookback + i) % this.lookback]!;
  }

  #measure(close: number): VcpValue {
    const n = this.lookback;
    const up = 1 + this.minSwing;
    const down = 1 - this.minSwing;
    // Zig-zag pivots as alternating (high, low) prices; dir 0 = undecided, 1 = rising, −1 = falling.
    const pivHigh: number[] = [];
    const pivLow: number[] = [];
    const order: ('H' | 'L')[] = [];
    let dir = 0;
    let hi = this.#at(this.#high, 0);
    let lo = this.#at(this.#low, 0);
    for (let i = 1; i < n; i++) {
      const h = this.#at(this.#high, i);
      const l = this.#at(this.#low, i);
      if (dir >= 0 && h > hi) hi = h;
      if (dir <= 0 && l < lo) lo = l;
      if (dir >= 0 && l <= hi * down) {
        pivHigh.push(hi);
        order.push('H');
        dir = -1;
        lo = l;
      } else if (dir <= 0 && h >= lo * up) {
        pivLow.push(lo);
        order.push('L');
        dir = 1;
        hi = h;
      }
    }
    // Legs high → low, including the one in progress when falling.
    const legs: { high: number; low: number }[] = [];
    let hIdx = 0;
    let lIdx = 0;
    let pendingHigh: number | null = null;
    for (const o of order) {
      if (o === 'H') pendingHigh = pivHigh[hIdx++]!;
      else {
        const l = pivLow[lIdx++]!;
        if (pendingHigh !== null) legs.push({ high: pendingHigh, low: l });
        pendingHigh = null;
      }
    }
    if (pendingHigh !== null) legs.push({ high: pendingHigh, low: lo });
    // The base starts at its highest swing high.
    let start = 0;
    for (let k = 1; k < legs.length; k++) if (legs[k]!.high > legs[start]!.high) start = k;
    const base = legs.slice(start);
    const depths = base.map((g) => (g.high - g.low) / g.high);
    let contracting = depths.length >= 2;
    for (let k = 1; k < depths.length && contracting; k++) contracting = depths[k]! < depths[k - 1]!;
    const pivot = base.length > 0 ? base[base.length - 1]!.high : hi;
    let volumeRatio: number | null = null;
    if (this.#hasVolume) {
      let all = 0;
      let recent = 0;
      for (let i = 0; i < n; i++) {
        const v = this.#at(this.#vol, i);
        all += v;
        if (i >= n - this.dryUpBars) recent += v;
      }
      volumeRatio = all > 0 ? recent / this.dryUpBars / (all / n) : null;
    }
    return {
      depths,
      contracting,
      lastDepth: depths.length > 0 ? depths[depths.length - 1]! : Number.NaN,
      pivot,
      distanceToPivot: (pivot - close) / close,
      volumeRatio,
    };
  }
}

export function vcpSeries(bars: ArrayLike<Bar>, options: VcpOptions = {}): (VcpValue | null)[] {
  return runSeries(new Vcp(options), bars);
}
