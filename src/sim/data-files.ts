import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { istDate, parseIsoDate } from './ist.js';

/**
 * The real market series in the shared data folder (see its SOURCES.md). Loaded once per folder and
 * shared by every simulator in the process: the files are read-only reference data.
 */

export interface Bar {
  /** Epoch ms of the bar start. */
  readonly t: number;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
}

export interface IntradaySeries {
  readonly intervalMs: number;
  readonly file: string;
  /** Bars by IST date, each day sorted by time. */
  readonly byDate: ReadonlyMap<string, readonly Bar[]>;
}

export interface DailySeries {
  readonly file: string;
  readonly dates: readonly string[];
  readonly byDate: ReadonlyMap<string, Bar>;
}

export interface SimData {
  readonly dataDir: string;
  /** Per driver symbol, finest interval first. */
  readonly intraday: ReadonlyMap<string, readonly IntradaySeries[]>;
  readonly daily: ReadonlyMap<string, DailySeries>;
  /** Monthly (futures) expiries per underlying with the lot size of that series, ascending. */
  readonly monthlySeries: ReadonlyMap<string, readonly { expiry: string; lot: number }[]>;
  /** NSE trading days as recorded by the NIFTY daily file, ascending. */
  readonly tradingDays: readonly string[];
  readonly nifty50: ReadonlySet<string>;
}

/** Files the replay source reads; intraday ones are optional refinements of the daily series. */
export const DATA_FILES = {
  niftyDaily: 'nifty50_daily.csv',
  bankniftyDaily: 'banknifty_daily.csv',
  vixDaily: 'india_vix_daily.csv',
  stocksDaily: 'nse_stocks_daily_eq.csv',
  lotSizes: 'lot_size_by_futures_expiry.csv',
  nifty50: 'nifty50_constituents.csv',
  intraday: [
    { file: 'nifty50_1min_2025-09.csv', symbol: 'NIFTY', intervalMs: 60_000 },
    { file: 'banknifty_1min_2023-04_2023-06.csv', symbol: 'BANKNIFTY', intervalMs: 60_000 },
    { file: 'india_vix_1min_2023-04_2023-06.csv', symbol: 'INDIAVIX', intervalMs: 60_000 },
    { file: 'nifty50_5min_2025-11_2026-01.csv', symbol: 'NIFTY', intervalMs: 300_000 },
  ],
} as const;

