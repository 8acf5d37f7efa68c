import { createRng, type Rng } from '../clock/index.js';
import { barPath, bridge, type Ohlc } from './bridge.js';
import type { TradingCalendar } from './calendar.js';
import type { Bar, SimData } from './data-files.js';
import { keyedRng } from './hash.js';
import { MINUTE_MS } from './ist.js';

/**
 * Where the simulated market's driver prices come from. Drivers are the instruments with their own
 * price process (NIFTY, BANKNIFTY, INDIAVIX, the stocks); futures and options are priced from them.
 * The engine samples every driver on a fixed time grid (session open + k × tick interval), one
 * session after another, so the sequence of prices depends only on the seed and the grid — never on
 * how often or how irregularly the engine is stepped.
 */
export interface MarketSource {
  readonly kind: 'replay' | 'generator';
  /** Driver symbols, in the order `sample` writes them. */
  readonly drivers: readonly string[];
  /** First session date. */
  readonly startDate: string;
  /** Starts `date`'s session (dates strictly ascending). */
  beginSession(date: string): void;
  /** Close of the previous session, per driver (valid after `beginSession`). */
  prevClose(driver: number): number;
  /** Driver prices at grid time `t` of the current session (t non-decreasing). */
  sample(t: number, out: Float64Array): void;
  /** Recorded bars before the start, for `/history` (replay only). */
  pastDaily(symbol: string): readonly Bar[];
  pastIntraday(symbol: string): readonly Bar[];
}

const SESSION_MINUTES = 375;
/** Fallback prices when the data folder is absent (close of 2025-08-29, rounded). */
const FALLBACK_PRICE: Record<string, number> = {
  NIFTY: 24_430,
  BANKNIFTY: 53_650,
  INDIAVIX: 12,
  RELIANCE: 1_360,
  HDFCBANK: 950,
  ICICIBANK: 1_400,
  INFY: 1_470,
  TCS: 3_080,
  SBIN: 800,
  AXISBANK: 1_050,
  KOTAKBANK: 1_950,
  LT: 3_580,
  ITC: 410,
  BHARTIARTL: 1_880,
  HINDUNILVR: 2_600,
  BAJFINANCE: 880,
  MARUTI: 14_000,
  TATASTEEL: 155,
  SUNPHARMA: 1_600,
};
export const DEFAULT_EQUITIES = Object.keys(FALLBACK_PRICE).filter(
  (s) => s !== 'NIFTY' && s !== 'BANKNIFTY' && s !== 'INDIAVIX',
);

function fallbackPrice(symbol: string): number {
  return FALLBACK_PRICE[symbol] ?? 1_000;
}

/** Recorded daily bars of `symbol` before `before` (YYYY-MM-DD). */
export function recordedDaily(data: SimData | undefined, symbol: string, before: string): Bar[] {
  const s = data?.daily.get(symbol);
  if (!s) return [];
  return s.dates.filter((d) => d < before).map((d) => s.byDate.get(d)!);
}

/** Recorded 1-minute bars of `symbol` on dates before `before`. */
export function recordedMinutes(data: SimData | undefined, symbol: string, before: string): Bar[] {
  const series = data?.intraday.get(symbol)?.find((s) => s.intervalMs === MINUTE_MS);
  if (!series) return [];
  const out: Bar[] = [];
  for (const [date, bars] of [...series.byDate.entries()].sort((a, b) => a[0].localeCompare(b[0])))
    if (date < before) out.push(...bars);
  return out;
}

type DayPlan =
  | { kind: 'bars'; bars: readonly Bar[]; intervalMs: number }
  | { kind: 'minutes'; bar: Ohlc; points: Float64Array };

interface Segment {
  start: number;
  end: number;
  path: Float64Array;
}

/**
 * Replay of the recorded series: for each driver and day the finest recording that covers the day
 * (1-minute, then 5-minute bars, then the daily bar expanded to a minute path through O→H/L→C);
 * between recorded points, seeded Brownian bridges at tick resolution. Days the folder lacks for a
 * driver are synthesised from its previous close with a seeded daily bar (and said so in `coverage`).
 */
export class ReplaySource implements MarketSource {
  readonly kind = 'replay' as const;
  readonly drivers: readonly string[];
  readonly startDate: string;
  readonly #data: SimData;
  readonly #calendar: TradingCalendar;
  readonly #seed: number;
  readonly #tickMs: number;
  #date = '';
  #open = 0;
  readonly #plans: (DayPlan | undefined)[];
  readonly #segments: (Segment | undefined)[];
  readonly #prev: number[];
  readonly #synthetic = new Map<string, Ohlc>();
  /** Per driver and session: which recording fed it (for the operator and tests). */
  readonly coverage = new Map<string, string>();

