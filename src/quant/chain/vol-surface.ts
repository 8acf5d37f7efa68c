import { normCdf } from '../normal.js';
import { type Stamped, stamp } from '../stamped.js';
import { expiryT, findExpiry, forwardOf, quoteIv, quotePrice, rateOf } from './quote.js';
import type { ChainExpiry, ChainParams, ChainSnapshot } from './types.js';

export interface SmilePoint {
  readonly strike: number;
  /** IV of the out-of-the-money side (puts below the forward, calls at or above). */
  readonly iv: number;
  /** BSM delta of that option at that IV (negative for puts). */
  readonly delta: number;
}

/** The out-of-the-money smile of one expiry, ascending strikes (quotes without an IV are skipped). */
export function smile(snapshot: ChainSnapshot, e: ChainExpiry, params: ChainParams = {}): SmilePoint[] {
  const T = expiryT(e, params);
  if (!(T > 0)) return [];
  const S = snapshot.spot;
  const r = rateOf(params);
  const q = params.q ?? 0;
  const F = forwardOf(snapshot, T, params);
  const sqrtT = Math.sqrt(T);
  const out: SmilePoint[] = [];
  for (const row of [...e.rows].sort((a, b) => a.strike - b.strike)) {
    const call = row.strike >= F;
    const iv = quoteIv(call ? row.ce : row.pe, call ? 'c' : 'p', S, row.strike, T, r, q);
    if (iv === null) continue;
    const d1 = (Math.log(F / row.strike) + 0.5 * iv * iv * T) / (iv * sqrtT);
    const dq = Math.exp(-q * T);
    out.push({ strike: row.strike, iv, delta: call ? dq * normCdf(d1) : -dq * normCdf(-d1) });
  }
  return out;
}

export interface AtmIvValue {
  readonly expiry: string;
  readonly T: number;
  readonly forward: number;
  /** OTM smile linearly interpolated in strike at the forward. */
  readonly iv: number;
}

function atmOf(snapshot: ChainSnapshot, e: ChainExpiry, params: ChainParams): AtmIvValue | null {
  const T = expiryT(e, params);
  const pts = smile(snapshot, e, params);
  if (pts.length === 0) return null;
  const F = forwardOf(snapshot, T, params);
  const iv = interpolate(
    pts.map((p) => p.strike),
    pts.map((p) => p.iv),
    F,
  );
  return iv === null ? null : { expiry: e.expiry, T, forward: F, iv };
}

/** ATM implied volatility of an expiry (default: the nearest). */
export function atmIv(
  snapshot: ChainSnapshot,
  params: ChainParams = {},
  expiry?: string,
): Stamped<AtmIvValue | null> {
  const e = findExpiry(snapshot, expiry);
  return stamp(e === null ? null : atmOf(snapshot, e, params), snapshot.asOfMs);
}

export interface SkewValue {
  readonly expiry: string;
  /** IV of the 25-delta put. */
  readonly put25: number;
  /** IV of the 25-delta call. */
  readonly call25: number;
  /** put25 − call25 (vol, decimal): positive when downside protection is bid. */
  readonly skew: number;
}

/**
 * 25-delta skew of an expiry (default: nearest): IVs at |Δ| = 0.25 interpolated along the OTM put
 * wing and the OTM call wing of the smile, in delta.
 */
export function skew25(
  snapshot: ChainSnapshot,
  params: ChainParams = {},
  expiry?: string,
): Stamped<SkewValue | null> {
  const e = findExpiry(snapshot, expiry);
  if (e === null) return stamp(null, snapshot.asOfMs);
  const pts = smile(snapshot, e, params);
  const puts = pts.filter((p) => p.delta < 0).sort((a, b) => -a.delta - -b.delta);
  const calls = pts.filter((p) => p.delta > 0).sort((a, b) => a.delta - b.delta);
  const put25 = interpolate(
    puts.map((p) => -p.delta),
    puts.map((p) => p.iv),
    0.25,
    false,
  );
  const call25 = interpolate(
    calls.map((p) => p.delta),
    calls.map((p) => p.iv),
    0.25,
    false,
  );
  if (put25 === null || call25 === null) return stamp(null, snapshot.asOfMs);
  return stamp({ expiry: e.expiry, put25, call25, skew: put25 - call25 }, snapshot.asOfMs);
}

