/**
 * Implied volatility, Black–Scholes–Merton (European) and Bjerksund–Stensland 2002 (American).
 *
 * BSM is inverted in Jäckel's normalised coordinates ("Let's Be Rational", Wilmott 2015):
 * x = ln(F/K), β = undiscounted price / √(FK), s = σ√T, and the normalised call
 *   b(x, s) = e^{x/2} Φ(x/s + s/2) − e^{−x/2} Φ(x/s − s/2).
 * Puts map to calls by b_put(x) = b_call(−x), in-the-money options to out-of-the-money ones by
 * parity, so the solver only ever sees x ≤ 0 and 0 < β < e^{x/2}, where b is strictly increasing
 * in s. It then runs Halley's method on
 *   ln b(s) − ln β   below the inflection point s_c = √(2|x|)  (b spans hundreds of decades there),
 *   b(s) − β         above it,
 * from asymptotic initial guesses, inside a bracket that every evaluation tightens; a step that
 * leaves the bracket is replaced by bisection, so convergence is guaranteed. b and its
 * derivatives are evaluated through erfcx, b = ½ e^{−(h²+t²)/2}[erfcx(−(h+t)/√2) − erfcx((t−h)/√2)]
 * with h = x/s and t = s/2, which stays finite and accurate where the prices underflow.
 */
import { bjsPrice } from './bjerksund-stensland.js';
import { erfcx, normCdf, normInv } from './normal.js';
import type { OptionFlag, PricingColumns } from './types.js';
import { batchLength } from './types.js';

export type ImpliedVolErrorCode =
  /** An input is NaN or ±Infinity. */
  | 'NON_FINITE_INPUT'
  /** S, K or T not positive, or a negative price. */
  | 'INVALID_INPUT'
  /** The price is below the option's no-arbitrage lower bound (intrinsic value). */
  | 'BELOW_INTRINSIC'
  /** The price reaches the no-arbitrage upper bound (discounted forward for a call, strike for a put). */
  | 'ABOVE_MAX_PRICE'
  /** The solver did not reach the tolerance (never observed on valid inputs; reported, not hidden). */
  | 'NO_CONVERGENCE';

export type ImpliedVolResult =
  | { readonly ok: true; readonly sigma: number }
  | { readonly ok: false; readonly code: ImpliedVolErrorCode };

export interface ImpliedVolInput {
  readonly price: number;
  readonly flag: OptionFlag;
  readonly S: number;
  readonly K: number;
  readonly T: number;
  readonly r: number;
  readonly q: number;
  /** 'bs' (default): European BSM; 'bjs': American, Bjerksund–Stensland 2002. */
  readonly model?: 'bs' | 'bjs';
}

/** Numeric status codes of the batch form (`status[i]`); 0 means `sigma[i]` is valid. */
export const IV_STATUS = {
  OK: 0,
  NON_FINITE_INPUT: 1,
  INVALID_INPUT: 2,
  BELOW_INTRINSIC: 3,
  ABOVE_MAX_PRICE: 4,
  NO_CONVERGENCE: 5,
} as const satisfies Record<'OK' | ImpliedVolErrorCode, number>;

/** IV_STATUS value → code, index = status (0 = OK has none). */
const STATUS_CODES: readonly (ImpliedVolErrorCode | undefined)[] = [
  undefined,
  'NON_FINITE_INPUT',
  'INVALID_INPUT',
  'BELOW_INTRINSIC',
  'ABOVE_MAX_PRICE',
  'NO_CONVERGENCE',
];

/** Maps a batch status to its code (undefined for OK). */
export function ivStatusCode(status: number): ImpliedVolErrorCode | undefined {
  return STATUS_CODES[status];
}

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const EPS = 2.220446049250313e-16;
/** Halley converges cubically: a relative step below this leaves an error far below 1 ulp. */
const STEP_TOLERANCE = 1e-10;
const MAX_ITERATIONS = 100;

// Solver state shared with the evaluation helpers: avoids allocating a result object per iteration.
let outSigma = 0;

