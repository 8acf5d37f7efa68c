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
 * One pass in the common case (nothing sensitive inside, e.g. /tomic/status): this runs for every
 * response and every live event, so it does not walk the tree twice (Redactor.redact plus a search
 * for sensitive values would).
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

function walk(redactor: Redactor, value: unknown, depth: number, found: string[]): unknown {
  if (typeof value === 'string') return redactor.scrubString(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => walk(redactor, v, depth + 1, found));
  if (value instanceof Error) return redactor.redact(value);
  const out: Record<string, unknown> = {};
  const obj = value as Record<string, unknown>;
  for (const k in obj) {
    if (!Object.hasOwn(obj, k)) continue;
    const v = obj[k];
    if (v !== null && v !== undefined && v !== '' && sensitive(k)) {
      out[k] = maskValue(v);
      if ((typeof v === 'string' || typeof v === 'number') && String(v).length >= MIN_SECRET_CHARS) {
        found.push(String(v));
      }
    } else {
      out[k] = walk(redactor, v, depth + 1, found);
    }
  }
  return out;
}

/** Second pass, only when the first found sensitive values: rewrites free text (already a copy). */
function rewriteStrings(value: unknown, depth: number, scrub: (s: string) => string): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => rewriteStrings(v, depth + 1, scrub));
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!sensitive(k)) obj[k] = rewriteStrings(obj[k], depth + 1, scrub);
  }
  return obj;
}
