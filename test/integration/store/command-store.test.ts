import { fork } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import { Redactor } from '../../../src/contracts/index.js';
import { retryPolicy } from '../../../src/store/command-retry.js';
import { type CommandAlert, CommandStore } from '../../../src/store/command-store.js';
import { type Database, openDatabase } from '../../../src/store/index.js';
import { order, spread, tempDir } from './fixtures/commands.js';

const LEASE_MS = 30_000;
const BOOT = 1_000_000;

interface Ctx {
  dir: string;
  db: Database;
  clock: VirtualClock;
  store: CommandStore;
  alerts: CommandAlert[];
}

const open: Array<{ store: CommandStore; db: Database }> = [];
afterEach(() => {
  for (const { store, db } of open.splice(0)) {
    store.close();
    db.close();
  }
});

function setup(opts: { dir?: string; clock?: VirtualClock; redactor?: Redactor } = {}): Ctx {
  const dir = opts.dir ?? tempDir();
  const db = openDatabase(dir, 'commands');
  const clock = opts.clock ?? new VirtualClock({ monotonicMs: BOOT });
  const alerts: CommandAlert[] = [];
  const store = new CommandStore(db, {
    clock,
    retry: retryPolicy(),
    leaseMs: LEASE_MS,
    onAlert: (a) => alerts.push(a),
    ...(opts.redactor ? { redactor: opts.redactor } : {}),
  });
  open.push({ store, db });
  return { dir, db, clock, store, alerts };
}

function enqueueOne(c: Ctx, n: number | string = 1): number {
  const r = c.store.enqueue(order(c.clock, n));
  if (!r.ok) throw new Error('enqueue skipped');
  return r.id;
}

function claimOrThrow(c: Ctx) {
  const claimed = c.store.claim();
  if (!claimed) throw new Error('nothing claimable');
  return claimed;
}