/** f/f' and f''/f' for the lower objective ln b(s) − ln β. Returns NaN when b underflows at s. */
let lowF = 0;
let lowNu = 0;
let lowCurv = 0;
function evalLower(x: number, s: number, lnBeta: number): void {
  const h = x / s;
  const t = 0.5 * s;
  // D = erfcx(−(h+t)/√2) − erfcx((t−h)/√2) > 0; b = ½ e^{−(h²+t²)/2} D, b' = e^{−(h²+t²)/2}/√(2π).
  const D = erfcx(-(h + t) * SQRT1_2) - erfcx((t - h) * SQRT1_2);
  const lnB = -0.5 * (h * h + t * t) + Math.log(0.5 * D);
  const fp = SQRT_2_OVER_PI / D; // b'/b
  lowF = lnB - lnBeta;
  lowNu = lowF / fp;
  lowCurv = (x * x) / (s * s * s) - 0.25 * s - fp; // f''/f' = b''/b' − b'/b
}

let upF = 0;
let upNu = 0;
let upCurv = 0;
function evalUpper(x: number, s: number, beta: number): void {
  const h = x / s;
  const t = 0.5 * s;
  const ex = Math.exp(0.5 * x);
  const b = ex * normCdf(h + t) - normCdf(h - t) / ex;
  const bp = INV_SQRT_2PI * Math.exp(-0.5 * (h * h + t * t));
  upF = b - beta;
  upNu = upF / bp;
  upCurv = (x * x) / (s * s * s) - 0.25 * s; // b''/b'
}

/**
 * Normalised BSM call value b(x, s) for x ≤ 0 (the regime split evaluates it at the inflection point).
 */
function normalisedCall(x: number, s: number): number {
  const h = x / s;
  const t = 0.5 * s;
  if (h + t <= 0) {
    const D = erfcx(-(h + t) * SQRT1_2) - erfcx((t - h) * SQRT1_2);
    return 0.5 * Math.exp(-0.5 * (h * h + t * t)) * D;
  }
  const ex = Math.exp(0.5 * x);
  return ex * normCdf(h + t) - normCdf(h - t) / ex;
}

/**
 * Solves b(x, s) = beta for s, given x ≤ 0 and 0 < beta < e^{x/2}. Sets `outSigma` to s and
 * returns true, or returns false without convergence.
 */
function solveNormalised(x: number, beta: number): boolean {
  const bMax = Math.exp(0.5 * x);
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  let s: number;
  // Regime split at the inflection point s_c = √(2|x|) of b(s).
  const sc = Math.sqrt(-2 * x);
  const bc = x === 0 ? 0 : normalisedCall(x, sc);
  const lower = beta < bc;
  const lnBeta = Math.log(beta);
  if (lower) {
    // Small-s asymptote: b ≈ s³/(√(2π) x²) · exp(−x²/(2s²) − s²/8). Fixed-point on the log form.
    const ax = -x;
    s = ax / Math.sqrt(-2 * lnBeta);
    for (let k = 0; k < 3; k++) {
      const rhs = 3 * Math.log(s) - LN_SQRT_2PI - 2 * Math.log(ax) - lnBeta - 0.125 * s * s;
      if (!(rhs > 0)) break;
      s = ax / Math.sqrt(2 * rhs);
    }
    if (!(s > 0 && s < sc)) s = 0.5 * sc;
    hi = sc;
  } else {
    // Large-s asymptote: b_max − b ≈ (e^{x/2} + e^{−x/2}) Φ(−s/2).
    const tail = (bMax - beta) / (bMax + 1 / bMax);
    s = -2 * normInv(tail);
    lo = sc;
    if (!(s > sc && s < Number.POSITIVE_INFINITY)) s = sc > 0 ? 2 * sc : 1;
  }
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    let f: number;
    let nu: number;
    let curv: number;
    if (lower) {
      evalLower(x, s, lnBeta);
      f = lowF;
      nu = lowNu;
      curv = lowCurv;
    } else {
      evalUpper(x, s, beta);
      f = upF;
      nu = upNu;
      curv = upCurv;
    }
    if (f === 0) {
      outSigma = s;
      return true;
    }
    if (f > 0) hi = s;
    else lo = s;
    // Halley: Δ = −ν / (1 − ν·(f''/f')/2), with ν = f/f'.
    let next = s - nu / (1 - 0.5 * nu * curv);
    // A Halley step this small lands on the root to working precision (cubic convergence);
    // it may round onto the bracket's end, so it is accepted before the bracket test.
    if (Math.abs(next - s) <= STEP_TOLERANCE * s) {
      outSigma = next;
      return true;
    }
    if (!(next > lo && next < hi)) {
      next = hi < Number.POSITIVE_INFINITY ? 0.5 * (lo + hi) : 2 * s;
    }
    if (hi - lo <= 4 * EPS * hi) {
      outSigma = 0.5 * (lo + hi);
      return true;
    }
    s = next;
  }
  return false;
}

