/**
 * Black–Scholes–Merton (European option on an asset with continuous dividend yield q),
 * price and analytic greeks in py_vollib's conventions (see `Greeks`).
 *
 * One loop serves the scalar and the batch forms, so both give bit-identical results. It
 * evaluates three exponentials per option: exp(−rT), exp(−qT) and exp(−d1²/2); N(d1), N(d2) and
 * φ(d1) all come from the last one (exp(−d2²/2) = exp(−d1²/2)·F/K), and the normal tails use
 * Cody's rational erfcx so deep out-of-the-money prices keep full relative precision.
 */
import { INV_SQRT_2PI, normCdfGivenExp } from './normal.js';
import {
  allocGreeksColumns,
  allocPricingColumns,
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

/**
 * Prices rows [from, to) of `c` into `o` (price and the five greeks). The scalar and batch forms
 * both run this loop — the scalar one over a one-row scratch table — so they agree bit for bit.
 * With σ√T = 0 the option is worth its discounted forward intrinsic value and the greeks are the
 * limits of the formulas (zero gamma and vega; delta, theta, rho of the forward payoff).
 * Throws RangeError at the first invalid row (rows before it are written).
 */
function greeksRange(what: string, c: PricingColumns, o: GreeksColumns, from: number, to: number): void {
  const { flag, S: Sc, K: Kc, T: Tc, r: rc, q: qc, sigma: vc } = c;
  const { price, delta, gamma, vega, theta, rho } = o;
  // Imported bindings are read through module cells; locals keep the hot loop free of them.
  const ncdf = normCdfGivenExp;
  const invSqrt2Pi = INV_SQRT_2PI;
  // A chain shares (T, r, q) across its strikes: √T, e^{−qT} and e^{−rT} are recomputed only
  // when they change, so a chain costs one log and one exp per option. Recomputing would give
  // the same values, so results never depend on row order.
  let cT = Number.NaN;
  let cR = Number.NaN;
  let cQ = Number.NaN;
  let cSqrtT = Number.NaN;
  let cDq = Number.NaN;
  let cDr = Number.NaN;
  for (let i = from; i < to; i++) {
    const S = Sc[i]!;
    const K = Kc[i]!;
    const T = Tc[i]!;
    const r = rc[i]!;
    const q = qc[i]!;
    const sigma = vc[i]!;
    if (!isValidPricingInput(S, K, T, r, q, sigma)) invalid(`${what} row ${i}`, S, K, T, r, q, sigma);
    const call = flag[i] === 1;
    if (T !== cT || r !== cR || q !== cQ) {
      cT = T;
      cR = r;
      cQ = q;
      cSqrtT = Math.sqrt(T);
      cDq = Math.exp(-q * T);
      cDr = Math.exp(-r * T);
    }
    const sqrtT = cSqrtT;
    const sd = sigma * sqrtT;
    const dq = cDq;
    const Fq = S * dq; // e^{-rT}·F
    const Kr = K * cDr; // e^{-rT}·K
    if (sd === 0) {
      const fwd = Fq - Kr;
      const itm = call ? fwd > 0 : fwd < 0;
      // w = 0 would give −0 for puts; report a plain 0 out of the money.
      const sw = itm ? (call ? 1 : -1) : fwd === 0 ? (call ? 0.5 : -0.5) : 0;
      price[i] = itm ? (call ? fwd : -fwd) : 0;
      delta[i] = sw === 0 ? 0 : sw * dq;
      gamma[i] = 0;
      vega[i] = 0;
      theta[i] = sw === 0 ? 0 : (sw * (q * Fq - r * Kr)) / DAYS_PER_YEAR;
      rho[i] = sw === 0 ? 0 : sw * Kr * T * PER_PERCENT;
      continue;
    }
    const d1 = (Math.log(S / K) + (r - q + 0.5 * sigma * sigma) * T) / sd;
    const d2 = d1 - sd;
    const e1 = Math.exp(-0.5 * d1 * d1);
    let e2 = e1 * (Fq / Kr);
    if (!(e1 > 0 && e2 < Number.POSITIVE_INFINITY)) e2 = Math.exp(-0.5 * d2 * d2);
    const pdf1 = invSqrt2Pi * e1;
    const decay = (-Fq * pdf1 * sigma) / (2 * sqrtT);
    gamma[i] = (dq * pdf1) / (S * sd);
    vega[i] = Fq * pdf1 * sqrtT * PER_PERCENT;
    if (call) {
      const n1 = ncdf(d1, e1);
      const n2 = ncdf(d2, e2);
      price[i] = Fq * n1 - Kr * n2;
      delta[i] = dq * n1;
      theta[i] = (decay - r * Kr * n2 + q * Fq * n1) / DAYS_PER_YEAR;
      rho[i] = Kr * T * n2 * PER_PERCENT;
    } else {
      const m1 = ncdf(-d1, e1);
      const m2 = ncdf(-d2, e2);
      price[i] = Kr * m2 - Fq * m1;
      delta[i] = -dq * m1;
      theta[i] = (decay + r * Kr * m2 - q * Fq * m1) / DAYS_PER_YEAR;
      rho[i] = -Kr * T * m2 * PER_PERCENT;
    }
  }
}

/** Prices only, rows [from, to): the same arithmetic as the price column of `greeksRange`. */
function priceRange(what: string, c: PricingColumns, out: Float64Array, from: number, to: number): void {
  const { flag, S: Sc, K: Kc, T: Tc, r: rc, q: qc, sigma: vc } = c;
  for (let i = from; i < to; i++) {
    const S = Sc[i]!;
    const K = Kc[i]!;
    const T = Tc[i]!;
    const r = rc[i]!;
    const q = qc[i]!;
    const sigma = vc[i]!;
    if (!isValidPricingInput(S, K, T, r, q, sigma)) invalid(`${what} row ${i}`, S, K, T, r, q, sigma);
    out[i] = bsPrice(flag[i] === 1, S, K, T, r, q, sigma);
  }
}

/** Price of one option, inputs assumed valid; the price column of `greeksRange` bit for bit. */
export function bsPrice(
  call: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  sigma: number,
): number {
  const sd = sigma * Math.sqrt(T);
  const Fq = S * Math.exp(-q * T);
  const Kr = K * Math.exp(-r * T);
  if (sd === 0) {
    const fwd = Fq - Kr;
    return call ? Math.max(fwd, 0) : Math.max(-fwd, 0);
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

/**
 * Batches run in chunks of this many rows so the row loop is optimised as an ordinary function
 * (not only through on-stack replacement of one long loop); the scalar form calls the same
 * function with one row and then gets the same optimised code.
 */
const CHUNK = 256;

const ONE = allocGreeksColumns(1);
const ONE_IN = allocPricingColumns(1);

function loadOne(
  flag: 'c' | 'p',
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  sigma: number,
): void {
  ONE_IN.flag[0] = flag === 'c' ? 1 : 0;
  ONE_IN.S[0] = S;
  ONE_IN.K[0] = K;
  ONE_IN.T[0] = T;
  ONE_IN.r[0] = r;
  ONE_IN.q[0] = q;
  ONE_IN.sigma[0] = sigma;
}

/** Black–Scholes–Merton price and greeks of one European option. Throws RangeError on invalid input. */
export function blackScholes(input: PricingInput): Greeks {
  const { flag, S, K, T, r, q, sigma } = input;
  if (flag !== 'c' && flag !== 'p')
    throw new RangeError(`blackScholes: flag must be 'c' or 'p', got ${flag}`);
  loadOne(flag, S, K, T, r, q, sigma);
  greeksRange('blackScholes', ONE_IN, ONE, 0, 1);
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
  if (flag !== 'c' && flag !== 'p')
    throw new RangeError(`blackScholesPrice: flag must be 'c' or 'p', got ${flag}`);
  if (!isValidPricingInput(S, K, T, r, q, sigma)) invalid('blackScholesPrice', S, K, T, r, q, sigma);
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
  for (const col of [o.price, o.delta, o.gamma, o.vega, o.theta, o.rho]) {
    if (col.length < len) throw new RangeError(`output columns shorter than the batch (${len})`);
  }
  for (let i = 0; i < len; i += CHUNK)
    greeksRange('blackScholesBatch', input, o, i, Math.min(i + CHUNK, len));
  return o;
}

/** Prices only, into `out` (allocated when omitted). Row i equals `blackScholesPrice` of row i. */
export function blackScholesPriceBatch(input: PricingColumns, out?: Float64Array, n?: number): Float64Array {
  const len = batchLength(input, n);
  const o = out ?? new Float64Array(len);
  if (o.length < len) throw new RangeError(`output column shorter than the batch (${len})`);
  for (let i = 0; i < len; i += CHUNK)
    priceRange('blackScholesPriceBatch', input, o, i, Math.min(i + CHUNK, len));
  return o;
}
