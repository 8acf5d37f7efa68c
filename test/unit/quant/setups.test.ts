import { describe, expect, it } from 'vitest';
import { type Bar, SupplyDemand, supplyDemandSeries, Vcp, vcpSeries } from '../../../src/quant/index.js';

/** A path through the given turning points, `per` bars per leg; each bar spans the move of its step. */
function path(points: number[], per: number, volume: (i: number) => number): Bar[] {
  const bars: Bar[] = [];
  let prev = points[0]!;
  for (let k = 1; k < points.length; k++) {
    const a = points[k - 1]!;
    const b = points[k]!;
    for (let s = 1; s <= per; s++) {
      const c = a + ((b - a) * s) / per;
      bars.push({
        open: prev,
        high: Math.max(prev, c),
        low: Math.min(prev, c),
        close: c,
        volume: volume(bars.length),
      });
      prev = c;
    }
  }
  return bars;
}

describe('VCP contraction measure (Minervini)', () => {
  // Advance 80 → 120, then three pullbacks of 20 %, 10 % and 5 % with falling volume, then a
  // rise toward the last swing high: a textbook volatility contraction pattern.
  const points = [80, 120, 96, 118, 106.2, 117, 111.15, 115];
  const bars = path(points, 15, (i) => (i < 60 ? 2_000_000 : 2_000_000 - (i - 60) * 15_000));

  it('finds the three contractions, shallower each time, the pivot and the volume dry-up', () => {
    const v = new Vcp({ lookback: bars.length });
    let value = null;
    for (const b of bars) value = v.update(b);
    expect(value).not.toBeNull();
    expect(value!.depths.map((d) => Math.round(d * 1000) / 1000)).toEqual([0.2, 0.1, 0.05]);
    expect(value!.contracting).toBe(true);
    expect(value!.lastDepth).toBeCloseTo(0.05, 12);
    expect(value!.pivot).toBe(117);
    expect(value!.distanceToPivot).toBeCloseTo((117 - 115) / 115, 12);
    expect(value!.volumeRatio!).toBeLessThan(1);
  });

  it('a widening sequence is not a VCP', () => {
    const widening = path([80, 120, 114, 119, 107, 118, 94.4, 100], 15, () => 1_000_000);
    const v = new Vcp({ lookback: widening.length });
    let value = null;
    for (const b of widening) value = v.update(b);
    expect(value!.contracting).toBe(false);
  });

  it('null until the window is full; batch equals streaming', () => {
    const series = vcpSeries(bars, { lookback: 60 });
    expect(series[58]).toBeNull();
    const v = new Vcp({ lookback: 60 });
    bars.forEach((b, i) => {
      expect(v.update(b)).toEqual(series[i]);
    });
  });
});

describe('supply and demand zones', () => {
  // 20 ordinary bars (range 1, body 0.6) set the ATR; then a two-bar base (bodies 0.1) and a
  // wide bullish leg-out (range 4, body 3.6): a demand zone from the base's top body to its low.
  const ordinary: Bar[] = Array.from({ length: 20 }, (_, i) => {
    const o = 100 + (i % 2 === 0 ? 0 : 0.6);
    const c = 100 + (i % 2 === 0 ? 0.6 : 0);
    return { open: o, high: 100.8, low: 99.8, close: c, volume: 1 };
  });
  const base: Bar[] = [
    { open: 100.2, high: 100.7, low: 99.7, close: 100.3, volume: 1 },
    { open: 100.3, high: 100.8, low: 99.9, close: 100.2, volume: 1 },
  ];
  const legOut: Bar = { open: 100.3, high: 104.2, low: 100.2, close: 103.9, volume: 1 };
  const away: Bar[] = [
    { open: 103.9, high: 105, low: 103.5, close: 104.8, volume: 1 },
    { open: 104.8, high: 105.5, low: 104.2, close: 105.2, volume: 1 },
  ];
  const retest: Bar = { open: 102, high: 102.2, low: 100.25, close: 101, volume: 1 };
  const breakBar: Bar = { open: 100.5, high: 100.6, low: 99, close: 99.2, volume: 1 };

  it('creates the zone at the leg-out, counts a retest, drops it on a close through the distal edge', () => {
    const sd = new SupplyDemand();
    for (const b of [...ordinary, ...base]) sd.update(b);
    const created = sd.update(legOut)!;
    expect(created.zones).toHaveLength(1);
    expect(created.zones[0]).toMatchObject({ kind: 'demand', proximal: 100.3, distal: 99.7, tests: 0 });
    let v = created;
    for (const b of away) v = sd.update(b)!;
    expect(v.nearestDemand!.distance).toBeCloseTo((105.2 - 100.3) / 105.2, 12);
    expect(v.nearestSupply).toBeNull();
    v = sd.update(retest)!;
    const demand = v.zones.find((z) => z.kind === 'demand')!;
    expect(demand.tests).toBe(1);
    expect(v.nearestDemand!.zone).toEqual(demand);
    expect(v.nearestDemand!.distance).toBeCloseTo((101 - 100.3) / 101, 12);
    // The retest was itself a wide bearish bar after a small-bodied one: a fresh supply zone.
    expect(v.zones[0]).toMatchObject({ kind: 'supply', proximal: 104.8, distal: 105.5, tests: 0 });
    v = sd.update(breakBar)!;
    expect(v.zones.filter((z) => z.kind === 'demand')).toHaveLength(0);
  });

  it('a bearish leg-out leaves a supply zone from the base’s lowest body to its highest high', () => {
    const down: Bar = { open: 100.2, high: 100.3, low: 96.2, close: 96.5, volume: 1 };
    const sd = new SupplyDemand();
    for (const b of [...ordinary, ...base]) sd.update(b);
    const v = sd.update(down)!;
    expect(v.zones[0]).toMatchObject({ kind: 'supply', proximal: 100.2, distal: 100.8 });
    expect(v.nearestSupply!.distance).toBeCloseTo((100.2 - 96.5) / 96.5, 12);
  });

  it('no zone without a base (a wide bar after wide bars)', () => {
    const sd = new SupplyDemand();
    for (const b of ordinary) sd.update(b);
    expect(sd.update(legOut)!.zones).toHaveLength(0);
  });

  it('batch equals streaming', () => {
    const all = [...ordinary, ...base, legOut, ...away, retest, breakBar];
    const series = supplyDemandSeries(all);
    const sd = new SupplyDemand();
    all.forEach((b, i) => {
      expect(sd.update(b)).toEqual(series[i]);
    });
  });
});
