import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import { ERROR_CLASSES, type ErrorClass, retryPolicy } from '../../../src/store/command-retry.js';
import { CommandStore } from '../../../src/store/command-store.js';
import { openDatabase } from '../../../src/store/index.js';
import { order, tempDir } from './fixtures/commands.js';

/**
 * Random sequences of enqueue / claim / ack / fail(class) / renew / crash / clock advance / reclaim /
 * approve / kill switch against a real SQLite file, checked step by step against an independent
 * model of the §2 rules (the table is written out here, not taken from the code under test).
 */
const LEASE = 30_000;
const MAX: Record<ErrorClass, number> = {
  NETWORK_TIMEOUT: 3,
  RATE_LIMIT: 5,
  BROKER_REJECT: 1,
  VALIDATION: 1,
  UNKNOWN: 2,
};
const RETRYABLE: Record<ErrorClass, boolean> = {
  NETWORK_TIMEOUT: true,
  RATE_LIMIT: true,
  BROKER_REJECT: false,
  VALIDATION: false,
  UNKNOWN: true,
};
const delay = (c: ErrorClass, attempt: number) =>
  c === 'NETWORK_TIMEOUT'
    ? 1_000 * 2 ** (attempt - 1)
    : c === 'RATE_LIMIT'
      ? 1_000
      : c === 'UNKNOWN'
        ? 5_000
        : 0;
const MAX_CLAIMS = 5;
const WORKERS = 3;
const TERMINAL = new Set(['DONE', 'FAILED', 'DEAD_LETTER']);

type Op =
  | { t: 'enqueue'; key: number; approval: boolean }
  | { t: 'claim'; w: number }
  | { t: 'ack'; w: number; pick: number }
  | { t: 'fail'; w: number; pick: number; cls: ErrorClass }
  | { t: 'renew'; w: number; pick: number }
  | { t: 'crash'; w: number }
  | { t: 'advance'; ms: number }
  | { t: 'reclaim' }
  | { t: 'approve'; key: number }
  | { t: 'kill' };

const w = fc.integer({ min: 0, max: WORKERS - 1 });
const pick = fc.nat(20);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('enqueue' as const), key: fc.nat(11), approval: fc.boolean() }),
  },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('claim' as const), w }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('ack' as const), w, pick }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('fail' as const),
      w,
      pick,
      cls: fc.constantFrom(...ERROR_CLASSES),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('renew' as const), w, pick }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('crash' as const), w }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('advance' as const),
      ms: fc.oneof(
        fc.constantFrom(1, 999, 1_000, 2_000, 5_000, LEASE, LEASE + 1),
        fc.integer({ min: 0, max: 40_000 }),
      ),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ t: 'reclaim' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('approve' as const), key: fc.nat(11) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'kill' as const }) },
);

interface ModelRow {
  id: number;
  status: string;
  attempts: number;
  maxAttempts: number;
  token: string | null;
  leaseExpires: number | null;
  nextRetryAt: number | null;
  acks: number;
  claims: number;
}

