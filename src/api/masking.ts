import { isSensitiveKey, maskValue, type Redactor } from '../contracts/index.js';

// The Redactor's own floors: shorter values would mask innocent text; deeper trees are not walked.
const MIN_SECRET_CHARS = 8;
const MAX_DEPTH = 12;

/**
 * The §10 masking of an API payload, applying the one Redactor's policy — values under sensitive
 * keys masked (`maskValue`), configured secrets scrubbed from every string (`scrubString`) — plus
 * one rule of its own: the values found under sensitive keys of *this* payload are scrubbed from
 * its free text too, so a broker order id repeated in a row's `last_error` or a journal message
 * does not survive beside its masked field.
 *
 * This runs for every response and every live event: one pass in the common case (nothing
 * sensitive inside, e.g. /tomic/status), copying only what it changes. The result may share
 * unchanged parts with the input; neither is modified afterwards.
 */
export function maskPayload<T>(redactor: Redactor, value: T): T {
  const found: string[] = [];
  const masked = walk(redactor, value, 0, found);
  if (found.length === 0) return masked as T;
  const scrub = (s: string) => {
    let out = s;
    for (const f of found) if (out.includes(f)) out = out.split(f).join(maskValue(f));
    return out;
  };
  return rewriteStrings(masked, 0, scrub) as T;
}

// Payload keys repeat from response to response; the answer per key never changes. Bounded because
// keys inside journal details come from outside.
const keyCache = new Map<string, boolean>();
const KEY_CACHE_MAX = 2_000;
function sensitive(k: string): boolean {
  let s = keyCache.get(k);
  if (s === undefined) {
    s = isSensitiveKey(k);
    if (keyCache.size < KEY_CACHE_MAX) keyCache.set(k, s);
  }
  return s;
}

/**
 * Copy-on-write: a subtree with nothing to mask comes back as the same object, so a clean payload
 * (the usual case) costs a read of the tree and no allocation.
 */
function walk(redactor: Redactor, value: unknown, depth: number, found: string[]): unknown {
  if (typeof value === 'string') return redactor.scrubString(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (value instanceof Error) return redactor.redact(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = walk(redactor, value[i], depth + 1, found);
      if (v !== value[i]) copy ??= value.slice();
      if (copy) copy[i] = v;
    }
    return copy ?? value;
  }
  const obj = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const k in obj) {
    if (!Object.hasOwn(obj, k)) continue;
    const v = obj[k];
    let next: unknown;
    if (v !== null && v !== undefined && v !== '' && sensitive(k)) {
      next = maskValue(v);
      if ((typeof v === 'string' || typeof v === 'number') && String(v).length >= MIN_SECRET_CHARS) {
        found.push(String(v));
      }
    } else {
      next = walk(redactor, v, depth + 1, found);
    }
    if (next !== v) copy ??= { ...obj };
    if (copy) copy[k] = next;
  }
  return copy ?? obj;
}

/** Second pass, only when the first found sensitive values: scrubs them from free text (copy-on-write). */
function rewriteStrings(value: unknown, depth: number, scrub: (s: string) => string): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = rewriteStrings(value[i], depth + 1, scrub);
      if (v !== value[i]) copy ??= value.slice();
      if (copy) copy[i] = v;
    }
    return copy ?? value;
  }
  const obj = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const k in obj) {
    if (!Object.hasOwn(obj, k) || sensitive(k)) continue;
    const v = rewriteStrings(obj[k], depth + 1, scrub);
    if (v !== obj[k]) copy ??= { ...obj };
    if (copy) copy[k] = v;
  }
  return copy ?? obj;
}
