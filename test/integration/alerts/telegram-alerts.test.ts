import { afterEach, describe, expect, it } from 'vitest';
import { AlertService, type AlertServiceOptions, STOP_SEND_GRACE_MS } from '../../../src/alerts/index.js';
import { flushMicrotasks } from '../../../src/clock/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { alertEvent, type FakeSystem, fakeSystem, fillEvent } from '../api/support/fake-system.js';
import { FAKE_BOT_TOKEN, FakeTelegram } from './fake-telegram.js';

const CHATS = ['111', '-1002222'];
const STRANGER = 999;

interface Harness {
  sys: FakeSystem;
  tg: FakeTelegram;
  service: AlertService;
}
const running: Harness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) {
    await h.service.stop();
    await h.tg.stop();
  }
});

function telegramConfig(url: string, env: Record<string, string> = {}) {
  const r = loadConfig({
    env: {
      TOMIC_TELEGRAM_BOT_TOKEN: FAKE_BOT_TOKEN,
      TOMIC_TELEGRAM_CHAT_IDS: CHATS.join(','),
      TOMIC_TELEGRAM_API_ROOT: `${url}/`,
      ...env,
    },
    envFile: null,
  });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config.telegram;
}

async function harness(
  env: Record<string, string> = {},
  opts: { commands?: boolean } = {},
  override: Partial<AlertServiceOptions> = {},
): Promise<Harness> {
  // The token is in the system's config, so the logger masks it like in production.
  const sys = fakeSystem({
    TOMIC_TELEGRAM_BOT_TOKEN: FAKE_BOT_TOKEN,
    TOMIC_TELEGRAM_CHAT_IDS: CHATS.join(','),
  });
  const tg = new FakeTelegram(sys.clock);
  await tg.start();
  const service = new AlertService({
    clock: sys.clock,
    logger: sys.deps.logger,
    audit: sys.audit,
    redactor: sys.deps.redactor,
    telegram: telegramConfig(tg.url, env),
    ...(opts.commands === false
      ? {}
      : { commands: { control: sys.deps.control, status: () => sys.deps.status() } }),
    ...override,
  });
  await service.start();
  const h = { sys, tg, service };
  running.push(h);
  return h;
}

