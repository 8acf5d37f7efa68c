import { describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../../../src/api/schemas.js';
import { formatPositions, formatStatus, table } from '../../../src/cli/format.js';

const STATUS: StatusSnapshot = {
  version: '0.1.0',
  mode: 'sandbox',
  orderMode: 'full_auto',
  embeddedSim: true,
  lifecycle: 'RUNNING',
  tradingState: {
    state: 'REDUCING',
    reason: 'operator pause: RBI',
    code: 'TRADING_PAUSED',
    actor: 'api-key',
    version: 3,
  },
  paused: true,
  uptimeMs: 3_725_000,
  agents: [
    { name: 'execution', pid: 4242, state: 'RUNNING', heartbeatAgeMs: 320, restarts: 0 },
    { name: 'regime', pid: null, state: 'CRASHED', heartbeatAgeMs: null, restarts: 3 },
  ],
  feed: {
    active: 'fallback',
    primaryUp: false,
    fallbackUp: true,
    failoversToday: 1,
    failoversTotal: 1,
    lastSwitchAgeMs: 4_000,
    cooldownRemainingMs: 26_000,
  },
  breakers: [{ name: 'daily_loss', value: 1.2, threshold: 6, unit: '% of capital', tripped: false }],
  freshness: [{ symbol: 'NIFTY', ageMs: 12_000, maxAgeMs: 5_000, stale: true }],
  commands: { PENDING: 1, DONE: 4 },
  pendingApprovals: 0,
  regimes: [{ underlying: 'NIFTY', regime: 'BULLISH', version: 7, score: 1, flags: ['THIN_PREMIUM'] }],
};

describe('tomic status as a table', () => {
  it('says what a trader needs at a glance', () => {
    const out = formatStatus(STATUS);
    expect(out).toContain('trading    REDUCING (paused) — operator pause: RBI [TRADING_PAUSED] (by api-key)');
    expect(out).toContain('agents     RUNNING, up 1h 2m');
    expect(out).toContain('regime     NIFTY BULLISH (v7; THIN_PREMIUM)');
    expect(out).toContain(
      'feed       fallback (primary DOWN, fallback up), failovers today 1, orders blocked 26.0 s more',
    );
    expect(out).toMatch(/regime\s+CRASHED\s+-\s+-\s+3/);
    expect(out).toMatch(/NIFTY\s+12\.0 s\s+5\.0 s\s+STALE/);
  });

  it('before the first regime update it says so', () => {
    expect(formatStatus({ ...STATUS, regimes: [] })).toContain('regime     none yet (warming up)');
  });

  it('tables pad columns to the widest cell', () => {
    expect(table(['A', 'LONG HEADER'], [['wide cell', 'x']]).split('\n')).toEqual([
      'A          LONG HEADER',
      '---------  -----------',
      'wide cell  x',
    ]);
  });

  it('positions: an empty book is a sentence, a short reads negative', () => {
    expect(formatPositions({ version: 2, positions: [] })).toBe('No open positions (book version 2).\n');
    const out = formatPositions({
      version: 5,
      positions: [
        {
          symbol: 'NIFTY16SEP2524500PE',
          exchange: 'NFO',
          product: 'NRML',
          quantity: -450,
          average_price: 50.15,
        },
      ],
    });
    expect(out).toMatch(/NIFTY16SEP2524500PE\s+NFO\s+NRML\s+-450\s+50\.15/);
  });
});
