import { describe, expect, it } from 'vitest';
import {
  atmIv,
  blackScholes,
  type ChainSnapshot,
  gex,
  listedStrikes,
  maxPain,
  nearestStrike,
  pcr,
  quotePrice,
  skew25,
  straddleMove,
  strikeByDelta,
  strikeStep,
  termStructure,
  wingStrike,
  wingWidthFromMove,
  yearsToExpiry,
} from '../../../src/quant/index.js';
import { num, readCsv } from './csv.js';

// Recorded option chains (/work/shared/data/option_chain_snapshots.csv, see SOURCES.md).
const ROWS = readCsv('option_chain_snapshots.csv');
const ASOF = 123_456; // a monotonic stamp: every result must carry it back

function snapshotOf(id: string, underlying: string, spot: number): ChainSnapshot {
  const rows = ROWS.filter((r) => r.snapshot_id === id && r.underlying === underlying);
  const byExpiry = new Map<string, Map<number, { strike: number; ce?: object; pe?: object }>>();
  for (const r of rows) {
    const strikes = byExpiry.get(r.expiry!) ?? new Map();
    byExpiry.set(r.expiry!, strikes);
    const strike = num(r.strike)!;
    const row = strikes.get(strike) ?? { strike };
    const ivPct = num(r.iv);
    const quote = {
      ltp: num(r.ltp) ?? 0,
      ...(num(r.bid) !== undefined ? { bid: num(r.bid)! } : {}),
      ...(num(r.ask) !== undefined ? { ask: num(r.ask)! } : {}),
      ...(num(r.oi) !== undefined ? { oi: num(r.oi)! } : {}),
      ...(num(r.volume) !== undefined ? { volume: num(r.volume)! } : {}),
      ...(ivPct !== undefined && ivPct > 0 ? { iv: ivPct / 100 } : {}),
    };
    if (r.option_type === 'CE') row.ce = quote;
    else row.pe = quote;
    strikes.set(strike, row);
  }
  return {
    underlying,
    spot,
    asOfMs: ASOF,
    expiries: [...byExpiry.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([expiry, strikes]) => ({
        expiry,
        rows: [...strikes.values()].sort((a, b) => a.strike - b.strike),
      })),
  } as ChainSnapshot;
}

describe('PCR and Max Pain on the NSE NIFTY chain of 2026-04-20 (every listed expiry)', () => {
  const snap = snapshotOf('nse_web_2026-04-20', 'NIFTY', 24_000);
  const csv = ROWS.filter((r) => r.snapshot_id === 'nse_web_2026-04-20' && r.underlying === 'NIFTY');

  it('PCR (OI and volume) equals a direct sum over the CSV rows', () => {
    const sum = (type: string, field: string, expiry?: string) =>
      csv
        .filter((r) => r.option_type === type && (expiry === undefined || r.expiry === expiry))
        .reduce((a, r) => a + (num(r[field]) ?? 0), 0);
    for (const expiry of ['2026-04-28', undefined]) {
      const res = pcr(snap, expiry);
      expect(res.asOfMs).toBe(ASOF);
      expect(res.value.putOi).toBe(sum('PE', 'oi', expiry));
      expect(res.value.callOi).toBe(sum('CE', 'oi', expiry));
      expect(res.value.oi).toBeCloseTo(sum('PE', 'oi', expiry) / sum('CE', 'oi', expiry), 12);
      expect(res.value.volume).toBeCloseTo(sum('PE', 'volume', expiry) / sum('CE', 'volume', expiry), 12);
    }
  });

  it('Max Pain equals a brute-force search over every listed strike (O(n²) hand computation)', () => {
    for (const expiry of ['2026-04-21', '2026-04-28', '2026-06-30']) {
      const rows = csv.filter((r) => r.expiry === expiry);
      const strikes = [...new Set(rows.map((r) => num(r.strike)!))];
      let best = Number.POSITIVE_INFINITY;
      let bestStrike = Number.NaN;
      for (const P of strikes.sort((a, b) => a - b)) {
        let pay = 0;
        for (const r of rows) {
          const k = num(r.strike)!;
          const oi = num(r.oi) ?? 0;
          pay += r.option_type === 'CE' ? oi * Math.max(P - k, 0) : oi * Math.max(k - P, 0);
        }
        if (pay < best) {
          best = pay;
          bestStrike = P;
        }
      }
      const res = maxPain(snap, expiry);
      expect(res.asOfMs).toBe(ASOF);
      expect(res.value!.strike).toBe(bestStrike);
      expect(res.value!.payout).toBeCloseTo(best, 2);
    }
    expect(maxPain(snap, '2099-01-01').value).toBeNull();
  });
});

