import { createRng, type Rng } from '../clock/index.js';

/**
 * Keyed determinism: values that must not depend on the order in which they are asked for (an option
 * quote computed only when someone looks, a bar's intrabar path) come from a hash of
 * (seed, name, index) instead of a shared sequential generator.
 */
export function hash32(...parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    if (typeof part === 'number') {
      // Numbers mix as two 32-bit words (exact for integers up to 2^53, e.g. epoch ms).
      const lo = part >>> 0;
      const hi = Math.floor(part / 4294967296) >>> 0;
      h = Math.imul(h ^ lo, 0x01000193);
      h = Math.imul(h ^ hi, 0x01000193);
      h = Math.imul(h ^ (Number.isInteger(part) ? 0x3b : 0x3c), 0x01000193);
      if (!Number.isInteger(part)) h = Math.imul(h ^ Math.floor((part % 1) * 4294967296), 0x01000193);
    } else {
      for (let i = 0; i < part.length; i++) h = Math.imul(h ^ part.charCodeAt(i), 0x01000193);
      h = Math.imul(h ^ 0x7c, 0x01000193); // separator, so ("ab","c") and ("a","bc") differ
    }
  }
  // Final avalanche (murmur3 fmix32).
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1) from a key. */
export function hashUnit(...parts: ReadonlyArray<string | number>): number {
  return hash32(...parts) / 4294967296;
}

/** A fresh generator for one keyed stream. */
export function keyedRng(...parts: ReadonlyArray<string | number>): Rng {
  return createRng(hash32(...parts));
}
