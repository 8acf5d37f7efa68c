import { normCdf } from '../normal.js';
import { expiryT, findExpiry, forwardOf, quoteIv, rateOf } from './quote.js';
import type { ChainExpiry, ChainParams, ChainSnapshot } from './types.js';

/** Listed strikes of an expiry, ascending and unique. */
export function listedStrikes(e: ChainExpiry): number[] {
  return [...new Set(e.rows.map((r) => r.strike))].sort((a, b) => a - b);
}

/** The most common gap between consecutive listed strikes (the chain's strike step); null if < 2 strikes. */
export function strikeStep(strikes: readonly number[]): number | null {
  const counts = new Map<number, number>();
  for (let i = 1; i < strikes.length; i++) {
    const gap = Math.round((strikes[i]! - strikes[i - 1]!) * 100) / 100;
    if (gap > 0) counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
  let best: number | null = null;
  let bestCount = 0;
  for (const [gap, c] of counts) {
    if (c > bestCount || (c === bestCount && best !== null && gap < best)) {
      best = gap;
      bestCount = c;
    }
  }
  return best;
}

/**
 * The tradable strike nearest `price` among ascending `strikes`: 'nearest' (ties go to the lower),
 * 'atOrAbove' or 'atOrBelow'. Null when none qualifies.
 */
export function nearestStrike(
  strikes: readonly number[],
  price: number,
  mode: 'nearest' | 'atOrAbove' | 'atOrBelow' = 'nearest',
): number | null {
  let best: number | null = null;
  for (const k of strikes) {
    if (mode === 'atOrAbove' && k < price) continue;
    if (mode === 'atOrBelow' && k > price) continue;
    if (best === null || Math.abs(k - price) < Math.abs(best - price)) best = k;
  }
  return best;
}

/**
 * The long wing of a spread: the listed strike `width` points beyond `shortStrike` ('up' for a
 * call wing, 'down' for a put wing), or the nearest listed strike at least that far out. Null when
 * the chain does not reach that far.
 */
export function wingStrike(
  strikes: readonly number[],
  shortStrike: number,
  width: number,
  direction: 'up' | 'down',
): number | null {
  if (!(width > 0)) throw new RangeError(`wingStrike: width must be > 0, got ${width}`);
  const target = direction === 'up' ? shortStrike + width : shortStrike - width;
  return nearestStrike(strikes, target, direction === 'up' ? 'atOrAbove' : 'atOrBelow');
}

/**
 * A wing width from an expected move (e.g. the straddle-implied move): `multiple` × move, rounded
 * up to whole strike steps, at least one step.
 */
export function wingWidthFromMove(move: number, step: number, multiple = 1): number {
  if (!(step > 0)) throw new RangeError(`wingWidthFromMove: step must be > 0, got ${step}`);
  return Math.max(1, Math.ceil((move * multiple) / step - 1e-9)) * step;
}

export interface StrikeByDelta {
  readonly expiry: string;
  readonly strike: number;
  /** BSM delta of that option at its IV (negative for puts). */
  readonly delta: number;
  readonly iv: number;
}

/**
 * The listed strike whose option delta is nearest `targetDelta` (e.g. 0.30 for a call, −0.05 or
 * 0.05 for a put: the sign is taken from the flag). Each option's delta uses its own IV (the
 * source's, else implied from its price); options without one are skipped.
 */
export function strikeByDelta(
  snapshot: ChainSnapshot,
  flag: 'c' | 'p',
  targetDelta: number,
  params: ChainParams = {},
  expiry?: string,
): StrikeByDelta | null {
  const e = findExpiry(snapshot, expiry);
  if (e === null) return null;
  const T = expiryT(e, params);
  if (!(T > 0)) return null;
  const S = snapshot.spot;
  const r = rateOf(params);
  const q = params.q ?? 0;
  const F = forwardOf(snapshot, T, params);
  const dq = Math.exp(-q * T);
  const target = flag === 'c' ? Math.abs(targetDelta) : -Math.abs(targetDelta);
  let best: StrikeByDelta | null = null;
  for (const row of e.rows) {
    const iv = quoteIv(flag === 'c' ? row.ce : row.pe, flag, S, row.strike, T, r, q);
    if (iv === null) continue;
    const d1 = (Math.log(F / row.strike) + 0.5 * iv * iv * T) / (iv * Math.sqrt(T));
    const delta = flag === 'c' ? dq * normCdf(d1) : -dq * normCdf(-d1);
    if (best === null || Math.abs(delta - target) < Math.abs(best.delta - target)) {
      best = { expiry: e.expiry, strike: row.strike, delta, iv };
    }
  }
  return best;
}
