import { type Stamped, stamp } from '../stamped.js';
import { findExpiry } from './quote.js';
import type { ChainSnapshot } from './types.js';

export interface MaxPainValue {
  readonly expiry: string;
  /** The listed strike at which option holders' total intrinsic payout is smallest. */
  readonly strike: number;
  /** That payout, in rupees per OI unit (OI × points). */
  readonly payout: number;
}

/**
 * Max Pain of an expiry (default: the first, i.e. nearest): the settlement price among the listed
 * strikes that minimises Σ_k [callOI_k·max(P − k, 0) + putOI_k·max(k − P, 0)]. Null when the
 * expiry is unknown or has no open interest. O(n) with prefix sums over the sorted strikes.
 */
export function maxPain(snapshot: ChainSnapshot, expiry?: string): Stamped<MaxPainValue | null> {
  const e = findExpiry(snapshot, expiry);
  if (e === null) return stamp(null, snapshot.asOfMs);
  const rows = [...e.rows].sort((a, b) => a.strike - b.strike);
  const n = rows.length;
  let totalOi = 0;
  for (const r of rows) totalOi += (r.ce?.oi ?? 0) + (r.pe?.oi ?? 0);
  if (n === 0 || totalOi === 0) return stamp(null, snapshot.asOfMs);
  // Calls below P pay (P − k): running sums of callOI and callOI·k from the left; puts above P
  // pay (k − P): the complementary sums from the right.
  let putOiAll = 0;
  let putOiKAll = 0;
  for (const r of rows) {
    const p = r.pe?.oi ?? 0;
    putOiAll += p;
    putOiKAll += p * r.strike;
  }
  let callOiLeft = 0;
  let callOiKLeft = 0;
  let putOiLeft = 0;
  let putOiKLeft = 0;
  let best = Number.POSITIVE_INFINITY;
  let bestStrike = rows[0]!.strike;
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    const P = r.strike;
    const c = r.ce?.oi ?? 0;
    const p = r.pe?.oi ?? 0;
    callOiLeft += c;
    callOiKLeft += c * P;
    const callPay = P * callOiLeft - callOiKLeft;
    // Puts with strike > P (strike == P pays nothing either way).
    const putOiRight = putOiAll - putOiLeft - p;
    const putOiKRight = putOiKAll - putOiKLeft - p * P;
    const putPay = putOiKRight - P * putOiRight;
    putOiLeft += p;
    putOiKLeft += p * P;
    const pay = callPay + putPay;
    if (pay < best) {
      best = pay;
      bestStrike = P;
    }
  }
  return stamp({ expiry: e.expiry, strike: bestStrike, payout: best }, snapshot.asOfMs);
}
