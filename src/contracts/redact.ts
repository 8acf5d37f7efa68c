/**
 * The one masking policy of §10, used by the logger, every stored payload and every API response.
 * Keys are matched case-insensitively at any depth; known secret values are also scrubbed from
 * inside free-text strings (a key pasted into an error message must not leak either).
 */
const SENSITIVE_KEYS = new Set([
  'apikey',
  'api_key',
  'execution_api_key',
  'x-api-key',
  'authorization',
  'cookie',
  'password',
  'password_hash',
  'secret',
  'token',
  'bot_token',
  'auth_token',
  'session',
  'broker_order_id',
  'orderid',
  'order_id',
]);

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEYS.has(key.toLowerCase());
}

/** `***abcd***`: enough of the tail to tell two values apart, never the value. */
export function maskValue(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '******';
  const s = String(value);
  if (s.length < 8) return '******';
  return `***${s.slice(-4)}***`;
}

export class Redactor {
  readonly #secrets: string[];

  constructor(secrets: ReadonlyArray<string | undefined> = []) {
    // Short values would mask innocent text; config requires secrets of 8+ chars anyway.
    this.#secrets = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8);
  }

  addSecret(secret: string | undefined): void {
    if (secret && secret.length >= 8 && !this.#secrets.includes(secret)) this.#secrets.push(secret);
  }

  scrubString(s: string): string {
    let out = s;
    for (const secret of this.#secrets) {
      if (out.includes(secret)) out = out.split(secret).join(maskValue(secret));
    }
    return out;
  }

  /** Returns a masked deep copy; the input is not modified. */
  redact<T>(value: T): T {
    return this.#walk(value, 0) as T;
  }

  #walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.scrubString(value);
    if (value === null || typeof value !== 'object' || depth > 12) return value;
    if (Array.isArray(value)) return value.map((v) => this.#walk(v, depth + 1));
    if (value instanceof Error) {
      return {
        name: value.name,
        message: this.scrubString(value.message),
        stack: this.scrubString(value.stack ?? ''),
      };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        isSensitiveKey(k) && v !== null && v !== undefined && v !== ''
          ? maskValue(v)
          : this.#walk(v, depth + 1);
    }
    return out;
  }
}
