import { DAY_MS, YEAR_MS } from './ist.js';

/**
 * Implied volatility of the simulated option chains, tied to India VIX:
 *  - term structure: a mean-reverting variance curve σ²(T) = θ + (v₀ − θ)(1 − e^{−κT})/(κT), with v₀
 *    chosen so that the 30-day point equals VIX (VIX *is* NIFTY's 30-day implied vol). High VIX gives
 *    an inverted (backwardated) curve, low VIX an upward-sloping one.
 *  - smile: quadratic in standardised moneyness x = ln(K/F)/(σ_atm √T), with the negative skew of index
 *    options (OTM puts richer than OTM calls).
 * BANKNIFTY trades at a premium to NIFTY vol.
 */
const LONG_RUN_VOL = 0.15;
const KAPPA = 4; // per year: ~2-month half-life of a vol shock
const VIX_TENOR_YEARS = (30 * DAY_MS) / YEAR_MS;
const SKEW = -0.12;
const CURVATURE = 0.04;
const MIN_VOL_RATIO = 0.6;
const MAX_VOL_RATIO = 2.5;
/** Floor of T so expiry-day options keep a finite vol (≈ 5 minutes). */
const MIN_T_YEARS = (5 * 60_000) / YEAR_MS;
export const UNDERLYING_VOL_RATIO: Readonly<Record<string, number>> = { NIFTY: 1, BANKNIFTY: 1.2 };

function termFactor(t: number): number {
  const kt = KAPPA * Math.max(t, MIN_T_YEARS);
  return (1 - Math.exp(-kt)) / kt;
}

/** ATM implied vol (annualised, decimal) for time to expiry `t` years, given VIX in points. */
export function atmVol(vixPoints: number, t: number, underlying = 'NIFTY'): number {
  const vix = Math.max(vixPoints, 5) / 100;
  const theta = LONG_RUN_VOL ** 2;
  const f30 = termFactor(VIX_TENOR_YEARS);
  const v0 = Math.max(1e-4, theta + (vix * vix - theta) / f30);
  const variance = theta + (v0 - theta) * termFactor(t);
  return Math.sqrt(Math.max(variance, 1e-4)) * (UNDERLYING_VOL_RATIO[underlying] ?? 1);
}

/** Implied vol at strike `k` for forward `f`. */
export function smileVol(atm: number, f: number, k: number, t: number): number {
  const sd = atm * Math.sqrt(Math.max(t, MIN_T_YEARS));
  const x = Math.log(k / f) / sd;
  const ratio = 1 + SKEW * x + CURVATURE * x * x;
  return atm * Math.min(MAX_VOL_RATIO, Math.max(MIN_VOL_RATIO, ratio));
}

export function impliedVol(vixPoints: number, f: number, k: number, t: number, underlying: string): number {
  return smileVol(atmVol(vixPoints, t, underlying), f, k, t);
}

export { MIN_T_YEARS };
