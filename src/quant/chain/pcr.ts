import { type Stamped, stamp } from '../stamped.js';
import type { ChainExpiry, ChainSnapshot } from './types.js';

export interface PcrValue {
  /** Σ put OI / Σ call OI (null when there is no call OI). */
  readonly oi: number | null;
  /** Σ put volume / Σ call volume (null when there is no call volume). */
  readonly volume: number | null;
  readonly putOi: number;
  readonly callOi: number;
  readonly putVolume: number;
  readonly callVolume: number;
}

/**
 * Put–call ratios (open interest and volume) of one expiry, or of every expiry when `expiry` is
 * omitted. Missing OI/volume counts as 0.
 */
export function pcr(snapshot: ChainSnapshot, expiry?: string): Stamped<PcrValue> {
  let putOi = 0;
  let callOi = 0;
  let putVolume = 0;
  let callVolume = 0;
  const expiries: readonly ChainExpiry[] =
    expiry === undefined ? snapshot.expiries : snapshot.expiries.filter((e) => e.expiry === expiry);
  for (const e of expiries) {
    for (const row of e.rows) {
      putOi += row.pe?.oi ?? 0;
      callOi += row.ce?.oi ?? 0;
      putVolume += row.pe?.volume ?? 0;
      callVolume += row.ce?.volume ?? 0;
    }
  }
  return stamp(
    {
      oi: callOi > 0 ? putOi / callOi : null,
      volume: callVolume > 0 ? putVolume / callVolume : null,
      putOi,
      callOi,
      putVolume,
      callVolume,
    },
    snapshot.asOfMs,
  );
}
