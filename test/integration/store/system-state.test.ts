import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/index.js';
import { SystemStateStore } from '../../../src/store/system-state.js';

const fresh = () =>
  new SystemStateStore(openDatabase(mkdtempSync(join(tmpdir(), 'tomic-state-')), 'commands'));

describe('trading state (ACTIVE | REDUCING | HALTED)', () => {
  it('starts ACTIVE and records every transition', () => {
    const s = fresh();
    expect(s.read().state).toBe('ACTIVE');
    expect(s.transition('REDUCING', 'operator pause', 'admin').changed).toBe(true);
    expect(
      s.transition('HALTED', 'daily loss', 'supervisor', { code: 'BREAKER_DAILY_LOSS' }).current,
    ).toMatchObject({
      state: 'HALTED',
      code: 'BREAKER_DAILY_LOSS',
    });
    expect(s.history().map((h) => h.state)).toEqual(['HALTED', 'REDUCING']);
  });

  it('HALTED is sticky: only an explicit operator resume leaves it', () => {
    const s = fresh();
    s.transition('HALTED', 'kill', 'admin');
    expect(s.transition('ACTIVE', 'auto recovery', 'supervisor').changed).toBe(false);
    expect(s.transition('REDUCING', 'auto', 'supervisor').changed).toBe(false);
    expect(s.read().state).toBe('HALTED');
    expect(s.transition('ACTIVE', 'operator resume', 'admin', { operatorResume: true }).changed).toBe(true);
    expect(s.read().state).toBe('ACTIVE');
  });

  it('is shared by every connection to the database (the Execution agent reads what the Supervisor wrote)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tomic-state-'));
    const a = new SystemStateStore(openDatabase(dir, 'commands'));
    const b = new SystemStateStore(openDatabase(dir, 'commands'));
    a.transition('HALTED', 'kill', 'supervisor');
    expect(b.read().state).toBe('HALTED');
  });
});