/** One CSV line; quoted fields may hold commas and doubled quotes (RFC 4180, no embedded newlines). */
function splitLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (line[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

export function parseCsv(text: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  const header = splitLine(lines[0] ?? '');
  const rows: Record<string, string>[] = [];
  for (let n = 1; n < lines.length; n++) {
    const cells = splitLine(lines[n]!);
    const row: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) row[header[i]!] = cells[i] ?? '';
    rows.push(row);
  }
  return rows;
}

function readCsv(dir: string, file: string): Record<string, string>[] | undefined {
  const path = join(dir, file);
  if (!existsSync(path)) return undefined;
  return parseCsv(readFileSync(path, 'utf8'));
}

function num(s: string | undefined): number {
  return s === undefined || s === '' ? Number.NaN : Number(s);
}

function dailyFrom(file: string, rows: Record<string, string>[], symbol?: string): DailySeries {
  const byDate = new Map<string, Bar>();
  for (const r of rows) {
    if (symbol !== undefined && r.symbol !== symbol) continue;
    const date = r.date ?? '';
    const t = parseIsoDate(date);
    const bar = {
      t: t ?? Number.NaN,
      o: num(r.open),
      h: num(r.high),
      l: num(r.low),
      c: num(r.close),
      v: Number.isFinite(num(r.volume_shares)) ? num(r.volume_shares) : 0,
    };
    if (t === undefined || ![bar.o, bar.h, bar.l, bar.c].every(Number.isFinite)) continue;
    // A few published rows violate O/C ⊂ [L, H] (SOURCES.md, India VIX): widen rather than drop.
    byDate.set(date, { ...bar, h: Math.max(bar.h, bar.o, bar.c), l: Math.min(bar.l, bar.o, bar.c) });
  }
  const dates = [...byDate.keys()].sort();
  return { file, dates, byDate };
}

function intradayFrom(file: string, rows: Record<string, string>[], intervalMs: number): IntradaySeries {
  const byDate = new Map<string, Bar[]>();
  for (const r of rows) {
    const t = Date.parse((r.timestamp_ist ?? '').replace(' ', 'T'));
    const bar = { t, o: num(r.open), h: num(r.high), l: num(r.low), c: num(r.close), v: num(r.volume) || 0 };
    if (!Number.isFinite(t) || ![bar.o, bar.h, bar.l, bar.c].every(Number.isFinite)) continue;
    const date = istDate(t);
    let day = byDate.get(date);
    if (!day) {
      day = [];
      byDate.set(date, day);
    }
    day.push({ ...bar, h: Math.max(bar.h, bar.o, bar.c), l: Math.min(bar.l, bar.o, bar.c) });
  }
  for (const day of byDate.values()) day.sort((a, b) => a.t - b.t);
  return { intervalMs, file, byDate };
}

const cache = new Map<string, SimData>();

/** Loads (once per folder) every series that exists; `undefined` when the daily NIFTY file is absent. */
export function loadSimData(dataDir: string): SimData | undefined {
  const dir = resolve(dataDir);
  const hit = cache.get(dir);
  if (hit) return hit;
  const niftyRows = readCsv(dir, DATA_FILES.niftyDaily);
  if (!niftyRows) return undefined;

  const daily = new Map<string, DailySeries>();
  daily.set('NIFTY', dailyFrom(DATA_FILES.niftyDaily, niftyRows));
  const bn = readCsv(dir, DATA_FILES.bankniftyDaily);
  if (bn) daily.set('BANKNIFTY', dailyFrom(DATA_FILES.bankniftyDaily, bn));
  const vix = readCsv(dir, DATA_FILES.vixDaily);
  if (vix) daily.set('INDIAVIX', dailyFrom(DATA_FILES.vixDaily, vix));
  const stocks = readCsv(dir, DATA_FILES.stocksDaily);
  if (stocks) {
    const symbols = new Set(stocks.map((r) => r.symbol ?? ''));
    for (const s of symbols) if (s) daily.set(s, dailyFrom(DATA_FILES.stocksDaily, stocks, s));
  }

  const intraday = new Map<string, IntradaySeries[]>();
  for (const spec of DATA_FILES.intraday) {
    const rows = readCsv(dir, spec.file);
    if (!rows) continue;
    const list = intraday.get(spec.symbol) ?? [];
    list.push(intradayFrom(spec.file, rows, spec.intervalMs));
    list.sort((a, b) => a.intervalMs - b.intervalMs);
    intraday.set(spec.symbol, list);
  }

  const monthlySeries = new Map<string, { expiry: string; lot: number }[]>();
  const lotRows = readCsv(dir, DATA_FILES.lotSizes) ?? [];
  const dataEnd =
    lotRows
      .map((r) => r.last_trade_date ?? '')
      .sort()
      .at(-1) ?? '';
  for (const r of lotRows) {
    const sym = r.symbol ?? '';
    const lot = num(r.lot_size);
    if (!sym || !r.expiry || !Number.isFinite(lot)) continue;
    // A series that stopped trading before its expiry was re-dated (e.g. Sep-2025 moved from the
    // 25th to the 30th when NSE switched expiries to Tuesday): only the surviving date is real.
    const last = r.last_trade_date ?? r.expiry;
    if (last < r.expiry && last < dataEnd) continue;
    const list = monthlySeries.get(sym) ?? [];
    list.push({ expiry: r.expiry, lot });
    monthlySeries.set(sym, list);
  }
  for (const list of monthlySeries.values()) list.sort((a, b) => a.expiry.localeCompare(b.expiry));

  const nifty50 = new Set((readCsv(dir, DATA_FILES.nifty50) ?? []).map((r) => r.symbol ?? ''));
  const data: SimData = {
    dataDir: dir,
    intraday,
    daily,
    monthlySeries,
    tradingDays: daily.get('NIFTY')!.dates,
    nifty50,
  };
  cache.set(dir, data);
  return data;
}
