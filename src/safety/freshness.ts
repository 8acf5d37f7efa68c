import type { ErrorCode } from '../contracts/index.js';
import { ALLOW, type Allow, type GateDenial, gateDenial } from './denial.js';
import { type FreshnessParams, tightenFreshness } from './limits.js';

/**
 * §4 data freshness gates. Every time here is a monotonic clock value (§12): `recordTick` receives the
 * receipt time the feed stamped with `clock.monotonicMs()`, and every check receives `nowMs` from the
 * same clock. The rule is "age > threshold blocks": an age exactly at the threshold passes. A symbol
 * never seen, or an age that is not a number, blocks (fail closed).
 */

/** True when `age` is within `limit`; NaN and missing data are never fresh. */
export function isFresh(ageMs: number, limitMs: number): boolean {
  return ageMs <= limitMs;
}

export interface OrderDataRequest {
  readonly underlying: string;
  /** Option symbols the order trades (their quotes must be fresh, §4 "option quote age"). */
  readonly options: readonly string[];
  /** True when the order needs a slippage check, which needs depth (§4 NO_DEPTH). */
  readonly needDepth: boolean;
}

/**
 * Last tick per symbol and last feed switch, on the monotonic clock (plan §12: "freshness.py stores
 * {symbol: monotonic_timestamp}"). Depth is tracked separately: an LTP tick keeps a quote fresh but says
 * nothing about the order book, so a depth snapshot older than the quote threshold counts as missing.
 */
export class QuoteFreshness {
  readonly #lastTick = new Map<string, number>();
  readonly #lastDepth = new Map<string, number>();
  #lastFeedSwitch: number | null = null;
  readonly params: FreshnessParams;

  constructor(params: Partial<FreshnessParams> = {}) {
    this.params = tightenFreshness(params);
  }

  recordTick(symbol: string, monoMs: number, opts: { depth?: boolean } = {}): void {
    this.#lastTick.set(symbol, monoMs);
    if (opts.depth) this.#lastDepth.set(symbol, monoMs);
  }

  recordDepth(symbol: string, monoMs: number): void {
    this.#lastDepth.set(symbol, monoMs);
  }

  /** The feed manager switched primary ↔ fallback at `monoMs` (starts the §4 cooldown). */
  recordFeedSwitch(monoMs: number): void {
    this.#lastFeedSwitch = monoMs;
  }

  lastTickMs(symbol: string): number | undefined {
    return this.#lastTick.get(symbol);
  }

  /** Depth seen for `symbol` (and, with `nowMs`, no older than the option quote threshold). */
  hasDepth(symbol: string, nowMs?: number): boolean {
    const t = this.#lastDepth.get(symbol);
    if (t === undefined) return false;
    return nowMs === undefined || isFresh(nowMs - t, this.params.optionQuoteMaxAgeMs);
  }

  ageMs(symbol: string, nowMs: number): number {
    const t = this.#lastTick.get(symbol);
    return t === undefined ? Number.POSITIVE_INFINITY : nowMs - t;
  }

  /**
   * The market-data gates, in the order a trader would read the reason: a recent feed switch first
   * (every quote is suspect), then the underlying, then each option, then depth. Returns the first
   * failing gate.
   */
  checkOrderData(req: OrderDataRequest, nowMs: number): Allow | GateDenial {
    const p = this.params;
    if (this.#lastFeedSwitch !== null) {
      const since = nowMs - this.#lastFeedSwitch;
      // "Within the last 30 seconds" is inclusive: at exactly 30 000 ms the cooldown still holds.
      if (!(since > p.feedSwitchCooldownMs)) {
        return gateDenial('FEED_SWITCHING', 'freshness.feed_switch', {
          sinceSwitchMs: since,
          cooldownMs: p.feedSwitchCooldownMs,
        });
      }
    }
    const uAge = this.ageMs(req.underlying, nowMs);
    if (!isFresh(uAge, p.underlyingQuoteMaxAgeMs)) {
      return gateDenial(
        'STALE_QUOTE',
        'freshness.underlying',
        staleDetails(req.underlying, 'underlying', uAge, p.underlyingQuoteMaxAgeMs),
        { symbol: req.underlying },
      );
    }
    for (const sym of req.options) {
      const age = this.ageMs(sym, nowMs);
      if (!isFresh(age, p.optionQuoteMaxAgeMs)) {
        return gateDenial(
          'STALE_QUOTE',
          'freshness.option',
          staleDetails(sym, 'option', age, p.optionQuoteMaxAgeMs),
          { symbol: sym },
        );
      }
    }
    if (req.needDepth) {
      const traded = req.options.length > 0 ? req.options : [req.underlying];
      for (const sym of traded) {
        if (!this.hasDepth(sym, nowMs)) {
          const t = this.#lastDepth.get(sym);
          return gateDenial(
            'NO_DEPTH',
            'freshness.depth',
            {
              symbol: sym,
              depthAgeMs: t === undefined ? null : nowMs - t,
              thresholdMs: p.optionQuoteMaxAgeMs,
            },
            { symbol: sym },
          );
        }
      }
    }
    return ALLOW;
  }
}