describe('analytics on the Upstox NIFTY chain (expiry 2024-06-27, spot 23868.8 at the 2024-06-26 close)', () => {
  const snap = snapshotOf('upstox_api_bb40d5c', 'NIFTY', 23_868.8);
  // The close of 2024-06-26: 15:30 IST. One day to the 2024-06-27 expiry.
  const wallMs = Date.UTC(2024, 5, 26, 10, 0, 0);
  const params = { r: 0.065, q: 0, wallMs, unitsPerOi: 1 };

  it('T to expiry: 15:30 IST to 15:30 IST is exactly one day', () => {
    expect(yearsToExpiry('2024-06-27', wallMs)).toBeCloseTo(1 / 365, 15);
  });

  it('GEX: per-strike values by hand, totals, walls around spot, a flip in range', () => {
    const res = gex(snap, params);
    expect(res.asOfMs).toBe(ASOF);
    const v = res.value;
    // Hand computation at the 23900 strike: Γ·OI·S²·1 % with BSM gamma at the quoted IVs.
    const row = snap.expiries[0]!.rows.find((r) => r.strike === 23_900)!;
    const g = (flag: 'c' | 'p', iv: number) =>
      blackScholes({ flag, S: 23_868.8, K: 23_900, T: 1 / 365, r: 0.065, q: 0, sigma: iv }).gamma;
    const callGex = g('c', row.ce!.iv!) * row.ce!.oi! * 23_868.8 ** 2 * 0.01;
    const putGex = -g('p', row.pe!.iv!) * row.pe!.oi! * 23_868.8 ** 2 * 0.01;
    const s = v.perStrike.find((x) => x.strike === 23_900)!;
    expect(s.callGex).toBeCloseTo(callGex, 0);
    expect(s.putGex).toBeCloseTo(putGex, 0);
    expect(v.total).toBeCloseTo(
      v.perStrike.reduce((a, x) => a + x.netGex, 0),
      0,
    );
    expect(v.support!).toBeLessThanOrEqual(23_868.8);
    expect(v.resistance!).toBeGreaterThanOrEqual(23_868.8);
    expect(v.flip).not.toBeNull();
    expect(Math.abs(v.flip! / 23_868.8 - 1)).toBeLessThan(0.1);
  });

  it('ATM IV interpolates the quoted out-of-the-money IVs at the forward', () => {
    const res = atmIv(snap, params).value!;
    const F = 23_868.8 * Math.exp(0.065 / 365);
    expect(res.forward).toBeCloseTo(F, 8);
    // Forward between 23850 (put 14.95 %) and 23900 (call 14.92 %): both sides are OTM there.
    const w = (F - 23_850) / 50;
    expect(res.iv).toBeCloseTo(0.1495 + w * (0.1492 - 0.1495), 12);
  });

  it('25-delta skew: IVs at |Δ| = 0.25 on each wing', () => {
    const res = skew25(snap, params);
    expect(res.asOfMs).toBe(ASOF);
    const v = res.value!;
    expect(v.put25).toBeGreaterThan(0.1);
    expect(v.call25).toBeGreaterThan(0.1);
    expect(v.skew).toBeCloseTo(v.put25 - v.call25, 15);
  });

  it('straddle-implied move at the strike nearest the forward (mid prices)', () => {
    const v = straddleMove(snap, params).value!;
    expect(v.strike).toBe(23_850);
    // Quotes: CE bid/ask 77.75/78.65, PE 70.4/70.7.
    expect(v.straddle).toBeCloseTo((77.75 + 78.65) / 2 + (70.4 + 70.7) / 2, 10);
    expect(v.movePct).toBeCloseTo(v.straddle / 23_868.8, 15);
  });

  it('strike helpers: step, nearest, wing, strike by delta', () => {
    const strikes = listedStrikes(snap.expiries[0]!);
    expect(strikeStep(strikes)).toBe(50);
    expect(nearestStrike(strikes, 23_868.8)).toBe(23_850);
    expect(nearestStrike(strikes, 23_868.8, 'atOrAbove')).toBe(23_900);
    expect(wingStrike(strikes, 23_500, 200, 'down')).toBe(23_300);
    expect(wingStrike(strikes, 24_000, 120, 'up')).toBe(24_150);
    expect(wingWidthFromMove(137.3, 50, 1)).toBe(150);
    const put = strikeByDelta(snap, 'p', 0.25, params)!;
    const call = strikeByDelta(snap, 'c', 0.25, params)!;
    expect(put.strike).toBeLessThan(23_868.8);
    expect(call.strike).toBeGreaterThan(23_868.8);
    expect(Math.abs(put.delta + 0.25)).toBeLessThan(0.1);
    expect(Math.abs(call.delta - 0.25)).toBeLessThan(0.1);
    // The chosen strike is the closest in delta among the listed ones.
    for (const k of strikes) {
      const row = snap.expiries[0]!.rows.find((r) => r.strike === k)!;
      if (row.pe?.iv === undefined) continue;
      const d = blackScholes({
        flag: 'p',
        S: 23_868.8,
        K: k,
        T: 1 / 365,
        r: 0.065,
        q: 0,
        sigma: row.pe.iv,
      }).delta;
      expect(Math.abs(d + 0.25)).toBeGreaterThanOrEqual(Math.abs(put.delta + 0.25) - 1e-12);
    }
  });

  it('quotePrice: mid of a sane two-sided quote, else LTP', () => {
    expect(quotePrice({ ltp: 10, bid: 9, ask: 11 })).toBe(10);
    expect(quotePrice({ ltp: 10, bid: 12, ask: 11 })).toBe(10);
    expect(quotePrice({ ltp: 0 })).toBeNull();
  });
});

