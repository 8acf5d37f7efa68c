/**
 * Black–Scholes–Merton (European option on an asset with continuous dividend yield q),
 * price and analytic greeks in py_vollib's conventions (see `Greeks`).
 *
 * One kernel serves the scalar and the batch forms, so both give bit-identical results. It
 * evaluates three exponentials per option: exp(−rT), exp(−qT) and exp(−d1²/2); N(d1), N(d2) and
 * φ(d1) all come from the last one (exp(−d2²/2) = exp(−d1²/2)·F/K), and the normal tails use
 * Cody's rational erfcx so deep out-of-the-money prices keep full relative precision.
 */
import { INV_SQRT_2PI, normCdfGivenExp } from './normal.js';
import {
  allocGreeksColumns,
  batchLength,
  type Greeks,
  type GreeksColumns,
  type PricingColumns,
  type PricingInput,
} from './types.js';

const DAYS_PER_YEAR = 365;
const PER_PERCENT = 0.01;

function invalid(what: string, S: number, K: number, T: number, r: number, q: number, sigma: number): never {
  throw new RangeError(
    `${what}: invalid pricing input S=${S} K=${K} T=${T} r=${r} q=${q} sigma=${sigma} ` +
      '(need finite S > 0, K > 0, T >= 0, sigma >= 0, finite r and q)',
  );
}

/** True when the inputs are in the model's domain (the kernels throw otherwise). */
export function isValidPricingInput(
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  sigma: number,
): boolean {
  return (
    S > 0 &&
    S < Number.POSITIVE_INFINITY &&
    K > 0 &&
    K < Number.POSITIVE_INFINITY &&
    T >= 0 &&
    T < Number.POSITIVE_INFINITY &&
    sigma >= 0 &&
    sigma < Number.POSITIVE_INFINITY &&
    Number.isFinite(r) &&
    Number.isFinite(q)
  );
}

// The last (T, r, q) seen and its √T, e^{−qT}, e^{−rT}. A chain shares them across every strike,
// so repricing it costs one log and one exp per option instead of one log and three exps. The
// cached values are exactly what recomputing would give, so results do not depend on the order.
let cT = Number.NaN;
let cR = Number.NaN;
let cQ = Number.NaN;
let cSqrtT = Number.NaN;
let cDq = Number.NaN;
let cDr = Number.NaN;

function carry(T: number, r: number, q: number): void {
  cT = T;
  cR = r;
  cQ = q;
  cSqrtT = Math.sqrt(T);
  cDq = Math.exp(-q * T);
  cDr = Math.exp(-r * T);
}

/**
 * Writes price and greeks of one option into row `i` of `o`. Inputs must be valid.
 * With σ√T = 0 the option is worth its discounted forward intrinsic value and the greeks are
 * the limits of the formulas (zero gamma and vega; delta, theta, rho of the forward payoff).
 */
function kernel(
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
  if (T !== cT || r !== cR || q !== cQ) carry(T, r, q);
  const sqrtT = cSqrtT;
  const sd = sigma * sqrtT;
  const dq = cDq;
  const dr = cDr;
  const Fq = S * dq; // e^{-rT}·F
  const Kr = K * dr; // e^{-rT}·K
  if (sd === 0) {
    const fwd = Fq - Kr;
    const itm = call ? fwd > 0 : fwd < 0;
    const atm = fwd === 0;
    const sign = call ? 1 : -1;
    const w = itm ? 1 : atm ? 0.5 : 0;
    o.price[i] = itm ? sign * fwd : 0;
    // w = 0 would give −0 for puts; report a plain 0 out of the money.
    const sw = w === 0 ? 0 : sign * w;
    o.delta[i] = sw === 0 ? 0 : sw * dq;
    o.gamma[i] = 0;
    o.vega[i] = 0;
    o.theta[i] = sw === 0 ? 0 : (sw * (q * Fq - r * Kr)) / DAYS_PER_YEAR;
    o.rho[i] = sw === 0 ? 0 : sw * Kr * T * PER_PERCENT;
    return;
  }
  const d1 = (Math.log(S / K) + (r - q + 0.5 * sigma * sigma) * T) / sd;
  const d2 = d1 - sd;
  const e1 = Math.exp(-0.5 * d1 * d1);
  let e2 = e1 * (Fq / Kr);
  if (!(e1 > 0 && e2 < Number.POSITIVE_INFINITY)) e2 = Math.exp(-0.5 * d2 * d2);
  const pdf1 = INV_SQRT_2PI * e1;
  const decay = (-Fq * pdf1 * sigma) / (2 * sqrtT);
  o.gamma[i] = (dq * pdf1) / (S * sd);
  o.vega[i] = Fq * pdf1 * sqrtT * PER_PERCENT;
  if (call) {
    const n1 = normCdfGivenExp(d1, e1);
    const n2 = normCdfGivenExp(d2, e2);
    o.price[i] = Fq * n1 - Kr * n2;
    o.delta[i] = dq * n1;
    o.theta[i] = (decay - r * Kr * n2 + q * Fq * n1) / DAYS_PER_YEAR;
    o.rho[i] = Kr * T * n2 * PER_PERCENT;
  } else {
    const m1 = normCdfGivenExp(-d1, e1);
    const m2 = normCdfGivenExp(-d2, e2);
    o.price[i] = Kr * m2 - Fq * m1;
    o.delta[i] = -dq * m1;
    o.theta[i] = (decay + r * Kr * m2 - q * Fq * m1) / DAYS_PER_YEAR;
    o.rho[i] = -Kr * T * m2 * PER_PERCENT;
  }
}

