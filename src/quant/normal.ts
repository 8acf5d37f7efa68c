/**
 * Normal distribution functions accurate to double precision.
 *
 * erfc / erfcx: W. J. Cody, "Rational Chebyshev approximations for the error function",
 * Math. Comp. 23 (1969) 631-638 — the coefficients below are the published minimax ones
 * (≥ 18 significant digits in theory), which keeps relative accuracy in the far tails where
 * `1 - erf` would cancel to nothing. Deep out-of-the-money option prices and implied volatility
 * depend on that tail accuracy.
 *
 * Inverse normal: M. J. Wichura, "Algorithm AS 241: The percentage points of the normal
 * distribution", Applied Statistics 37 (1988) 477-484 (relative accuracy about 1e-16).
 *
 * Bivariate normal: A. Genz, "Numerical computation of rectangular bivariate and trivariate
 * normal and t probabilities", Statistics and Computing 14 (2004) 251-260 (Drezner–Wesolowsky
 * with Gauss–Legendre quadrature), the algorithm Haug recommends for Bjerksund–Stensland 2002.
 */

export const SQRT_2PI = Math.sqrt(2 * Math.PI);
export const INV_SQRT_2PI = 1 / SQRT_2PI;
const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_PI = 0.5641895835477563;

// Cody 1969, first interval |x| <= 0.46875: erf(x) = x·A(x²)/B(x²).
const A0 = 3.1611237438705655;
const A1 = 113.86415415105016;
const A2 = 377.485237685302;
const A3 = 3209.3775891384694;
const A4 = 0.18577770618460315;
const B0 = 23.601290952344122;
const B1 = 244.02463793444417;
const B2 = 1282.6165260773723;
const B3 = 2844.236833439171;
// Second interval 0.46875 < x <= 4: erfcx(x) = C(x)/D(x).
const C0 = 0.5641884969886701;
const C1 = 8.883149794388377;
const C2 = 66.11919063714163;
const C3 = 298.6351381974001;
const C4 = 881.952221241769;
const C5 = 1712.0476126340707;
const C6 = 2051.0783778260716;
const C7 = 1230.3393547979972;
const C8 = 2.1531153547440383e-8;
const D0 = 15.744926110709835;
const D1 = 117.6939508913125;
const D2 = 537.1811018620099;
const D3 = 1621.3895745666903;
const D4 = 3290.7992357334597;
const D5 = 4362.619090143247;
const D6 = 3439.3676741437216;
const D7 = 1230.3393548037495;
// Third interval x > 4: erfcx(x) = (1/√π − P(1/x²)/Q(1/x²)/x²)/x.
const P0 = 0.30532663496123236;
const P1 = 0.36034489994980445;
const P2 = 0.12578172611122926;
const P3 = 0.016083785148742275;
const P4 = 0.0006587491615298378;
const P5 = 0.016315387137302097;
const Q0 = 2.568520192289822;
const Q1 = 1.8729528499234604;
const Q2 = 0.5279051029514285;
const Q3 = 0.06051834131244132;
const Q4 = 0.0023352049762686918;

const ERF_SMALL = 0.46875;
/** Beyond this erfc(x) underflows to 0 in double precision. */
const ERFC_ZERO_BEYOND = 26.543;

/** erf(x)/x for |x| <= 0.46875, as a rational function of x². */
function erfOverX(y2: number): number {
  return ((((A4 * y2 + A0) * y2 + A1) * y2 + A2) * y2 + A3) / ((((y2 + B0) * y2 + B1) * y2 + B2) * y2 + B3);
}

/**
 * exp(y²)·erfc(y) for y > 0.46875 (no exponential evaluated). Callers multiply by exp(−y²)
 * themselves, which lets the Black–Scholes kernel reuse one exponential for N(d) and φ(d).
 */
export function erfcxPositiveLarge(y: number): number {
  if (y <= 4) {
    return (
      ((((((((C8 * y + C0) * y + C1) * y + C2) * y + C3) * y + C4) * y + C5) * y + C6) * y + C7) /
      ((((((((y + D0) * y + D1) * y + D2) * y + D3) * y + D4) * y + D5) * y + D6) * y + D7)
    );
  }
  const z = 1 / (y * y);
  const num = ((((P5 * z + P0) * z + P1) * z + P2) * z + P3) * z + P4;
  const den = ((((z + Q0) * z + Q1) * z + Q2) * z + Q3) * z + Q4;
  return (INV_SQRT_PI - (z * num) / den) / y;
}