function run(ops: Op[]): void {
  const clock = new VirtualClock({ monotonicMs: 5_000_000 });
  const db = openDatabase(tempDir('tomic-cmd-prop-'), 'commands');
  let alerts = 0;
  const store = new CommandStore(db, {
    clock,
    retry: retryPolicy(),
    leaseMs: LEASE,
    onAlert: () => {
      alerts += 1;
    },
  });
  const model = new Map<number, ModelRow>(); // by id
  const byKey = new Map<number, number>(); // key -> id
  const hands: Array<Array<{ id: number; token: string }>> = Array.from({ length: WORKERS }, () => []);
  let expectedAlerts = 0;
  const now = () => clock.monotonicMs();
  const live = (m: ModelRow, token: string) =>
    m.status === 'PROCESSING' && m.token === token && m.leaseExpires !== null && now() <= m.leaseExpires;
  const take = (wi: number, p: number) => {
    const hand = hands[wi]!;
    if (hand.length === 0) return undefined;
    return hand.splice(p % hand.length, 1)[0];
  };

  const apply = (op: Op) => {
    switch (op.t) {
      case 'enqueue': {
        const r = store.enqueue(order(clock, op.key), { awaitApproval: op.approval });
        const existing = byKey.get(op.key);
        if (existing !== undefined) {
          expect(r).toMatchObject({ ok: false, code: 'IDEMPOTENCY_SKIP', existingId: existing });
          return;
        }
        if (!r.ok) throw new Error('unexpected skip');
        byKey.set(op.key, r.id);
        model.set(r.id, {
          id: r.id,
          status: op.approval ? 'AWAITING_APPROVAL' : 'PENDING',
          attempts: 0,
          maxAttempts: 3,
          token: null,
          leaseExpires: null,
          nextRetryAt: null,
          acks: 0,
          claims: 0,
        });
        return;
      }
      case 'claim': {
        const due = [...model.values()]
          .filter((m) => m.status === 'PENDING' && (m.nextRetryAt === null || m.nextRetryAt <= now()))
          .sort((a, b) => a.id - b.id)[0];
        const c = store.claim();
        if (!due) {
          expect(c).toBeNull();
          return;
        }
        expect(c?.id).toBe(due.id);
        if (!c) return;
        due.status = 'PROCESSING';
        due.attempts += 1;
        due.claims += 1;
        due.token = c.ownerToken;
        due.leaseExpires = now() + LEASE;
        expect(c.attemptCount).toBe(due.attempts);
        hands[op.w]!.push({ id: c.id, token: c.ownerToken });
        return;
      }
      case 'ack': {
        const h = take(op.w, op.pick);
        if (!h) return;
        const m = model.get(h.id)!;
        const ok = live(m, h.token);
        const r = store.ack(h.id, h.token, { brokerOrderId: `B-${h.id}-${m.claims}` });
        expect(r.ok).toBe(ok);
        if (ok) {
          m.status = 'DONE';
          m.acks += 1;
        } else {
          expect(r).toMatchObject({ code: 'LEASE_LOST' });
        }
        return;
      }
      case 'fail': {
        const h = take(op.w, op.pick);
        if (!h) return;
        const m = model.get(h.id)!;
        const ok = live(m, h.token);
        const r = store.fail(h.id, h.token, op.cls, 'x');
        if (!ok) {
          expect(r).toMatchObject({ ok: false, code: 'LEASE_LOST' });
          return;
        }
        m.maxAttempts = MAX[op.cls];
        if (!RETRYABLE[op.cls]) {
          m.status = 'FAILED';
          expect(r).toEqual({ ok: true, status: 'FAILED' });
        } else if (m.attempts >= MAX[op.cls]) {
          m.status = 'DEAD_LETTER';
          expectedAlerts += 1;
          expect(r).toEqual({ ok: true, status: 'DEAD_LETTER' });
        } else {
          m.status = 'PENDING';
          m.token = null;
          m.nextRetryAt = now() + delay(op.cls, m.attempts);
          expect(r).toEqual({ ok: true, status: 'PENDING', nextRetryAt: m.nextRetryAt });
          expect(m.attempts).toBeLessThan(MAX[op.cls]);
        }
        return;
      }
      case 'renew': {
        const hand = hands[op.w]!;
        const h = hand[op.pick % Math.max(1, hand.length)];
        if (!h) return;
        const m = model.get(h.id)!;
        const ok = live(m, h.token);
        expect(store.renewLease(h.id, h.token)).toBe(ok);
        if (ok) m.leaseExpires = now() + LEASE;
        return;
      }
      case 'crash':
        hands[op.w] = [];
        return;
      case 'advance':
        clock.advance(op.ms);
        return;
      case 'reclaim': {
        const expected = [...model.values()]
          .filter((m) => m.status === 'PROCESSING' && m.leaseExpires !== null && m.leaseExpires < now())
          .sort((a, b) => a.id - b.id)
          .map((m) => {
            m.attempts += 1;
            m.token = null;
            m.leaseExpires = null;
            m.nextRetryAt = null;
            m.status = m.attempts >= m.maxAttempts ? 'DEAD_LETTER' : 'PENDING';
            if (m.status === 'DEAD_LETTER') expectedAlerts += 1;
            return { id: m.id, status: m.status };
          });
        expect(store.reclaimExpired()).toEqual(expected);
        return;
      }
      case 'approve': {
        const id = byKey.get(op.key);
        if (id === undefined) return;
        const m = model.get(id)!;
        const ok = m.status === 'AWAITING_APPROVAL';
        expect(store.approve(id)).toBe(ok);
        if (ok) m.status = 'PENDING';
        return;
      }
      case 'kill': {
        let n = 0;
        for (const m of model.values()) {
          if (m.status === 'PENDING' || m.status === 'AWAITING_APPROVAL') {
            m.status = 'FAILED';
            n += 1;
          }
        }
        expect(store.failAllQueued('kill switch')).toBe(n);
        return;
      }
    }
  };

  const checkInvariants = () => {
    for (const m of model.values()) {
      const row = store.get(m.id)!;
      expect(row.status).toBe(m.status);
      expect(row.attempt_count).toBe(m.attempts);
      if (m.status === 'PROCESSING') expect(row.owner_token).toBe(m.token);
      if (m.status === 'PENDING') expect(row.owner_token).toBeNull();
      // Attempts never exceed the class maximum: at most MAX_CLAIMS claims, whatever happened.
      expect(m.claims).toBeLessThanOrEqual(MAX_CLAIMS);
      expect(m.acks).toBeLessThanOrEqual(1);
    }
    // No command is held by two live owners: of every token any worker still holds, at most one
    // per command would be accepted by the store.
    const liveByCommand = new Map<number, number>();
    for (const hand of hands) {
      for (const h of hand) {
        const row = store.get(h.id)!;
        const isLive =
          row.status === 'PROCESSING' &&
          row.owner_token === h.token &&
          row.lease_expires !== null &&
          row.lease_expires >= now();
        if (isLive) liveByCommand.set(h.id, (liveByCommand.get(h.id) ?? 0) + 1);
      }
    }
    for (const n of liveByCommand.values()) expect(n).toBe(1);
    expect(alerts).toBe(expectedAlerts);
  };

  try {
    for (const op of ops) {
      apply(op);
      checkInvariants();
    }
    // Drain: the Supervisor reclaims, the operator approves, workers succeed at everything.
    for (let round = 0; round < 20; round++) {
      apply({ t: 'advance', ms: LEASE + 10_000 });
      apply({ t: 'reclaim' });
      for (const key of byKey.keys()) apply({ t: 'approve', key });
      for (;;) {
        const before = [...model.values()].filter((m) => m.status === 'PROCESSING').length;
        apply({ t: 'claim', w: 0 });
        const after = [...model.values()].filter((m) => m.status === 'PROCESSING').length;
        if (after === before) break;
      }
      while (hands[0]!.length > 0) apply({ t: 'ack', w: 0, pick: 0 });
      checkInvariants();
      if ([...model.values()].every((m) => TERMINAL.has(m.status))) break;
    }
    // Every command ends in exactly one terminal state; nothing lost, nothing duplicated.
    const rows = store.list({ limit: 1_000 });
    expect(rows).toHaveLength(byKey.size);
    expect(new Set(rows.map((r) => r.idempotency_key)).size).toBe(byKey.size);
    for (const r of rows) {
      expect(TERMINAL.has(r.status)).toBe(true);
      expect(model.get(r.id)?.acks).toBe(r.status === 'DONE' ? 1 : 0);
    }
  } finally {
    store.close();
    db.close();
  }
}

describe('command store properties (fast-check)', () => {
  it('keeps its invariants under random enqueue/claim/ack/fail/crash/advance/reclaim sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 100, size: 'max' }), (ops) => {
        run(ops);
      }),
      { numRuns: 150 },
    );
  });
});
