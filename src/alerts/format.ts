import type { StatusSnapshot } from '../api/index.js';
import type { AlertLevelName, PayloadOf } from '../contracts/index.js';

export type AlertPayload = PayloadOf<'ALERT'>;

/** Phase 4: the TOMIC prefixes a trader filters on. */
export const ALERT_PREFIX: Readonly<Record<AlertLevelName, string>> = {
  CRITICAL: '[CRITICAL]',
  RISK: '[RISK]',
  SIGNAL: '[SIGNAL]',
  REGIME: '[REGIME]',
  INFO: '[INFO]',
};

/** Higher is more urgent: a batch summary carries the prefix of its most urgent alert. */
export const SEVERITY: Readonly<Record<AlertLevelName, number>> = {
  CRITICAL: 4,
  RISK: 3,
  SIGNAL: 2,
  REGIME: 1,
  INFO: 0,
};

/** Telegram's limit for one message text. */
export const TELEGRAM_MAX_CHARS = 4_096;
const MAX_DETAIL_CHARS = 300;

export function mostSevere(levels: Iterable<AlertLevelName>): AlertLevelName {
  let best: AlertLevelName = 'INFO';
  for (const l of levels) if (SEVERITY[l] > SEVERITY[best]) best = l;
  return best;
}

/** `[RISK] Order reject rate 12.5% > 10% (METRIC_THRESHOLD)` plus a compact line of details. */
export function formatAlert(a: AlertPayload): string {
  const head = `${ALERT_PREFIX[a.level]} ${a.message} (${a.code})`;
  if (!a.details || Object.keys(a.details).length === 0) return clip(head);
  const detail = Object.entries(a.details)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return clip(`${head}\n${detail.slice(0, MAX_DETAIL_CHARS)}`);
}

/** The de-duplication's later note: how often the same alert came again inside the window. */
export function formatRepeat(a: AlertPayload, repeats: number, windowMs: number): string {
  return clip(
    `${ALERT_PREFIX[a.level]} ${a.message} (${a.code}) — repeated ${repeats}× in ${humanMs(windowMs)}`,
  );
}

/** One message for everything the rate limit held back, most urgent prefix first. */
export function formatSummary(
  held: ReadonlyArray<{ level: AlertLevelName; text: string }>,
  maxPerMinute: number,
): string {
  const level = mostSevere(held.map((h) => h.level));
  const head = `${ALERT_PREFIX[level]} ${held.length} alert${held.length === 1 ? '' : 's'} held back (limit ${maxPerMinute}/min):`;
  const lines: string[] = [head];
  let size = head.length;
  for (let i = 0; i < held.length; i++) {
    const line = `• ${held[i]!.text.split('\n')[0]}`;
    const tail = `… and ${held.length - i} more`;
    if (size + line.length + tail.length + 2 > TELEGRAM_MAX_CHARS) {
      lines.push(tail);
      break;
    }
    lines.push(line);
    size += line.length + 1;
  }
  return clip(lines.join('\n'));
}

export function formatStatus(s: StatusSnapshot): string {
  const lines = [
    `TOMIC ${s.version} · ${s.mode} · ${s.orderMode}`,
    `Trading: ${s.tradingState.state}${s.paused ? ' (paused)' : ''} — ${s.tradingState.reason}`,
    `Agents (${s.lifecycle}): ${s.agents.map((a) => `${a.name} ${a.state}${a.restarts ? ` r${a.restarts}` : ''}`).join(', ') || 'none'}`,
    `Feed: ${s.feed.active} (primary ${s.feed.primaryUp ? 'up' : 'down'}, fallback ${s.feed.fallbackUp ? 'up' : 'down'}, failovers today ${s.feed.failoversToday})`,
  ];
  const tripped = s.breakers.filter((b) => b.tripped);
  lines.push(
    tripped.length ? `Breakers tripped: ${tripped.map((b) => b.name).join(', ')}` : 'Breakers: none tripped',
  );
  const stale = s.freshness.filter((f) => f.stale);
  if (stale.length) lines.push(`Stale: ${stale.map((f) => f.symbol).join(', ')}`);
  if (s.pendingApprovals) lines.push(`Awaiting approval: ${s.pendingApprovals}`);
  return clip(lines.join('\n'));
}

function clip(s: string): string {
  return s.length <= TELEGRAM_MAX_CHARS ? s : `${s.slice(0, TELEGRAM_MAX_CHARS - 1)}…`;
}

function humanMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1_000) return `${Math.round(ms / 1_000)} s`;
  return `${ms} ms`;
}
