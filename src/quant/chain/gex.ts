import { INV_SQRT_2PI } from '../normal.js';
import { type Stamped, stamp } from '../stamped.js';
import { expiryT, quoteIv, rateOf } from './quote.js';
import type { ChainParams, ChainSnapshot } from './types.js';

export interface GexStrike {
  readonly strike: number;
  /** Call gamma exposure, ₹ per 1 % move of the underlying (dealers long calls: positive). */
  readonly callGex: number;
  /** Put gamma exposure (dealers short puts: negative). */
  readonly putGex: number;
  readonly netGex: number;
}

export interface GexValue {
  readonly spot: number;
  /** Per listed strike, ascending, summed over the expiries used. */
  readonly perStrike: readonly GexStrike[];
  /** Σ net GEX at the current spot. */
  readonly total: number;
  /** Spot level nearest the current one where total GEX changes sign (null: none in range). */
  readonly flip: number | null;
  /** Put wall: the strike at or below spot with the largest put GEX magnitude. */
  readonly support: number | null;
  /** Call wall: the strike at or above spot with the largest call GEX. */
  readonly resistance: number | null;
}

export interface GexOptions {
  /** Expiries to include (default: all in the snapshot). */
  readonly expiries?: readonly string[];
  /** Half-width of the flip search around spot, as a fraction (default 0.1 = ±10 %). */
  readonly flipRange?: number;
  /** Grid points of the flip search (default 121). */
  readonly flipGrid?: number;
}

/**
 * Gamma exposure (the SqueezeMetrics convention): per option Γ·OI·unitsPerOi·S²·1 %, counted
 * positive for calls and negative for puts on the assumption that dealers are long the calls and
 * short the puts the public trades. Γ is BSM gamma at the quote's IV (the source's, else implied
 * from its price). The flip is found by repricing every option's gamma on a grid of hypothetical
 * spots and interpolating the zero crossing of the total nearest the current spot.
 */
export function gex(
  snapshot: ChainSnapshot,
  params: ChainParams = {},
  options: GexOptions = {},
): Stamped<GexValue> {
  const S = snapshot.spot;
  const r = rateOf(params);
  const q = params.q ?? 0;
  const units = params.unitsPerOi ?? 1;
  const wanted = options.expiries === undefined ? null : new Set(options.expiries);
  // Options as columns: signed OI·units, strike, T, sigma.
  const w: number[] = [];
  const ks: number[] = [];
  const ts: number[] = [];
  const vs: number[] = [];
  const byStrike = new Map<number, { call: number; put: number }>();
  for (const e of snapshot.expiries) {
    if (wanted !== null && !wanted.has(e.expiry)) continue;
    const T = expiryT(e, params);
    if (!(T > 0)) continue;
    for (const row of e.rows) {
      const K = row.strike;
      for (const side of ['ce', 'pe'] as const) {
        const quote = row[side];
        const oi = quote?.oi ?? 0;
        if (!(oi > 0)) continue;
        const iv = quoteIv(quote, side === 'ce' ? 'c' : 'p', S, K, T, r, q);
        if (iv === null) continue;
        const sign = side === 'ce' ? 1 : -1;
        w.push(sign * oi * units);
        ks.push(K);
        ts.push(T);
        vs.push(iv);
        const g = gexOne(S, K, T, r, q, iv) * oi * units;
        const acc = byStrike.get(K) ?? { call: 0, put: 0 };
        if (sign > 0) acc.call += g;
        else acc.put -= g;
        byStrike.set(K, acc);
      }
    }
  }
  const perStrike: GexStrike[] = [...byStrike.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([strike, v]) => ({ strike, callGex: v.call, putGex: v.put, netGex: v.call + v.put }));
  let total = 0;
  let support: number | null = null;
  let resistance: number | null = null;
  let bestPut = 0;
  let bestCall = 0;
  for (const s of perStrike) {
    total += s.netGex;
    if (s.strike <= S && -s.putGex > bestPut) {
      bestPut = -s.putGex;
      support = s.strike;
    }
    if (s.strike >= S && s.callGex > bestCall) {
      bestCall = s.callGex;
      resistance = s.strike;
    }
  }
  const totalAt = (x: number): number => {
    let sum = 0;
    for (let i = 0; i < w.length; i++) sum += w[i]! * gexOne(x, ks[i]!, ts[i]!, r, q, vs[i]!);
    return sum;
  };
  const flip = findFlip(totalAt, S, options.flipRange ?? 0.1, options.flipGrid ?? 121);
  return stamp({ spot: S, perStrike, total, flip, support, resistance }, snapshot.asOfMs);
}

/** Γ·S²·1 % of one option (per unit of underlying). */
function gexOne(S: number, K: number, T: number, r: number, q: number, sigma: number): number {
  const sd = sigma * Math.sqrt(T);
  const d1 = (Math.log(S / K) + (r - q + 0.5 * sigma * sigma) * T) / sd;
  const gamma = (Math.exp(-q * T) * INV_SQRT_2PI * Math.exp(-0.5 * d1 * d1)) / (S * sd);
  return gamma * S * S * 0.01;
}

/** Zero crossing of f nearest x0 on a grid over x0·[1 − range, 1 + range], linearly interpolated. */
function findFlip(f: (x: number) => number, x0: number, range: number, points: number): number | null {
  const lo = x0 * (1 - range);
  const step = (2 * range * x0) / (points - 1);
  let best: number | null = null;
  let prevX = lo;
  let prevF = f(lo);
  for (let i = 1; i < points; i++) {
    const x = lo + i * step;
    const fx = f(x);
    if ((prevF < 0 && fx >= 0) || (prevF > 0 && fx <= 0)) {
      const z = fx === prevF ? x : prevX + ((x - prevX) * prevF) / (prevF - fx);
      if (best === null || Math.abs(z - x0) < Math.abs(best - x0)) best = z;
    }
    prevX = x;
    prevF = fx;
  }
  return best;
}