/** exp(−y²) computed as exp(−a²)·exp(−(y−a)(y+a)) with a = y rounded down to 1/16 (Cody). */
function expMinusSquare(y: number): number {
  const a = Math.trunc(y * 16) / 16;
  return Math.exp(-a * a) * Math.exp(-(y - a) * (y + a));
}

/** Complementary error function, relative accuracy ~1e-16 over the whole line. */
export function erfc(x: number): number {
  const y = Math.abs(x);
  let r: number;
  if (y <= ERF_SMALL) {
    return 1 - x * erfOverX(y * y);
  }
  if (y >= ERFC_ZERO_BEYOND) {
    r = 0;
  } else {
    r = erfcxPositiveLarge(y) * expMinusSquare(y);
  }
  return x < 0 ? 2 - r : r;
}

/** Scaled complementary error function exp(x²)·erfc(x); finite for x > −26.6. */
export function erfcx(x: number): number {
  const y = Math.abs(x);
  if (y <= ERF_SMALL) {
    return Math.exp(x * x) * (1 - x * erfOverX(y * y));
  }
  if (x > 0) {
    return y >= 6.71e7 ? INV_SQRT_PI / y : erfcxPositiveLarge(y);
  }
  // erfcx(−y) = 2·exp(y²) − erfcx(y); overflows to +Infinity past y ≈ 26.6, as it must.
  const a = Math.trunc(y * 16) / 16;
  const e = Math.exp(a * a) * Math.exp((y - a) * (y + a));
  return e + e - erfcxPositiveLarge(y);
}

/** Error function. */
export function erf(x: number): number {
  const y = Math.abs(x);
  if (y <= ERF_SMALL) return x * erfOverX(y * y);
  const r = 1 - erfc(y);
  return x < 0 ? -r : r;
}

/** Standard normal density φ(x). */
export function normPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** Standard normal distribution Φ(x), relative accuracy ~1e-16 in both tails. */
export function normCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}

/**
 * Φ(d) given e = exp(−d²/2) already computed by the caller (so φ(d) = e/√(2π) costs nothing).
 * Used by the pricing kernels: one exponential serves N(d1), N(d2) and φ(d1).
 */
export function normCdfGivenExp(d: number, e: number): number {
  const y = Math.abs(d) * SQRT1_2;
  if (y <= ERF_SMALL) return 0.5 + 0.5 * d * SQRT1_2 * erfOverX(y * y);
  const tail = 0.5 * erfcxPositiveLarge(y) * e; // Φ(−|d|)
  return d < 0 ? tail : 1 - tail;
}

// AS 241 (Wichura 1988), PPND16.
const SPLIT1 = 0.425;
const SPLIT2 = 5;
const CONST1 = 0.180625;
const CONST2 = 1.6;
const IA = [
  3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987,
  67265.7709270087, 33430.57558358813, 2509.0809287301227,
];
const IB = [
  1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271,
  28729.085735721943, 5226.495278852545,
];
const IC = [
  1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684,
  0.2417807251774506, 0.022723844989269184, 0.0007745450142783414,
];
const ID = [
  1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457,
  0.0005475938084995345, 1.0507500716444169e-9,
];
const IE = [
  6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124,
  0.0012426609473880784, 0.000027115555687434876, 2.0103343992922881e-7,
];
const IF = [
  1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133,
  0.000018463183175100548, 1.421511758316446e-7, 2.0442631033899397e-15,
];

function poly7(c: readonly number[], x: number): number {
  return (
    ((((((c[7]! * x + c[6]!) * x + c[5]!) * x + c[4]!) * x + c[3]!) * x + c[2]!) * x + c[1]!) * x + c[0]!
  );
}

/** Inverse of Φ: the z with Φ(z) = p. Returns −Infinity for p = 0, +Infinity for p = 1, NaN outside [0, 1]. */
export function normInv(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const q = p - 0.5;
  if (Math.abs(q) <= SPLIT1) {
    const r = CONST1 - q * q;
    return (q * poly7(IA, r)) / poly7(IB, r);
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let z: number;
  if (r <= SPLIT2) {
    r -= CONST2;
    z = poly7(IC, r) / poly7(ID, r);
  } else {
    r -= SPLIT2;
    z = poly7(IE, r) / poly7(IF, r);
  }
  return q < 0 ? -z : z;
}

/** Gauss–Legendre nodes (positive half) and weights on [−1, 1], computed once by Newton's method. */
function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const half = n / 2;
  const x = new Float64Array(half);
  const w = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}

