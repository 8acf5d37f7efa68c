import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyRegime,
  type GexSummary,
  type RegimeDecision,
  type RegimeInputs,
  type RegimeParams,
} from '../../../src/agents/regime/index.js';
import { RegimeUpdatePayload } from '../../../src/contracts/index.js';
import type { IchimokuValue } from '../../../src/quant/indicators/index.js';
import { REGIME_TEST_PARAMS } from '../../support/regime-params.js';

// The rule table of regime-rules.ts, row by row, at and just past each threshold, plus the §4
// analytics freshness table as the regime applies it.

const PARAMS: RegimeParams = {
  regime: REGIME_TEST_PARAMS,

  freshness: {},
};
const NOW = 1_000_000;

function ich(o: Partial<IchimokuValue> = {}): IchimokuValue {
  const v = {
    tenkan: 104,
    kijun: 102,
    senkouA: 103,
    senkouB: 98,
    cloudA: 100,
    cloudB: 95,
    chikou: 105,
    chikouReference: 100,
    priceVsCloud: 'above' as const,
    ...o,
  };
  return v;
}

/** A clean bullish bar: close 105 well above a 95–100 cloud, green impulse, calm range. */
function bull(o: Partial<RegimeInputs> = {}): RegimeInputs {
  return {
    nowMs: NOW,
    bar: { open: 104.5, high: 105.5, low: 104.5, close: 105 },
    ichimoku: ich(),
    prevIchimoku: ich(),
    impulse: 'green',
    atr: 1,
    cloudSlopePct: 2,
    vix: { value: 15, asOfMs: NOW },
    pcr: null,
    gex: null,
    maxPain: null,
    ...o,
  };
}

/** The mirror image: close 90 below a 95–100 cloud, red impulse. */
function bear(o: Partial<RegimeInputs> = {}): RegimeInputs {
  const i = ich({ tenkan: 91, kijun: 93, senkouA: 94, senkouB: 99, priceVsCloud: 'below' });
  return bull({
    bar: { open: 90.5, high: 90.5, low: 89.5, close: 90 },
    ichimoku: i,
    prevIchimoku: i,
    impulse: 'red',
    cloudSlopePct: -2,
    ...o,
  });
}

const classify = (i: RegimeInputs, p: RegimeParams = PARAMS): RegimeDecision => classifyRegime(i, p);
const withClose = (close: number, o: Partial<RegimeInputs> = {}): RegimeInputs =>
  bull({ bar: { open: close, high: close + 0.5, low: close - 0.5, close }, ...o });