/** Waits for I/O (not for time): the fake server's state is what the assertion is about. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !cond(); i++) await flushMicrotasks(1);
  expect(cond()).toBe(true);
}

describe('alerts to Telegram (Phase 4)', () => {
  it('sends each level with its prefix to every authorised chat', async () => {
    const { sys, tg, service } = await harness({}, { commands: false });
    expect(service.telegramEnabled).toBe(true);
    expect(tg.calls.slice(0, 2)).toEqual(['getMe', 'deleteWebhook']);
    for (const level of ['CRITICAL', 'RISK', 'SIGNAL', 'REGIME'] as const) {
      service.handle(alertEvent(sys.clock, level, `${level.toLowerCase()} happened`));
    }
    service.handle(fillEvent(sys.clock));
    await service.idle();
    expect(tg.messages.map((m) => [m.chat_id, m.text.split(' ')[0]])).toEqual(
      ['[CRITICAL]', '[RISK]', '[SIGNAL]', '[REGIME]'].flatMap((p) => CHATS.map((c) => [c, p])),
    );
    expect(tg.messages[0]!.text).toBe('[CRITICAL] critical happened (FEED_DOWN)');
    expect(service.stats()).toMatchObject({ received: 4, sent: 8, sendFailures: 0 });
  });

  it('de-duplicates: a flapping alert is sent once, then its repeat count when the window closes', async () => {
    const { sys, tg, service } = await harness(
      { TOMIC_ALERT_DEDUP_WINDOW_MS: '300000' },
      { commands: false },
    );
    for (let i = 0; i < 25; i++) {
      service.handle(alertEvent(sys.clock, 'CRITICAL', 'primary feed down'));
      sys.clock.advance(2_000);
    }
    await service.idle();
    expect(tg.messages.filter((m) => m.chat_id === '111').map((m) => m.text)).toEqual([
      '[CRITICAL] primary feed down (FEED_DOWN)',
    ]);
    // The timer on the injected clock fires at the end of the window.
    sys.clock.advance(300_000 - 50_000);
    await service.idle();
    expect(tg.messages.filter((m) => m.chat_id === '111').map((m) => m.text)).toEqual([
      '[CRITICAL] primary feed down (FEED_DOWN)',
      '[CRITICAL] primary feed down (FEED_DOWN) — repeated 24× in 5 min',
    ]);
    expect(service.stats().suppressed).toBe(24);
  });

  it('rate-limits: beyond maxPerMinute the rest wait for one summary', async () => {
    const { sys, tg, service } = await harness({ TOMIC_ALERT_MAX_PER_MINUTE: '3' }, { commands: false });
    for (let i = 0; i < 10; i++)
      service.handle(alertEvent(sys.clock, i === 9 ? 'CRITICAL' : 'RISK', `alert ${i}`));
    await service.idle();
    const to111 = () => tg.messages.filter((m) => m.chat_id === '111').map((m) => m.text);
    expect(to111()).toHaveLength(3);
    expect(service.stats().held).toBe(7);
    sys.clock.advance(60_000);
    await service.idle();
    expect(to111()).toHaveLength(4);
    const summary = to111()[3]!;
    expect(summary.split('\n')[0]).toBe('[CRITICAL] 7 alerts held back (limit 3/min):');
    expect(summary).toContain('• [CRITICAL] alert 9 (FEED_DOWN)');
  });

  it("honours Telegram's 429 retry_after on the injected clock", async () => {
    const { sys, tg, service } = await harness({}, { commands: false });
    tg.failNext('sendMessage', 429, 1, 7);
    service.handle(alertEvent(sys.clock, 'RISK', 'slow down'));
    await until(() => tg.calls.filter((c) => c === 'sendMessage').length === 1);
    await flushMicrotasks();
    expect(tg.messages).toHaveLength(0);
    await sys.clock.advanceAsync(6_999);
    expect(tg.messages).toHaveLength(0);
    await sys.clock.advanceAsync(1);
    await service.idle();
    expect(tg.messages.map((m) => m.chat_id)).toEqual(CHATS);
  });

  it('stop() gives queued messages a grace period on the clock, then abandons them', async () => {
    const { sys, tg, service } = await harness({}, { commands: false });
    tg.failNext('sendMessage', 429, 5, 30);
    service.handle(alertEvent(sys.clock, 'CRITICAL', 'last words'));
    await until(() => tg.calls.filter((c) => c === 'sendMessage').length === 1);
    let stopped = false;
    const stopping = service.stop().then(() => {
      stopped = true;
    });
    await sys.clock.advanceAsync(STOP_SEND_GRACE_MS - 1);
    expect(stopped).toBe(false);
    await sys.clock.advanceAsync(1);
    await stopping;
    expect(tg.messages).toEqual([]);
    expect(service.stats()).toMatchObject({ sent: 0, sendFailures: 2 });
  });

  it('without a bot token alerts go to the log only (and the live channel via the event source)', async () => {
    const sys = fakeSystem();
    const service = new AlertService({
      clock: sys.clock,
      logger: sys.deps.logger,
      audit: sys.audit,
      redactor: sys.deps.redactor,
      telegram: sys.config.telegram,
    });
    await service.start();
    expect(service.telegramEnabled).toBe(false);
    service.handle(alertEvent(sys.clock, 'CRITICAL', 'kill switch engaged'));
    await service.stop();
    const line = sys.logLines.find((l) => l.includes('[CRITICAL] kill switch engaged'));
    expect(line && JSON.parse(line)).toMatchObject({
      level: 50,
      alert: { level: 'CRITICAL', code: 'FEED_DOWN' },
    });
  });

  it('never puts the bot token in a log line or message', async () => {
    const { sys, tg, service } = await harness({}, { commands: false });
    service.handle(alertEvent(sys.clock, 'RISK', `token leaked: ${FAKE_BOT_TOKEN}`));
    await service.idle();
    expect(tg.messages.every((m) => !m.text.includes(FAKE_BOT_TOKEN))).toBe(true);
    expect(sys.logLines.every((l) => !l.includes(FAKE_BOT_TOKEN))).toBe(true);
  });
});

describe('Telegram commands', () => {
  it('/status, /pause, /kill, /resume from an authorised chat act through the control port, each audited', async () => {
    const { sys, tg } = await harness();
    tg.pushMessage(111, '/status');
    await tg.waitForMessages(1);
    expect(tg.messages[0]).toMatchObject({ chat_id: '111' });
    expect(tg.messages[0]!.text).toContain('Trading: ACTIVE');
    expect(tg.messages[0]!.text).toContain('Stale: NIFTY26FEB2625000PE');

    tg.pushMessage(111, '/pause RBI at 10:00', { username: 'trader' });
    await tg.waitForMessages(2);
    expect(tg.messages[1]!.text).toBe('✅ trading paused (trading ACTIVE)');
    tg.pushMessage(-1002222, `/kill@tomic_test_bot feed looks wrong`, { fromId: 5 });
    await tg.waitForMessages(3);
    expect(tg.messages[2]).toEqual({ chat_id: '-1002222', text: '✅ kill switch engaged (trading HALTED)' });
    tg.pushMessage(111, '/pause again');
    await tg.waitForMessages(4);
    expect(tg.messages[3]!.text).toBe('❌ TRADING_HALTED: Trading is halted (kill switch)');
    tg.pushMessage(111, '/resume');
    await tg.waitForMessages(5);

    expect(sys.calls).toEqual([
      'pause:RBI at 10:00:telegram:111@trader',
      'kill:feed looks wrong:telegram:5@operator',
      'pause:again:telegram:111@operator',
      'resume:telegram:111@operator',
    ]);
    const rows = sys.audit.list({ channel: 'telegram' }).rows.reverse();
    expect(rows.map((r) => [r.action, r.outcome, r.code, r.ip])).toEqual([
      ['telegram:/status', 'ok', null, 'telegram:chat:111'],
      ['telegram:/pause', 'ok', null, 'telegram:chat:111'],
      ['telegram:/kill', 'ok', null, 'telegram:chat:-1002222'],
      ['telegram:/pause', 'failed', 'TRADING_HALTED', 'telegram:chat:111'],
      ['telegram:/resume', 'ok', null, 'telegram:chat:111'],
    ]);
    expect(rows[1]).toMatchObject({ user: 'telegram:111@trader', detail: { reason: 'RBI at 10:00' } });
  });

  it('a chat that is not authorised is ignored — no action, no reply — and audited', async () => {
    const { sys, tg } = await harness();
    tg.pushMessage(STRANGER, '/kill now', { username: 'mallory' });
    tg.pushMessage(STRANGER, 'hello bot', { username: 'mallory' });
    tg.pushMessage(111, '/status');
    await tg.waitForMessages(1);
    expect(tg.messages.map((m) => m.chat_id)).toEqual(['111']);
    expect(sys.calls).toEqual([]);
    const ignored = sys.audit.list({ outcome: 'ignored' }).rows.reverse();
    expect(ignored.map((r) => [r.action, r.user, r.ip, r.code, r.detail?.text])).toEqual([
      ['telegram:/kill', 'telegram:999@mallory', 'telegram:chat:999', 'AUTH_INVALID', '/kill now'],
      ['telegram:message', 'telegram:999@mallory', 'telegram:chat:999', 'AUTH_INVALID', 'hello bot'],
    ]);
  });

  it('a command older than 2 minutes is not executed (a /resume typed while TOMIC was down)', async () => {
    const { sys, tg } = await harness();
    tg.pushMessage(111, '/resume', { date: Math.floor(sys.clock.wallMs() / 1_000) - 121 });
    await tg.waitForMessages(1);
    expect(tg.messages[0]!.text).toMatch(/^Ignored \/resume: sent 121 s ago/);
    expect(sys.calls).toEqual([]);
    expect(sys.audit.list({ channel: 'telegram' }).rows[0]).toMatchObject({
      action: 'telegram:/resume',
      outcome: 'ignored',
      detail: { reason: 'stale' },
    });
  });

  it('/help and /start answer with help (never start trading); unknown commands are refused; other bots’ commands ignored', async () => {
    const { sys, tg } = await harness();
    tg.pushMessage(111, '/start');
    tg.pushMessage(111, '/kill@other_bot');
    tg.pushMessage(111, '/buy NIFTY');
    await tg.waitForMessages(2);
    expect(tg.messages[0]!.text).toContain('/pause [reason]');
    expect(tg.messages[1]!.text).toMatch(/^Unknown command \/buy/);
    expect(sys.calls).toEqual([]);
    expect(sys.audit.list({ channel: 'telegram' }).rows.map((r) => [r.action, r.outcome])).toEqual([
      ['telegram:/buy', 'denied'],
      ['telegram:/start', 'ok'],
    ]);
  });

  it('confirms each handled update with the next poll (a command runs once), and stop() ends the long poll at once', async () => {
    const { sys, tg, service } = await harness();
    tg.pushMessage(111, '/pause once');
    await tg.waitForMessages(1);
    await until(() => tg.heldPolls === 1);
    expect(tg.unconfirmed).toBe(0);
    expect(sys.calls).toEqual(['pause:once:telegram:111@operator']);
    await service.stop();
    await until(() => tg.heldPolls === 0);
  });

  it('a refused bot token stops polling with an error in the log instead of spinning', async () => {
    const sys = fakeSystem({ TOMIC_TELEGRAM_BOT_TOKEN: FAKE_BOT_TOKEN, TOMIC_TELEGRAM_CHAT_IDS: '111' });
    const tg = new FakeTelegram(sys.clock, 'another:token-the-bot-does-not-have');
    await tg.start();
    const service = new AlertService({
      clock: sys.clock,
      logger: sys.deps.logger,
      audit: sys.audit,
      redactor: sys.deps.redactor,
      telegram: telegramConfig(tg.url),
      commands: { control: sys.deps.control, status: () => sys.deps.status() },
    });
    running.push({ sys, tg, service });
    await service.start();
    expect(sys.logLines.some((l) => l.includes('telegram init failed'))).toBe(true);
    expect(sys.logLines.every((l) => !l.includes(FAKE_BOT_TOKEN))).toBe(true);
    expect(tg.calls).toEqual([]);
  });
});
