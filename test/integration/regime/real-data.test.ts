import { describe, expect, it } from 'vitest';
import type { EngineParams, OhlcBar } from '../../../src/agents/regime/index.js';
import { RegimeUpdatePayload } from '../../../src/contracts/index.js';
import { REGIME_TEST_PARAMS } from '../../support/regime-params.js';
import {
  bankniftyWithVix,
  type Evaluated,
  istDay,
  istTime,
  readDailyClose,
  readIntraday,
  replay,
  summarise,
} from './replay-data.js';

// Recorded market data (/work/shared/data, SOURCES.md) through the RegimeEngine, bar by bar as the
// agent would see it. The engine is deterministic, so the summaries below are exact regressions; the
// comments say why each is what the data should give.

const FIVE_MIN = 300_000;
/** Config defaults (src/config/schema.ts `regime`). */
const DEFAULTS: EngineParams = REGIME_TEST_PARAMS;
/** A band that suits 5-minute bars: a 5-minute NIFTY ATR is ~0.06 % of price, 0.5 % is ~8 ATRs. */
const INTRADAY = { ...DEFAULTS, congestionBandPct: 0.1 };

/** The invariants every decision must satisfy, whatever the data. */
function checkInvariants(rows: readonly Evaluated[], params: EngineParams): void {
  const warm = params.ichimokuSpanB + params.ichimokuBase;
  rows.forEach(({ update }, i) => {
    if (i < warm - 1) {
      expect(update).toBeNull();
      return;
    }
    expect(update).not.toBeNull();
    const u = update!;
    expect(RegimeUpdatePayload.safeParse({ ...u, version: 1 }).success).toBe(true);
    expect(Math.abs(u.score)).toBeLessThanOrEqual(1);
    const ind = u.indicators as Record<string, number | string | null>;
    const close = ind.close as number;
    const range = ind.bar_range as number;
    const atr = ind.atr as number;
    // Blow-off is exactly "range > multiple × ATR" whenever VIX allows trading (indicators rounded to 1e-6).
    if (u.regime !== 'NO_TRADE') {
      if (u.regime === 'BLOWOFF') expect(range).toBeGreaterThan(params.blowoffAtrMultiple * atr - 1e-5);
      else expect(range).toBeLessThanOrEqual(params.blowoffAtrMultiple * atr + 1e-5);
    }
    if (u.regime === 'BULLISH') {
      expect(close).toBeGreaterThan(ind.cloud_top as number);
      expect(ind.impulse).not.toBe('red');
      expect(u.score).toBeGreaterThan(0);
    }
    if (u.regime === 'BEARISH') {
      expect(close).toBeLessThan(ind.cloud_bottom as number);
      expect(ind.impulse).not.toBe('green');
      expect(u.score).toBeLessThan(0);
    }
    if (u.regime === 'CONGESTION') {
      expect(
        u.flags.some((f) => ['IN_CLOUD', 'NEAR_CLOUD', 'FLAT_CLOUD', 'IMPULSE_CONFLICT'].includes(f)),
      ).toBe(true);
    }
    // No chain in these replays: the §4 table flags all three analytics, every bar.
    expect(u.flags).toEqual(expect.arrayContaining(['PCR_STALE', 'GEX_STALE', 'MAX_PAIN_STALE']));
  });
}

/** Open-to-close move per IST session, %. */
function dayMoves(bars: readonly OhlcBar[]): Map<string, number> {
  const oc = new Map<string, [number, number]>();
  for (const b of bars) {
    const d = istDay(b.timeMs);
    const x = oc.get(d);
    if (x) x[1] = b.close;
    else oc.set(d, [b.open, b.close]);
  }
  return new Map([...oc].map(([d, [o, c]]) => [d, ((c - o) / o) * 100]));
}

function perDay(rows: readonly Evaluated[]): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const { bar, update } of rows) {
    if (!update) continue;
    const d = istDay(bar.timeMs);
    const c = out.get(d) ?? {};
    c[update.regime] = (c[update.regime] ?? 0) + 1;
    out.set(d, c);
  }
  return out;
}