  constructor(opts: {
    data: SimData;
    calendar: TradingCalendar;
    seed: number;
    drivers: readonly string[];
    tickIntervalMs: number;
    startDate: string;
  }) {
    this.#data = opts.data;
    this.#calendar = opts.calendar;
    this.#seed = opts.seed;
    this.drivers = opts.drivers;
    this.#tickMs = opts.tickIntervalMs;
    this.startDate = opts.calendar.onOrAfter(opts.startDate);
    this.#plans = opts.drivers.map(() => undefined);
    this.#segments = opts.drivers.map(() => undefined);
    this.#prev = opts.drivers.map(() => Number.NaN);
  }

  beginSession(date: string): void {
    this.#date = date;
    this.#open = this.#calendar.sessionOpenMs(date);
    this.drivers.forEach((sym, i) => {
      this.#plans[i] = this.#plan(sym, date, i);
      this.#segments[i] = undefined;
      this.#prev[i] = this.#closeOf(sym, this.#calendar.previous(date), 0);
    });
  }

  prevClose(driver: number): number {
    return this.#prev[driver]!;
  }

  #intradayBars(sym: string, date: string): { bars: readonly Bar[]; intervalMs: number } | undefined {
    for (const s of this.#data.intraday.get(sym) ?? []) {
      const bars = s.byDate.get(date);
      if (bars && bars.length > 0) return { bars, intervalMs: s.intervalMs };
    }
    return undefined;
  }

  /** The day's bar: recorded daily, else the day's intraday bars, else synthesised. */
  #dayBar(sym: string, date: string, depth: number): Ohlc {
    const d = this.#data.daily.get(sym)?.byDate.get(date);
    if (d) return d;
    const intra = this.#intradayBars(sym, date);
    if (intra) {
      const b = intra.bars;
      return {
        o: b[0]!.o,
        h: Math.max(...b.map((x) => x.h)),
        l: Math.min(...b.map((x) => x.l)),
        c: b.at(-1)!.c,
      };
    }
    const key = `${sym}|${date}`;
    const hit = this.#synthetic.get(key);
    if (hit) return hit;
    const prev =
      depth > 400 ? fallbackPrice(sym) : this.#closeOf(sym, this.#calendar.previous(date), depth + 1);
    const rng = keyedRng(this.#seed, 'synthetic-day', sym, date);
    const dailyVol = sym === 'INDIAVIX' ? 0.04 : sym === 'NIFTY' || sym === 'BANKNIFTY' ? 0.009 : 0.014;
    const o = prev * (1 + 0.3 * dailyVol * rng.normal());
    const c = o * (1 + dailyVol * rng.normal());
    const bar = {
      o,
      c,
      h: Math.max(o, c) * (1 + Math.abs(0.5 * dailyVol * rng.normal())),
      l: Math.min(o, c) * (1 - Math.abs(0.5 * dailyVol * rng.normal())),
    };
    this.#synthetic.set(key, bar);
    return bar;
  }

  #closeOf(sym: string, date: string, depth: number): number {
    const first = this.#firstDataDate(sym);
    if (first === undefined || date < first) {
      // Before the recording starts: walk forward is impossible, so anchor on the first recorded open.
      if (first === undefined) return fallbackPrice(sym);
      return this.#dayBar(sym, first, depth).o;
    }
    return this.#dayBar(sym, date, depth).c;
  }

  #firstDataDate(sym: string): string | undefined {
    const daily = this.#data.daily.get(sym)?.dates[0];
    const intra = (this.#data.intraday.get(sym) ?? []).map((s) => [...s.byDate.keys()].sort()[0]);
    return [daily, ...intra].filter((d): d is string => d !== undefined).sort()[0];
  }

  #plan(sym: string, date: string, i: number): DayPlan {
    const intra = this.#intradayBars(sym, date);
    if (intra) {
      this.coverage.set(sym, `${date}: ${intra.intervalMs / MINUTE_MS}-minute bars`);
      return { kind: 'bars', ...intra };
    }
    const bar = this.#dayBar(sym, date, 0);
    const recorded = this.#data.daily.get(sym)?.byDate.has(date) === true;
    this.coverage.set(sym, `${date}: ${recorded ? 'daily bar' : 'synthesised daily bar (no recording)'}`);
    const points = barPath(bar, SESSION_MINUTES + 1, keyedRng(this.#seed, 'day-path', sym, date, i));
    return { kind: 'minutes', bar, points };
  }

  sample(t: number, out: Float64Array): void {
    for (let i = 0; i < this.drivers.length; i++) out[i] = this.#priceAt(i, t);
  }

  #priceAt(i: number, t: number): number {
    let seg = this.#segments[i];
    if (!seg || t < seg.start || t >= seg.end) {
      seg = this.#segment(i, t);
      this.#segments[i] = seg;
    }
    const k = Math.floor((t - seg.start) / this.#tickMs);
    return seg.path[Math.min(Math.max(k, 0), seg.path.length - 1)]!;
  }

  #segment(i: number, t: number): Segment {
    const plan = this.#plans[i]!;
    const sym = this.drivers[i]!;
    if (plan.kind === 'bars') {
      const { bars, intervalMs } = plan;
      // Last bar starting at or before t (bars are sorted; gaps hold the previous close).
      let lo = 0;
      let hi = bars.length - 1;
      if (t < bars[0]!.t) return { start: this.#open, end: bars[0]!.t, path: Float64Array.of(bars[0]!.o) };
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (bars[mid]!.t <= t) lo = mid;
        else hi = mid - 1;
      }
      const bar = bars[lo]!;
      const end = bar.t + intervalMs;
      if (t >= end) {
        const next = bars[lo + 1]?.t ?? Number.POSITIVE_INFINITY;
        return { start: end, end: next, path: Float64Array.of(bar.c) };
      }
      const n = Math.max(1, Math.ceil(intervalMs / this.#tickMs));
      return { start: bar.t, end, path: barPath(bar, n, keyedRng(this.#seed, 'bar', sym, bar.t)) };
    }
    const minute = Math.min(SESSION_MINUTES - 1, Math.max(0, Math.floor((t - this.#open) / MINUTE_MS)));
    const start = this.#open + minute * MINUTE_MS;
    const n = Math.max(1, Math.ceil(MINUTE_MS / this.#tickMs));
    const a = plan.points[minute]!;
    const b = plan.points[minute + 1]!;
    const sigma = (plan.bar.h - plan.bar.l) / (2 * Math.sqrt(SESSION_MINUTES * n));
    const rng = keyedRng(this.#seed, 'minute', sym, start);
    const path = bridge(a, b, n, sigma, plan.bar.l, plan.bar.h, rng).subarray(0, n);
    return { start, end: start + MINUTE_MS, path };
  }

  pastDaily(symbol: string): readonly Bar[] {
    return recordedDaily(this.#data, symbol, this.startDate);
  }

  pastIntraday(symbol: string): readonly Bar[] {
    return recordedMinutes(this.#data, symbol, this.startDate);
  }

  get date(): string {
    return this.#date;
  }
}

/** Volatility regimes of the generator: annualised index vol and how long they last. */
export const REGIMES = [
  { name: 'calm', vol: 0.1, meanMinutes: 900, jumpsPerDay: 0.2 },
  { name: 'normal', vol: 0.15, meanMinutes: 1_200, jumpsPerDay: 0.4 },
  { name: 'stressed', vol: 0.32, meanMinutes: 400, jumpsPerDay: 2 },
] as const;
const TRADING_YEAR_MS = 252 * SESSION_MINUTES * MINUTE_MS;
const SESSION_MS = SESSION_MINUTES * MINUTE_MS;
/** Index jump size (stdev of a log return), overnight gap stdev. */
const JUMP_SIZE = 0.006;
const OVERNIGHT_GAP = 0.004;
const BANKNIFTY_VOL_RATIO = 1.3;
const BANKNIFTY_CORRELATION = 0.8;
const EQUITY_IDIO_VOL = 0.2;
/** VIX mean reversion per trading day, and its reaction to index returns (leverage effect). */
const VIX_REVERSION_PER_DAY = 3;
const VIX_RETURN_BETA = -250;

/**
 * Seeded synthetic market for soak and chaos tests: a three-state Markov chain of volatility regimes
 * (calm, normal, stressed), log-normal index moves with Poisson jumps, BANKNIFTY correlated with
 * NIFTY, stocks as beta × index + idiosyncratic noise, and India VIX mean-reverting towards the
 * regime's vol while reacting against index returns.
 */
export class GeneratorSource implements MarketSource {
  readonly kind = 'generator' as const;
  readonly drivers: readonly string[];
  readonly startDate: string;
  readonly #rng: Rng;
  readonly #tickMs: number;
  readonly #seed: number;
  readonly #price: Float64Array;
  readonly #prev: Float64Array;
  readonly #beta: Float64Array;
  #regime = 1;
  #vix: number;
  #lastT = Number.NaN;
  #sessions = 0;
  readonly #iNifty: number;
  readonly #iBank: number;
  readonly #iVix: number;
  readonly #data: SimData | undefined;

  constructor(opts: {
    seed: number;
    drivers: readonly string[];
    tickIntervalMs: number;
    startDate: string;
    initial: (symbol: string) => number | undefined;
    /** Real history before the start, served by `/history` (optional). */
    data?: SimData;
  }) {
    this.#data = opts.data;
    this.drivers = opts.drivers;
    this.startDate = opts.startDate;
    this.#seed = opts.seed;
    this.#rng = createRng(opts.seed);
    this.#tickMs = opts.tickIntervalMs;
    this.#price = Float64Array.from(opts.drivers, (s) => opts.initial(s) ?? fallbackPrice(s));
    this.#prev = Float64Array.from(this.#price);
    this.#beta = Float64Array.from(opts.drivers, (s) => 0.8 + 0.4 * keyedRng(opts.seed, 'beta', s).next());
    this.#iNifty = opts.drivers.indexOf('NIFTY');
    this.#iBank = opts.drivers.indexOf('BANKNIFTY');
    this.#iVix = opts.drivers.indexOf('INDIAVIX');
    this.#vix = this.#iVix >= 0 ? this.#price[this.#iVix]! : REGIMES[1].vol * 100;
  }

  get regime(): string {
    return REGIMES[this.#regime]!.name;
  }

  beginSession(_date: string): void {
    this.#prev.set(this.#price);
    if (this.#sessions++ > 0) {
      // Overnight gap, common to the market, plus a little idiosyncratic noise.
      const g = OVERNIGHT_GAP * this.#rng.normal();
      for (let i = 0; i < this.#price.length; i++) {
        if (i === this.#iVix) continue;
        const idio = i === this.#iNifty ? 0 : 0.3 * OVERNIGHT_GAP * this.#rng.normal();
        this.#price[i] = this.#price[i]! * Math.exp(g * (i === this.#iNifty ? 1 : this.#beta[i]!) + idio);
      }
    }
    this.#lastT = Number.NaN;
  }

  prevClose(driver: number): number {
    return this.#prev[driver]!;
  }

  sample(t: number, out: Float64Array): void {
    if (t !== this.#lastT) {
      if (!Number.isNaN(this.#lastT)) this.#step();
      this.#lastT = t;
    }
    out.set(this.#price);
  }

  #step(): void {
    const rng = this.#rng;
    const dtMin = this.#tickMs / MINUTE_MS;
    const r = REGIMES[this.#regime]!;
    if (rng.chance(dtMin / r.meanMinutes)) {
      // Leave the regime: calm and stressed go to normal or jump across; normal picks a side.
      const u = rng.next();
      this.#regime = this.#regime === 1 ? (u < 0.6 ? 0 : 2) : u < 0.8 ? 1 : 2 - this.#regime;
    }
    const vol = REGIMES[this.#regime]!.vol;
    const dt = this.#tickMs / TRADING_YEAR_MS;
    const sd = vol * Math.sqrt(dt);
    const jumpP = (REGIMES[this.#regime]!.jumpsPerDay * this.#tickMs) / SESSION_MS;
    const jump = rng.chance(jumpP) ? JUMP_SIZE * rng.normal() : 0;
    const eMarket = rng.normal();
    const rMarket = sd * eMarket + jump - 0.5 * sd * sd;
    for (let i = 0; i < this.#price.length; i++) {
      if (i === this.#iVix) continue;
      let ret: number;
      if (i === this.#iNifty) ret = rMarket;
      else if (i === this.#iBank) {
        const e = BANKNIFTY_CORRELATION * eMarket + Math.sqrt(1 - BANKNIFTY_CORRELATION ** 2) * rng.normal();
        ret = BANKNIFTY_VOL_RATIO * (sd * e + jump);
      } else
        ret = this.#beta[i]! * (rMarket + 0.5 * sd * sd) + EQUITY_IDIO_VOL * Math.sqrt(dt) * rng.normal();
      this.#price[i] = this.#price[i]! * Math.exp(ret);
    }
    // VIX: towards the regime's vol (in VIX points), against index returns, never below 8.
    const target = vol * 100 * 0.95;
    const days = this.#tickMs / SESSION_MS;
    this.#vix += VIX_REVERSION_PER_DAY * (target - this.#vix) * days + VIX_RETURN_BETA * (rMarket - 0);
    this.#vix = Math.min(90, Math.max(8, this.#vix + 0.02 * Math.sqrt(this.#tickMs / 1000) * rng.normal()));
    if (this.#iVix >= 0) this.#price[this.#iVix] = this.#vix;
  }

  pastDaily(symbol: string): readonly Bar[] {
    return recordedDaily(this.#data, symbol, this.startDate);
  }

  pastIntraday(symbol: string): readonly Bar[] {
    return recordedMinutes(this.#data, symbol, this.startDate);
  }

  get seed(): number {
    return this.#seed;
  }
}