const GL6 = gaussLegendre(6);
const GL12 = gaussLegendre(12);
const GL20 = gaussLegendre(20);

/** P(X > h, Y > k) for standard bivariate normal with correlation r (Genz 2004, BVNU). */
function bvnUpper(h: number, k: number, r: number): number {
  if (h === Number.POSITIVE_INFINITY || k === Number.POSITIVE_INFINITY) return 0;
  if (h === Number.NEGATIVE_INFINITY) return k === Number.NEGATIVE_INFINITY ? 1 : normCdf(-k);
  if (k === Number.NEGATIVE_INFINITY) return normCdf(-h);
  if (r === 0) return normCdf(-h) * normCdf(-k);
  const ar = Math.abs(r);
  const gl = ar < 0.3 ? GL6 : ar < 0.75 ? GL12 : GL20;
  const nx = gl.x;
  const nw = gl.w;
  const m = nx.length;
  const twoPi = 2 * Math.PI;
  let hk = h * k;
  let bvn = 0;
  if (ar < 0.925) {
    const hs = (h * h + k * k) / 2;
    const asr = Math.asin(r) / 2;
    for (let i = 0; i < m; i++) {
      // Nodes 1 ± x on [0, 2] map the half-range of asin(r)/2 · (1 ± x).
      const xi = nx[i]!;
      const sn1 = Math.sin(asr * (1 - xi));
      const sn2 = Math.sin(asr * (1 + xi));
      bvn +=
        nw[i]! * (Math.exp((sn1 * hk - hs) / (1 - sn1 * sn1)) + Math.exp((sn2 * hk - hs) / (1 - sn2 * sn2)));
    }
    bvn = (bvn * asr) / twoPi + normCdf(-h) * normCdf(-k);
  } else {
    let kk = k;
    if (r < 0) {
      kk = -k;
      hk = -hk;
    }
    if (ar < 1) {
      const as = (1 - r) * (1 + r);
      let a = Math.sqrt(as);
      const bs = (h - kk) * (h - kk);
      const c = (4 - hk) / 8;
      const d = (12 - hk) / 80;
      let asr = -(bs / as + hk) / 2;
      if (asr > -100) bvn = a * Math.exp(asr) * (1 - (c * (bs - as) * (1 - d * bs)) / 3 + c * d * as * as);
      if (hk > -100) {
        const b = Math.sqrt(bs);
        const sp = Math.sqrt(twoPi) * normCdf(-b / a);
        bvn -= Math.exp(-hk / 2) * sp * b * (1 - (c * bs * (1 - d * bs)) / 3);
      }
      a /= 2;
      let sum = 0;
      for (let i = 0; i < m; i++) {
        for (let s = -1; s <= 1; s += 2) {
          const xr = a + a * s * nx[i]!;
          const xs = xr * xr;
          asr = -(bs / xs + hk) / 2;
          if (asr > -100) {
            const rs = Math.sqrt(1 - xs);
            const sp = 1 + c * xs * (1 + 5 * d * xs);
            const ep = Math.exp((-(hk / 2) * xs) / ((1 + rs) * (1 + rs))) / rs;
            sum += nw[i]! * Math.exp(asr) * (sp - ep);
          }
        }
      }
      bvn = (a * sum - bvn) / twoPi;
    }
    if (r > 0) {
      bvn += normCdf(-Math.max(h, kk));
    } else if (h >= kk) {
      bvn = -bvn;
    } else {
      const l = h < 0 ? normCdf(kk) - normCdf(h) : normCdf(-h) - normCdf(-kk);
      bvn = l - bvn;
    }
  }
  return Math.max(0, Math.min(1, bvn));
}

/** Bivariate normal distribution M(a, b; ρ) = P(X ≤ a, Y ≤ b), absolute accuracy ~1e-15. */
export function bivariateNormalCdf(a: number, b: number, rho: number): number {
  if (Number.isNaN(a) || Number.isNaN(b) || !(rho >= -1 && rho <= 1)) return Number.NaN;
  return bvnUpper(-a, -b, rho);
}
