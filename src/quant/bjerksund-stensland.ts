/**
 * Bjerksund–Stensland (2002) approximation of American options: "Closed form valuation of
 * American options", Bjerksund & Stensland (2002), as given in Haug, "The Complete Guide to
 * Option Pricing Formulas" (2nd ed., 2007) §3.3, with the put–call transformation of §3.4:
 *   P(S, X, T, r, b, σ) = C(X, S, T, r − b, −b, σ),   b = r − q.
 *
 * Two refinements keep it sane at the edges of the domain, both exact statements about American
 * options rather than tuning: the value is floored by the European value and by immediate exercise
 * (the approximation prices one feasible exercise strategy, and so are these two), and powers like
 * S^β are formed as (S/I)^β so that tiny volatilities (β in the thousands) do not overflow.
 *
 * Greeks are central finite differences of the price (py_vollib conventions, see `Greeks`).
 */
import { bsPrice, isValidPricingInput } from './black-scholes.js';
import { bivariateNormalCdf, normCdf } from './normal.js';
import type { Greeks, PricingColumns, PricingInput } from './types.js';
import { allocGreeksColumns, batchLength, type GreeksColumns } from './types.js';

const DAYS_PER_YEAR = 365;
const PER_PERCENT = 0.01;
/** t1 = ½(√5 − 1)·T splits the life at the golden section (Bjerksund–Stensland 2002). */
const GOLDEN = 0.5 * (Math.sqrt(5) - 1);

/** m · base^k, with 0 whenever m is 0 (so an overflowing power times a vanishing probability is 0, not NaN). */
function scaled(m: number, base: number, k: number): number {
  return m === 0 ? 0 : m * base ** k;
}

/**
 * φ(S, T, γ, H, I) of Haug (3.3) divided by scale^γ: e^{λ}(S/scale)^γ [N(−d) − (I/S)^κ N(−d − 2 ln(I/S)/(σ√T))].
 */
function phi(
  S: number,
  T: number,
  gamma: number,
  H: number,
  I: number,
  r: number,
  b: number,
  v: number,
  scale: number,
): number {
  const v2 = v * v;
  const vt = v * Math.sqrt(T);
  const lambda = (-r + gamma * b + 0.5 * gamma * (gamma - 1) * v2) * T;
  const d = -(Math.log(S / H) + (b + (gamma - 0.5) * v2) * T) / vt;
  const kappa = (2 * b) / v2 + (2 * gamma - 1);
  const inner = normCdf(d) - scaled(normCdf(d - (2 * Math.log(I / S)) / vt), I / S, kappa);
  return inner === 0 ? 0 : Math.exp(lambda) * (S / scale) ** gamma * inner;
}

/** ψ(S, T, γ, H, I2, I1, t1) of Haug (3.3) divided by scale^γ; uses the bivariate normal M. */
function psi(
  S: number,
  T: number,
  gamma: number,
  H: number,
  I2: number,
  I1: number,
  t1: number,
  r: number,
  b: number,
  v: number,
  scale: number,
): number {
  const v2 = v * v;
  const drift = b + (gamma - 0.5) * v2;
  const st1 = v * Math.sqrt(t1);
  const sT = v * Math.sqrt(T);
  const e1 = (Math.log(S / I1) + drift * t1) / st1;
  const e2 = (Math.log((I2 * I2) / (S * I1)) + drift * t1) / st1;
  const e3 = (Math.log(S / I1) - drift * t1) / st1;
  const e4 = (Math.log((I2 * I2) / (S * I1)) - drift * t1) / st1;
  const f1 = (Math.log(S / H) + drift * T) / sT;
  const f2 = (Math.log((I2 * I2) / (S * H)) + drift * T) / sT;
  const f3 = (Math.log((I1 * I1) / (S * H)) + drift * T) / sT;
  const f4 = (Math.log((S * I1 * I1) / (H * I2 * I2)) + drift * T) / sT;
  const rho = Math.sqrt(t1 / T);
  const lambda = -r + gamma * b + 0.5 * gamma * (gamma - 1) * v2;
  const kappa = (2 * b) / v2 + (2 * gamma - 1);
  const inner =
    bivariateNormalCdf(-e1, -f1, rho) -
    scaled(bivariateNormalCdf(-e2, -f2, rho), I2 / S, kappa) -
    scaled(bivariateNormalCdf(-e3, -f3, -rho), I1 / S, kappa) +
    scaled(bivariateNormalCdf(-e4, -f4, -rho), I1 / I2, kappa);
  return inner === 0 ? 0 : Math.exp(lambda * T) * (S / scale) ** gamma * inner;
}

