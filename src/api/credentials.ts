import { hash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * §10 credentials: the API key compared in constant time, the admin password held only as a
 * memory-hard scrypt hash. Comparing SHA-256 digests makes the comparison independent of where the
 * first differing byte is *and* of the candidate's length (timingSafeEqual needs equal lengths).
 */

/** scrypt cost (OWASP: N=2^17 is the recommendation for r=8,p=1; 2^15 is the floor we accept). */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LEN = 32;
const SALT_LEN = 16;

export interface PasswordHash {
  readonly algorithm: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

// One-shot hash: this runs on every API-key request, and createHash() costs twice as much.
const digest = (s: string | Buffer) => hash('sha256', s, 'buffer');

/** Constant-time equality of two strings of any lengths. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function derive(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is exactly N=2^15, r=8, so raise it.
  const maxmem = 256 * params.N * params.r;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LEN, { ...params, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(
  password: string,
  params: { N: number; r: number; p: number } = SCRYPT_PARAMS,
): Promise<PasswordHash> {
  if (params.N < SCRYPT_PARAMS.N || params.r < SCRYPT_PARAMS.r || params.p < 1) {
    throw new RangeError(`scrypt parameters below the floor N=2^15, r=8, p=1`);
  }
  const salt = randomBytes(SALT_LEN);
  return { algorithm: 'scrypt', ...params, salt, hash: await derive(password, salt, params) };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const key = await derive(password, stored.salt, stored);
  return key.length === stored.hash.length && timingSafeEqual(key, stored.hash);
}

/** The API key check: one SHA-256 per request, compared in constant time. */
export class ApiKeyVerifier {
  readonly #digest: Buffer | undefined;

  /** No key configured: every key is refused (sessions still work). */
  constructor(apiKey: string | undefined) {
    this.#digest = apiKey ? digest(apiKey) : undefined;
  }

  get configured(): boolean {
    return this.#digest !== undefined;
  }

  verify(candidate: string): boolean {
    const d = digest(candidate);
    // Compare against something even when unconfigured, so both paths cost the same.
    return timingSafeEqual(d, this.#digest ?? digest(randomBytes(16))) && this.#digest !== undefined;
  }
}

/** 32 random bytes, URL-safe: session ids and CSRF tokens. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256Hex(s: string): string {
  return hash('sha256', s, 'hex');
}
