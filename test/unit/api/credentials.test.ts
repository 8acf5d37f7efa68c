import { describe, expect, it } from 'vitest';
import {
  ApiKeyVerifier,
  hashPassword,
  SCRYPT_PARAMS,
  safeEqual,
  verifyPassword,
} from '../../../src/api/credentials.js';

describe('credentials (§10)', () => {
  it('scrypt hash: N ≥ 2^15, r = 8, p = 1, a random 16-byte salt; verifies the password and nothing else', async () => {
    const h = await hashPassword('correct-horse-battery');
    expect(h).toMatchObject({ algorithm: 'scrypt', N: 2 ** 15, r: 8, p: 1 });
    expect(h.salt).toHaveLength(16);
    expect(h.hash).toHaveLength(32);
    expect(await verifyPassword('correct-horse-battery', h)).toBe(true);
    expect(await verifyPassword('correct-horse-batterY', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
    const again = await hashPassword('correct-horse-battery');
    expect(again.salt.equals(h.salt)).toBe(false);
    expect(again.hash.equals(h.hash)).toBe(false);
  });

  it('refuses KDF parameters below the floor', async () => {
    expect(SCRYPT_PARAMS).toEqual({ N: 32_768, r: 8, p: 1 });
    await expect(hashPassword('x', { N: 2 ** 14, r: 8, p: 1 })).rejects.toThrow(RangeError);
    await expect(hashPassword('x', { N: 2 ** 15, r: 4, p: 1 })).rejects.toThrow(RangeError);
  });

  it('API key: exact match only, any length compared without throwing', () => {
    const v = new ApiKeyVerifier('tomic-key-0123456789abcdef');
    expect(v.configured).toBe(true);
    expect(v.verify('tomic-key-0123456789abcdef')).toBe(true);
    for (const bad of [
      '',
      'tomic',
      'tomic-key-0123456789abcdeF',
      'tomic-key-0123456789abcdef ',
      'x'.repeat(10_000),
    ]) {
      expect(v.verify(bad)).toBe(false);
    }
  });

  it('no key configured: nothing verifies, not even the empty string', () => {
    const v = new ApiKeyVerifier(undefined);
    expect(v.configured).toBe(false);
    expect(v.verify('')).toBe(false);
    expect(v.verify('anything')).toBe(false);
  });

  it('safeEqual compares strings of different lengths', () => {
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'ab')).toBe(false);
  });
});