describe('classifyRegime — primary rows', () => {
  it('row 7 BULLISH: above the cloud, green impulse, tenkan > kijun, green cloud; score 1', () => {
    const d = classify(bull());
    expect(d.regime).toBe('BULLISH');
    expect(d.score).toBe(1);
    expect(d.flags).toEqual(['GEX_STALE', 'MAX_PAIN_STALE', 'PCR_STALE']);
    expect(d.vix).toBe(15);
  });

  it('row 8 BEARISH: the mirror image, score -1', () => {
    const d = classify(bear());
    expect(d.regime).toBe('BEARISH');
    expect(d.score).toBe(-1);
  });

  it('a blue impulse still trends when the cloud is not flat; the score drops by the impulse weight', () => {
    const d = classify(bull({ impulse: 'blue' }));
    expect(d.regime).toBe('BULLISH');
    expect(d.score).toBe(0.75);
  });

  it('row 9: trend against the impulse (above the cloud, red) is CONGESTION with IMPULSE_CONFLICT', () => {
    const d = classify(bull({ impulse: 'red' }));
    expect(d.regime).toBe('CONGESTION');
    expect(d.flags).toContain('IMPULSE_CONFLICT');
    expect(classify(bear({ impulse: 'green' })).flags).toContain('IMPULSE_CONFLICT');
  });

  it('row 5: inside the cloud is CONGESTION; the cloud edges count as inside', () => {
    expect(classify(withClose(97)).flags).toContain('IN_CLOUD');
    expect(classify(withClose(97)).regime).toBe('CONGESTION');
    expect(classify(withClose(100)).flags).toContain('IN_CLOUD');
    expect(classify(withClose(95)).flags).toContain('IN_CLOUD');
  });

  it('row 5: within congestionBandPct of the cloud is CONGESTION; exactly at the band too', () => {
    // Cloud top 99.5, close 100: 0.5 % away — inside the inclusive band.
    const at = withClose(100, { ichimoku: ich({ cloudA: 99.5 }) });
    expect(classify(at).regime).toBe('CONGESTION');
    expect(classify(at).flags).toContain('NEAR_CLOUD');
    // 0.51 % away: out of the band, the trend rows decide.
    const past = withClose(100, { ichimoku: ich({ cloudA: 99.49 }) });
    expect(classify(past).regime).toBe('BULLISH');
    // Below the cloud, the distance is to its bottom.
    const below = bear({ bar: { open: 94.6, high: 94.8, low: 94.4, close: 94.6 } });
    expect(classify(below).flags).toContain('NEAR_CLOUD');
  });

  it('row 6: blue impulse with a flat cloud is CONGESTION (FLAT_CLOUD); the band is inclusive', () => {
    expect(classify(bull({ impulse: 'blue', cloudSlopePct: 0.5 })).flags).toContain('FLAT_CLOUD');
    expect(classify(bull({ impulse: 'blue', cloudSlopePct: -0.5 })).regime).toBe('CONGESTION');
    expect(classify(bull({ impulse: 'blue', cloudSlopePct: 0.51 })).regime).toBe('BULLISH');
    // A flat cloud with a green impulse is still a trend; an unknown slope is not flat.
    expect(classify(bull({ impulse: 'green', cloudSlopePct: 0 })).regime).toBe('BULLISH');
    expect(classify(bull({ impulse: 'blue', cloudSlopePct: null })).regime).toBe('BULLISH');
  });

  it('row 4 BLOWOFF: bar range above blowoffAtrMultiple × ATR; exactly at it is not', () => {
    const range = (r: number) =>
      bull({ bar: { open: 105, high: 105 + r / 2, low: 105 - r / 2, close: 105 } });
    expect(classify(range(3)).regime).toBe('BULLISH');
    expect(classify(range(3.0001)).regime).toBe('BLOWOFF');
    // Blow-off precedes congestion: a huge bar inside the cloud is still a blow-off.
    expect(classify(bull({ bar: { open: 97, high: 100, low: 94, close: 97 }, atr: 1.5 })).regime).toBe(
      'BLOWOFF',
    );
  });

  it('tenkan/kijun cross flags on the bar of the cross only', () => {
    const up = classify(bull({ prevIchimoku: ich({ tenkan: 101, kijun: 102 }) }));
    expect(up.flags).toContain('TK_CROSS_UP');
    const down = classify(bear({ prevIchimoku: ich({ tenkan: 94, kijun: 93 }) }));
    expect(down.flags).toContain('TK_CROSS_DOWN');
    expect(classify(bull()).flags).not.toContain('TK_CROSS_UP');
  });
});

describe('classifyRegime — VIX rows and flags', () => {
  const vix = (value: number, asOfMs = NOW) => bull({ vix: { value, asOfMs } });

  it('row 3: VIX above vixNoTrade is NO_TRADE; exactly at it is tradable', () => {
    expect(classify(vix(35)).regime).toBe('BULLISH');
    const d = classify(vix(35.01));
    expect(d.regime).toBe('NO_TRADE');
    expect(d.flags).toEqual(expect.arrayContaining(['VIX_NO_TRADE', 'HIGH_VOL']));
  });

  it('VIX above vixHigh flags HIGH_VOL; exactly at it does not; the class stays', () => {
    expect(classify(vix(25)).flags).not.toContain('HIGH_VOL');
    expect(classify(vix(25.01)).flags).toContain('HIGH_VOL');
    expect(classify(vix(25.01)).regime).toBe('BULLISH');
  });

  it('VIX below vixLow flags THIN_PREMIUM; exactly at it does not', () => {
    expect(classify(vix(12)).flags).not.toContain('THIN_PREMIUM');
    expect(classify(vix(11.99)).flags).toContain('THIN_PREMIUM');
    expect(classify(vix(11.99)).regime).toBe('BULLISH');
  });

  it('VIX no-trade takes precedence over a blow-off bar', () => {
    const d = classify(
      bull({ vix: { value: 40, asOfMs: NOW }, bar: { open: 105, high: 110, low: 100, close: 105 } }),
    );
    expect(d.regime).toBe('NO_TRADE');
  });

  it('§4 VIX > 60 s: last known value used, VIX_STALE; exactly 60 s is fresh', () => {
    expect(classify(vix(26, NOW - 60_000)).flags).not.toContain('VIX_STALE');
    const stale = classify(vix(26, NOW - 60_001));
    expect(stale.flags).toEqual(expect.arrayContaining(['VIX_STALE', 'HIGH_VOL']));
    expect(stale.vix).toBe(26);
    expect(stale.regime).toBe('BULLISH');
    // A stale VIX above the cutoff still stops trading.
    expect(classify(vix(36, NOW - 600_000)).regime).toBe('NO_TRADE');
  });

  it('row 2: no VIX at all, or a NaN one, is NO_TRADE (VIX_MISSING): the cutoff cannot be checked', () => {
    const none = classify(bull({ vix: null }));
    expect(none.regime).toBe('NO_TRADE');
    expect(none.flags).toEqual(expect.arrayContaining(['VIX_MISSING', 'VIX_STALE']));
    expect(none.vix).toBeNull();
    expect(classify(vix(Number.NaN)).regime).toBe('NO_TRADE');
  });
});

