/** Recorded market data (/work/shared/data, see SOURCES.md) replayed through the RegimeEngine. */
import { readFileSync } from 'node:fs';
import {
  aggregateBars,
  type EngineParams,
  type OhlcBar,
  RegimeEngine,
} from '../../../src/agents/regime/index.js';
import type { RegimeUpdateInput } from '../../../src/store/regime-state.js';

export const DATA_DIR = '/work/shared/data';
const IST_OFFSET_MS = 5.5 * 3_600_000;

/** Intraday CSV (`timestamp_ist,symbol,open,high,low,close,…`): bars with epoch-ms starts, oldest first. */
export function readIntraday(name: string): OhlcBar[] {
  const lines = readFileSync(`${DATA_DIR}/${name}`, 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const f = l.split(',');
    return {
      timeMs: Date.parse(f[0]!.replace(' ', 'T')),
      open: Number(f[2]),
      high: Number(f[3]),
      low: Number(f[4]),
      close: Number(f[5]),
    };
  });
}

/** Daily CSV (`date,open,high,low,close,…`): date → close. */
export function readDailyClose(name: string): Map<string, number> {
  const lines = readFileSync(`${DATA_DIR}/${name}`, 'utf8').trim().split('\n').slice(1);
  return new Map(lines.map((l) => [l.split(',')[0]!, Number(l.split(',')[4])]));
}

export const istDay = (ms: number): string => new Date(ms + IST_OFFSET_MS).toISOString().slice(0, 10);
export const istTime = (ms: number): string => new Date(ms + IST_OFFSET_MS).toISOString().slice(5, 16);

export interface Evaluated {
  readonly bar: OhlcBar;
  readonly update: RegimeUpdateInput | null;
}

/**
 * Replays bars through an engine. The test's monotonic axis is the bar's epoch ms (replay has no other
 * clock); each bar is evaluated at its end. `vixAt(bar)` lists the VIX readings (value, time) known
 * by the bar's end that were not fed before.
 */
export function replay(
  bars: readonly OhlcBar[],
  intervalMs: number,
  params: EngineParams,
  vixAt: (bar: OhlcBar) => ReadonlyArray<readonly [number, number]>,
): Evaluated[] {
  const e = new RegimeEngine('X', params);
  return bars.map((bar) => {
    for (const [v, t] of vixAt(bar)) e.onVix(v, t);
    e.onBar({ ...bar, startMs: bar.timeMs });
    return { bar, update: e.evaluate(bar.timeMs + intervalMs) };
  });
}

export interface Summary {
  readonly counts: Record<string, number>;
  readonly transitions: string[];
  readonly flagCounts: Record<string, number>;
}

export function summarise(rows: readonly Evaluated[], firstN: number): Summary {
  const counts: Record<string, number> = {};
  const flagCounts: Record<string, number> = {};
  const transitions: string[] = [];
  let prev: string | null = null;
  for (const { bar, update } of rows) {
    if (update === null) continue;
    counts[update.regime] = (counts[update.regime] ?? 0) + 1;
    for (const f of update.flags) flagCounts[f] = (flagCounts[f] ?? 0) + 1;
    if (update.regime !== prev) {
      if (transitions.length < firstN) transitions.push(`${istTime(bar.timeMs)} ${update.regime}`);
      prev = update.regime;
    }
  }
  return { counts, transitions, flagCounts };
}

/** BankNifty 1-minute bars aggregated to `intervalMs`, with the 1-minute VIX readings per bar. */
export function bankniftyWithVix(intervalMs: number): {
  bars: OhlcBar[];
  vixAt: (bar: OhlcBar) => ReadonlyArray<readonly [number, number]>;
} {
  const oneMin = readIntraday('banknifty_1min_2023-04_2023-06.csv');
  const vix = readIntraday('india_vix_1min_2023-04_2023-06.csv');
  // Each 1-minute VIX close is known at the end of its minute.
  const byStart = new Map(vix.map((v) => [v.timeMs, v.close]));
  return {
    bars: aggregateBars(oneMin, intervalMs),
    vixAt: (bar) => {
      const out: Array<readonly [number, number]> = [];
      for (let t = bar.timeMs; t < bar.timeMs + intervalMs; t += 60_000) {
        const v = byStart.get(t);
        if (v !== undefined) out.push([v, t + 60_000]);
      }
      return out;
    },
  };
}

export { aggregateBars };
