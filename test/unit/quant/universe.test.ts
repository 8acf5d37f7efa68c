import { describe, expect, it } from 'vitest';
import { type Bar, buildActiveWatchlist, type DailyBar, rescoreHotList } from '../../../src/quant/index.js';
import { num, readCsv } from './csv.js';

// Real data: NSE equity bhavcopy rows for 16 liquid NIFTY stocks, the NIFTY 500 list and NIFTY
// 50 daily closes (/work/shared/data, see SOURCES.md). As of 2025-05-30 the 50-session window
// holds none of the corporate actions SOURCES.md lists (the first is BAJFINANCE on 2025-06-16).
const AS_OF = '2025-05-30';
const constituents = readCsv('nifty500_constituents.csv').map((r) => r.symbol!);
const benchmark: DailyBar[] = readCsv('nifty50_daily.csv').map((r) => ({
  date: r.date!,
  open: num(r.open)!,
  high: num(r.high)!,
  low: num(r.low)!,
  close: num(r.close)!,
  volume: 0,
}));
const bars = new Map<string, DailyBar[]>();
for (const r of readCsv('nse_stocks_daily_eq.csv')) {
  const list = bars.get(r.symbol!) ?? [];
  list.push({
    date: r.date!,
    open: num(r.open)!,
    high: num(r.high)!,
    low: num(r.low)!,
    close: num(r.close)!,
    volume: num(r.volume_shares)!,
  });
  bars.set(r.symbol!, list);
}
for (const list of bars.values()) list.sort((a, b) => (a.date < b.date ? -1 : 1));

describe('§9 daily universe build on real NSE data', () => {
  const params = { rsTopN: 8, watchlistMin: 5, watchlistMax: 8 };
  const result = buildActiveWatchlist({ constituents, bars, benchmark, asOfDate: AS_OF }, params);

  it('ranks by RS(50) against NIFTY exactly as a direct computation over the CSV', () => {
    const bi = benchmark.findIndex((b) => b.date === AS_OF);
    const start = benchmark[bi - 50]!.date;
    const bench = benchmark[bi]!.close / benchmark[bi - 50]!.close;
    const expected: { symbol: string; rs: number }[] = [];
    for (const [symbol, list] of bars) {
      const end = list.find((b) => b.date === AS_OF);
      const begin = list.find((b) => b.date === start);
      const i = list.findIndex((b) => b.date === AS_OF);
      const avgVol = list.slice(i - 49, i + 1).reduce((a, b) => a + b.volume, 0) / 50;
      if (end === undefined || begin === undefined || !(avgVol > 500_000)) continue;
      expected.push({ symbol, rs: end.close / begin.close / bench - 1 });
    }
    expected.sort((a, b) => b.rs - a.rs);
    expect(result.asOfDate).toBe(AS_OF);
    expect(result.members.map((m) => m.symbol)).toEqual(expected.slice(0, 8).map((e) => e.symbol));
    result.members.forEach((m, k) => {
      expect(m.rank).toBe(k + 1);
      expect(m.rs).toBeCloseTo(expected[k]!.rs, 12);
      expect(m.avgVolume).toBeGreaterThan(500_000);
    });
    expect(result.belowMinimum).toBe(false);
  });

  it('NIFTY and BANKNIFTY are always on the list; symbols without data are reported, not dropped silently', () => {
    expect(result.symbols.slice(0, 2)).toEqual(['NIFTY', 'BANKNIFTY']);
    expect(result.symbols).toHaveLength(2 + 8);
    const reasons = new Map(result.excluded.map((e) => [e.symbol, e.reason]));
    expect(reasons.get('360ONE')).toBe('NO_DATA');
    expect([...reasons.values()].filter((r) => r === 'BELOW_RS_CUTOFF').length).toBeGreaterThan(0);
  });

  it('the volume threshold (> 500K shares/day) excludes with LOW_VOLUME', () => {
    const strict = buildActiveWatchlist(
      { constituents, bars, benchmark, asOfDate: AS_OF },
      { ...params, minVolume: 20_000_000 },
    );
    expect(strict.excluded.some((e) => e.reason === 'LOW_VOLUME')).toBe(true);
    for (const m of strict.members) expect(m.avgVolume).toBeGreaterThan(20_000_000);
    expect(strict.belowMinimum).toBe(strict.members.length < 5);
  });

  it('plan defaults: RS top 50, 30–50 members — 16 stocks of data fall below the minimum, and say so', () => {
    const def = buildActiveWatchlist({ constituents, bars, benchmark, asOfDate: AS_OF });
    expect(def.members.length).toBeLessThanOrEqual(50);
    expect(def.belowMinimum).toBe(true);
  });
});

describe('§9 intraday rescore → Hot List', () => {
  it('ranks real watchlist members by distance to their nearest VCP pivot or zone', () => {
    const wl = buildActiveWatchlist(
      { constituents, bars, benchmark, asOfDate: AS_OF },
      { rsTopN: 12, watchlistMin: 5, watchlistMax: 12 },
    );
    const inputs = wl.members.map((m) => {
      const list = bars.get(m.symbol)!;
      const i = list.findIndex((b) => b.date === AS_OF);
      return { symbol: m.symbol, bars: list.slice(Math.max(0, i - 149), i + 1), rs: m.rs };
    });
    const hot = rescoreHotList(inputs, { hotListSize: 5 });
    expect(hot.symbols.slice(0, 2)).toEqual(['NIFTY', 'BANKNIFTY']);
    expect(hot.entries.length).toBeLessThanOrEqual(5);
    for (let k = 1; k < hot.entries.length; k++) {
      expect(hot.entries[k]!.proximity).toBeGreaterThanOrEqual(hot.entries[k - 1]!.proximity);
    }
    const members = new Set(wl.members.map((m) => m.symbol));
    for (const e of hot.entries) expect(members.has(e.symbol)).toBe(true);
    expect(hot.entries.length + hot.withoutSetup.length).toBeLessThanOrEqual(wl.members.length);
  });

  it('the symbol sitting at its VCP pivot outranks one far from any setup level', () => {
    const leg = (a: number, b: number, n: number): Bar[] =>
      Array.from({ length: n }, (_, s) => {
        const c = a + ((b - a) * (s + 1)) / n;
        return { open: c, high: c, low: c, close: c, volume: 1_000_000 };
      });
    const vcp = [80, 120, 96, 118, 106.2, 117, 111.15, 116.5].flatMap((p, k, all) =>
      k === 0 ? [] : leg(all[k - 1]!, p, 18),
    );
    const far = vcp.map((b) => ({
      ...b,
      open: b.open * 0.5,
      high: b.high * 0.5,
      low: b.low * 0.5,
      close: b.close * 0.5,
    }));
    const hot = rescoreHotList(
      [
        { symbol: 'FAR', bars: far, lastPrice: 40 },
        { symbol: 'NEAR', bars: vcp, lastPrice: 116.9 },
      ],
      { hotListSize: 1 },
    );
    expect(hot.entries).toHaveLength(1);
    expect(hot.entries[0]).toMatchObject({ symbol: 'NEAR', setup: 'VCP_PIVOT', level: 117 });
    expect(hot.entries[0]!.proximity).toBeCloseTo((117 - 116.9) / 116.9, 12);
    expect(hot.symbols).toEqual(['NIFTY', 'BANKNIFTY', 'NEAR']);
  });
});
