import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Clock } from '../../../src/clock/index.js';

export const FAKE_BOT_TOKEN = '123456789:AAFakeTokenForTomicTests_0123456789';
export const FAKE_BOT_USERNAME = 'tomic_test_bot';

export interface SentMessage {
  readonly chat_id: string;
  readonly text: string;
}

interface Waiter {
  offset: number;
  reply: FastifyReply;
  resolve: () => void;
}

/**
 * A local Telegram Bot API (the parts grammY uses here): getMe, deleteWebhook, sendMessage and
 * long-polling getUpdates with offset confirmation, `/bot<token>/<method>` like api.telegram.org.
 * Failures can be queued per method (e.g. 429 with retry_after) to test the client's handling.
 */
export class FakeTelegram {
  readonly messages: SentMessage[] = [];
  readonly calls: string[] = [];
  #app: FastifyInstance;
  #updates: Array<{ update_id: number; message: unknown }> = [];
  #nextUpdateId = 1;
  #nextMessageId = 1;
  #waiters: Waiter[] = [];
  #messageWaiters: Array<{ n: number; resolve: () => void }> = [];
  #failures = new Map<string, Array<{ code: number; retryAfter?: number }>>();
  #url = '';

  /** `clock` dates the messages (Telegram's `date`, epoch seconds). */
  constructor(
    private readonly clock: Clock,
    readonly token: string = FAKE_BOT_TOKEN,
  ) {
    this.#app = Fastify();
    // grammY posts JSON; accept an empty body as {} as Telegram does.
    this.#app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, body === '' ? {} : JSON.parse(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
    this.#app.all('/*', async (req, reply) => {
      const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url.split('?')[0]!);
      if (!m) return reply.code(404).send({ ok: false, error_code: 404, description: 'Not Found' });
      if (decodeURIComponent(m[1]!) !== this.token) {
        return reply.code(401).send({ ok: false, error_code: 401, description: 'Unauthorized' });
      }
      const method = m[2]!;
      this.calls.push(method);
      const failure = this.#failures.get(method)?.shift();
      if (failure) {
        return reply.code(failure.code).send({
          ok: false,
          error_code: failure.code,
          description:
            failure.code === 429 ? `Too Many Requests: retry after ${failure.retryAfter}` : 'Failure',
          ...(failure.retryAfter !== undefined ? { parameters: { retry_after: failure.retryAfter } } : {}),
        });
      }
      const p = (req.body ?? {}) as Record<string, unknown>;
      switch (method) {
        case 'getMe':
          return ok({
            id: 999,
            is_bot: true,
            first_name: 'TOMIC',
            username: FAKE_BOT_USERNAME,
            can_join_groups: true,
            can_read_all_group_messages: false,
            supports_inline_queries: false,
          });
        case 'deleteWebhook':
          return ok(true);
        case 'sendMessage': {
          const msg = { chat_id: String(p.chat_id), text: String(p.text) };
          this.messages.push(msg);
          this.#messageWaiters = this.#messageWaiters.filter((w) => {
            if (this.messages.length < w.n) return true;
            w.resolve();
            return false;
          });
          return ok({
            message_id: this.#nextMessageId++,
            date: Math.floor(this.clock.wallMs() / 1_000),
            chat: { id: Number(p.chat_id), type: 'private' },
            text: msg.text,
          });
        }
        case 'getUpdates':
          return this.#getUpdates(p, reply);
        default:
          return reply
            .code(404)
            .send({ ok: false, error_code: 404, description: 'Not Found: method not found' });
      }
    });
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<string> {
    await this.#app.listen({ host: '127.0.0.1', port: 0 });
    const addr = this.#app.server.address() as { port: number };
    this.#url = `http://127.0.0.1:${addr.port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    for (const w of this.#waiters.splice(0)) {
      w.reply.send({ ok: true, result: [] });
      w.resolve();
    }
    await this.#app.close();
  }

  /** The next `count` calls of `method` fail with `code` (and retry_after seconds for 429). */
  failNext(method: string, code: number, count = 1, retryAfter?: number): void {
    const list = this.#failures.get(method) ?? [];
    for (let i = 0; i < count; i++) list.push(retryAfter === undefined ? { code } : { code, retryAfter });
    this.#failures.set(method, list);
  }

  /** A user writes to the bot; `date` (epoch seconds, Telegram's unit) defaults to the clock's now. */
  pushMessage(
    chatId: number,
    text: string,
    opts: { fromId?: number; username?: string; date?: number } = {},
  ): void {
    const entities = text.startsWith('/')
      ? [{ type: 'bot_command', offset: 0, length: text.split(/\s/)[0]!.length }]
      : undefined;
    this.#updates.push({
      update_id: this.#nextUpdateId++,
      message: {
        message_id: this.#nextMessageId++,
        date: opts.date ?? Math.floor(this.clock.wallMs() / 1_000),
        chat: { id: chatId, type: 'private' },
        from: {
          id: opts.fromId ?? chatId,
          is_bot: false,
          first_name: 'Op',
          username: opts.username ?? 'operator',
        },
        text,
        ...(entities ? { entities } : {}),
      },
    });
    for (const w of this.#waiters.splice(0)) {
      this.#answerUpdates(w.offset, w.reply);
      w.resolve();
    }
  }

  /** Resolves once `n` messages in total have been sent to the fake. */
  waitForMessages(n: number): Promise<void> {
    if (this.messages.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#messageWaiters.push({ n, resolve }));
  }

  /** Updates not yet confirmed by an offset. */
  get unconfirmed(): number {
    return this.#updates.length;
  }

  /** Long polls currently held open. */
  get heldPolls(): number {
    return this.#waiters.length;
  }

  #getUpdates(p: Record<string, unknown>, reply: FastifyReply): Promise<void> | undefined {
    const offset = typeof p.offset === 'number' ? p.offset : 0;
    this.#updates = this.#updates.filter((u) => u.update_id >= offset);
    if (this.#updates.length > 0 || !p.timeout) {
      this.#answerUpdates(offset, reply);
      return undefined;
    }
    // Hold the request like Telegram does, until an update arrives or the client goes away (an
    // aborted poll). Telegram would also answer [] after `timeout` s; no test waits that long.
    return new Promise<void>((resolve) => {
      const w: Waiter = { offset, reply, resolve };
      this.#waiters.push(w);
      reply.raw.on('close', () => {
        if (!this.#waiters.includes(w)) return;
        this.#waiters = this.#waiters.filter((x) => x !== w);
        resolve();
      });
    });
  }

  #answerUpdates(offset: number, reply: FastifyReply): void {
    reply.send({ ok: true, result: this.#updates.filter((u) => u.update_id >= offset) });
  }
}

function ok(result: unknown) {
  return { ok: true, result };
}
