import type { SimData } from './data-files.js';
import { DAY_MS, istDate, istEpoch, istParts, parseIsoDate } from './ist.js';

/** NSE cash and F&O continuous session, IST minutes since midnight. */
export const SESSION_OPEN_MIN = 9 * 60 + 15;
export const SESSION_CLOSE_MIN = 15 * 60 + 30;
/** MIS square-off for NSE/NFO in the OpenAlgo sandbox (SANDBOX.md A.2 `nse_bse_square_off_time`). */
export const MIS_SQUARE_OFF_MIN = 15 * 60 + 15;
/** Before this (IST) MIS orders are refused too ("Trading resumes at 09:00 AM IST"). */
export const MIS_RESUME_MIN = 9 * 60;

/**
 * Index derivatives expiry rules (NSE circulars, as reflected in the data's futures expiries):
 * NIFTY weeklies expire on Thursdays until the move to Tuesday on 2025-09-01; BANKNIFTY weeklies
 * expired on Thursdays, on Wednesdays from 2023-09-04, and were discontinued after 2024-11-13.
 * Monthly expiries come from `lot_size_by_futures_expiry.csv` when it covers the date, else the last
 * expiry weekday of the month. Holidays move an expiry to the previous trading day.
 */
const TUESDAY_SWITCH = '2025-09-01';
const BANKNIFTY_WEDNESDAY_FROM = '2023-09-04';
const BANKNIFTY_WEEKLY_LAST = '2024-11-13';
/** How many weekly and monthly expiries NSE lists at any time (index options). */
export const LISTED_WEEKLIES = 4;
export const LISTED_MONTHLIES = 3;

/** Lot sizes by monthly series when the data folder has no row (SOURCES.md table). */
const LOT_FALLBACK: Record<string, ReadonlyArray<readonly [fromMonth: string, lot: number]>> = {
  NIFTY: [
    ['2015-11', 75],
    ['2021-07', 50],
    ['2024-06', 25],
    ['2025-02', 75],
    ['2026-01', 65],
  ],
  BANKNIFTY: [
    ['2020-07', 25],
    ['2023-07', 15],
    ['2025-02', 30],
    ['2025-07', 35],
    ['2026-01', 30],
  ],
};

function expiryWeekday(underlying: string, date: string): number | undefined {
  if (underlying === 'NIFTY') return date >= TUESDAY_SWITCH ? 2 : 4;
  if (underlying === 'BANKNIFTY') {
    if (date >= TUESDAY_SWITCH) return 2;
    return date >= BANKNIFTY_WEDNESDAY_FROM ? 3 : 4;
  }
  return undefined;
}

export class TradingCalendar {
  readonly #days: readonly string[];
  readonly #set: ReadonlySet<string>;
  readonly #data: SimData | undefined;

  /** `days`: known trading days (from the data); outside their range every weekday trades. */
  constructor(data?: SimData) {
    this.#data = data;
    this.#days = data?.tradingDays ?? [];
    this.#set = new Set(this.#days);
  }

  isTradingDay(date: string): boolean {
    const first = this.#days[0];
    const last = this.#days.at(-1);
    if (first !== undefined && last !== undefined && date >= first && date <= last)
      return this.#set.has(date);
    const t = parseIsoDate(date);
    if (t === undefined) return false;
    const wd = istParts(t).weekday;
    return wd !== 0 && wd !== 6;
  }

  /** First trading day on or after `date`. */
  onOrAfter(date: string): string {
    let t = parseIsoDate(date)!;
    for (let i = 0; i < 30; i++, t += DAY_MS) {
      const d = istDate(t);
      if (this.isTradingDay(d)) return d;
    }
    return istDate(t);
  }

  next(date: string): string {
    return this.onOrAfter(istDate(parseIsoDate(date)! + DAY_MS));
  }

  /** Last trading day on or before `date`. */
  onOrBefore(date: string): string {
    let t = parseIsoDate(date)!;
    for (let i = 0; i < 30; i++, t -= DAY_MS) {
      const d = istDate(t);
      if (this.isTradingDay(d)) return d;
    }
    return istDate(t);
  }

  previous(date: string): string {
    return this.onOrBefore(istDate(parseIsoDate(date)! - DAY_MS));
  }