describe('NIFTY 50 5-minute, 2025-11-10 .. 2026-01-05 (40 sessions, 2998 bars)', () => {
  const bars = readIntraday('nifty50_5min_2025-11_2026-01.csv');
  // No intraday VIX exists for this range: the previous session's India VIX close (NSE daily file) is
  // fed at each session's first bar — honestly old, so every bar is VIX_STALE ("use last known").
  const vixDaily = readDailyClose('india_vix_daily.csv');
  const vixDays = [...vixDaily.keys()].sort();
  const prevVix = (day: string): number | null => {
    let v: number | null = null;
    for (const d of vixDays) {
      if (d >= day) break;
      v = vixDaily.get(d)!;
    }
    return v;
  };
  const run = (params: EngineParams) => {
    const fed = new Set<string>();
    return replay(bars, FIVE_MIN, params, (bar) => {
      const day = istDay(bar.timeMs);
      if (fed.has(day)) return [];
      fed.add(day);
      const v = prevVix(day);
      return v === null ? [] : [[v, bar.timeMs] as const];
    });
  };

  it('invariants hold with the config defaults and with the intraday band', () => {
    expect(bars).toHaveLength(2998);
    checkInvariants(run(DEFAULTS), DEFAULTS);
    checkInvariants(run(INTRADAY), INTRADAY);
  });

  it('a 0.5 % band calls ~96 % of 5-minute bars CONGESTION (recorded)', () => {
    const s = summarise(run(DEFAULTS), 6);
    // NIFTY's 5-minute ATR is ~15 points (~0.06 %): price rarely gets 0.5 % (~130 points) clear of a
    // cloud built from the last 52 bars, so NEAR_CLOUD dominates. The trends that do clear it are the
    // big days: 11-11's afternoon rally and the 11-26 +1.4 % day.
    expect(s.counts).toEqual({ CONGESTION: 2795, BEARISH: 27, BULLISH: 63, BLOWOFF: 36 });
    expect(s.transitions).toEqual([
      '11-11T09:25 CONGESTION',
      '11-11T10:30 BEARISH',
      '11-11T11:05 CONGESTION',
      '11-11T11:15 BEARISH',
      '11-11T11:25 CONGESTION',
      '11-11T14:15 BULLISH',
    ]);
    // VIX: previous closes 9.2–13.6; below vixLow (12) from 11-14 on except 11-21..11-25.
    expect(s.flagCounts.VIX_STALE).toBe(2921);
    expect(s.flagCounts.THIN_PREMIUM).toBe(2249);
    expect(s.flagCounts.HIGH_VOL).toBeUndefined();
  });

  it('intraday band: the recorded sequence follows the trends in the data', () => {
    const rows = run(INTRADAY);
    const s = summarise(rows, 8);
    expect(s.counts).toEqual({ BEARISH: 564, CONGESTION: 1517, BULLISH: 804, BLOWOFF: 36 });
    // 11-11: NIFTY drifted from 25 546 to 25 457 by 10:45 (BEARISH), then rallied to 25 700 into the
    // close (BULLISH from 12:45); the first decision is at 09:25 on day 2 (78 bars of warm-up).
    expect(s.transitions).toEqual([
      '11-11T09:25 BEARISH',
      '11-11T10:05 CONGESTION',
      '11-11T10:10 BEARISH',
      '11-11T11:35 CONGESTION',
      '11-11T12:05 BEARISH',
      '11-11T12:10 CONGESTION',
      '11-11T12:45 BULLISH',
      '11-11T12:50 CONGESTION',
    ]);
    // The three biggest up days (11-26 +1.39 %, 01-02 +0.71 %, 12-05 +0.67 %) are mostly BULLISH and
    // never BEARISH; the three biggest down days (12-08 −0.86 %, 11-24 −0.71 %, 12-01 −0.55 %) lean
    // BEARISH.
    const moves = [...dayMoves(bars)].sort((a, b) => a[1] - b[1]);
    const days = perDay(rows);
    for (const [day] of moves.slice(-3)) {
      const c = days.get(day)!;
      expect(c.BULLISH ?? 0, day).toBeGreaterThan(30);
      expect(c.BEARISH ?? 0, day).toBe(0);
    }
    for (const [day] of moves.slice(0, 3)) {
      const c = days.get(day)!;
      expect(c.BEARISH ?? 0, day).toBeGreaterThan(2 * (c.BULLISH ?? 0));
    }
    // Blow-offs are mostly the 09:15 opening bar, which carries the overnight repricing (25 of 36).
    const blowoffs = rows.filter((r) => r.update?.regime === 'BLOWOFF').map((r) => istTime(r.bar.timeMs));
    expect(blowoffs.filter((t) => t.endsWith('09:15'))).toHaveLength(25);
  });
});

