import { describe, expect, it } from 'vitest';
import {
  ALERT_PREFIX,
  formatAlert,
  formatRepeat,
  formatSummary,
  HELP_TEXT,
  mostSevere,
  parseCommand,
  TELEGRAM_MAX_CHARS,
} from '../../../src/alerts/index.js';

describe('alert text', () => {
  it('carries the Phase 4 prefix of its level, the message and the code', () => {
    expect(Object.values(ALERT_PREFIX)).toEqual(['[CRITICAL]', '[RISK]', '[SIGNAL]', '[REGIME]', '[INFO]']);
    expect(formatAlert({ level: 'CRITICAL', code: 'KILL_SWITCH', message: 'Kill switch engaged' })).toBe(
      '[CRITICAL] Kill switch engaged (KILL_SWITCH)',
    );
    expect(
      formatAlert({
        level: 'RISK',
        code: 'METRIC_THRESHOLD',
        message: 'reject rate high',
        details: { value: 12.5, threshold: 10, metric: 'reject_rate' },
      }),
    ).toBe('[RISK] reject rate high (METRIC_THRESHOLD)\nvalue=12.5 threshold=10 metric=reject_rate');
  });

  it('never exceeds Telegram’s 4096 characters', () => {
    const long = formatAlert({ level: 'SIGNAL', code: 'METRIC_THRESHOLD', message: 'x'.repeat(10_000) });
    expect(long.length).toBe(TELEGRAM_MAX_CHARS);
    const held = Array.from({ length: 500 }, (_, i) => ({
      level: 'RISK' as const,
      text: `[RISK] alert number ${i} ${'y'.repeat(40)}`,
    }));
    const summary = formatSummary(held, 20);
    expect(summary.length).toBeLessThanOrEqual(TELEGRAM_MAX_CHARS);
    expect(summary).toMatch(/… and \d+ more$/);
  });

  it('a summary carries the most urgent prefix of what it holds', () => {
    const s = formatSummary(
      [
        { level: 'REGIME', text: '[REGIME] a' },
        { level: 'CRITICAL', text: '[CRITICAL] b\nsecond line' },
      ],
      20,
    );
    expect(s).toBe('[CRITICAL] 2 alerts held back (limit 20/min):\n• [REGIME] a\n• [CRITICAL] b');
    expect(mostSevere(['SIGNAL', 'REGIME', 'RISK'])).toBe('RISK');
  });

  it('a repeat note says how often in which window', () => {
    expect(formatRepeat({ level: 'CRITICAL', code: 'FEED_DOWN', message: 'feed down' }, 41, 300_000)).toBe(
      '[CRITICAL] feed down (FEED_DOWN) — repeated 41× in 5 min',
    );
  });
});

describe('Telegram command parsing', () => {
  it('reads the command and its argument text', () => {
    expect(parseCommand('/status', 'tomic_bot')).toEqual({ name: 'status', args: '' });
    expect(parseCommand('/pause  RBI at 10:00 ', 'tomic_bot')).toEqual({
      name: 'pause',
      args: 'RBI at 10:00',
    });
    expect(parseCommand('/KILL now', 'tomic_bot')).toEqual({ name: 'kill', args: 'now' });
  });

  it('accepts /cmd@ourbot, ignores commands for other bots and plain text', () => {
    expect(parseCommand('/kill@Tomic_Bot', 'tomic_bot')).toEqual({ name: 'kill', args: '' });
    expect(parseCommand('/kill@other_bot', 'tomic_bot')).toBeNull();
    expect(parseCommand('kill', 'tomic_bot')).toBeNull();
    expect(parseCommand(undefined, 'tomic_bot')).toBeNull();
    expect(parseCommand('/', 'tomic_bot')).toBeNull();
  });

  it('help lists the commands', () => {
    for (const c of ['/status', '/pause', '/resume', '/kill']) expect(HELP_TEXT).toContain(c);
  });
});