function staleDetails(symbol: string, kind: string, age: number, threshold: number): Record<string, unknown> {
  // JSON has no Infinity: a symbol never seen is reported as such.
  return Number.isFinite(age)
    ? { symbol, kind, ageMs: age, thresholdMs: threshold }
    : { symbol, kind, ageMs: null, neverSeen: true, thresholdMs: threshold };
}

/** An analytics value and the monotonic time it was computed or fetched. */
export interface Stamped<T> {
  readonly value: T;
  readonly asOfMs: number;
}

export interface AnalyticsInputs {
  readonly pcr: Stamped<number> | null;
  readonly gex: Stamped<unknown> | null;
  readonly maxPain: Stamped<number> | null;
  /** Own IV/greeks (greeks engine). */
  readonly greeksOwn: Stamped<unknown> | null;
  /** IV/greeks from the OpenAlgo API (the fallback). */
  readonly greeksApi: Stamped<unknown> | null;
  readonly vix: Stamped<number> | null;
}

export interface AnalyticsAssessment {
  /** Last known PCR (null when none ever arrived); flagged when older than 120 s. */
  readonly pcr: { readonly value: number | null; readonly flag?: 'PCR_STALE' };
  /** false: skip GEX support/resistance, use Ichimoku only. */
  readonly useGex: boolean;
  /** false: skip the Max Pain bias. */
  readonly useMaxPain: boolean;
  /** Which greeks to use: own engine, the API fallback, or none at all. */
  readonly greeksSource: 'own' | 'api' | 'none';
  /** IV/greeks stale from both sources: credit spread signals are blocked (§4). */
  readonly blockCreditSpreads: boolean;
  readonly vix: { readonly value: number | null; readonly flag?: 'VIX_STALE' };
  readonly flags: readonly ErrorCode[];
}

function fresh<T>(s: Stamped<T> | null, limit: number, nowMs: number): boolean {
  return s !== null && isFresh(nowMs - s.asOfMs, limit);
}

/** §4 analytics table: each source's exact fallback when it is older than its threshold. */
export function assessAnalytics(
  inputs: AnalyticsInputs,
  nowMs: number,
  params: Partial<FreshnessParams> = {},
): AnalyticsAssessment {
  const p = tightenFreshness(params);
  const flags: ErrorCode[] = [];

  const pcrFresh = fresh(inputs.pcr, p.pcrMaxAgeMs, nowMs);
  if (!pcrFresh) flags.push('PCR_STALE');
  const useGex = fresh(inputs.gex, p.gexMaxAgeMs, nowMs);
  if (!useGex) flags.push('GEX_STALE');
  const useMaxPain = fresh(inputs.maxPain, p.maxPainMaxAgeMs, nowMs);
  if (!useMaxPain) flags.push('MAX_PAIN_STALE');

  let greeksSource: AnalyticsAssessment['greeksSource'] = 'own';
  if (!fresh(inputs.greeksOwn, p.greeksMaxAgeMs, nowMs)) {
    flags.push('GREEKS_STALE');
    greeksSource = fresh(inputs.greeksApi, p.greeksApiMaxAgeMs, nowMs) ? 'api' : 'none';
    if (greeksSource === 'none') flags.push('GREEKS_API_STALE');
  }

  const vixFresh = fresh(inputs.vix, p.vixMaxAgeMs, nowMs);
  if (!vixFresh) flags.push('VIX_STALE');

  return {
    pcr: pcrFresh ? { value: inputs.pcr!.value } : { value: inputs.pcr?.value ?? null, flag: 'PCR_STALE' },
    useGex,
    useMaxPain,
    greeksSource,
    blockCreditSpreads: greeksSource === 'none',
    vix: vixFresh ? { value: inputs.vix!.value } : { value: inputs.vix?.value ?? null, flag: 'VIX_STALE' },
    flags,
  };
}
