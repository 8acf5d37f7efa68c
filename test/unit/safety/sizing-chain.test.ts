import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runSizingChain, type SizingInput, type SizingResult } from '../../../src/safety/index.js';

// test_sizing_chain: §7's 8 steps in precedence order, each step only reduces.

const NOW = 9_000_000;
/** A worked example: every step's number can be checked by hand (see the comments). */
const base = (over: Partial<SizingInput> = {}): SizingInput => ({
  capital: 1_000_000,
  ewmaDailyVol: 0.01, // ×16 = 16 % a year → ₹200 000 / 0.16 = ₹1 250 000 exposure
  exposurePerLot: 125_000, // → step 1: 10 lots
  winRate: 0.6,
  rewardRisk: 1.5, // f* = 0.6 − 0.4/1.5 = 1/3; half = 1/6 × 1e6 = ₹166 667 / ₹5 000 → 33.3 lots
  slDistancePerLot: 5_000, // step 3: ₹20 000 / ₹5 000 = 4 lots
  lotSize: 65,
  vix: 15,
  correlation: 0.2,
  sectorMarginUsed: 100_000, // 10 % of ₹1 000 000 total margin
  openPositions: 3,
  marginPerLot: 100_000,
  margin: { availableMargin: 800_000, usedMargin: 200_000, asOfMs: NOW - 1_000 },
  nowMs: NOW,
  ...over,
});
const outputs = (r: SizingResult) => r.trace.map((s) => s.output);
const lotsOf = (r: SizingResult) => (r.ok ? r.lots : 0);
const codeOf = (r: SizingResult) => (r.ok ? 'OK' : r.code);

