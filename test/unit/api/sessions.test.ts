import { describe, expect, it } from 'vitest';
import { readCookie, SessionStore, sessionCookie } from '../../../src/api/sessions.js';
import { VirtualClock } from '../../../src/clock/index.js';

describe('session store', () => {
  it('32-byte random ids, absolute expiry on the monotonic clock', () => {
    const clock = new VirtualClock();
    const s = new SessionStore(clock, { ttlMs: 1_000 });
    const { id, session } = s.create('admin');
    expect(Buffer.from(id, 'base64url')).toHaveLength(32);
    expect(Buffer.from(session.csrfToken, 'base64url')).toHaveLength(32);
    expect(s.get(id)?.user).toBe('admin');
    clock.jumpWall(-86_400_000);
    clock.advance(999);
    expect(s.get(id)).toBeDefined();
    expect(s.remainingMs(session)).toBe(1);
    clock.advance(1);
    expect(s.get(id)).toBeUndefined();
    expect(s.size).toBe(0);
  });

  it('ids are unique; destroy ends one session only', () => {
    const s = new SessionStore(new VirtualClock(), { ttlMs: 60_000 });
    const a = s.create('admin');
    const b = s.create('admin');
    expect(a.id).not.toBe(b.id);
    expect(s.destroy(a.id)).toBe(true);
    expect(s.get(a.id)).toBeUndefined();
    expect(s.get(b.id)).toBeDefined();
  });

  it('CSRF token check is exact', () => {
    const s = new SessionStore(new VirtualClock(), { ttlMs: 60_000 });
    const { session } = s.create('admin');
    expect(s.checkCsrf(session, session.csrfToken)).toBe(true);
    expect(s.checkCsrf(session, undefined)).toBe(false);
    expect(s.checkCsrf(session, '')).toBe(false);
    expect(s.checkCsrf(session, `${session.csrfToken}x`)).toBe(false);
  });

  it('the number of live sessions is capped (oldest evicted)', () => {
    const s = new SessionStore(new VirtualClock(), { ttlMs: 60_000, maxSessions: 3 });
    const first = s.create('a');
    for (let i = 0; i < 5; i++) s.create('a');
    expect(s.size).toBe(3);
    expect(s.get(first.id)).toBeUndefined();
  });

  it('cookie helpers', () => {
    expect(readCookie('a=1; tomic_session=abc; b=2', 'tomic_session')).toBe('abc');
    expect(readCookie('tomic_session="q"', 'tomic_session')).toBe('q');
    expect(readCookie('xtomic_session=1', 'tomic_session')).toBeUndefined();
    expect(readCookie(undefined, 'tomic_session')).toBeUndefined();
    expect(sessionCookie('v', { maxAgeS: 60, secure: true })).toBe(
      'tomic_session=v; Path=/tomic; Max-Age=60; HttpOnly; SameSite=Strict; Secure',
    );
  });
});
