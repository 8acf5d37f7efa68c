import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertGate, type AlertPayload } from '../../../src/alerts/index.js';

const feedDown: AlertPayload = { level: 'CRITICAL', code: 'FEED_DOWN', message: 'primary feed down' };
const risk = (i: number): AlertPayload => ({
  level: 'RISK',
  code: 'METRIC_THRESHOLD',
  message: `metric ${i}`,
});

describe('alert gate: de-duplication', () => {
  it('the same code+message inside the window is sent once; the repeat count follows when the window closes', () => {
    const g = new AlertGate({ dedupWindowMs: 300_000, maxPerMinute: 20 });
    expect(g.offer(feedDown, 0).map((o) => o.text)).toEqual(['[CRITICAL] primary feed down (FEED_DOWN)']);
    for (let t = 1; t <= 40; t++) expect(g.offer(feedDown, t * 1_000)).toEqual([]);
    expect(g.suppressed).toBe(40);
    expect(g.nextDueMs()).toBe(300_000);
    expect(g.tick(299_999)).toEqual([]);
    expect(g.tick(300_000)).toEqual([
      {
        level: 'CRITICAL',
        kind: 'repeat',
        text: '[CRITICAL] primary feed down (FEED_DOWN) — repeated 40× in 5 min',
      },
    ]);
    expect(g.nextDueMs()).toBeNull();
    // After the window, the same alert is news again.
    expect(g.offer(feedDown, 300_001)).toHaveLength(1);
  });

  it('no repeat note when nothing repeated; a different message or code is not a duplicate', () => {
    const g = new AlertGate({ dedupWindowMs: 60_000, maxPerMinute: 20 });
    g.offer(feedDown, 0);
    expect(g.offer({ ...feedDown, message: 'fallback feed down' }, 1)).toHaveLength(1);
    expect(g.offer({ ...feedDown, code: 'EXECUTION_DOWN' }, 2)).toHaveLength(1);
    expect(g.nextDueMs()).toBeNull();
    expect(g.tick(60_000)).toEqual([]);
  });

  it('a zero window disables de-duplication', () => {
    const g = new AlertGate({ dedupWindowMs: 0, maxPerMinute: 20 });
    expect(g.offer(feedDown, 0)).toHaveLength(1);
    expect(g.offer(feedDown, 0)).toHaveLength(1);
  });
});

describe('alert gate: rate limit', () => {
  it('beyond maxPerMinute messages wait and leave as one summary when a slot frees', () => {
    const g = new AlertGate({ dedupWindowMs: 300_000, maxPerMinute: 3 });
    const sent = Array.from({ length: 10 }, (_, i) => g.offer(risk(i), i * 100)).flat();
    expect(sent.map((o) => o.text)).toEqual([
      '[RISK] metric 0 (METRIC_THRESHOLD)',
      '[RISK] metric 1 (METRIC_THRESHOLD)',
      '[RISK] metric 2 (METRIC_THRESHOLD)',
    ]);
    expect(g.heldCount).toBe(7);
    expect(g.nextDueMs()).toBe(60_000);
    expect(g.tick(59_999)).toEqual([]);
    const [summary, ...rest] = g.tick(60_000);
    expect(rest).toEqual([]);
    expect(summary!.kind).toBe('summary');
    expect(summary!.text.split('\n')).toEqual([
      '[RISK] 7 alerts held back (limit 3/min):',
      ...[3, 4, 5, 6, 7, 8, 9].map((i) => `• [RISK] metric ${i} (METRIC_THRESHOLD)`),
    ]);
    expect(g.heldCount).toBe(0);
  });

  it('keeps order: once something is held, a later alert joins the batch even if a slot is free', () => {
    const g = new AlertGate({ dedupWindowMs: 0, maxPerMinute: 1 });
    g.offer(risk(0), 0);
    g.offer(risk(1), 1);
    expect(g.offer({ level: 'CRITICAL', code: 'KILL_SWITCH', message: 'kill' }, 60_000)).toEqual([
      expect.objectContaining({ kind: 'summary', level: 'CRITICAL' }),
    ]);
  });

  it('a single held message goes out as itself', () => {
    const g = new AlertGate({ dedupWindowMs: 0, maxPerMinute: 1 });
    g.offer(risk(0), 0);
    g.offer(risk(1), 10);
    expect(g.tick(60_000)).toEqual([
      { level: 'RISK', kind: 'alert', text: '[RISK] metric 1 (METRIC_THRESHOLD)' },
    ]);
  });

  it('a flapping feed (down/up every 2 s for an hour) costs a handful of messages, never more than the limit per minute', () => {
    const g = new AlertGate({ dedupWindowMs: 300_000, maxPerMinute: 20 });
    const times: number[] = [];
    const up: AlertPayload = { level: 'CRITICAL', code: 'FEED_DOWN', message: 'primary feed recovered' };
    for (let t = 0; t < 3_600_000; t += 1_000) {
      times.push(...[...g.tick(t), ...g.offer(t % 2_000 === 0 ? feedDown : up, t)].map(() => t));
    }
    // Two alerts per 5-minute window plus their repeat notes: 4 per window, 12 windows.
    expect(times.length).toBeLessThanOrEqual(48);
  });

  it('never more than maxPerMinute messages in any 60 s span, whatever arrives (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.array(
          fc.record({ gap: fc.integer({ min: 0, max: 5_000 }), id: fc.integer({ min: 0, max: 15 }) }),
          {
            maxLength: 300,
          },
        ),
        (max, dedup, arrivals) => {
          const g = new AlertGate({ dedupWindowMs: dedup, maxPerMinute: max });
          const sent: number[] = [];
          let t = 0;
          for (const a of arrivals) {
            t += a.gap;
            for (const _ of [...g.tick(t), ...g.offer(risk(a.id), t)]) sent.push(t);
          }
          for (let i = max; i < sent.length; i++) if (sent[i]! - sent[i - max]! < 60_000) return false;
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });
});
