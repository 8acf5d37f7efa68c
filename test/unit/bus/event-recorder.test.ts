import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EventLogCounts,
  EventRecorder,
  eventLogPath,
  InMemoryBus,
  readEventLog,
} from '../../../src/bus/index.js';
import { VirtualClock } from '../../../src/clock/index.js';
import { makeEvent, type TomicEvent } from '../../../src/contracts/index.js';
import { alert, heartbeat, regime } from './events.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tomic-rec-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function readAll(path: string, counts?: EventLogCounts): Promise<TomicEvent[]> {
  const out: TomicEvent[] = [];
  for await (const e of readEventLog(path, counts)) out.push(e);
  return out;
}

/** Every event under <dir>/events, files in date order. */
async function readDir(dir: string): Promise<TomicEvent[]> {
  const files = readdirSync(join(dir, 'events')).sort();
  const out: TomicEvent[] = [];
  for (const f of files) out.push(...(await readAll(join(dir, 'events', f))));
  return out;
}

describe('EventRecorder', () => {
  it('records every event on the bus, one JSON line each, and reads them back equal', async () => {
    const dir = tempDir();
    const bus = new InMemoryBus();
    const rec = new EventRecorder({ bus, dataDir: dir, flushIntervalMs: 0 });
    const sent = [heartbeat(1), alert(2), regime(3), heartbeat(4)];
    for (const e of sent) bus.publish(e);
    // Buffered until close (or the periodic / size flush).
    rec.close();
    bus.publish(heartbeat(5)); // after close: not recorded

    const path = eventLogPath(dir, sent[0]!);
    expect(path).toBe(join(dir, 'events', '2026-01-05.jsonl'));
    expect(readFileSync(path, 'utf8').trimEnd().split('\n')).toHaveLength(4);
    const counts = { events: 0, malformed: 0 };
    expect(await readAll(path, counts)).toEqual(sent);
    expect(counts).toEqual({ events: 4, malformed: 0 });
    expect(rec.stats()).toEqual({ recorded: 4, writeErrors: 0 });
  });

  it('splits files by the UTC day of the event timestamp', async () => {
    const dir = tempDir();
    const bus = new InMemoryBus();
    const rec = new EventRecorder({ bus, dataDir: dir, flushIntervalMs: 0 });
    const at = (iso: string) =>
      makeEvent(
        new VirtualClock({ wallMs: Date.parse(iso) }),
        'ALERT',
        { source_agent: 'cli' },
        {
          level: 'INFO',
          code: 'MALFORMED_MESSAGE',
          message: iso,
        },
      );
    // 23:59 UTC and 00:01 UTC the next day, though both are the same morning in India.
    bus.publish(at('2026-03-01T23:59:00.000Z'));
    bus.publish(at('2026-03-02T00:01:00.000Z'));
    rec.close();
    expect(readdirSync(join(dir, 'events')).sort()).toEqual(['2026-03-01.jsonl', '2026-03-02.jsonl']);
  });

  it('appends across recorder restarts instead of overwriting', async () => {
    const dir = tempDir();
    const bus = new InMemoryBus();
    const a = new EventRecorder({ bus, dataDir: dir, flushIntervalMs: 0 });
    bus.publish(heartbeat(1));
    a.close();
    const b = new EventRecorder({ bus, dataDir: dir, flushIntervalMs: 0 });
    bus.publish(heartbeat(2));
    b.close();
    expect((await readDir(dir)).map((e) => e.event_type === 'HEARTBEAT' && e.payload.seq)).toEqual([1, 2]);
  });

  it('flushes on its own once the buffer is large, before close', async () => {
    const dir = tempDir();
    const bus = new InMemoryBus();
    const rec = new EventRecorder({ bus, dataDir: dir, flushIntervalMs: 0 });
    for (let i = 0; i < 2_000; i++) bus.publish(heartbeat(i));
    const path = eventLogPath(dir, heartbeat(0));
    expect(readFileSync(path, 'utf8').length).toBeGreaterThan(0);
    rec.close();
    expect(await readAll(path)).toHaveLength(2_000);
  });

  it('skips and counts malformed lines, never throws', async () => {
    const dir = tempDir();
    const path = join(dir, 'log.jsonl');
    const good = [heartbeat(1), alert(2)];
    writeFileSync(path, `${JSON.stringify(good[0])}\n`);
    appendFileSync(path, 'garbage\n\n');
    appendFileSync(path, `${JSON.stringify({ hello: 'world' })}\n`);
    appendFileSync(path, `${JSON.stringify({ ...heartbeat(3), ts: 'yesterday' })}\n`);
    appendFileSync(path, `${JSON.stringify(good[1])}\n`);
    appendFileSync(path, JSON.stringify(heartbeat(4)).slice(0, 40)); // torn last line, as after a crash
    const counts = { events: 0, malformed: 0 };
    expect(await readAll(path, counts)).toEqual(good);
    expect(counts).toEqual({ events: 2, malformed: 4 });
  });

  it('lets a reader stop early', async () => {
    const dir = tempDir();
    const bus = new InMemoryBus();
    const rec = new EventRecorder({ bus, dataDir: dir, flushIntervalMs: 0 });
    for (let i = 0; i < 10; i++) bus.publish(heartbeat(i));
    rec.close();
    let n = 0;
    for await (const _ of readEventLog(eventLogPath(dir, heartbeat(0)))) if (++n === 3) break;
    expect(n).toBe(3);
  });
});

