import type { Rng } from '../clock/index.js';

/**
 * Brownian bridges: how a recorded bar (open, high, low, close) becomes a tick path that starts at the
 * open, touches the high and the low, and ends at the close, with Gaussian wiggles in between
 * (clamped to the bar's range so no tick prints outside the recorded high/low).
 */

/** `m + 1` points from `a` to `b` (both included), step noise `sigma`, clamped to [lo, hi]. */
export function bridge(
  a: number,
  b: number,
  m: number,
  sigma: number,
  lo: number,
  hi: number,
  rng: Rng,
): Float64Array {
  const out = new Float64Array(m + 1);
  if (m <= 0) {
    out[0] = b;
    return out;
  }
  const w = new Float64Array(m + 1);
  for (let k = 1; k <= m; k++) w[k] = w[k - 1]! + sigma * rng.normal();
  const wm = w[m]!;
  for (let k = 0; k <= m; k++) {
    const f = k / m;
    const v = a + (b - a) * f + w[k]! - f * wm;
    out[k] = v < lo ? lo : Math.min(v, hi);
  }
  out[0] = a;
  out[m] = b;
  return out;
}

export interface Ohlc {
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
}

/**
 * `n` ticks through a bar: tick 0 is the open, tick n−1 the close, the high and the low are each hit
 * once at random interior ticks. Which extreme comes first follows the bar's direction two times in
 * three (an up bar usually dips first), else the other way.
 */
export function barPath(bar: Ohlc, n: number, rng: Rng): Float64Array {
  const { o, h, l, c } = bar;
  if (n <= 1) return Float64Array.of(c);
  if (!(h > l)) return new Float64Array(n).fill(c);
  if (n < 4) {
    const out = new Float64Array(n);
    out[0] = o;
    out[n - 1] = c;
    if (n === 3) out[1] = Math.abs(h - o) > Math.abs(o - l) ? h : l;
    return out;
  }
  const lowFirst = c >= o ? rng.chance(2 / 3) : rng.chance(1 / 3);
  const [e1, e2] = lowFirst ? [l, h] : [h, l];
  const i1 = 1 + Math.floor(rng.next() * (n - 3)); // 1 .. n−3
  const i2 = i1 + 1 + Math.floor(rng.next() * (n - 2 - i1)); // i1+1 .. n−2
  const sigma = (h - l) / (2 * Math.sqrt(n));
  const out = new Float64Array(n);
  const anchors: [number, number][] = [
    [0, o],
    [i1, e1],
    [i2, e2],
    [n - 1, c],
  ];
  for (let s = 0; s < 3; s++) {
    const [ia, va] = anchors[s]!;
    const [ib, vb] = anchors[s + 1]!;
    const seg = bridge(va, vb, ib - ia, sigma, l, h, rng);
    out.set(seg, ia);
  }
  return out;
}