/**
 * BSM implied volatility kernel. Returns a status (IV_STATUS) and leaves σ in `outSigma`.
 */
function bsImpliedKernel(
  price: number,
  call: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
): number {
  if (!(Number.isFinite(price) && Number.isFinite(S) && Number.isFinite(K) && Number.isFinite(T))) {
    return IV_STATUS.NON_FINITE_INPUT;
  }
  if (!(Number.isFinite(r) && Number.isFinite(q))) return IV_STATUS.NON_FINITE_INPUT;
  if (!(S > 0 && K > 0 && T > 0 && price >= 0)) return IV_STATUS.INVALID_INPUT;
  const df = Math.exp(-r * T);
  const F = S * Math.exp((r - q) * T);
  const sqrtFK = Math.sqrt(F * K);
  let x = Math.log(F / K);
  if (!call) x = -x;
  const beta = price / df / sqrtFK;
  const ex = Math.exp(0.5 * x);
  const intrinsic = x > 0 ? ex - 1 / ex : 0;
  if (!(beta < ex)) return IV_STATUS.ABOVE_MAX_PRICE;
  let tv = beta - intrinsic;
  if (tv < 0) {
    // Prices are quoted with rounding; allow a few ulps of the intrinsic value before refusing.
    if (tv < -4 * EPS * Math.max(beta, intrinsic)) return IV_STATUS.BELOW_INTRINSIC;
    tv = 0;
  }
  if (tv === 0) {
    outSigma = 0;
    return IV_STATUS.OK;
  }
  if (x > 0) x = -x; // in the money → the out-of-the-money twin with the same time value
  if (!(tv < Math.exp(0.5 * x))) return IV_STATUS.ABOVE_MAX_PRICE;
  if (!solveNormalised(x, tv)) return IV_STATUS.NO_CONVERGENCE;
  outSigma /= Math.sqrt(T);
  return IV_STATUS.OK;
}

/** σ bounds of the American solver; 1000 % covers any traded option. */
const BJS_MAX_SIGMA = 10;
const BJS_TOLERANCE = 1e-10;

/**
 * American (Bjerksund–Stensland 2002) implied volatility: safeguarded secant/bisection (Brent's
 * method) on σ. The American price is increasing in σ, so a sign change brackets the root.
 */