/**
 * American call on an asset with cost of carry b (Haug's BSAmericanCallApprox2002), for T > 0,
 * v > 0 and b < r (otherwise early exercise is never optimal and the caller uses the European value).
 */
function callApprox2002(S: number, X: number, T: number, r: number, b: number, v: number): number {
  const v2 = v * v;
  const t1 = GOLDEN * T;
  const beta = 0.5 - b / v2 + Math.sqrt((b / v2 - 0.5) ** 2 + (2 * r) / v2);
  const bInf = (beta / (beta - 1)) * X;
  // β → 1 (r → 0 with b ≤ 0): the exercise boundary runs off to infinity and the early-exercise
  // premium vanishes; NaN tells the caller to use the European value, which is the limit.
  if (!(bInf < Number.POSITIVE_INFINITY)) return Number.NaN;
  const b0 = Math.max(X, (r / (r - b)) * X);
  const spread = (bInf - b0) * b0;
  const ht1 = (-(b * t1 + 2 * v * Math.sqrt(t1)) * X * X) / spread;
  const ht2 = (-(b * T + 2 * v * Math.sqrt(T)) * X * X) / spread;
  const I1 = b0 + (bInf - b0) * (1 - Math.exp(ht1));
  const I2 = b0 + (bInf - b0) * (1 - Math.exp(ht2));
  if (S >= I2) return S - X;
  // α_k·S^β = (I_k − X)·(S/I_k)^β: the scale argument of φ/ψ absorbs I_k^β.
  const a1 = I1 - X;
  const a2 = I2 - X;
  return (
    a2 * (S / I2) ** beta -
    a2 * phi(S, t1, beta, I2, I2, r, b, v, I2) +
    phi(S, t1, 1, I2, I2, r, b, v, 1) -
    phi(S, t1, 1, I1, I2, r, b, v, 1) -
    X * phi(S, t1, 0, I2, I2, r, b, v, 1) +
    X * phi(S, t1, 0, I1, I2, r, b, v, 1) +
    a1 * phi(S, t1, beta, I1, I2, r, b, v, I1) -
    a1 * psi(S, T, beta, I1, I2, I1, t1, r, b, v, I1) +
    psi(S, T, 1, I1, I2, I1, t1, r, b, v, 1) -
    psi(S, T, 1, X, I2, I1, t1, r, b, v, 1) -
    X * psi(S, T, 0, I1, I2, I1, t1, r, b, v, 1) +
    X * psi(S, T, 0, X, I2, I1, t1, r, b, v, 1)
  );
}

/** American option price under Bjerksund–Stensland 2002 (inputs assumed valid). */
export function bjsPrice(
  call: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  sigma: number,
): number {
  const intrinsic = call ? Math.max(S - K, 0) : Math.max(K - S, 0);
  if (T === 0) return intrinsic;
  const european = bsPrice(call, S, K, T, r, q, sigma);
  // Early exercise has no value for a call when q <= 0 and for a put when r <= 0.
  if (sigma === 0 || (call ? q <= 0 : r <= 0)) return Math.max(european, intrinsic);
  const approx = call ? callApprox2002(S, K, T, r, r - q, sigma) : callApprox2002(K, S, T, q, q - r, sigma);
  return Number.isNaN(approx) ? Math.max(european, intrinsic) : Math.max(approx, european, intrinsic);
}

// Finite-difference steps. The spot and time steps scale with the width of the price kernel
// (S·σ√T, and T itself) so a one-week 5 % vol option is differenced as finely as a two-year one.
const SPOT_BUMP = 1e-3;
const MIN_SPOT_BUMP = 1e-7;
const VOL_BUMP = 1e-4;
const TIME_BUMP = 1e-3;
const MIN_TIME_BUMP = 1e-8;
const RATE_BUMP = 1e-5;