  sessionOpenMs(date: string): number {
    const t = parseIsoDate(date)!;
    return t + SESSION_OPEN_MIN * 60_000;
  }

  sessionCloseMs(date: string): number {
    return parseIsoDate(date)! + SESSION_CLOSE_MIN * 60_000;
  }

  /** Monthly expiries (YYYY-MM-DD) on or after `date`, ascending, at least `count` of them. */
  monthlyExpiries(underlying: string, date: string, count: number): string[] {
    const out: string[] = [];
    const fromData = this.#data?.monthlySeries.get(underlying) ?? [];
    const lastData = fromData.at(-1)?.expiry;
    for (const s of fromData) if (s.expiry >= date && out.length < count) out.push(s.expiry);
    // Beyond the data: the last expiry weekday of each following month.
    let probe = parseIsoDate(lastData && lastData >= date ? lastData : date)!;
    while (out.length < count) {
      const p = istParts(probe);
      const cand = this.#lastWeekdayOfMonth(underlying, p.year, p.month);
      if (cand !== undefined && cand >= date && !out.includes(cand) && (!lastData || cand > lastData))
        out.push(cand);
      probe = istEpoch(p.month === 12 ? p.year + 1 : p.year, p.month === 12 ? 1 : p.month + 1, 1);
    }
    return out.sort();
  }

  #lastWeekdayOfMonth(underlying: string, year: number, month: number): string | undefined {
    const first = istEpoch(year, month, 1);
    const wd = expiryWeekday(underlying, istDate(first));
    if (wd === undefined) return undefined;
    const nextMonth = istEpoch(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1);
    let t = nextMonth - DAY_MS;
    while (istParts(t).weekday !== wd) t -= DAY_MS;
    return this.onOrBefore(istDate(t));
  }

  /** Weekly expiries on or after `date` (holiday-adjusted), excluding weeks that hold a monthly. */
  weeklyExpiries(underlying: string, date: string, count: number, monthlies: readonly string[]): string[] {
    const out: string[] = [];
    if (underlying === 'BANKNIFTY' && date > BANKNIFTY_WEEKLY_LAST) return out;
    let t = parseIsoDate(date)!;
    for (let guard = 0; out.length < count && guard < 120; guard++, t += DAY_MS) {
      const d = istDate(t);
      const wd = expiryWeekday(underlying, d);
      if (wd === undefined) return out;
      if (istParts(t).weekday !== wd) continue;
      if (underlying === 'BANKNIFTY' && d > BANKNIFTY_WEEKLY_LAST) break;
      const adjusted = this.onOrBefore(d);
      if (adjusted < date) continue;
      const nearMonthly = monthlies.some(
        (m) => Math.abs(parseIsoDate(m)! - parseIsoDate(adjusted)!) < 4 * DAY_MS,
      );
      if (!nearMonthly) out.push(adjusted);
    }
    return out;
  }

  /** Every listed option expiry of the underlying on `date`: weeklies and monthlies, ascending. */
  optionExpiries(underlying: string, date: string): string[] {
    const monthlies = this.monthlyExpiries(underlying, date, LISTED_MONTHLIES);
    const weeklies = this.weeklyExpiries(underlying, date, LISTED_WEEKLIES, monthlies);
    return [...new Set([...monthlies, ...weeklies])].sort();
  }

  /** Futures expiries (the monthlies). */
  futureExpiries(underlying: string, date: string): string[] {
    return this.monthlyExpiries(underlying, date, LISTED_MONTHLIES);
  }

  /** Lot size of the contract series expiring on `expiry` (weeklies share their month's monthly lot). */
  lotSize(underlying: string, expiry: string): number {
    const series = this.#data?.monthlySeries.get(underlying) ?? [];
    const month = expiry.slice(0, 7);
    const monthly = series.find((s) => s.expiry >= expiry && s.expiry.slice(0, 7) === month);
    if (monthly) return monthly.lot;
    const nextAny = series.find((s) => s.expiry >= expiry);
    if (nextAny && nextAny.expiry.slice(0, 7) === month) return nextAny.lot;
    const table = LOT_FALLBACK[underlying] ?? [];
    let lot = table[0]?.[1] ?? 1;
    for (const [from, l] of table) if (month >= from) lot = l;
    return lot;
  }
}