describe('classifyRegime — §4 analytics table (secondary confirmation)', () => {
  const gexAbove: GexSummary = { total: 1e9, flip: 100, support: 100, resistance: 110 };

  it('fresh PCR above pcrBullish adds 0.1; below pcrBearish subtracts 0.1; between adds nothing', () => {
    const s = (pcr: number) => classify(bull({ impulse: 'blue', pcr: { value: pcr, asOfMs: NOW } })).score;
    expect(s(1.21)).toBeCloseTo(0.85, 9);
    expect(s(1.2)).toBeCloseTo(0.75, 9);
    expect(s(0.8)).toBeCloseTo(0.75, 9);
    expect(s(0.79)).toBeCloseTo(0.65, 9);
  });

  it('PCR > 120 s: use last known, flag PCR_STALE (exactly 120 s is fresh)', () => {
    const at = classify(bull({ impulse: 'blue', pcr: { value: 1.5, asOfMs: NOW - 120_000 } }));
    expect(at.flags).not.toContain('PCR_STALE');
    const stale = classify(bull({ impulse: 'blue', pcr: { value: 1.5, asOfMs: NOW - 120_001 } }));
    expect(stale.flags).toContain('PCR_STALE');
    expect(stale.indicators.pcr).toBe(1.5);
    expect(stale.score).toBe(at.score);
  });

  it('GEX > 120 s: skipped (Ichimoku only), GEX_STALE', () => {
    const fresh = classify(bull({ impulse: 'blue', gex: { value: gexAbove, asOfMs: NOW - 120_000 } }));
    expect(fresh.score).toBeCloseTo(0.85, 9);
    expect(fresh.indicators.gex_flip).toBe(100);
    expect(fresh.flags).not.toContain('GEX_STALE');
    const stale = classify(bull({ impulse: 'blue', gex: { value: gexAbove, asOfMs: NOW - 120_001 } }));
    expect(stale.score).toBeCloseTo(0.75, 9);
    expect(stale.indicators.gex_flip).toBeNull();
    expect(stale.flags).toContain('GEX_STALE');
  });

  it('negative total GEX flags NEGATIVE_GAMMA (fresh only)', () => {
    const neg = { value: { ...gexAbove, total: -5e8 }, asOfMs: NOW };
    expect(classify(bull({ gex: neg })).flags).toContain('NEGATIVE_GAMMA');
    expect(classify(bull({ gex: { ...neg, asOfMs: NOW - 200_000 } })).flags).not.toContain('NEGATIVE_GAMMA');
  });

  it('Max Pain > 300 s: bias skipped, MAX_PAIN_STALE (exactly 300 s is fresh)', () => {
    const at = classify(bull({ impulse: 'blue', maxPain: { value: 110, asOfMs: NOW - 300_000 } }));
    expect(at.score).toBeCloseTo(0.85, 9);
    expect(at.flags).not.toContain('MAX_PAIN_STALE');
    const stale = classify(bull({ impulse: 'blue', maxPain: { value: 110, asOfMs: NOW - 300_001 } }));
    expect(stale.score).toBeCloseTo(0.75, 9);
    expect(stale.indicators.max_pain).toBeNull();
    expect(stale.flags).toContain('MAX_PAIN_STALE');
  });

  it('a configured threshold can only tighten the plan (tightenFreshness): 60 s PCR limit', () => {
    const p: RegimeParams = { ...PARAMS, freshness: { pcrMaxAgeMs: 60_000 } };
    expect(classify(bull({ pcr: { value: 1, asOfMs: NOW - 60_001 } }), p).flags).toContain('PCR_STALE');
    const loose: RegimeParams = { ...PARAMS, freshness: { pcrMaxAgeMs: 900_000 } };
    expect(classify(bull({ pcr: { value: 1, asOfMs: NOW - 120_001 } }), loose).flags).toContain('PCR_STALE');
  });

  it('secondary sources against the class flag *_DIVERGES and lower the score, never the class', () => {
    const d = classify(
      bull({
        pcr: { value: 0.5, asOfMs: NOW },
        gex: { value: { ...gexAbove, flip: 120 }, asOfMs: NOW },
        maxPain: { value: 90, asOfMs: NOW },
      }),
    );
    expect(d.regime).toBe('BULLISH');
    expect(d.flags).toEqual(expect.arrayContaining(['PCR_DIVERGES', 'GEX_DIVERGES', 'MAX_PAIN_DIVERGES']));
    expect(d.score).toBeCloseTo(0.7, 9);
    const all = classify(
      bull({
        pcr: { value: 1.5, asOfMs: NOW },
        gex: { value: gexAbove, asOfMs: NOW },
        maxPain: { value: 110, asOfMs: NOW },
      }),
    );
    expect(all.score).toBe(1);
    expect(all.flags).toEqual([]);
  });
});