describe('test_command_store: lifecycle', () => {
  it('enqueue → claim → ack: PROCESSING under a fresh owner token and a 30 s lease, then DONE', () => {
    const c = setup();
    const id = enqueueOne(c);
    expect(c.store.get(id)).toMatchObject({ status: 'PENDING', attempt_count: 0, owner_token: null });
    const claimed = claimOrThrow(c);
    expect(claimed).toMatchObject({ id, attemptCount: 1, maxAttempts: 3, leaseExpires: BOOT + LEASE_MS });
    expect(claimed.ownerToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(claimed.event.payload.leg).toBe('leg_1');
    expect(c.store.get(id)).toMatchObject({ status: 'PROCESSING', owner_token: claimed.ownerToken });
    expect(c.store.claim()).toBeNull();
    expect(c.store.ack(id, claimed.ownerToken, { brokerOrderId: 'OA-25021400001' })).toEqual({ ok: true });
    const done = c.store.get(id);
    expect(done).toMatchObject({ status: 'DONE', broker_order_id: 'OA-25021400001' });
    expect(done?.processed_at).not.toBeNull();
  });

  it('claims the oldest due command first, and each claim gets its own token', () => {
    const c = setup();
    const a = enqueueOne(c, 'a');
    const b = enqueueOne(c, 'b');
    const first = claimOrThrow(c);
    const second = claimOrThrow(c);
    expect([first.id, second.id]).toEqual([a, b]);
    expect(first.ownerToken).not.toBe(second.ownerToken);
  });

  it('a malformed ORDER_REQUEST is a bug at the caller: enqueue throws instead of storing it', () => {
    const c = setup();
    const bad = { ...order(c.clock, 1), idempotency_key: 'not-the-rule' };
    expect(() => c.store.enqueue(bad)).toThrow(/idempotency_key/);
    expect(c.store.counts().PENDING).toBe(0);
  });

  it('a stored payload that no longer parses is FAILED (VALIDATION) at claim and the next command is served', () => {
    const c = setup();
    const poisoned = enqueueOne(c, 'p');
    const good = enqueueOne(c, 'g');
    c.db.prepare('UPDATE commands SET payload = \'{"broken":true}\' WHERE id = ?').run(poisoned);
    expect(claimOrThrow(c).id).toBe(good);
    expect(c.store.get(poisoned)).toMatchObject({ status: 'FAILED', error_class: 'VALIDATION' });
  });
});

describe('test_command_store: retry by error class', () => {
  it('network timeout: retried after 1 s then 2 s (exponential), DEAD_LETTER at the 3rd attempt', () => {
    const c = setup();
    const id = enqueueOne(c);
    let claimed = claimOrThrow(c);
    expect(c.store.fail(id, claimed.ownerToken, 'NETWORK_TIMEOUT', 'timeout after 5000 ms')).toEqual({
      ok: true,
      status: 'PENDING',
      nextRetryAt: BOOT + 1_000,
    });
    expect(c.store.get(id)).toMatchObject({
      status: 'PENDING',
      owner_token: null,
      error_class: 'NETWORK_TIMEOUT',
      last_error: 'timeout after 5000 ms',
    });
    c.clock.advance(999);
    expect(c.store.claim()).toBeNull();
    c.clock.advance(1);
    claimed = claimOrThrow(c);
    expect(claimed.attemptCount).toBe(2);
    expect(c.store.fail(id, claimed.ownerToken, 'NETWORK_TIMEOUT', 'timeout')).toMatchObject({
      status: 'PENDING',
      nextRetryAt: BOOT + 1_000 + 2_000,
    });
    c.clock.advance(1_999);
    expect(c.store.claim()).toBeNull();
    c.clock.advance(1);
    claimed = claimOrThrow(c);
    expect(c.alerts).toHaveLength(0);
    expect(c.store.fail(id, claimed.ownerToken, 'NETWORK_TIMEOUT', 'timeout')).toEqual({
      ok: true,
      status: 'DEAD_LETTER',
    });
    expect(c.store.get(id)).toMatchObject({ status: 'DEAD_LETTER', attempt_count: 3, max_attempts: 3 });
    expect(c.alerts).toEqual([expect.objectContaining({ level: 'CRITICAL', code: 'COMMAND_DEAD_LETTER' })]);
    expect(c.alerts[0]?.details).toMatchObject({ command_id: id, reason: 'RETRIES_EXHAUSTED' });
  });

  it('rate limit: 5 attempts with a fixed 2 × SMART_ORDER_DELAY (1 s) backoff, then DEAD_LETTER', () => {
    const c = setup();
    const id = enqueueOne(c);
    for (let attempt = 1; attempt <= 4; attempt++) {
      const claimed = claimOrThrow(c);
      expect(claimed.attemptCount).toBe(attempt);
      const r = c.store.fail(id, claimed.ownerToken, 'RATE_LIMIT', '429');
      expect(r).toEqual({ ok: true, status: 'PENDING', nextRetryAt: c.clock.monotonicMs() + 1_000 });
      c.clock.advance(999);
      expect(c.store.claim()).toBeNull();
      c.clock.advance(1);
    }
    const last = claimOrThrow(c);
    expect(c.store.fail(id, last.ownerToken, 'RATE_LIMIT', '429')).toMatchObject({ status: 'DEAD_LETTER' });
    expect(c.store.get(id)).toMatchObject({ attempt_count: 5, max_attempts: 5 });
    expect(c.alerts.map((a) => a.code)).toEqual(['COMMAND_DEAD_LETTER']);
  });

  it('broker reject → FAILED immediately, no retry and no alert', () => {
    const c = setup();
    const id = enqueueOne(c);
    const claimed = claimOrThrow(c);
    expect(c.store.fail(id, claimed.ownerToken, 'BROKER_REJECT', 'insufficient margin')).toEqual({
      ok: true,
      status: 'FAILED',
    });
    c.clock.advance(60_000);
    expect(c.store.claim()).toBeNull();
    expect(c.store.get(id)).toMatchObject({
      status: 'FAILED',
      last_error: 'insufficient margin',
      max_attempts: 1,
    });
    expect(c.alerts).toHaveLength(0);
  });

  it('validation failure → FAILED immediately', () => {
    const c = setup();
    const id = enqueueOne(c);
    const claimed = claimOrThrow(c);
    expect(c.store.fail(id, claimed.ownerToken, 'VALIDATION', 'quantity not a lot multiple')).toMatchObject({
      status: 'FAILED',
    });
    expect(c.store.claim()).toBeNull();
  });

  it('unknown error: retried once after a fixed 5 s, then DEAD_LETTER + [CRITICAL]', () => {
    const c = setup();
    const id = enqueueOne(c);
    let claimed = claimOrThrow(c);
    expect(c.store.fail(id, claimed.ownerToken, 'UNKNOWN', '???')).toMatchObject({
      status: 'PENDING',
      nextRetryAt: BOOT + 5_000,
    });
    c.clock.advance(4_999);
    expect(c.store.claim()).toBeNull();
    c.clock.advance(1);
    claimed = claimOrThrow(c);
    expect(c.store.fail(id, claimed.ownerToken, 'UNKNOWN', '???')).toMatchObject({ status: 'DEAD_LETTER' });
    expect(c.alerts).toHaveLength(1);
    expect(c.alerts[0]).toMatchObject({ level: 'CRITICAL', code: 'COMMAND_DEAD_LETTER' });
  });

  it('dead letter: a dead-lettered command is never claimed again and is counted', () => {
    const c = setup();
    const id = enqueueOne(c);
    let claimed = claimOrThrow(c);
    c.store.fail(id, claimed.ownerToken, 'UNKNOWN', 'x');
    c.clock.advance(5_000);
    claimed = claimOrThrow(c);
    c.store.fail(id, claimed.ownerToken, 'UNKNOWN', 'x');
    c.clock.advance(3_600_000);
    expect(c.store.claim()).toBeNull();
    expect(c.store.reclaimExpired()).toEqual([]);
    expect(c.store.counts()).toMatchObject({ DEAD_LETTER: 1, PENDING: 0, PROCESSING: 0 });
  });
});

describe('test_command_store: lease recovery (runbook "Stale PROCESSING Recovery")', () => {
  it('an expired lease is reclaimed: PENDING, owner cleared, attempt_count + 1 — not one ms early', () => {
    const c = setup();
    const id = enqueueOne(c);
    const claimed = claimOrThrow(c);
    c.clock.advance(LEASE_MS); // now == lease_expires: still held (reclaim needs lease_expires < now)
    expect(c.store.reclaimExpired()).toEqual([]);
    c.clock.advance(1);
    expect(c.store.reclaimExpired()).toEqual([{ id, status: 'PENDING' }]);
    expect(c.store.get(id)).toMatchObject({
      status: 'PENDING',
      owner_token: null,
      lease_expires: null,
      attempt_count: 2,
    });
    const again = claimOrThrow(c);
    expect(again.attemptCount).toBe(3);
    expect(again.ownerToken).not.toBe(claimed.ownerToken);
    expect(c.alerts).toHaveLength(0);
  });

  it('a reclaim that reaches max_attempts dead-letters with a [CRITICAL] COMMAND_DEAD_LETTER alert', () => {
    const c = setup();
    const id = enqueueOne(c);
    claimOrThrow(c); // attempt 1
    c.clock.advance(LEASE_MS + 1);
    expect(c.store.reclaimExpired()).toEqual([{ id, status: 'PENDING' }]); // attempt 2
    claimOrThrow(c); // attempt 3
    c.clock.advance(LEASE_MS + 1);
    expect(c.store.reclaimExpired()).toEqual([{ id, status: 'DEAD_LETTER' }]); // 4 >= 3
    expect(c.store.get(id)).toMatchObject({ status: 'DEAD_LETTER', attempt_count: 4, owner_token: null });
    expect(c.alerts).toEqual([
      expect.objectContaining({
        level: 'CRITICAL',
        code: 'COMMAND_DEAD_LETTER',
        details: expect.objectContaining({ command_id: id, reason: 'LEASE_EXPIRED' }),
      }),
    ]);
  });

  it('renewing keeps a lease alive; a renewed lease is not reclaimed', () => {
    const c = setup();
    const id = enqueueOne(c);
    const claimed = claimOrThrow(c);
    c.clock.advance(LEASE_MS - 1);
    expect(c.store.renewLease(id, claimed.ownerToken)).toBe(true);
    c.clock.advance(LEASE_MS - 1);
    expect(c.store.reclaimExpired()).toEqual([]);
    expect(c.store.ack(id, claimed.ownerToken, { brokerOrderId: 'B1' })).toEqual({ ok: true });
  });
});

describe('test_command_store: stale owner', () => {
  it("a stale owner's ack is refused once the lease was reclaimed and claimed again", () => {
    const c = setup();
    const id = enqueueOne(c);
    const stale = claimOrThrow(c);
    c.clock.advance(LEASE_MS + 1);
    c.store.reclaimExpired();
    const fresh = claimOrThrow(c);
    const r = c.store.ack(id, stale.ownerToken, { brokerOrderId: 'B-stale' });
    expect(r).toMatchObject({ ok: false, code: 'LEASE_LOST' });
    expect(c.store.fail(id, stale.ownerToken, 'UNKNOWN', 'x')).toMatchObject({
      ok: false,
      code: 'LEASE_LOST',
    });
    expect(c.store.renewLease(id, stale.ownerToken)).toBe(false);
    expect(c.store.ack(id, fresh.ownerToken, { brokerOrderId: 'B-fresh' })).toEqual({ ok: true });
    expect(c.store.get(id)?.broker_order_id).toBe('B-fresh');
  });

  it('an ack after the lease expired is refused even before the Supervisor reclaimed it', () => {
    const c = setup();
    const id = enqueueOne(c);
    const claimed = claimOrThrow(c);
    c.clock.advance(LEASE_MS);
    expect(c.store.renewLease(id, claimed.ownerToken)).toBe(true); // at the boundary it is still held
    c.clock.advance(LEASE_MS + 1);
    expect(c.store.ack(id, claimed.ownerToken, { brokerOrderId: 'B' })).toMatchObject({ code: 'LEASE_LOST' });
    expect(c.store.renewLease(id, claimed.ownerToken)).toBe(false);
    expect(c.store.get(id)?.status).toBe('PROCESSING');
  });

  it('an ack with a wrong token, or for a command that is not PROCESSING, is refused', () => {
    const c = setup();
    const id = enqueueOne(c);
    expect(c.store.ack(id, 'nobody', { brokerOrderId: 'B' })).toMatchObject({ code: 'LEASE_LOST' });
    const claimed = claimOrThrow(c);
    expect(c.store.ack(id, 'nobody', { brokerOrderId: 'B' })).toMatchObject({ code: 'LEASE_LOST' });
    expect(c.store.ack(id, claimed.ownerToken, { brokerOrderId: 'B' })).toEqual({ ok: true });
    expect(c.store.ack(id, claimed.ownerToken, { brokerOrderId: 'B2' })).toMatchObject({
      code: 'LEASE_LOST',
    });
    expect(c.store.get(id)?.broker_order_id).toBe('B');
  });
});

describe('test_command_store: idempotency', () => {
  it('a duplicate idempotency_key returns IDEMPOTENCY_SKIP with the existing command, never throws', () => {
    const c = setup();
    const first = c.store.enqueue(order(c.clock, 7));
    expect(first.ok).toBe(true);
    const dup = c.store.enqueue(order(c.clock, 7)); // new event_id, same {strategy_id}:{leg}:{action}
    expect(dup).toMatchObject({
      ok: false,
      code: 'IDEMPOTENCY_SKIP',
      existingId: first.ok ? first.id : -1,
      existingStatus: 'PENDING',
      duplicateKey: 'TOMIC_VOL_DITM_NIFTY_20260215:leg_7:BUY',
    });
    const claimed = claimOrThrow(c);
    c.store.ack(claimed.id, claimed.ownerToken, { brokerOrderId: 'B' });
    expect(c.store.enqueue(order(c.clock, 7))).toMatchObject({
      code: 'IDEMPOTENCY_SKIP',
      existingStatus: 'DONE',
    });
    expect(c.store.counts().DONE).toBe(1);
    expect(c.store.list()).toHaveLength(1);
  });

  it('the same event sent twice is skipped too', () => {
    const c = setup();
    const e = order(c.clock, 1);
    expect(c.store.enqueue(e).ok).toBe(true);
    expect(c.store.enqueue(e)).toMatchObject({ code: 'IDEMPOTENCY_SKIP' });
  });

  it('a group is enqueued whole, or not at all when one leg is a duplicate', () => {
    const c = setup();
    const legs = spread(c.clock, 'g1');
    const r = c.store.enqueueGroup(legs);
    expect(r.every((x) => x.ok)).toBe(true);
    // A second group reusing the short leg's key: nothing of it may be stored (no half spread).
    const again = spread(c.clock, 'g2', 'TOMIC_VOL_BPS_g1');
    const skipped = c.store.enqueueGroup(again);
    expect(skipped.map((s) => s.ok)).toEqual([false, false]);
    expect(skipped.map((s) => (s.ok ? '' : s.duplicateKey))).toEqual([
      'TOMIC_VOL_BPS_g1:long_put:BUY',
      'TOMIC_VOL_BPS_g1:short_put:SELL',
    ]);
    expect(c.store.list({ limit: 10 }).map((x) => x.group_id)).toEqual(['g1', 'g1']);
  });

  it('a group with one new and one duplicate leg stores neither', () => {
    const c = setup();
    const [hedge, short] = spread(c.clock, 'g1');
    if (!hedge || !short) throw new Error('spread');
    c.store.enqueue(short);
    const r = c.store.enqueueGroup(spread(c.clock, 'g1'));
    expect(r).toEqual([
      expect.objectContaining({ ok: false, code: 'IDEMPOTENCY_SKIP', duplicateKey: short.idempotency_key }),
      expect.objectContaining({ ok: false, code: 'IDEMPOTENCY_SKIP', duplicateKey: short.idempotency_key }),
    ]);
    expect(c.store.counts().PENDING).toBe(1);
  });

  it('a partial or mixed group is refused as a caller bug (half a spread must never be queued)', () => {
    const c = setup();
    const [hedge, short] = spread(c.clock, 'g1');
    const [, other] = spread(c.clock, 'g2');
    if (!hedge || !short || !other) throw new Error('spread');
    expect(() => c.store.enqueueGroup([short])).toThrow(/every leg of exactly one group/);
    expect(() => c.store.enqueueGroup([hedge, other])).toThrow(/every leg of exactly one group/);
    expect(() => c.store.enqueueGroup([hedge, hedge])).toThrow(/every leg of exactly one group/);
    expect(c.store.counts().PENDING).toBe(0);
  });

  it('claimGroup and claimNextGroup take every due leg of a group under one owner token', () => {
    const c = setup();
    c.store.enqueueGroup(spread(c.clock, 'g1'));
    c.store.enqueueGroup(spread(c.clock, 'g2'));
    const g1 = c.store.claimNextGroup();
    expect(g1.map((l) => l.event.payload.leg)).toEqual(['long_put', 'short_put']);
    expect(new Set(g1.map((l) => l.ownerToken)).size).toBe(1);
    expect(g1.every((l) => l.groupId === 'g1')).toBe(true);
    const g2 = c.store.claimGroup('g2');
    expect(g2).toHaveLength(2);
    expect(g2[0]?.ownerToken).toBe(g2[1]?.ownerToken);
    expect(c.store.claimGroup('g2')).toEqual([]);
    expect(c.store.renewAll(g2[0]?.ownerToken ?? '')).toBe(2);
  });
});

describe('test_command_store: kill switch and approvals', () => {
  it('failAllQueued fails every PENDING and AWAITING_APPROVAL command and leaves in-flight ones alone', () => {
    const c = setup();
    const inFlight = enqueueOne(c, 'a');
    const claimed = claimOrThrow(c);
    enqueueOne(c, 'b');
    const backoff = enqueueOne(c, 'c');
    const waiting = c.store.enqueue(order(c.clock, 'd'), { awaitApproval: true });
    const held = claimOrThrow(c);
    expect(held.id).not.toBe(inFlight);
    c.store.fail(held.id, held.ownerToken, 'RATE_LIMIT', '429'); // PENDING in backoff
    expect(c.store.failAllQueued('kill switch: daily loss')).toBe(3);
    expect(c.store.counts()).toMatchObject({ FAILED: 3, PROCESSING: 1, PENDING: 0, AWAITING_APPROVAL: 0 });
    expect(c.store.get(backoff)?.last_error).toBe('kill switch: daily loss');
    expect(waiting.ok && c.store.get(waiting.id)?.status).toBe('FAILED');
    c.clock.advance(10_000);
    expect(c.store.claim()).toBeNull();
    expect(c.store.ack(inFlight, claimed.ownerToken, { brokerOrderId: 'B' })).toEqual({ ok: true });
  });

  it('Semi-Auto: AWAITING_APPROVAL is not claimable until approved; reject fails it', () => {
    const c = setup();
    const a = c.store.enqueue(order(c.clock, 'a'), { awaitApproval: true });
    const b = c.store.enqueue(order(c.clock, 'b'), { awaitApproval: true });
    if (!a.ok || !b.ok) throw new Error('enqueue');
    expect(c.store.get(a.id)?.status).toBe('AWAITING_APPROVAL');
    expect(c.store.claim()).toBeNull();
    expect(c.store.approve(a.id)).toBe(true);
    expect(c.store.approve(a.id)).toBe(false);
    expect(claimOrThrow(c).id).toBe(a.id);
    expect(c.store.reject(b.id, 'operator: skew too wide')).toBe(true);
    expect(c.store.get(b.id)).toMatchObject({ status: 'FAILED', last_error: 'operator: skew too wide' });
    expect(c.store.approve(b.id)).toBe(false);
    expect(c.store.reject(a.id, 'late')).toBe(false);
  });
});

describe('test_command_store: masking', () => {
  it('stores the payload with secrets masked; broker_order_id column stays clear for reconciliation', () => {
    const apiKey = 'sk-live-0123456789abcdef';
    const c = setup({ redactor: new Redactor([apiKey]) });
    const e = order(c.clock, 1, {
      reason: `placed with key ${apiKey}`,
      sizing_trace: [{ step: 'margin_reserve', api_key: apiKey, input: 1, output: 1 }],
    });
    const r = c.store.enqueue(e);
    if (!r.ok) throw new Error('enqueue');
    const raw = c.store.get(r.id)?.payload ?? '';
    expect(raw).not.toContain(apiKey);
    expect(raw).toContain('***cdef***');
    const claimed = claimOrThrow(c);
    expect(claimed.event.payload.reason).toBe('placed with key ***cdef***');
    expect(claimed.event.payload.leg).toBe('leg_1');
    c.store.fail(claimed.id, claimed.ownerToken, 'NETWORK_TIMEOUT', `POST failed: apikey=${apiKey}`);
    expect(c.store.get(r.id)?.last_error).toBe('POST failed: apikey=***cdef***');
    c.clock.advance(1_000);
    const again = claimOrThrow(c);
    c.store.ack(again.id, again.ownerToken, { brokerOrderId: '250214000012345' });
    expect(c.store.get(r.id)?.broker_order_id).toBe('250214000012345');
  });
});

describe('test_command_store: boot-time monotonic discontinuity (§12)', () => {
  it('a lease written before a reboot (CLOCK_MONOTONIC reset) counts as expired', () => {
    const before = setup({ clock: new VirtualClock({ monotonicMs: 90_000_000 }) });
    const id = enqueueOne(before);
    const stale = claimOrThrow(before);
    // The host reboots: CLOCK_MONOTONIC starts near zero, far below the stored lease_expires.
    const after = setup({ dir: before.dir, clock: new VirtualClock({ monotonicMs: 12_000 }) });
    expect(after.store.ack(id, stale.ownerToken, { brokerOrderId: 'B' })).toMatchObject({
      code: 'LEASE_LOST',
    });
    expect(after.store.reclaimExpired()).toEqual([{ id, status: 'PENDING' }]);
    expect(claimOrThrow(after).id).toBe(id);
  });

  it('a lease granted exactly now (lease_expires = now + lease) is valid: only further ahead is a reboot', () => {
    const c = setup();
    const id = enqueueOne(c);
    claimOrThrow(c);
    expect(c.store.reclaimExpired()).toEqual([]);
    // One ms further ahead than any lease this store grants can only be a pre-reboot value.
    c.db.prepare('UPDATE commands SET lease_expires = lease_expires + 1 WHERE id = ?').run(id);
    expect(c.store.reclaimExpired()).toEqual([{ id, status: 'PENDING' }]);
  });

  it('a next_retry_at written before a reboot is due at once, not after hours', () => {
    const before = setup({ clock: new VirtualClock({ monotonicMs: 90_000_000 }) });
    const id = enqueueOne(before);
    const claimed = claimOrThrow(before);
    before.store.fail(id, claimed.ownerToken, 'UNKNOWN', 'x'); // next_retry_at = 90_005_000
    const after = setup({ dir: before.dir, clock: new VirtualClock({ monotonicMs: 12_000 }) });
    expect(claimOrThrow(after).id).toBe(id);
  });

  it('a backoff within the longest backoff is still honoured', () => {
    const c = setup();
    const id = enqueueOne(c);
    const claimed = claimOrThrow(c);
    c.store.fail(id, claimed.ownerToken, 'UNKNOWN', 'x'); // due in exactly 5 000 ms = the longest backoff
    expect(c.store.claim()).toBeNull();
    c.db.prepare('UPDATE commands SET next_retry_at = next_retry_at + 1 WHERE id = ?').run(id);
    expect(c.store.claim()?.id).toBe(id);
  });
});

describe('test_command_store: queries', () => {
  it('list pages newest first and filters by status and strategy; counts has every status', () => {
    const c = setup();
    for (let i = 0; i < 5; i++) enqueueOne(c, i);
    c.store.enqueue(order(c.clock, 'x', {}, 'TOMIC_OTHER_STRATEGY'));
    claimOrThrow(c);
    expect(c.store.list({ limit: 2 }).map((r) => r.payload.includes('leg_x'))).toEqual([true, false]);
    expect(c.store.list({ status: 'PENDING' })).toHaveLength(5);
    expect(c.store.list({ strategyId: 'TOMIC_OTHER_STRATEGY' })).toHaveLength(1);
    expect(c.store.list({ limit: 2, offset: 5 })).toHaveLength(1);
    expect(c.store.counts()).toEqual({
      PENDING: 5,
      PROCESSING: 1,
      DONE: 0,
      FAILED: 0,
      DEAD_LETTER: 0,
      AWAITING_APPROVAL: 0,
    });
    expect(c.store.get(999)).toBeUndefined();
  });
});

describe('WAL checkpoints off the order path', () => {
  it('raises the automatic checkpoint to a backstop; checkpoint() copies the WAL without blocking', () => {
    const c = setup();
    expect(c.db.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    for (let i = 0; i < 20; i++) enqueueOne(c, i);
    const r = c.store.checkpoint();
    expect(r.walFrames).toBeGreaterThan(0);
    expect(r.checkpointed).toBe(r.walFrames);
  });
});

describe('wake-up: a consumer wakes on enqueue, not on a poll', () => {
  it('resolves at once when a command is already due', async () => {
    const c = setup();
    enqueueOne(c);
    await c.store.waitForWork(new AbortController().signal);
  });

  it('wakes on an enqueue by another store on the same database in this process', async () => {
    const consumer = setup();
    const producer = setup({ dir: consumer.dir, clock: consumer.clock });
    let woke = false;
    const waiting = consumer.store.waitForWork(new AbortController().signal).then(() => {
      woke = true;
    });
    await settle();
    expect(woke).toBe(false);
    enqueueOne(producer);
    await waiting; // virtual time never moved: neither the safety poll nor a timer woke it
    expect(consumer.clock.monotonicMs()).toBe(BOOT);
  });

  it('wakes when a backoff ends (timer on the earliest next_retry_at)', async () => {
    const c = setup();
    const id = enqueueOne(c);
    const claimed = claimOrThrow(c);
    c.store.fail(id, claimed.ownerToken, 'NETWORK_TIMEOUT', 't'); // due in 1 s
    let woke = false;
    const waiting = c.store.waitForWork(new AbortController().signal).then(() => {
      woke = true;
    });
    await c.clock.advanceAsync(999);
    expect(woke).toBe(false);
    await c.clock.advanceAsync(1);
    await waiting;
    expect(c.store.claim()?.id).toBe(id);
  });

  it('resolves when the signal aborts or the store closes', async () => {
    const c = setup();
    const ac = new AbortController();
    const waiting = c.store.waitForWork(ac.signal);
    ac.abort();
    await waiting;
    const again = c.store.waitForWork(new AbortController().signal);
    c.store.close();
    await again;
  });

  it('wakes on an enqueue made by another process (inotify on the notify file)', {
    timeout: 20_000,
  }, async () => {
    const c = setup(); // virtual clock: the 1 s safety poll can never fire, so only the file event can wake us
    let woke = false;
    const waiting = c.store.waitForWork(new AbortController().signal).then(() => {
      woke = true;
    });
    await settle();
    const child = fork(join(import.meta.dirname, 'fixtures', 'enqueue-one.ts'), [c.dir], {
      execArgv: ['--import', 'tsx'],
      stdio: 'inherit',
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(0);
    await waiting;
    expect(woke).toBe(true);
    expect(c.store.claim()?.event.payload.leg).toBe('leg_from_child');
  });
});

/** Lets pending I/O callbacks and promise continuations run (no virtual time passes). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
