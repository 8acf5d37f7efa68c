import type { VirtualClock } from '../../src/clock/index.js';

/** Advances virtual time in steps until the promise settles (tests never sleep for real). */
export async function drive<T>(clock: VirtualClock, p: Promise<T>, stepMs = 50, maxMs = 600_000): Promise<T> {
  let settled = false;
  const guarded = p.finally(() => {
    settled = true;
  });
  for (let t = 0; !settled && t < maxMs; t += stepMs) await clock.advanceAsync(stepMs);
  if (!settled) throw new Error(`promise did not settle within ${maxMs} ms of virtual time`);
  return guarded;
}
