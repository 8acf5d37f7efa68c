import type { Update } from 'grammy/types';
import type { Actor, ControlPort, ControlResult, MaybePromise, StatusSnapshot } from '../api/index.js';
import type { Clock, TimerHandle } from '../clock/index.js';
import type { Config } from '../config/index.js';
import type { ErrorCode, Redactor, TomicEvent } from '../contracts/index.js';
import type { Logger } from '../log/index.js';
import type { AuditLog, AuditOutcome } from '../store/audit-store.js';
import { AlertGate, type Outgoing } from './alert-gate.js';
import { HELP_TEXT, isKnownCommand, parseCommand } from './commands.js';
import { type AlertPayload, formatStatus } from './format.js';
import { TelegramChannel } from './telegram.js';

/**
 * A command older than this when it arrives is not executed: a `/resume` typed an hour ago while
 * TOMIC was down must not resume trading now.
 */
export const STALE_COMMAND_MS = 120_000;
/** On stop, messages already queued get this long to reach Telegram (the last alerts matter most). */
export const STOP_SEND_GRACE_MS = 5_000;
const MAX_AUDITED_TEXT = 200;

export interface AlertServiceOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly audit: AuditLog;
  readonly redactor: Redactor;
  readonly telegram: Config['telegram'];
  /** Telegram commands act through the same ports as the control API. Without them, no polling. */
  readonly commands?: {
    readonly control: Pick<ControlPort, 'pause' | 'resume' | 'kill'>;
    readonly status: () => MaybePromise<StatusSnapshot>;
  };
  readonly pollTimeoutS?: number;
  readonly staleCommandMs?: number;
}

export interface AlertServiceStats {
  readonly received: number;
  readonly sent: number;
  readonly sendFailures: number;
  readonly suppressed: number;
  readonly held: number;
}

/**
 * Phase 4 alerts: every ALERT event is logged, and — when a bot token is configured — sent to
 * every authorised chat with its TOMIC prefix, de-duplicated and rate-limited on the injected clock
 * (AlertGate). Telegram `/status`, `/pause`, `/resume`, `/kill` are obeyed only from authorised
 * chats; every command and every message from elsewhere is an audit row.
 * (The live WebSocket channel receives ALERT events from the event source like any other event.)
 */
export class AlertService {
  readonly #o: AlertServiceOptions;
  readonly #gate: AlertGate;
  readonly #channel: TelegramChannel | undefined;
  readonly #chats: ReadonlySet<string>;
  /** Ends the command poll (at once on stop). */
  readonly #pollAc = new AbortController();
  /** Ends sends and their retry waits (on stop, after the grace period). */
  readonly #sendAc = new AbortController();
  #queue: Promise<void> = Promise.resolve();
  #timer: TimerHandle | undefined;
  #timerDue: number | undefined;
  #polling: Promise<void> | undefined;
  #received = 0;
  #sent = 0;
  #failures = 0;
  #stopped = false;