// ---- property: whatever valid events are written, the same events are read back -----------------

const DAY0 = Date.UTC(2025, 11, 30);
const tsArb = fc.integer({ min: DAY0, max: DAY0 + 4 * 86_400_000 });
/** JSON has no -0: the log cannot keep it, and no event needs it. */
const num = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
const text = fc.string({ unit: 'binary', maxLength: 30 });

const eventArb: fc.Arbitrary<TomicEvent> = fc.oneof(
  fc
    .record({
      ts: tsArb,
      seq: fc.nat(),
      uptime: num.map(Math.abs),
      status: fc.constantFrom('STARTING', 'RUNNING', 'STOPPING' as const),
    })
    .map(({ ts, seq, uptime, status }) =>
      makeEvent(
        new VirtualClock({ wallMs: ts }),
        'HEARTBEAT',
        { source_agent: 'risk' },
        {
          agent: 'risk',
          pid: 1 + (seq % 100_000),
          seq,
          uptime_ms: uptime,
          status,
        },
      ),
    ),
  fc
    .record({
      ts: tsArb,
      message: text,
      // fc.jsonValue may hold -0, which JSON writes as 0: normalise it the way the log would.
      details: fc.option(
        fc
          .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }))
          .map((d) => JSON.parse(JSON.stringify(d)) as Record<string, unknown>),
        { nil: undefined },
      ),
      strategy: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: undefined }),
    })
    .map(({ ts, message, details, strategy }) =>
      makeEvent(
        new VirtualClock({ wallMs: ts }),
        'ALERT',
        { source_agent: 'supervisor', ...(strategy ? { strategy_id: strategy } : {}) },
        { level: 'RISK', code: 'STALE_QUOTE', message, ...(details ? { details } : {}) },
      ),
    ),
  fc
    .record({
      ts: tsArb,
      version: fc.nat(),
      score: num,
      vix: fc.option(num.map(Math.abs), { nil: null }),
      flags: fc.array(text, { maxLength: 4 }),
      indicators: fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(num, text, fc.constant(null))),
    })
    .map(({ ts, version, score, vix, flags, indicators }) =>
      makeEvent(
        new VirtualClock({ wallMs: ts }),
        'REGIME_UPDATE',
        { source_agent: 'regime' },
        {
          version,
          underlying: 'BANKNIFTY',
          regime: 'CONGESTION',
          score,
          vix,
          flags,
          indicators,
        },
      ),
    ),
);

describe('EventRecorder property', () => {
  it('any sequence of valid events written is read back equal (per UTC day, in order)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { maxLength: 40 }), async (events) => {
        const dir = mkdtempSync(join(tmpdir(), 'tomic-recp-'));
        try {
          const bus = new InMemoryBus();
          const rec = new EventRecorder({ bus, dataDir: dir, flushIntervalMs: 0 });
          for (const e of events) bus.publish(e);
          rec.close();
          const day = (e: TomicEvent) => new Date(e.ts).toISOString().slice(0, 10);
          const expected = events
            .map((e, i) => ({ e, i }))
            .sort((a, b) => day(a.e).localeCompare(day(b.e)) || a.i - b.i)
            .map((x) => x.e);
          const back = events.length === 0 ? [] : await readDir(dir);
          expect(back).toEqual(expected);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });
});