describe('classifyRegime — missing and NaN inputs', () => {
  it('each missing primary input gives NO_TRADE with INSUFFICIENT_DATA', () => {
    const cases: Partial<RegimeInputs>[] = [
      { bar: null },
      { bar: { open: 1, high: 2, low: 0.5, close: Number.NaN } },
      { bar: { open: 1, high: 0.5, low: 2, close: 1 } },
      { ichimoku: null },
      { ichimoku: ich({ kijun: Number.NaN }) },
      { impulse: null },
      { atr: null },
      { atr: Number.NaN },
    ];
    for (const c of cases) {
      const d = classify(bull(c));
      expect(d.regime).toBe('NO_TRADE');
      expect(d.flags).toContain('INSUFFICIENT_DATA');
    }
  });

  const num = fc.oneof(
    fc.double({ noNaN: false }),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -1),
  );
  const stamped = <T>(v: fc.Arbitrary<T>) =>
    fc.option(fc.record({ value: v, asOfMs: fc.oneof(fc.integer(), fc.constant(Number.NaN)) }));
  const anyIchimoku = fc.record({
    tenkan: num,
    kijun: num,
    senkouA: num,
    senkouB: num,
    cloudA: num,
    cloudB: num,
    chikou: num,
    chikouReference: num,
    priceVsCloud: fc.constantFrom('above' as const, 'below' as const, 'inside' as const),
  });
  const anyInputs = fc
    .record({
      nowMs: fc.oneof(fc.integer(), fc.constant(Number.NaN)),
      bar: fc.option(fc.record({ open: num, high: num, low: num, close: num })),
      ichimoku: fc.option(anyIchimoku),
      prevIchimoku: fc.option(anyIchimoku),
      impulse: fc.option(fc.constantFrom('green' as const, 'red' as const, 'blue' as const)),
      atr: fc.option(num),
      cloudSlopePct: fc.option(num),
      vix: stamped(num),
      pcr: stamped(num),
      gex: stamped(
        fc.record({ total: num, flip: fc.option(num), support: fc.option(num), resistance: fc.option(num) }),
      ),
      maxPain: stamped(num),
    })
    .map((x): RegimeInputs => ({ ...x, prevIchimoku: x.prevIchimoku ?? null }));

  it('property: any input (NaN, ±∞, nulls) never throws and yields a valid REGIME_UPDATE payload', () => {
    fc.assert(
      fc.property(anyInputs, (i) => {
        const d = classifyRegime(i, PARAMS);
        expect(Math.abs(d.score)).toBeLessThanOrEqual(1);
        const payload = { version: 1, underlying: 'NIFTY', ...d, flags: [...d.flags] };
        expect(RegimeUpdatePayload.safeParse(payload).success).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a non-finite primary value never yields a tradable class', () => {
    const bad = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
    const field = fc.constantFrom(
      'close',
      'high',
      'low',
      'open',
      'tenkan',
      'kijun',
      'cloudA',
      'cloudB',
      'atr',
      'vix',
    );
    fc.assert(
      fc.property(field, bad, (f, x) => {
        const base = bull();
        const i: RegimeInputs =
          f === 'atr'
            ? { ...base, atr: x }
            : f === 'vix'
              ? { ...base, vix: { value: x, asOfMs: NOW } }
              : f === 'tenkan' || f === 'kijun' || f === 'cloudA' || f === 'cloudB'
                ? { ...base, ichimoku: ich({ [f]: x }) }
                : { ...base, bar: { ...base.bar!, [f]: x } };
        const d = classifyRegime(i, PARAMS);
        // +∞ VIX is a real (if absurd) reading above the cutoff: NO_TRADE either way.
        expect(d.regime).toBe('NO_TRADE');
      }),
    );
  });
});

describe('classifyRegime — fresh secondary analytics never change the primary class', () => {
  const price = fc.double({ min: 50, max: 150, noNaN: true });
  const primary = fc.record({
    close: price,
    range: fc.double({ min: 0, max: 5, noNaN: true }),
    cloudA: price,
    cloudB: price,
    tenkan: price,
    kijun: price,
    senkouA: price,
    senkouB: price,
    impulse: fc.constantFrom('green' as const, 'red' as const, 'blue' as const),
    atr: fc.double({ min: 0.1, max: 3, noNaN: true }),
    slope: fc.option(fc.double({ min: -3, max: 3, noNaN: true })),
    vix: fc.double({ min: 5, max: 50, noNaN: true }),
  });
  const secondary = fc.record({
    pcr: fc.option(fc.double({ min: 0, max: 3, noNaN: true })),
    gex: fc.option(
      fc.record({
        total: fc.double({ min: -1e10, max: 1e10, noNaN: true }),
        flip: fc.option(fc.double({ min: 50, max: 150, noNaN: true })),
        support: fc.constant(null),
        resistance: fc.constant(null),
      }),
    ),
    maxPain: fc.option(fc.double({ min: 50, max: 150, noNaN: true })),
    ageMs: fc.integer({ min: 0, max: 120_000 }),
  });

  it('property', () => {
    fc.assert(
      fc.property(primary, secondary, (p, s) => {
        const inputs: RegimeInputs = {
          nowMs: NOW,
          bar: { open: p.close, high: p.close + p.range / 2, low: p.close - p.range / 2, close: p.close },
          ichimoku: ich({
            tenkan: p.tenkan,
            kijun: p.kijun,
            senkouA: p.senkouA,
            senkouB: p.senkouB,
            cloudA: p.cloudA,
            cloudB: p.cloudB,
          }),
          impulse: p.impulse,
          atr: p.atr,
          cloudSlopePct: p.slope,
          vix: { value: p.vix, asOfMs: NOW },
          pcr: null,
          gex: null,
          maxPain: null,
        };
        const at = NOW - s.ageMs;
        const withSecondary: RegimeInputs = {
          ...inputs,
          pcr: s.pcr === null ? null : { value: s.pcr, asOfMs: at },
          gex: s.gex === null ? null : { value: s.gex, asOfMs: at },
          maxPain: s.maxPain === null ? null : { value: s.maxPain, asOfMs: at },
        };
        const a = classifyRegime(inputs, PARAMS);
        const b = classifyRegime(withSecondary, PARAMS);
        expect(b.regime).toBe(a.regime);
        // ±0.1 per source, three sources at most.
        expect(Math.abs(b.score - a.score)).toBeLessThanOrEqual(0.3 + 1e-9);
      }),
      { numRuns: 3000 },
    );
  });
});
