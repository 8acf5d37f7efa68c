import { Bot, GrammyError, HttpError } from 'grammy';
import type { Update } from 'grammy/types';
import type { Clock } from '../clock/index.js';
import type { Logger } from '../log/index.js';

export interface TelegramChannelOptions {
  readonly token: string;
  /** Bot API root, e.g. https://api.telegram.org or a local fake server in tests. */
  readonly apiRoot: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** getUpdates long-poll duration (Telegram holds the request open up to this long). */
  readonly pollTimeoutS?: number;
}

const DEFAULT_POLL_TIMEOUT_S = 30;
// Attempts per message: the first try and two retries (429 honours retry_after, capped).
const SEND_ATTEMPTS = 3;
const MAX_RETRY_AFTER_MS = 60_000;
const NETWORK_RETRY_MS = 2_000;
const POLL_BACKOFF_MIN_MS = 1_000;
const POLL_BACKOFF_MAX_MS = 30_000;
// Added to the long-poll duration: the HTTP call must outlive Telegram holding it open.
const CLIENT_TIMEOUT_MARGIN_S = 15;

/** grammY's Node typings name the abort-controller polyfill's AbortSignal; the native one works the same. */
type GrammySignal = Parameters<Bot['api']['getMe']>[0];
const sig = (s: AbortSignal | undefined) => s as unknown as GrammySignal;

/**
 * The Telegram Bot API through grammY, with the polling loop our own: abortable with an
 * AbortSignal, back-off on the injected clock, and a clear line between fatal errors (bad token:
 * stop) and transient ones (network, 409, 5xx: wait and retry).
 */
export class TelegramChannel {
  readonly bot: Bot;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #pollTimeoutS: number;
  #username: string | undefined;

  constructor(opts: TelegramChannelOptions) {
    this.#clock = opts.clock;
    this.#log = opts.logger;
    this.#pollTimeoutS = opts.pollTimeoutS ?? DEFAULT_POLL_TIMEOUT_S;
    this.bot = new Bot(opts.token, {
      client: {
        // grammY refuses a trailing slash.
        apiRoot: opts.apiRoot.replace(/\/+$/, ''),
        timeoutSeconds: this.#pollTimeoutS + CLIENT_TIMEOUT_MARGIN_S,
      },
    });
  }

  /** The bot's @username once `init` ran (commands may be addressed `/status@name`). */
  get username(): string | undefined {
    return this.#username;
  }

  /** getMe; then deleteWebhook, without which getUpdates is refused. */
  async init(signal?: AbortSignal): Promise<void> {
    await this.bot.init(sig(signal));
    this.#username = this.bot.botInfo.username;
    await this.bot.api.deleteWebhook({ drop_pending_updates: false }, sig(signal));
  }

  /** Sends one message; true when Telegram accepted it. Never throws. */
  async send(chatId: string, text: string, signal?: AbortSignal): Promise<boolean> {
    for (let attempt = 1; attempt <= SEND_ATTEMPTS; attempt++) {
      try {
        await this.bot.api.sendMessage(
          chatId,
          text,
          { link_preview_options: { is_disabled: true } },
          sig(signal),
        );
        return true;
      } catch (err) {
        const wait = retryDelay(err);
        if (wait === null || attempt === SEND_ATTEMPTS || signal?.aborted) {
          this.#log.error({ err: describe(err), chat_id: chatId, attempt }, 'telegram send failed');
          return false;
        }
        try {
          await this.#clock.sleep(wait, signal);
        } catch {
          return false;
        }
      }
    }
    return false;
  }

  /**
   * Long-polls getUpdates until `signal` aborts, handing each update to `onUpdate` in order and
   * confirming it (offset) only after the handler returned. Resolves when stopped.
   */
  async poll(signal: AbortSignal, onUpdate: (u: Update) => Promise<void>): Promise<void> {
    let offset: number | undefined;
    let backoff = POLL_BACKOFF_MIN_MS;
    while (!signal.aborted) {
      let updates: Update[];
      try {
        updates = await this.bot.api.getUpdates(
          {
            ...(offset !== undefined ? { offset } : {}),
            timeout: this.#pollTimeoutS,
            allowed_updates: ['message'],
          },
          sig(signal),
        );
        backoff = POLL_BACKOFF_MIN_MS;
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof GrammyError && (err.error_code === 401 || err.error_code === 404)) {
          this.#log.error({ err: describe(err) }, 'telegram polling stopped: the bot token is refused');
          return;
        }
        this.#log.warn({ err: describe(err), retry_ms: backoff }, 'telegram getUpdates failed; retrying');
        try {
          await this.#clock.sleep(backoff, signal);
        } catch {
          break;
        }
        backoff = Math.min(backoff * 2, POLL_BACKOFF_MAX_MS);
        continue;
      }
      for (const u of updates) {
        if (signal.aborted) break;
        try {
          await onUpdate(u);
        } catch (err) {
          this.#log.error({ err, update_id: u.update_id }, 'telegram update handler failed');
        }
        offset = u.update_id + 1;
      }
    }
  }
}

/** ms to wait before retrying a failed send, or null when retrying cannot help. */
function retryDelay(err: unknown): number | null {
  if (err instanceof GrammyError) {
    if (err.error_code === 429) {
      return Math.min((err.parameters.retry_after ?? 1) * 1_000, MAX_RETRY_AFTER_MS);
    }
    return err.error_code >= 500 ? NETWORK_RETRY_MS : null;
  }
  return err instanceof HttpError ? NETWORK_RETRY_MS : null;
}

function describe(err: unknown): Record<string, unknown> {
  if (err instanceof GrammyError) return { kind: 'api', code: err.error_code, description: err.description };
  if (err instanceof HttpError) return { kind: 'network', message: err.message };
  return { kind: 'other', message: err instanceof Error ? err.message : String(err) };
}
