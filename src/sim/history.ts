import type { Bar } from './data-files.js';
import type { Instrument } from './instruments.js';
import { istDate, istMidnight, MINUTE_MS, parseIsoDate } from './ist.js';
import type { MarketEngine } from './market.js';
import {
  dayVolume,
  forwardPrice,
  openInterest,
  optionValue,
  roundTick,
  strikesFromAtm,
  yearsToExpiry,
} from './pricing.js';
import type { MarketSource } from './sources.js';

/** What our "broker" serves (OpenAlgo `/intervals`, REST.md §7.5). */
export const SUPPORTED_INTERVALS = {
  seconds: [] as string[],
  minutes: ['1m', '3m', '5m', '10m', '15m', '30m'],
  hours: ['1h'],
  days: ['D'],
  weeks: [] as string[],
  months: [] as string[],
};
const INTERVAL_MINUTES: Readonly<Record<string, number>> = {
  '1m': 1,
  '3m': 3,
  '5m': 5,
  '10m': 10,
  '15m': 15,
  '30m': 30,
  '1h': 60,
};
const SESSION_OPEN_OFFSET_MS = (9 * 60 + 15) * MINUTE_MS;

export interface Candle {
  /** Epoch seconds: bar start for intraday, 00:00 UTC of the date for daily (Zerodha's convention). */
  timestamp: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  oi: number;
}

export function isSupportedInterval(interval: string): boolean {
  return interval === 'D' || interval in INTERVAL_MINUTES;
}

/** Buckets aligned to the 09:15 IST open (as OpenAlgo aggregates, SANDBOX.md B.3). */
function aggregate(bars: readonly Bar[], minutes: number): Bar[] {
  if (minutes === 1) return [...bars];
  const size = minutes * MINUTE_MS;
  const out: Bar[] = [];
  let cur: { t: number; o: number; h: number; l: number; c: number; v: number } | undefined;
  for (const b of bars) {
    const open = istMidnight(b.t) + SESSION_OPEN_OFFSET_MS;
    const t = open + Math.floor((b.t - open) / size) * size;
    if (!cur || cur.t !== t) {
      if (cur) out.push(cur);
      cur = { t, o: b.o, h: b.h, l: b.l, c: b.c, v: b.v };
    } else {
      cur.h = Math.max(cur.h, b.h);
      cur.l = Math.min(cur.l, b.l);
      cur.c = b.c;
      cur.v += b.v;
    }
  }
  if (cur) out.push(cur);
  return out;
}

function dailyEpochSeconds(istMidnightMs: number): number {
  const d = istDate(istMidnightMs);
  const [y, m, dd] = d.split('-').map(Number);
  return Date.UTC(y!, m! - 1, dd!) / 1000;
}

function driverBars(market: MarketEngine, source: MarketSource, symbol: string, interval: string): Bar[] {
  const start = market.sessionOpenMs();
  if (interval === 'D') {
    const sim = market.dailyBars(symbol);
    const firstSim = sim[0]?.t ?? Number.POSITIVE_INFINITY;
    return [...source.pastDaily(symbol).filter((b) => b.t < firstSim), ...sim];
  }
  const sim = market.minuteBars(symbol);
  const firstSim = sim[0]?.t ?? start;
  const past = source.pastIntraday(symbol).filter((b) => b.t < firstSim);
  return aggregate([...past, ...sim], INTERVAL_MINUTES[interval]!);
}

/**
 * Candles for `/history`: recorded bars before the simulation started (replay data) followed by the
 * bars the simulation produced, never past the market's "now". Futures and options are priced from
 * their underlying's bars (monotone in the underlying, so the underlying's high and low map to the
 * contract's extremes).
 */
export function historyCandles(
  market: MarketEngine,
  source: MarketSource,
  inst: Instrument,
  interval: string,
  startDate: string,
  endDate: string,
): Candle[] {
  const from = parseIsoDate(startDate) ?? 0;
  const to = (parseIsoDate(endDate) ?? 0) + 86_400_000;
  const now = market.now();
  const daily = interval === 'D';
  const inRange = (b: Bar) => b.t >= from && b.t < to && b.t <= now;
  if (inst.kind === 'index' || inst.kind === 'equity') {
    return driverBars(market, source, inst.symbol, interval)
      .filter(inRange)
      .map((b) => ({
        timestamp: daily ? dailyEpochSeconds(b.t) : Math.floor(b.t / 1000),
        open: b.o,
        high: b.h,
        low: b.l,
        close: b.c,
        volume: b.v,
        oi: 0,
      }));
  }
  const vixBars = driverBars(market, source, 'INDIAVIX', interval);
  const vixAt = new Map(vixBars.map((b) => [b.t, b.c]));
  const currentVix = market.vix();
  const span = daily ? 6.25 * 60 * MINUTE_MS : (INTERVAL_MINUTES[interval] ?? 1) * MINUTE_MS;
  const out: Candle[] = [];
  for (const b of driverBars(market, source, inst.name, interval)) {
    if (!inRange(b)) continue;
    const tOpen = daily ? b.t + SESSION_OPEN_OFFSET_MS : b.t;
    const tClose = Math.min(tOpen + span, now);
    if (inst.expiryMs !== undefined && tOpen >= inst.expiryMs) continue;
    const vix = vixAt.get(b.t) ?? currentVix;
    const price = (s: number, t: number) =>
      inst.kind === 'future'
        ? roundTick(forwardPrice(s, yearsToExpiry(inst, t)), inst.tickSize)
        : Math.max(inst.tickSize, roundTick(optionValue(inst, s, vix, t).price, inst.tickSize));
    const o = price(b.o, tOpen);
    const c = price(b.c, tClose);
    const x = price(b.h, tClose);
    const y = price(b.l, tClose);
    const away = inst.kind === 'option' ? strikesFromAtm(inst, b.c) : 0;
    const frac = (t: number) =>
      Math.min(1, Math.max(0, (t - (istMidnight(t) + SESSION_OPEN_OFFSET_MS)) / (375 * MINUTE_MS)));
    const volume = daily
      ? dayVolume(0, inst, away, 1)
      : dayVolume(0, inst, away, frac(tClose)) - dayVolume(0, inst, away, frac(tOpen));
    out.push({
      timestamp: daily ? dailyEpochSeconds(b.t) : Math.floor(b.t / 1000),
      open: o,
      high: Math.max(o, c, x, y),
      low: Math.min(o, c, x, y),
      close: c,
      volume: Math.max(0, volume),
      oi: openInterest(0, inst, away, tClose, frac(tClose)),
    });
  }
  return out;
}