export interface TermStructureValue {
  /** ATM IV per expiry with an IV, nearest first. */
  readonly points: readonly AtmIvValue[];
  /** (IV₂ − IV₁)/(T₂ − T₁) of the two nearest expiries; null with fewer than two. */
  readonly slope: number | null;
  /** Front ATM IV above the next one (backwardation: event or stress priced in front). */
  readonly inverted: boolean | null;
}

/** ATM IV term structure across the snapshot's expiries. */
export function termStructure(
  snapshot: ChainSnapshot,
  params: ChainParams = {},
): Stamped<TermStructureValue> {
  const points: AtmIvValue[] = [];
  for (const e of snapshot.expiries) {
    if (!(expiryT(e, params) > 0)) continue;
    const a = atmOf(snapshot, e, params);
    if (a !== null) points.push(a);
  }
  points.sort((a, b) => a.T - b.T);
  const p0 = points[0];
  const p1 = points[1];
  const slope = p0 !== undefined && p1 !== undefined ? (p1.iv - p0.iv) / (p1.T - p0.T) : null;
  const inverted = p0 !== undefined && p1 !== undefined ? p0.iv > p1.iv : null;
  return stamp({ points, slope, inverted }, snapshot.asOfMs);
}

export interface StraddleMoveValue {
  readonly expiry: string;
  /** The listed strike nearest the forward. */
  readonly strike: number;
  readonly call: number;
  readonly put: number;
  /** Call + put at that strike: the market's expected absolute move to expiry (≈ 0.8·σ√T·S). */
  readonly straddle: number;
  /** straddle / spot. */
  readonly movePct: number;
}

/**
 * Straddle-implied move of an expiry (default: nearest), the basis of the dynamic stop-loss: the
 * ATM straddle's price (mid, else LTP) at the listed strike nearest the forward.
 */
export function straddleMove(
  snapshot: ChainSnapshot,
  params: ChainParams = {},
  expiry?: string,
): Stamped<StraddleMoveValue | null> {
  const e = findExpiry(snapshot, expiry);
  if (e === null) return stamp(null, snapshot.asOfMs);
  const T = e.T ?? (params.wallMs !== undefined ? expiryT(e, params) : 0);
  const F = T > 0 ? forwardOf(snapshot, T, params) : snapshot.spot;
  let best: StraddleMoveValue | null = null;
  let bestDist = Number.POSITIVE_INFINITY;
  for (const row of e.rows) {
    const c = quotePrice(row.ce);
    const p = quotePrice(row.pe);
    if (c === null || p === null) continue;
    const dist = Math.abs(row.strike - F);
    if (dist < bestDist) {
      bestDist = dist;
      const straddle = c + p;
      best = {
        expiry: e.expiry,
        strike: row.strike,
        call: c,
        put: p,
        straddle,
        movePct: straddle / snapshot.spot,
      };
    }
  }
  return stamp(best, snapshot.asOfMs);
}

/**
 * Linear interpolation of (xs, ys) at x, xs ascending. Outside the range: the end value when
 * `extrapolateFlat`, else null. Null for empty input.
 */
function interpolate(xs: number[], ys: number[], x: number, extrapolateFlat = true): number | null {
  const n = xs.length;
  if (n === 0) return null;
  if (x <= xs[0]!) return x === xs[0]! || extrapolateFlat ? ys[0]! : null;
  if (x >= xs[n - 1]!) return x === xs[n - 1]! || extrapolateFlat ? ys[n - 1]! : null;
  for (let i = 1; i < n; i++) {
    if (x <= xs[i]!) {
      const x0 = xs[i - 1]!;
      const x1 = xs[i]!;
      const t = x1 === x0 ? 0 : (x - x0) / (x1 - x0);
      return ys[i - 1]! + t * (ys[i]! - ys[i - 1]!);
    }
  }
  return null;
}
