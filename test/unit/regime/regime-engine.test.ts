import { describe, expect, it } from 'vitest';
import {
  type ChainAnalytics,
  chainAnalytics,
  type EngineBar,
  type EngineParams,
  RegimeEngine,
  warmupBars,
} from '../../../src/agents/regime/index.js';
import { RegimeUpdatePayload } from '../../../src/contracts/index.js';
import type { ChainSnapshot } from '../../../src/quant/chain/index.js';
import { REGIME_TEST_PARAMS } from '../../support/regime-params.js';

const DEFAULT_PARAMS: EngineParams = REGIME_TEST_PARAMS;

/** A steady climb of 0.3 % a bar with a small wiggle: a textbook uptrend. */
function uptrend(n: number, start = 100): EngineBar[] {
  const out: EngineBar[] = [];
  let p = start;
  for (let i = 0; i < n; i++) {
    const o = p;
    p = p * 1.003 + (i % 3 === 0 ? -0.05 : 0.05);
    out.push({
      startMs: i * 300_000,
      open: o,
      high: Math.max(o, p) + 0.1,
      low: Math.min(o, p) - 0.1,
      close: p,
    });
  }
  return out;
}

describe('RegimeEngine', () => {
  it('is silent before spanB + displacement bars and decides from the 78th', () => {
    expect(warmupBars(DEFAULT_PARAMS)).toBe(78);
    const e = new RegimeEngine('NIFTY', DEFAULT_PARAMS);
    const bars = uptrend(78);
    e.seed(bars.slice(0, 77));
    expect(e.warm).toBe(false);
    expect(e.evaluate(0)).toBeNull();
    e.onBar(bars[77]!);
    expect(e.warm).toBe(true);
    const u = e.evaluate(0);
    expect(u).not.toBeNull();
    expect(RegimeUpdatePayload.safeParse({ ...u, version: 1 }).success).toBe(true);
    // No VIX yet: the cutoff cannot be checked.
    expect(u?.regime).toBe('NO_TRADE');
    expect(u?.flags).toContain('VIX_MISSING');
  });

  it('classifies a clean uptrend BULLISH once VIX is known, and reports the bar start', () => {
    const e = new RegimeEngine('NIFTY', DEFAULT_PARAMS);
    e.seed(uptrend(120));
    expect(e.onVix(14, 1_000)).toBe(true);
    const u = e.evaluate(1_000)!;
    expect(u.regime).toBe('BULLISH');
    expect(u.score).toBeGreaterThan(0.5);
    expect(u.vix).toBe(14);
    expect(u.indicators.impulse).toBe('green');
    expect(u.indicators.bar_start_ms).toBe(119 * 300_000);
  });

  it('rejects non-finite or inverted bars without throwing and without moving the indicators', () => {
    const e = new RegimeEngine('NIFTY', DEFAULT_PARAMS);
    e.seed(uptrend(100));
    e.onVix(14, 0);
    const before = e.evaluate(0);
    expect(e.onBar({ open: Number.NaN, high: 1, low: 1, close: 1 })).toBe(false);
    expect(e.onBar({ open: 10, high: 9, low: 11, close: 10 })).toBe(false);
    expect(e.onBar({ open: 10, high: 12, low: 9, close: Number.POSITIVE_INFINITY })).toBe(false);
    expect(e.stats()).toEqual({ bars: 100, rejectedBars: 3 });
    expect(e.evaluate(0)).toEqual(before);
  });

  it('VIX: bands, ignored garbage, and an older reading never replaces a newer one', () => {
    const e = new RegimeEngine('NIFTY', DEFAULT_PARAMS);
    expect(e.vixBand()).toBe('NONE');
    expect(e.onVix(20, 100)).toBe(true);
    expect(e.onVix(21, 200)).toBe(false);
    expect(e.onVix(Number.NaN, 300)).toBe(false);
    expect(e.onVix(-1, 300)).toBe(false);
    expect(e.onVix(40, 50)).toBe(false);
    expect(e.vixBand()).toBe('NORMAL');
    expect(e.onVix(30, 400)).toBe(true);
    expect(e.vixBand()).toBe('HIGH');
    expect(e.onVix(35.5, 500)).toBe(true);
    expect(e.vixBand()).toBe('NO_TRADE');
    expect(e.onVix(11, 600)).toBe(true);
    expect(e.vixBand()).toBe('LOW');
  });

  it('chain analytics age on the monotonic clock: fresh ones count, stale ones follow the §4 table', () => {
    const e = new RegimeEngine('NIFTY', DEFAULT_PARAMS);
    e.seed(uptrend(120));
    const a: ChainAnalytics = {
      pcr: 1.5,
      gex: { total: 1, flip: 1, support: null, resistance: null },
      maxPain: 1e6,
    };
    e.onChain(a, 10_000);
    e.onVix(14, 10_000);
    const fresh = e.evaluate(10_000)!;
    expect(fresh.flags).not.toContain('PCR_STALE');
    expect(fresh.indicators.pcr).toBe(1.5);
    expect(fresh.indicators.gex_flip).toBe(1);
    expect(fresh.indicators.max_pain).toBe(1e6);
    // 200 s later: PCR kept with its flag, GEX skipped, Max Pain (300 s) still used; VIX stale.
    const later = e.evaluate(210_000)!;
    expect(later.flags).toEqual(expect.arrayContaining(['PCR_STALE', 'GEX_STALE', 'VIX_STALE']));
    expect(later.flags).not.toContain('MAX_PAIN_STALE');
    expect(later.indicators.pcr).toBe(1.5);
    expect(later.indicators.gex_flip).toBeNull();
    expect(later.regime).toBe(fresh.regime);
    // A fetch without PCR keeps the last known value and its age.
    e.onChain({ pcr: null, gex: null, maxPain: null }, 300_000);
    expect(e.evaluate(300_000)!.flags).toContain('PCR_STALE');
  });
});

describe('chainAnalytics', () => {
  const snapshot: ChainSnapshot = {
    underlying: 'NIFTY',
    spot: 25_000,
    asOfMs: 5_000,
    expiries: [
      {
        expiry: '2025-12-30',
        rows: [24_800, 24_900, 25_000, 25_100, 25_200].map((strike) => ({
          strike,
          ce: { ltp: Math.max(1, 25_000 - strike) + 50, oi: strike >= 25_000 ? 200_000 : 50_000, iv: 0.12 },
          pe: { ltp: Math.max(1, strike - 25_000) + 50, oi: strike <= 25_000 ? 300_000 : 40_000, iv: 0.13 },
        })),
      },
    ],
  };

  it('computes PCR (OI), GEX and Max Pain from one snapshot', () => {
    const a = chainAnalytics(snapshot, { wallMs: Date.UTC(2025, 11, 1, 5) });
    expect(a.pcr).toBeCloseTo((3 * 300_000 + 2 * 40_000) / (2 * 50_000 + 3 * 200_000), 9);
    expect(a.maxPain).toBe(25_000);
    expect(a.gex).not.toBeNull();
    expect(Number.isFinite(a.gex!.total)).toBe(true);
  });

  it('without a wall time (no T) GEX is null rather than a throw', () => {
    const a = chainAnalytics(snapshot);
    expect(a.gex).toBeNull();
    expect(a.maxPain).toBe(25_000);
  });
});
