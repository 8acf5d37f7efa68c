import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RegimeUpdatePayload } from '../../../src/contracts/index.js';
import { openDatabase } from '../../../src/store/index.js';
import { PositionBook } from '../../../src/store/position-book.js';
import {
  AtomicRegimeState,
  RegimeStateReader,
  type RegimeUpdateInput,
} from '../../../src/store/regime-state.js';

// §8 AtomicRegimeState: single writer (Regime agent), versioned, same pattern as the PositionBook.

const tempDir = () => mkdtempSync(join(tmpdir(), 'tomic-regime-'));
const update = (underlying: string, regime: RegimeUpdateInput['regime'] = 'BULLISH'): RegimeUpdateInput => ({
  underlying,
  regime,
  score: 0.7,
  vix: 14.2,
  flags: [],
  indicators: { tenkan: 25_010, kijun: 24_950, impulse: 'GREEN', pcr: null },
});
function open(dir: string): AtomicRegimeState {
  const r = AtomicRegimeState.open(openDatabase(dir, 'positions'));
  if (!r.ok) throw new Error(r.message);
  return r.state;
}

describe('AtomicRegimeState', () => {
  it('each write bumps the version; the payload carries it and is a valid REGIME_UPDATE', () => {
    const s = open(tempDir());
    expect(s.readSnapshot()).toEqual({ version: 0, regimes: {} });
    const w = s.write(update('NIFTY'));
    expect(w.ok && w.version).toBe(1);
    if (w.ok) expect(RegimeUpdatePayload.safeParse(w.updates[0]).success).toBe(true);
    s.write(update('NIFTY', 'CONGESTION'));
    const snap = s.readSnapshot();
    expect(snap.version).toBe(2);
    expect(snap.regimes.NIFTY).toMatchObject({ regime: 'CONGESTION', version: 2 });
  });

  it('several underlyings in one write: one version, all or nothing', () => {
    const s = open(tempDir());
    const w = s.write([update('NIFTY'), update('BANKNIFTY', 'BEARISH')]);
    expect(w.ok && w.updates.map((u) => u.version)).toEqual([1, 1]);
    const bad = s.write([update('RELIANCE'), { ...update('TCS'), score: Number.NaN }]);
    expect(bad.ok ? null : bad.code).toBe('MALFORMED_MESSAGE');
    expect(s.write([update('NIFTY'), update('NIFTY')]).ok).toBe(false);
    expect(s.readSnapshot()).toMatchObject({ version: 1 });
    expect(Object.keys(s.readSnapshot().regimes).sort()).toEqual(['BANKNIFTY', 'NIFTY']);
  });

  it('snapshots are deep-frozen; readers on their own connection see committed versions', () => {
    const dir = tempDir();
    const s = open(dir);
    const reader = new RegimeStateReader(openDatabase(dir, 'positions'));
    s.write(update('NIFTY'));
    const snap = reader.readSnapshot();
    expect(Object.isFrozen(snap.regimes.NIFTY) && Object.isFrozen(snap.regimes.NIFTY?.flags)).toBe(true);
    expect(() => {
      (snap.regimes.NIFTY as { regime: string }).regime = 'NO_TRADE';
    }).toThrow(TypeError);
    s.write(update('NIFTY', 'BLOWOFF'));
    expect(reader.currentVersion()).toBe(2);
    expect(reader.readSnapshot().regimes.NIFTY?.regime).toBe('BLOWOFF');
  });

  it('single writer: a second one is refused; its lock is separate from the PositionBook lock', () => {
    const dir = tempDir();
    const first = open(dir);
    const second = AtomicRegimeState.open(openDatabase(dir, 'positions'));
    expect(second.ok ? null : second.code).toBe('POSITION_BOOK_WRITER_CONFLICT');
    expect(PositionBook.open(openDatabase(dir, 'positions')).ok).toBe(true);
    // Taken over by the operator: the old writer can no longer write.
    const forced = AtomicRegimeState.open(openDatabase(dir, 'positions'), { takeover: true });
    expect(forced.ok).toBe(true);
    const w = first.write(update('NIFTY'));
    expect(w.ok ? null : w.code).toBe('POSITION_BOOK_WRITER_CONFLICT');
  });

  it('reopened, the state equals the last committed snapshot', () => {
    const dir = tempDir();
    const db = openDatabase(dir, 'positions');
    const r = AtomicRegimeState.open(db);
    if (!r.ok) throw new Error(r.message);
    r.state.write([update('NIFTY'), update('BANKNIFTY', 'NO_TRADE')]);
    const before = r.state.readSnapshot();
    r.state.release();
    db.close();
    expect(open(dir).readSnapshot()).toEqual(before);
  });
});
