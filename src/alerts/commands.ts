/** Telegram commands TOMIC obeys (Runbooks: "System_Pause = True (via /tomic/pause or Telegram)"). */
export const TELEGRAM_COMMANDS = ['status', 'pause', 'resume', 'kill', 'help'] as const;
export type TelegramCommand = (typeof TELEGRAM_COMMANDS)[number];

export interface ParsedCommand {
  /** Lower-case name without the slash, e.g. `pause`; may be one we do not know. */
  readonly name: string;
  /** Text after the command (a reason), trimmed. */
  readonly args: string;
}

export const HELP_TEXT = [
  'TOMIC commands:',
  '/status — trading state, agents, feed, breakers',
  '/pause [reason] — stop new entries',
  '/resume — leave a pause or a kill switch',
  '/kill [reason] — kill switch: halt, cancel open orders',
].join('\n');

/**
 * `/pause feed looks wrong` → { name: 'pause', args: 'feed looks wrong' }. In groups Telegram
 * appends the bot name (`/kill@tomic_bot`): a command addressed to another bot is not ours (null).
 */
export function parseCommand(
  text: string | undefined,
  botUsername: string | undefined,
): ParsedCommand | null {
  if (!text?.startsWith('/')) return null;
  const m = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m) return null;
  const target = m[2];
  if (
    target !== undefined &&
    (botUsername === undefined || target.toLowerCase() !== botUsername.toLowerCase())
  ) {
    return null;
  }
  return { name: m[1]!.toLowerCase(), args: (m[3] ?? '').trim() };
}

export function isKnownCommand(name: string): name is TelegramCommand {
  return (TELEGRAM_COMMANDS as readonly string[]).includes(name);
}