describe('term structure across the expiries of the NSE NIFTY chain of 2026-04-20', () => {
  const wallMs = Date.UTC(2026, 3, 20, 10, 0, 0); // 2026-04-20 15:30 IST
  // The files carry no spot: take it from put–call parity at the front expiry's strike where
  // call and put are closest in price (mid quotes).
  const front = snapshotOf('nse_web_2026-04-20', 'NIFTY', 1).expiries.find((e) => e.expiry === '2026-04-28')!;
  let spot = Number.NaN;
  let best = Number.POSITIVE_INFINITY;
  for (const row of front.rows) {
    const c = quotePrice(row.ce);
    const p = quotePrice(row.pe);
    if (c === null || p === null) continue;
    if (Math.abs(c - p) < best) {
      best = Math.abs(c - p);
      const T = yearsToExpiry('2026-04-28', wallMs);
      spot = row.strike * Math.exp(-0.065 * T) + c - p;
    }
  }
  const snap = snapshotOf('nse_web_2026-04-20', 'NIFTY', spot);

  it('one ATM IV per expiry, sorted by T, slope between the two nearest', () => {
    const res = termStructure(snap, { r: 0.065, wallMs });
    expect(res.asOfMs).toBe(ASOF);
    const pts = res.value.points;
    expect(pts.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < pts.length; i++) expect(pts[i]!.T).toBeGreaterThan(pts[i - 1]!.T);
    for (const p of pts) {
      expect(p.iv).toBeGreaterThan(0.05);
      expect(p.iv).toBeLessThan(0.6);
    }
    expect(res.value.slope).toBeCloseTo((pts[1]!.iv - pts[0]!.iv) / (pts[1]!.T - pts[0]!.T), 12);
    expect(res.value.inverted).toBe(pts[0]!.iv > pts[1]!.iv);
  });
});
