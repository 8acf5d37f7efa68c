import { VirtualClock } from '../../../src/clock/index.js';
import { type EventOf, makeEvent, type TomicEvent } from '../../../src/contracts/index.js';

const clock = new VirtualClock();

/** A HEARTBEAT whose `seq` identifies it. */
export function heartbeat(seq: number, agent: 'regime' | 'sniper' = 'regime'): EventOf<'HEARTBEAT'> {
  return makeEvent(
    clock,
    'HEARTBEAT',
    { source_agent: agent },
    { agent, pid: 4242, seq, uptime_ms: seq * 10, status: 'RUNNING' },
  );
}

/** An ALERT whose message is `alert <n>`. */
export function alert(n: number): EventOf<'ALERT'> {
  return makeEvent(
    clock,
    'ALERT',
    { source_agent: 'supervisor' },
    { level: 'INFO', code: 'MALFORMED_MESSAGE', message: `alert ${n}` },
  );
}

export function regime(version: number): EventOf<'REGIME_UPDATE'> {
  return makeEvent(
    clock,
    'REGIME_UPDATE',
    { source_agent: 'regime' },
    {
      version,
      underlying: 'NIFTY',
      regime: 'BULLISH',
      score: 0.5,
      vix: 14.2,
      flags: [],
      indicators: { ema: 24_100.5, note: 'x', missing: null },
    },
  );
}

export const seqOf = (e: TomicEvent): number => (e.event_type === 'HEARTBEAT' ? e.payload.seq : -1);

/**
 * Polls until `cond` holds; fails with `what` after a generous bound. Real time is only a bound on
 * failure here: no test asserts anything about speed.
 */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const step = 5;
  for (let waited = 0; !cond(); waited += step) {
    if (waited >= timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, step));
  }
}