function bjsImpliedKernel(
  price: number,
  call: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
): number {
  if (!(Number.isFinite(price) && Number.isFinite(S) && Number.isFinite(K) && Number.isFinite(T))) {
    return IV_STATUS.NON_FINITE_INPUT;
  }
  if (!(Number.isFinite(r) && Number.isFinite(q))) return IV_STATUS.NON_FINITE_INPUT;
  if (!(S > 0 && K > 0 && T > 0 && price >= 0)) return IV_STATUS.INVALID_INPUT;
  const floor = bjsPrice(call, S, K, T, r, q, 0);
  if (price < floor - 4 * EPS * Math.max(price, floor, 1)) return IV_STATUS.BELOW_INTRINSIC;
  if (price <= floor) {
    outSigma = 0;
    return IV_STATUS.OK;
  }
  const cap = call ? S : K;
  if (price >= cap) return IV_STATUS.ABOVE_MAX_PRICE;
  const f = (v: number): number => bjsPrice(call, S, K, T, r, q, v) - price;
  // Start from the European implied vol: the American price is at least the European one, so it
  // sits at or above the American root and makes a tight upper end of the bracket.
  let a = 0;
  let fa = floor - price;
  let b = BJS_MAX_SIGMA;
  let fb = f(b);
  const euro = bsImpliedKernel(price, call, S, K, T, r, q);
  if (euro === IV_STATUS.OK && outSigma > 0 && outSigma < BJS_MAX_SIGMA) {
    const v = outSigma;
    const fv = f(v);
    if (fv >= 0) {
      b = v;
      fb = fv;
    } else {
      a = v;
      fa = fv;
    }
  }
  if (fb < 0) return IV_STATUS.ABOVE_MAX_PRICE;
  // Brent's method.
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    if (fb * fc > 0) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol = 2 * EPS * Math.abs(b) + 0.5 * BJS_TOLERANCE;
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tol || fb === 0) {
      outSigma = b;
      return IV_STATUS.OK;
    }
    if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
      let p: number;
      let qq: number;
      const s = fb / fa;
      if (a === c) {
        p = 2 * m * s;
        qq = 1 - s;
      } else {
        const q0 = fa / fc;
        const r0 = fb / fc;
        p = s * (2 * m * q0 * (q0 - r0) - (b - a) * (r0 - 1));
        qq = (q0 - 1) * (r0 - 1) * (s - 1);
      }
      if (p > 0) qq = -qq;
      else p = -p;
      if (2 * p < Math.min(3 * m * qq - Math.abs(tol * qq), Math.abs(e * qq))) {
        e = d;
        d = p / qq;
      } else {
        d = m;
        e = m;
      }
    } else {
      d = m;
      e = m;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
    fb = f(b);
  }
  return IV_STATUS.NO_CONVERGENCE;
}

/**
 * Implied volatility of one option. Never returns NaN: an answer is `{ ok: true, sigma }`, a
 * refusal `{ ok: false, code }`. BSM results are accurate to ~1e-12 in σ wherever the price
 * carries information about σ (vega not lost in the price's rounding).
 */
export function impliedVolatility(input: ImpliedVolInput): ImpliedVolResult {
  const { price, flag, S, K, T, r, q } = input;
  if (flag !== 'c' && flag !== 'p') return { ok: false, code: 'INVALID_INPUT' };
  const status =
    input.model === 'bjs'
      ? bjsImpliedKernel(price, flag === 'c', S, K, T, r, q)
      : bsImpliedKernel(price, flag === 'c', S, K, T, r, q);
  if (status === IV_STATUS.OK) return { ok: true, sigma: outSigma };
  return { ok: false, code: STATUS_CODES[status] ?? 'NO_CONVERGENCE' };
}

/** Output columns of `impliedVolatilityBatch`: σ (NaN where status ≠ 0) and IV_STATUS per row. */
export interface ImpliedVolColumns {
  readonly sigma: Float64Array;
  readonly status: Uint8Array;
}

/** Input columns of `impliedVolatilityBatch`: the pricing columns without sigma, plus prices. */
export type ImpliedVolInputColumns = Omit<PricingColumns, 'sigma'> & { readonly price: Float64Array };

/**
 * Implied volatilities of `n` options (default: the shortest column) into `out` (allocated when
 * omitted). Row i equals `impliedVolatility` of row i exactly; refusals leave NaN in `sigma[i]`
 * and their code in `status[i]` (see IV_STATUS, `ivStatusCode`).
 */
export function impliedVolatilityBatch(
  input: ImpliedVolInputColumns,
  out?: ImpliedVolColumns,
  n?: number,
  model: 'bs' | 'bjs' = 'bs',
): ImpliedVolColumns {
  const len = batchLength({ ...input, sigma: input.price }, n);
  const o = out ?? { sigma: new Float64Array(len), status: new Uint8Array(len) };
  if (o.sigma.length < len || o.status.length < len) {
    throw new RangeError(`output columns shorter than the batch (${len})`);
  }
  const { price, flag, S, K, T, r, q } = input;
  const bjs = model === 'bjs';
  for (let i = 0; i < len; i++) {
    const call = flag[i] === 1;
    const st = bjs
      ? bjsImpliedKernel(price[i]!, call, S[i]!, K[i]!, T[i]!, r[i]!, q[i]!)
      : bsImpliedKernel(price[i]!, call, S[i]!, K[i]!, T[i]!, r[i]!, q[i]!);
    o.status[i] = st;
    o.sigma[i] = st === IV_STATUS.OK ? outSigma : Number.NaN;
  }
  return o;
}