describe('§7 the 8 steps, in order', () => {
  it('worked example: 10 → 10 → 4 → 4 → 4 → 4 → 4 → 4 → 4 lots (260 units)', () => {
    const r = runSizingChain(base());
    expect(r.ok).toBe(true);
    expect(r.trace.map((s) => [s.step, s.name])).toEqual([
      [1, 'carver_vol_target'],
      [2, 'half_kelly_cap'],
      [3, 'two_percent_rule'],
      [4, 'vix_overlay'],
      [5, 'idm_correlation'],
      [6, 'sector_heat_cap'],
      [7, 'position_cap'],
      [8, 'margin_reserve_gate'],
      [9, 'round_down_lots'],
    ]);
    expect(outputs(r)[0]).toBeCloseTo(10, 9);
    expect(outputs(r).slice(1)).toEqual([10, 4, 4, 4, 4, 4, 4, 4]);
    expect(r.ok && [r.lots, r.quantity]).toEqual([4, 260]);
    // Each step's input is the previous step's output: the Journaling agent stores the chain whole.
    for (let k = 1; k < r.trace.length; k++) expect(r.trace[k]!.input).toBe(r.trace[k - 1]!.output);
    expect(JSON.parse(JSON.stringify(r.trace))).toEqual(r.trace);
  });

  it('step 1 (Carver) binds: ₹1 250 000 / ₹500 000 per lot = 2.5 → 2 lots', () => {
    const r = runSizingChain(base({ exposurePerLot: 500_000 }));
    expect(outputs(r)[0]).toBeCloseTo(2.5, 9);
    expect(lotsOf(r)).toBe(2);
  });

  it('step 2 (half-Kelly) binds: W 0.42, RR 1.5 → f* 1/30, half → ₹16 667 / ₹5 000 = 3.33 → 3 lots', () => {
    const r = runSizingChain(base({ winRate: 0.42, rewardRisk: 1.5 }));
    expect(outputs(r)[1]).toBeCloseTo(10 / 3, 9);
    expect(lotsOf(r)).toBe(3);
  });

  it('step 2: no edge (f* ≤ 0) sizes to zero → SIZING_ZERO_LOTS', () => {
    const r = runSizingChain(base({ winRate: 0.3, rewardRisk: 1 }));
    expect(outputs(r)[1]).toBe(0);
    expect(codeOf(r)).toBe('SIZING_ZERO_LOTS');
  });

  it('step 3 (2 % rule) binds: ₹20 000 / SL ₹2 500 per lot = 8 lots', () => {
    expect(lotsOf(runSizingChain(base({ slDistancePerLot: 2_500, marginPerLot: 50_000 })))).toBe(8);
  });

  it('step 4: VIX exactly 30 keeps size; VIX 30.01 halves it', () => {
    expect(lotsOf(runSizingChain(base({ vix: 30 })))).toBe(4);
    const r = runSizingChain(base({ vix: 30.01 }));
    expect(outputs(r)[3]).toBe(2);
    expect(lotsOf(r)).toBe(2);
  });

  it('step 5: correlation exactly 0.7 keeps size; 0.7001 multiplies by 0.7 (4 → 2.8 → 2 lots)', () => {
    expect(lotsOf(runSizingChain(base({ correlation: 0.7 })))).toBe(4);
    const r = runSizingChain(base({ correlation: 0.7001 }));
    expect(outputs(r)[4]).toBeCloseTo(2.8, 9);
    expect(lotsOf(r)).toBe(2);
  });

  it('steps 4 and 5 compound: VIX 35 and correlation 0.8 → 4 × 0.5 × 0.7 = 1.4 → 1 lot', () => {
    const r = runSizingChain(base({ vix: 35, correlation: 0.8 }));
    expect(lotsOf(r)).toBe(1);
  });

  it('step 6: sector at exactly 20 % of margin passes; 20.001 % rejects (SIZING_SECTOR_HEAT)', () => {
    expect(lotsOf(runSizingChain(base({ sectorMarginUsed: 200_000 })))).toBe(4);
    const r = runSizingChain(base({ sectorMarginUsed: 200_010 }));
    expect(codeOf(r)).toBe('SIZING_SECTOR_HEAT');
    expect(r.trace.at(-1)).toMatchObject({ step: 6, output: 0, rejected: 'SIZING_SECTOR_HEAT' });
  });

  it('step 7: 9 positions open pass; 10 reject (SIZING_POSITION_CAP)', () => {
    expect(lotsOf(runSizingChain(base({ openPositions: 9 })))).toBe(4);
    expect(codeOf(runSizingChain(base({ openPositions: 10 })))).toBe('SIZING_POSITION_CAP');
  });

  it('step 8: post-order free margin exactly 25 % passes; below rejects (SIZING_MARGIN_RESERVE)', () => {
    // ₹800 000 free − 4 lots × ₹137 500 = ₹250 000 = 25.000 % of ₹1 000 000.
    expect(lotsOf(runSizingChain(base({ marginPerLot: 137_500 })))).toBe(4);
    expect(codeOf(runSizingChain(base({ marginPerLot: 137_501 })))).toBe('SIZING_MARGIN_RESERVE');
  });

  it('step 8: a funds snapshot exactly 60 s old is usable; 60.001 s is stale (SIZING_MARGIN_STALE)', () => {
    const snap = (age: number) => ({ availableMargin: 800_000, usedMargin: 200_000, asOfMs: NOW - age });
    expect(lotsOf(runSizingChain(base({ margin: snap(60_000) })))).toBe(4);
    expect(codeOf(runSizingChain(base({ margin: snap(60_001) })))).toBe('SIZING_MARGIN_STALE');
  });

  it('final: rounds down, never up (3.999 → 3); below one lot → SIZING_ZERO_LOTS', () => {
    expect(lotsOf(runSizingChain(base({ slDistancePerLot: 20_000 / 3.999 })))).toBe(3);
    expect(codeOf(runSizingChain(base({ slDistancePerLot: 25_000 })))).toBe('SIZING_ZERO_LOTS');
  });

  it('precedence: the first rejecting step names the code (6 before 7 before 8)', () => {
    const stale = { availableMargin: 1, usedMargin: 999_999, asOfMs: NOW - 999_999 };
    expect(
      codeOf(runSizingChain(base({ sectorMarginUsed: 900_000, openPositions: 12, margin: stale }))),
    ).toBe('SIZING_SECTOR_HEAT');
    expect(codeOf(runSizingChain(base({ openPositions: 12, margin: stale })))).toBe('SIZING_POSITION_CAP');
    expect(codeOf(runSizingChain(base({ margin: stale })))).toBe('SIZING_MARGIN_STALE');
  });
});

describe('§7 bad inputs: a clear rejection, never a size', () => {
  const cases: Array<[string, Partial<SizingInput>]> = [
    ['NaN capital', { capital: Number.NaN }],
    ['negative vol', { ewmaDailyVol: -0.01 }],
    ['zero vol', { ewmaDailyVol: 0 }],
    ['zero SL distance', { slDistancePerLot: 0 }],
    ['infinite SL distance', { slDistancePerLot: Number.POSITIVE_INFINITY }],
    ['missing margin snapshot', { margin: null }],
    ['NaN margin', { margin: { availableMargin: Number.NaN, usedMargin: 0, asOfMs: NOW } }],
    ['win rate above 1', { winRate: 1.2 }],
    ['fractional lot size', { lotSize: 1.5 }],
    ['correlation above 1', { correlation: 1.5 }],
    ['negative VIX', { vix: -1 }],
    ['NaN now', { nowMs: Number.NaN }],
  ];
  it.each(cases)('%s → SIZING_INVALID_INPUT', (_name, over) => {
    const r = runSizingChain(base(over));
    expect(r.ok).toBe(false);
    expect(codeOf(r)).toBe('SIZING_INVALID_INPUT');
    expect(r.trace).toHaveLength(1);
  });

  it('an overflowing size (₹1e300 capital) can never come out as a number of lots', () => {
    const r = runSizingChain(
      base({ capital: 1e300, margin: { availableMargin: 1e300, usedMargin: 0, asOfMs: NOW } }),
    );
    expect(codeOf(r)).toBe('SIZING_INVALID_INPUT');
  });
});