  constructor(opts: AlertServiceOptions) {
    this.#o = opts;
    this.#gate = new AlertGate({
      dedupWindowMs: opts.telegram.dedupWindowMs,
      maxPerMinute: opts.telegram.maxPerMinute,
    });
    this.#chats = new Set(opts.telegram.chatIds);
    if (opts.telegram.botToken && this.#chats.size > 0) {
      opts.redactor.addSecret(opts.telegram.botToken);
      this.#channel = new TelegramChannel({
        token: opts.telegram.botToken,
        apiRoot: opts.telegram.apiRoot,
        clock: opts.clock,
        logger: opts.logger,
        ...(opts.pollTimeoutS !== undefined ? { pollTimeoutS: opts.pollTimeoutS } : {}),
      });
    }
  }

  /** False when no bot token (or no chat id) is configured: alerts go to the log only. */
  get telegramEnabled(): boolean {
    return this.#channel !== undefined;
  }

  stats(): AlertServiceStats {
    return {
      received: this.#received,
      sent: this.#sent,
      sendFailures: this.#failures,
      suppressed: this.#gate.suppressed,
      held: this.#gate.heldCount,
    };
  }

  /**
   * Connects the bot (getMe, deleteWebhook) and starts polling for commands when a control port was
   * given. A Telegram outage at start is logged, not fatal: alerts still reach the log.
   */
  async start(): Promise<void> {
    if (!this.#channel) {
      this.#o.logger.info('telegram not configured: alerts go to the log and the live channel only');
      return;
    }
    try {
      await this.#channel.init(this.#pollAc.signal);
    } catch (err) {
      this.#o.logger.error({ err }, 'telegram init failed; alerts go to the log only until restart');
      return;
    }
    if (this.#o.commands) {
      this.#polling = this.#channel.poll(this.#pollAc.signal, (u) => this.#onUpdate(u));
    }
  }

  /**
   * Stops polling at once; messages already queued get STOP_SEND_GRACE_MS to go out. Alerts still
   * held back by the rate limit are not sent (each is in the log).
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pollAc.abort();
    if (this.#gate.heldCount > 0) {
      this.#o.logger.warn({ held: this.#gate.heldCount }, 'alerts held by the rate limit not sent at stop');
    }
    const grace = this.#o.clock.setTimeout(() => this.#sendAc.abort(), STOP_SEND_GRACE_MS);
    await this.#queue;
    this.#o.clock.clearTimeout(grace);
    await this.#polling;
  }

  /** Resolves when every message queued so far has been sent (or has failed). */
  idle(): Promise<void> {
    return this.#queue;
  }

  /** Takes any event; acts on ALERT only. */
  handle(event: TomicEvent): void {
    if (event.event_type !== 'ALERT') return;
    this.#received++;
    const a = event.payload;
    this.#logAlert(a);
    if (!this.#channel || this.#stopped) return;
    this.#dispatch(this.#gate.offer(a, this.#o.clock.monotonicMs()));
  }

  #logAlert(a: AlertPayload): void {
    const line = `[${a.level}] ${a.message}`;
    const fields = { alert: { level: a.level, code: a.code, details: a.details } };
    if (a.level === 'CRITICAL') this.#o.logger.error(fields, line);
    else if (a.level === 'RISK') this.#o.logger.warn(fields, line);
    else this.#o.logger.info(fields, line);
  }

  #dispatch(out: Outgoing[]): void {
    for (const o of out) {
      const text = this.#o.redactor.scrubString(o.text);
      this.#enqueue(async () => {
        for (const chat of this.#chats) {
          if (await this.#channel!.send(chat, text, this.#sendAc.signal)) this.#sent++;
          else this.#failures++;
        }
      });
    }
    this.#schedule();
  }

  #enqueue(job: () => Promise<void>): void {
    this.#queue = this.#queue.then(job, job);
  }

  /** One clock timer for the gate's next due time (repeat notes, held batch). */
  #schedule(): void {
    if (this.#stopped) return;
    const due = this.#gate.nextDueMs();
    if (due === null) return;
    if (this.#timer && this.#timerDue !== undefined && this.#timerDue <= due) return;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = this.#o.clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerDue = undefined;
        this.#dispatch(this.#gate.tick(this.#o.clock.monotonicMs()));
      },
      Math.max(0, due - this.#o.clock.monotonicMs()),
    );
  }

  async #onUpdate(u: Update): Promise<void> {
    const msg = u.message;
    if (!msg) return;
    const chatId = String(msg.chat.id);
    const from = msg.from;
    const user = `telegram:${from?.id ?? 'unknown'}${from?.username ? `@${from.username}` : ''}`;
    const ip = `telegram:chat:${chatId}`;
    const cmd = parseCommand(msg.text, this.#channel?.username);
    const action = cmd ? `telegram:/${cmd.name}` : 'telegram:message';
    const audit = (outcome: AuditOutcome, code: ErrorCode | null, detail: Record<string, unknown>) =>
      this.#audit({ user, action, ip, outcome, code, detail });

    if (!this.#chats.has(chatId)) {
      // Not ours to obey, and not answered (a reply would confirm the bot listens).
      audit('ignored', 'AUTH_INVALID', {
        chat_id: chatId,
        text: (msg.text ?? '').slice(0, MAX_AUDITED_TEXT),
      });
      return;
    }
    if (!cmd) return;
    const ageMs = this.#o.clock.wallMs() - msg.date * 1_000;
    if (ageMs > (this.#o.staleCommandMs ?? STALE_COMMAND_MS)) {
      audit('ignored', null, { reason: 'stale', age_ms: Math.round(ageMs) });
      await this.#reply(
        chatId,
        `Ignored /${cmd.name}: sent ${Math.round(ageMs / 1_000)} s ago. Send it again.`,
      );
      return;
    }
    const by: Actor = { user, channel: 'telegram' };
    const { control, status } = this.#o.commands!;
    try {
      switch (cmd.name) {
        case 'status': {
          const s = await status();
          audit('ok', null, {});
          await this.#reply(chatId, formatStatus(s));
          return;
        }
        case 'pause':
          return await this.#act(
            chatId,
            audit,
            () => control.pause(cmd.args || 'telegram /pause', by),
            cmd.args,
          );
        case 'resume':
          return await this.#act(chatId, audit, () => control.resume(by), cmd.args);
        case 'kill':
          return await this.#act(
            chatId,
            audit,
            () => control.kill(cmd.args || 'telegram /kill', by),
            cmd.args,
          );
        default: {
          const known = isKnownCommand(cmd.name) || cmd.name === 'start';
          audit(known ? 'ok' : 'denied', known ? null : 'ROUTE_NOT_FOUND', {});
          await this.#reply(chatId, known ? HELP_TEXT : `Unknown command /${cmd.name}.\n\n${HELP_TEXT}`);
        }
      }
    } catch (err) {
      this.#o.logger.error({ err, action }, 'telegram command failed');
      audit('error', 'INTERNAL_ERROR', {});
      await this.#reply(chatId, `/${cmd.name} failed: internal error (see the log).`);
    }
  }

  async #act(
    chatId: string,
    audit: (o: AuditOutcome, c: ErrorCode | null, d: Record<string, unknown>) => void,
    run: () => Promise<ControlResult>,
    args: string,
  ): Promise<void> {
    const r = await run();
    const detail = args ? { reason: args } : {};
    if (r.ok) {
      audit('ok', null, { ...detail, message: r.message, ...(r.state ? { state: r.state } : {}) });
      await this.#reply(chatId, `✅ ${r.message}${r.state ? ` (trading ${r.state})` : ''}`);
    } else {
      audit('failed', r.code, { ...detail, message: r.message });
      await this.#reply(chatId, `❌ ${r.code}: ${r.message}`);
    }
  }

  #reply(chatId: string, text: string): Promise<void> {
    const masked = this.#o.redactor.scrubString(text);
    return this.#channel!.send(chatId, masked, this.#sendAc.signal).then(() => undefined);
  }

  #audit(entry: {
    user: string;
    action: string;
    ip: string;
    outcome: AuditOutcome;
    code: ErrorCode | null;
    detail: Record<string, unknown>;
  }): void {
    try {
      this.#o.audit.record({ ...entry, channel: 'telegram' });
    } catch (err) {
      this.#o.logger.error({ err, action: entry.action }, 'audit write failed');
    }
  }
}