/** Price only; the same arithmetic as the price row of `kernel`, so the two agree bit for bit. */
export function bsPrice(
  call: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  sigma: number,
): number {
  if (T !== cT || r !== cR || q !== cQ) carry(T, r, q);
  const sqrtT = cSqrtT;
  const sd = sigma * sqrtT;
  const dq = cDq;
  const dr = cDr;
  const Fq = S * dq;
  const Kr = K * dr;
  if (sd === 0) {
    const fwd = Fq - Kr;
    return call ? Math.max(fwd, 0) : fwd < 0 ? -fwd : 0;
  }
  const d1 = (Math.log(S / K) + (r - q + 0.5 * sigma * sigma) * T) / sd;
  const d2 = d1 - sd;
  const e1 = Math.exp(-0.5 * d1 * d1);
  let e2 = e1 * (Fq / Kr);
  if (!(e1 > 0 && e2 < Number.POSITIVE_INFINITY)) e2 = Math.exp(-0.5 * d2 * d2);
  return call
    ? Fq * normCdfGivenExp(d1, e1) - Kr * normCdfGivenExp(d2, e2)
    : Kr * normCdfGivenExp(-d2, e2) - Fq * normCdfGivenExp(-d1, e1);
}

const ONE = allocGreeksColumns(1);

/** Black–Scholes–Merton price and greeks of one European option. Throws RangeError on invalid input. */
export function blackScholes(input: PricingInput): Greeks {
  const { flag, S, K, T, r, q, sigma } = input;
  if (!isValidPricingInput(S, K, T, r, q, sigma) || (flag !== 'c' && flag !== 'p')) {
    invalid('blackScholes', S, K, T, r, q, sigma);
  }
  kernel(flag === 'c', S, K, T, r, q, sigma, ONE, 0);
  return {
    price: ONE.price[0]!,
    delta: ONE.delta[0]!,
    gamma: ONE.gamma[0]!,
    vega: ONE.vega[0]!,
    theta: ONE.theta[0]!,
    rho: ONE.rho[0]!,
  };
}

/** Black–Scholes–Merton price of one European option (no greeks). Throws RangeError on invalid input. */
export function blackScholesPrice(input: PricingInput): number {
  const { flag, S, K, T, r, q, sigma } = input;
  if (!isValidPricingInput(S, K, T, r, q, sigma) || (flag !== 'c' && flag !== 'p')) {
    invalid('blackScholesPrice', S, K, T, r, q, sigma);
  }
  return bsPrice(flag === 'c', S, K, T, r, q, sigma);
}

/**
 * Prices `n` options (default: the shortest column) into `out` (allocated when omitted) and
 * returns it. Row i of the result equals `blackScholes` of row i of the input exactly.
 * Throws RangeError naming the first invalid row; rows before it have been written.
 */
export function blackScholesBatch(input: PricingColumns, out?: GreeksColumns, n?: number): GreeksColumns {
  const len = batchLength(input, n);
  const o = out ?? allocGreeksColumns(len);
  if (o.price.length < len || o.delta.length < len || o.gamma.length < len) {
    throw new RangeError(`output columns shorter than the batch (${len})`);
  }
  if (o.vega.length < len || o.theta.length < len || o.rho.length < len) {
    throw new RangeError(`output columns shorter than the batch (${len})`);
  }
  const { flag, S, K, T, r, q, sigma } = input;
  for (let i = 0; i < len; i++) {
    const s = S[i]!;
    const k = K[i]!;
    const t = T[i]!;
    const rr = r[i]!;
    const qq = q[i]!;
    const v = sigma[i]!;
    if (!isValidPricingInput(s, k, t, rr, qq, v)) invalid(`blackScholesBatch row ${i}`, s, k, t, rr, qq, v);
    kernel(flag[i] === 1, s, k, t, rr, qq, v, o, i);
  }
  return o;
}

/** Prices only, into `out` (allocated when omitted). Row i equals `blackScholesPrice` of row i. */
export function blackScholesPriceBatch(input: PricingColumns, out?: Float64Array, n?: number): Float64Array {
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
    if (!isValidPricingInput(s, k, t, rr, qq, v))
      invalid(`blackScholesPriceBatch row ${i}`, s, k, t, rr, qq, v);
    o[i] = bsPrice(flag[i] === 1, s, k, t, rr, qq, v);
  }
  return o;
}