describe('no config can loosen the chain', () => {
  it('loose params are clamped to the plan: same result as the defaults', () => {
    const loose = {
      volTargetPct: 200,
      kellyFraction: 1,
      riskPerTradePct: 50,
      vixHighThreshold: 1_000,
      vixHighMultiplier: 1,
      correlationThreshold: 1,
      correlationMultiplier: 1,
      sectorHeatMaxPct: 100,
      maxPositions: 1_000,
      marginReserveMinPct: 0,
      marginMaxAgeMs: 1e12,
    };
    const stressed = base({ vix: 40, correlation: 0.9 });
    expect(runSizingChain(stressed, loose)).toEqual(runSizingChain(stressed));
    expect(codeOf(runSizingChain(base({ openPositions: 10 }), loose))).toBe('SIZING_POSITION_CAP');
    expect(codeOf(runSizingChain(base({ sectorMarginUsed: 300_000 }), loose))).toBe('SIZING_SECTOR_HEAT');
    const old = { availableMargin: 800_000, usedMargin: 200_000, asOfMs: NOW - 61_000 };
    expect(codeOf(runSizingChain(base({ margin: old }), loose))).toBe('SIZING_MARGIN_STALE');
  });
});

// Property tests ------------------------------------------------------------------------------

const anyNumber = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: 1e-6, max: 1e7, noNaN: true }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, -1, Number.NaN, Number.POSITIVE_INFINITY, -Number.MAX_VALUE, 1e300),
  },
);
const arbInput: fc.Arbitrary<SizingInput> = fc.record({
  capital: anyNumber,
  ewmaDailyVol: fc.oneof(fc.double({ min: 1e-4, max: 0.2, noNaN: true }), anyNumber),
  exposurePerLot: anyNumber,
  winRate: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(-0.1, 1.1, Number.NaN)),
  rewardRisk: fc.oneof(fc.double({ min: 0.1, max: 5, noNaN: true }), fc.constantFrom(0, -1)),
  slDistancePerLot: anyNumber,
  lotSize: fc.oneof(fc.integer({ min: 1, max: 1_800 }), fc.constantFrom(0, 1.5)),
  vix: fc.double({ min: 0, max: 90, noNaN: true }),
  correlation: fc.double({ min: -1, max: 1, noNaN: true }),
  sectorMarginUsed: fc.double({ min: 0, max: 3e5, noNaN: true }),
  openPositions: fc.integer({ min: 0, max: 12 }),
  marginPerLot: anyNumber,
  margin: fc.option(
    fc.record({
      availableMargin: fc.double({ min: 0, max: 2e7, noNaN: true }),
      usedMargin: fc.double({ min: 0, max: 2e7, noNaN: true }),
      asOfMs: fc.integer({ min: NOW - 90_000, max: NOW }),
    }),
    { nil: null },
  ),
  nowMs: fc.constant(NOW),
});

describe('§7 properties (fast-check)', () => {
  it('no step ever increases the size, and the lots never exceed any step output (any input)', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const r = runSizingChain(input);
        for (const s of r.trace) {
          if (s.input !== null) expect(s.output).toBeLessThanOrEqual(s.input);
          expect(Number.isNaN(s.output)).toBe(false);
        }
        if (r.ok) {
          expect(Number.isSafeInteger(r.lots) && r.lots >= 1).toBe(true);
          for (const s of r.trace) expect(r.lots).toBeLessThanOrEqual(s.output);
          expect(r.quantity).toBe(r.lots * input.lotSize);
          expect(r.trace).toHaveLength(9);
        } else {
          expect(r.trace.at(-1)?.rejected).toBe(r.code);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a riskier world never gets a bigger size (higher vol, VIX, correlation, SL distance)', () => {
    const valid = fc.record({
      ewmaDailyVol: fc.double({ min: 0.002, max: 0.05, noNaN: true }),
      vix: fc.double({ min: 5, max: 60, noNaN: true }),
      correlation: fc.double({ min: -1, max: 1, noNaN: true }),
      slDistancePerLot: fc.double({ min: 500, max: 50_000, noNaN: true }),
      bump: fc.double({ min: 1, max: 3, noNaN: true }),
    });
    fc.assert(
      fc.property(valid, (v) => {
        const a = base({ ...v, marginPerLot: 1 });
        const b = base({
          ...v,
          marginPerLot: 1,
          ewmaDailyVol: v.ewmaDailyVol * v.bump,
          vix: v.vix * v.bump,
          correlation: Math.min(1, v.correlation + (v.bump - 1) / 2),
          slDistancePerLot: v.slDistancePerLot * v.bump,
        });
        expect(lotsOf(runSizingChain(b))).toBeLessThanOrEqual(lotsOf(runSizingChain(a)));
      }),
      { numRuns: 200 },
    );
  });
});