function bjsKernel(
  call: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  sigma: number,
  o: GreeksColumns,
  i: number,
): void {
  const p = bjsPrice(call, S, K, T, r, q, sigma);
  const hS = S * Math.max(SPOT_BUMP * sigma * Math.sqrt(T), MIN_SPOT_BUMP);
  const up = bjsPrice(call, S + hS, K, T, r, q, sigma);
  const dn = bjsPrice(call, S - hS, K, T, r, q, sigma);
  o.price[i] = p;
  o.delta[i] = (up - dn) / (2 * hS);
  o.gamma[i] = (up - 2 * p + dn) / (hS * hS);
  if (sigma > 0) {
    const hv = Math.min(VOL_BUMP, 0.5 * sigma);
    o.vega[i] =
      ((bjsPrice(call, S, K, T, r, q, sigma + hv) - bjsPrice(call, S, K, T, r, q, sigma - hv)) / (2 * hv)) *
      PER_PERCENT;
  } else {
    o.vega[i] = ((bjsPrice(call, S, K, T, r, q, VOL_BUMP) - p) / VOL_BUMP) * PER_PERCENT;
  }
  if (T > 0) {
    const ht = Math.max(TIME_BUMP * T, MIN_TIME_BUMP);
    o.theta[i] =
      -(bjsPrice(call, S, K, T + ht, r, q, sigma) - bjsPrice(call, S, K, T - ht, r, q, sigma)) /
      (2 * ht) /
      DAYS_PER_YEAR;
  } else {
    o.theta[i] = -(bjsPrice(call, S, K, MIN_TIME_BUMP, r, q, sigma) - p) / MIN_TIME_BUMP / DAYS_PER_YEAR;
  }
  o.rho[i] =
    ((bjsPrice(call, S, K, T, r + RATE_BUMP, q, sigma) - bjsPrice(call, S, K, T, r - RATE_BUMP, q, sigma)) /
      (2 * RATE_BUMP)) *
    PER_PERCENT;
}

const ONE = allocGreeksColumns(1);

function assertValid(
  what: string,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  sigma: number,
): void {
  if (!isValidPricingInput(S, K, T, r, q, sigma)) {
    throw new RangeError(
      `${what}: invalid pricing input S=${S} K=${K} T=${T} r=${r} q=${q} sigma=${sigma} ` +
        '(need finite S > 0, K > 0, T >= 0, sigma >= 0, finite r and q)',
    );
  }
}

/** American option (Bjerksund–Stensland 2002) price and finite-difference greeks. Throws RangeError on invalid input. */
export function bjerksundStensland(input: PricingInput): Greeks {
  const { flag, S, K, T, r, q, sigma } = input;
  assertValid('bjerksundStensland', S, K, T, r, q, sigma);
  if (flag !== 'c' && flag !== 'p') throw new RangeError(`bjerksundStensland: flag must be 'c' or 'p'`);
  bjsKernel(flag === 'c', S, K, T, r, q, sigma, ONE, 0);
  return {
    price: ONE.price[0]!,
    delta: ONE.delta[0]!,
    gamma: ONE.gamma[0]!,
    vega: ONE.vega[0]!,
    theta: ONE.theta[0]!,
    rho: ONE.rho[0]!,
  };
}

/** American option (Bjerksund–Stensland 2002) price only. Throws RangeError on invalid input. */
export function bjerksundStenslandPrice(input: PricingInput): number {
  const { flag, S, K, T, r, q, sigma } = input;
  assertValid('bjerksundStenslandPrice', S, K, T, r, q, sigma);
  if (flag !== 'c' && flag !== 'p') throw new RangeError(`bjerksundStenslandPrice: flag must be 'c' or 'p'`);
  return bjsPrice(flag === 'c', S, K, T, r, q, sigma);
}

/** Batch form of `bjerksundStensland` (same shape and semantics as `blackScholesBatch`). */
export function bjerksundStenslandBatch(
  input: PricingColumns,
  out?: GreeksColumns,
  n?: number,
): GreeksColumns {
  const len = batchLength(input, n);
  const o = out ?? allocGreeksColumns(len);
  for (const col of [o.price, o.delta, o.gamma, o.vega, o.theta, o.rho]) {
    if (col.length < len) throw new RangeError(`output columns shorter than the batch (${len})`);
  }
  const { flag, S, K, T, r, q, sigma } = input;
  for (let i = 0; i < len; i++) {
    const s = S[i]!;
    const k = K[i]!;
    const t = T[i]!;
    const rr = r[i]!;
    const qq = q[i]!;
    const v = sigma[i]!;
    assertValid(`bjerksundStenslandBatch row ${i}`, s, k, t, rr, qq, v);
    bjsKernel(flag[i] === 1, s, k, t, rr, qq, v, o, i);
  }
  return o;
}

/** Batch form of `bjerksundStenslandPrice`. */
export function bjerksundStenslandPriceBatch(
  input: PricingColumns,
  out?: Float64Array,
  n?: number,
): Float64Array {
  const len = batchLength(input, n);
  const o = out ?? new Float64Array(len);
  if (o.length < len) throw new RangeError(`output column shorter than the batch (${len})`);
  const { flag, S, K, T, r, q, sigma } = input;
  for (let i = 0; i < len; i++) {
    const s = S[i]!;
    const k = K[i]!;
    const t = T[i]!;
    const rr = r[i]!;
    const qq = q[i]!;
    const v = sigma[i]!;
    assertValid(`bjerksundStenslandPriceBatch row ${i}`, s, k, t, rr, qq, v);
    o[i] = bjsPrice(flag[i] === 1, s, k, t, rr, qq, v);
  }
  return o;
}
