import { runNumericSeries, type StreamingIndicator } from './types.js';

/** §7 sizing: Carver's volatility target divides by the 35-day EWMA daily volatility. */
export const SIZING_EWMA_SPAN = 35;
/** pysystemtrade's robust_vol_calc starts reporting after 10 returns. */
const DEFAULT_MIN_PERIODS = 10;

export interface EwmaVolOptions {
  /** Span: α = 2/(span + 1) (pandas convention). Give span or lambda. */
  readonly span?: number;
  /** Decay λ = 1 − α (RiskMetrics convention; NSE's F&O volatility file uses λ = 0.995). */
  readonly lambda?: number;
  /** Returns needed before a value is reported (default 10; 0 when initialVariance is given). */
  readonly minPeriods?: number;
  /** Variance carried in from before the first return (e.g. yesterday's published σ²). */
  readonly initialVariance?: number;
}

/**
 * Exponentially weighted daily volatility of returns, zero mean (RiskMetrics):
 *   σ²ₜ = Σ wᵢ r²ₜ₋ᵢ / Σ wᵢ,  wᵢ = (1 − α)^i,
 * i.e. pandas `(r**2).ewm(span, adjust=True).mean()**0.5`; with an `initialVariance` the history
 * before the first return counts as weight 1/α at that variance, which is the plain recursion
 * σ²ₜ = λσ²ₜ₋₁ + (1 − λ)r²ₜ. Input: one return per bar (log or simple, the caller's choice);
 * output: per-bar (daily) volatility, not annualised.
 */
export class EwmaVol implements StreamingIndicator<number, number> {
  readonly alpha: number;
  readonly #minPeriods: number;
  #num: number;
  #den: number;
  #count = 0;
  #value: number | null = null;

  constructor(options: EwmaVolOptions = {}) {
    const { span, lambda, initialVariance } = options;
    if (span !== undefined && lambda !== undefined)
      throw new RangeError('EwmaVol: give span or lambda, not both');
    if (lambda !== undefined) {
      if (!(lambda > 0 && lambda < 1))
        throw new RangeError(`EwmaVol: lambda must be in (0, 1), got ${lambda}`);
      this.alpha = 1 - lambda;
    } else {
      const s = span ?? SIZING_EWMA_SPAN;
      if (!(s >= 1)) throw new RangeError(`EwmaVol: span must be >= 1, got ${s}`);
      this.alpha = 2 / (s + 1);
    }
    if (initialVariance !== undefined) {
      if (!(initialVariance >= 0 && Number.isFinite(initialVariance))) {
        throw new RangeError(`EwmaVol: initialVariance must be a finite number >= 0, got ${initialVariance}`);
      }
      this.#den = 1 / this.alpha;
      this.#num = initialVariance * this.#den;
    } else {
      this.#num = 0;
      this.#den = 0;
    }
    this.#minPeriods = options.minPeriods ?? (initialVariance !== undefined ? 0 : DEFAULT_MIN_PERIODS);
  }

  update(ret: number): number | null {
    const decay = 1 - this.alpha;
    this.#num = ret * ret + decay * this.#num;
    this.#den = 1 + decay * this.#den;
    this.#count++;
    this.#value = this.#count >= this.#minPeriods ? Math.sqrt(this.#num / this.#den) : null;
    return this.#value;
  }

  get value(): number | null {
    return this.#value;
  }

  /** Current variance estimate (NaN before the first return without an initial variance). */
  get variance(): number {
    return this.#num / this.#den;
  }
}

/** EWMA daily volatility at every bar of `returns` (NaN while warming up). */
export function ewmaVolSeries(returns: ArrayLike<number>, options: EwmaVolOptions = {}): Float64Array {
  return runNumericSeries(new EwmaVol(options), returns);
}

/**
 * §7: the latest EWMA daily volatility of `returns` with `span` (default 35), or null when there
 * are fewer than `minPeriods` returns (default 10).
 */
export function ewmaDailyVol(
  returns: ArrayLike<number>,
  span = SIZING_EWMA_SPAN,
  minPeriods?: number,
): number | null {
  const ind = new EwmaVol(minPeriods === undefined ? { span } : { span, minPeriods });
  for (let i = 0; i < returns.length; i++) ind.update(returns[i]!);
  return ind.value;
}

/** Log returns ln(Pₜ/Pₜ₋₁) of a price series (length n − 1). */
export function logReturns(prices: ArrayLike<number>): Float64Array {
  const n = Math.max(prices.length - 1, 0);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.log(prices[i + 1]! / prices[i]!);
  return out;
}