describe('BANKNIFTY 1-minute → 5-minute with 1-minute India VIX, 2023-04-03 .. 2023-06-01', () => {
  const { bars, vixAt } = bankniftyWithVix(FIVE_MIN);

  it('invariants hold; the recorded summary (intraday band)', () => {
    const rows = replay(bars, FIVE_MIN, INTRADAY, vixAt);
    checkInvariants(rows, INTRADAY);
    const s = summarise(rows, 6);
    // 2023-04-03..05: BANKNIFTY climbed from ~40 600 to ~40 900, so the first decision (04-05 09:25,
    // after 78 bars) is BULLISH; the index ended the period at 43 788 (2023-06-01), hence BULLISH > BEARISH.
    expect(s.counts).toEqual({ BULLISH: 1041, CONGESTION: 1400, BEARISH: 466, BLOWOFF: 17 });
    expect(s.transitions).toEqual([
      '04-05T09:25 BULLISH',
      '04-05T09:55 CONGESTION',
      '04-05T10:00 BULLISH',
      '04-05T10:15 CONGESTION',
      '04-05T10:25 BULLISH',
      '04-05T10:30 CONGESTION',
    ]);
  });

  it('VIX flags follow the recorded India VIX exactly (THIN_PREMIUM, VIX_STALE, no HIGH_VOL)', () => {
    const rows = replay(bars, FIVE_MIN, DEFAULTS, vixAt);
    let lastVixAt = Number.NEGATIVE_INFINITY;
    let thin = 0;
    let stale = 0;
    for (const { bar, update } of rows) {
      for (const [, t] of vixAt(bar)) lastVixAt = Math.max(lastVixAt, t);
      if (!update) continue;
      const vix = update.vix!;
      // India VIX closed between 10.81 and 13.72 in these sessions: never near vixHigh or vixNoTrade.
      expect(update.flags).not.toContain('HIGH_VOL');
      expect(update.regime).not.toBe('NO_TRADE');
      expect(update.flags.includes('THIN_PREMIUM')).toBe(vix < DEFAULTS.vixLow);
      // §4: VIX older than 60 s at the bar's end is stale (used, flagged).
      const age = bar.timeMs + FIVE_MIN - lastVixAt;
      expect(update.flags.includes('VIX_STALE')).toBe(age > 60_000);
      if (vix < DEFAULTS.vixLow) thin++;
      if (age > 60_000) stale++;
    }
    expect(thin).toBe(880);
    // The source's lone 15:30 minute of 2023-06-01 makes a one-minute "5-minute" bar: evaluated at
    // 15:35, its only VIX reading (15:31) is 4 minutes old.
    expect(stale).toBe(1);
  });

  it('a lower vixHigh on the same data raises HIGH_VOL exactly when VIX is above it', () => {
    const params = { ...DEFAULTS, vixHigh: 13 };
    const rows = replay(bars, FIVE_MIN, params, vixAt);
    let high = 0;
    for (const { update } of rows) {
      if (!update) continue;
      expect(update.flags.includes('HIGH_VOL')).toBe(update.vix! > 13);
      if (update.vix! > 13) high++;
    }
    expect(high).toBeGreaterThan(0);
  });
});
