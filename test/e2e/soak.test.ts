/**
 * The deterministic seeded soak (issue 9): one full simulated NIFTY trading day (375 market minutes)
 * at high speed through the whole pipeline, with the replay microstructure (latency, rejects,
 * partial fills, slippage) and a seeded schedule of broker and feed faults. It must end with zero
 * duplicate orders, no short left unhedged past the 5 s limit, and a book equal to the broker's.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, realDelay } from '../../src/clock/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { TomicEvent } from '../../src/contracts/index.js';
import { startSandbox } from '../../src/runtime/sandbox.js';
import { openDatabase, PositionBookReader } from '../../src/store/index.js';
import { brokerPositions, positionLines } from '../support/broker-book.js';

const SEED = Number(process.env.TOMIC_SOAK_SEED ?? 20250908);
const SPEED = 600; // 375 market minutes in ~38 s
const SESSION_MS = 375 * 60_000;
const MAX_UNHEDGED_MS = 5_000;
/** The timer polls; detection may trail the deadline by one poll plus event-loop lag under load. */
const DETECTION_SLACK_MS = 1_000;

type Fault = (set: (f: Record<string, unknown>) => void) => void;
const FAULTS: Array<[string, Fault]> = [
  ['reject next order', (set) => set({ rejectNext: 1 })],
  ['accept, then time out (ambiguous)', (set) => set({ timeoutAfterAcceptNext: 1 })],
  ['rate limit next call', (set) => set({ rateLimitNext: 1 })],
  ['slow REST', (set) => set({ restDelayMs: 300 })],
  ['primary feed down', (set) => set({ primaryFeed: 'down' })],
  ['primary feed frozen', (set) => set({ primaryFeed: 'frozen' })],
];

describe('seeded soak: a full trading day at high speed with faults', () => {
  it(`seed ${SEED}: no duplicate, no short unhedged past 5 s, book = broker`, async () => {
    const cfg = loadConfig({
      env: {
        TOMIC_DATA_DIR: mkdtempSync(join(tmpdir(), 'tomic-soak-')),
        TOMIC_SIM_SEED: String(SEED),
        TOMIC_SIM_MICROSTRUCTURE: 'true',
        TOMIC_ENTRY_COOLDOWN_MS: '2000',
        TOMIC_REST_TIMEOUT_MS: '1500',
      },
      envFile: null,
    });
    if (!cfg.ok) throw new Error(cfg.errors.join('; '));
    const kills: string[] = [];
    const box = await startSandbox({
      config: cfg.config,
      speed: SPEED,
      onKillSwitch: (r) => void kills.push(r),
    });
    const events: TomicEvent[] = [];
    box.bus.subscribe('*', (e) => void events.push(e));
    const rng = createRng(SEED);
    const injected: string[] = [];
    try {
      const start = box.sim.market.now();
      // A fault every ~2 s of real time, cleared after ~1 s, until the session is over.
      while (box.sim.market.now() - start < SESSION_MS) {
        await realDelay(rng.int(1_000, 3_000));
        const [name, apply] = FAULTS[rng.int(0, FAULTS.length - 1)]!;
        injected.push(name);
        apply((f) => box.sim.faults.set(f as never));
        await realDelay(1_000);
        box.sim.faults.clear();
      }
      // Let in-flight commands settle.
      await realDelay(5_000);
    } finally {
      await box.system.stop();
    }

    // Zero duplicates: per leg — its tag ({strategy}:{leg}:{action}, or the group's basket tag) with
    // its symbol and side — the broker never filled more than one order's worth. A re-send after an
    // order died unfilled (a rejected force-close, a cancelled remainder) is not a duplicate.
    const orders = box.sim.orders().filter((o) => /^(BPS|BCS|IC|BSH)-/.test(o.strategy));
    const perKey = new Map<string, { filled: number; intended: number; orders: number }>();
    for (const o of orders) {
      const key = `${o.strategy}|${o.symbol}|${o.action}`;
      const k = perKey.get(key) ?? { filled: 0, intended: 0, orders: 0 };
      k.filled += o.filled_quantity;
      k.intended = Math.max(k.intended, o.quantity);
      k.orders++;
      perKey.set(key, k);
    }
    const duplicates = [...perKey].filter(([, k]) => k.filled > k.intended);
    expect(duplicates).toEqual([]);
    expect(orders.length).toBeGreaterThan(0);

    // Every unhedged short was force-closed within the limit (plus detection slack).
    const incidents = events.flatMap((e) =>
      e.event_type === 'UNHEDGED_INCIDENT' && e.payload.action === 'FORCE_CLOSE' ? [e.payload] : [],
    );
    for (const i of incidents) expect(i.unhedged_ms).toBeLessThan(MAX_UNHEDGED_MS + DETECTION_SLACK_MS);

    // The book equals the broker's positionbook, and no short option stands without its hedge.
    const theirs = await brokerPositions(box.sim);
    const book = new PositionBookReader(openDatabase(box.config.dataDir, 'positions')).readSnapshot();
    const ours = positionLines(book.positions);
    await box.sim.stop();
    expect(ours).toEqual(theirs);
    for (const short of book.positions.filter((x) => x.quantity < 0 && /(CE|PE)$/.test(x.symbol))) {
      const type = short.symbol.slice(-2);
      const series = short.symbol.slice(0, short.symbol.search(/\d{2}[A-Z]{3}\d{2}/) + 7);
      const cover = book.positions
        .filter((x) => x.quantity > 0 && x.symbol.startsWith(series) && x.symbol.endsWith(type))
        .reduce((n, x) => n + x.quantity, 0);
      expect(cover, `${short.symbol} short ${short.quantity} without its hedge`).toBeGreaterThanOrEqual(
        -short.quantity,
      );
    }

    expect(injected.length).toBeGreaterThan(5);
    // The soak must have traded, or it proved nothing.
    expect(events.filter((e) => e.event_type === 'ORDER_FILL').length).toBeGreaterThan(0);
  }, 180_000);
});
