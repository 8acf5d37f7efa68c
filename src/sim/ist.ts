/**
 * India Standard Time helpers. IST is UTC+05:30 all year (no DST), so a fixed offset is exact.
 * Every date the simulator shows (order timestamps, expiries, order ids) is an IST calendar date.
 */
export const IST_OFFSET_MS = 19_800_000;
export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
/** Calendar year for option time-to-expiry (ACT/365, as OpenAlgo's Black-76 greeks use). */
export const YEAR_MS = 365 * DAY_MS;

export const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const MONTHS_TITLE = MONTHS.map((m) => m[0] + m.slice(1).toLowerCase());

export interface IstParts {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  /** 0 = Sunday. */
  weekday: number;
}

export function istParts(epochMs: number): IstParts {
  const d = new Date(epochMs + IST_OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    ms: d.getUTCMilliseconds(),
    weekday: d.getUTCDay(),
  };
}

/** Epoch ms of an IST wall time. */
export function istEpoch(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  return Date.UTC(year, month - 1, day, hour, minute, second) - IST_OFFSET_MS;
}

/** IST midnight of the day holding `epochMs`. */
export function istMidnight(epochMs: number): number {
  return Math.floor((epochMs + IST_OFFSET_MS) / DAY_MS) * DAY_MS - IST_OFFSET_MS;
}

/** Minutes since IST midnight (fractional). */
export function istMinuteOfDay(epochMs: number): number {
  return (epochMs - istMidnight(epochMs)) / MINUTE_MS;
}

const p2 = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` of the IST date. */
export function istDate(epochMs: number): string {
  const p = istParts(epochMs);
  return `${p.year}-${p2(p.month)}-${p2(p.day)}`;
}

/** IST midnight of a `YYYY-MM-DD` date. */
export function parseIsoDate(date: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = istEpoch(y, mo, d);
  return istDate(t) === date ? t : undefined;
}

/** Sandbox timestamps: `YYYY-MM-DD HH:MM:SS` IST (SANDBOX.md A.4, REST.md §6.1). */
export function sandboxTimestamp(epochMs: number): string {
  const p = istParts(epochMs);
  return `${p.year}-${p2(p.month)}-${p2(p.day)} ${p2(p.hour)}:${p2(p.minute)}:${p2(p.second)}`;
}

/** Live (Zerodha-mapped) orderbook timestamps: `08-Apr-2025 13:58:03`. */
export function liveTimestamp(epochMs: number): string {
  const p = istParts(epochMs);
  return `${p2(p.day)}-${MONTHS_TITLE[p.month - 1]}-${p.year} ${p2(p.hour)}:${p2(p.minute)}:${p2(p.second)}`;
}

/** Option/expiry inputs: `25AUG26` (DDMMMYY). */
export function ddmmmyy(epochMs: number): string {
  const p = istParts(epochMs);
  return `${p2(p.day)}${MONTHS[p.month - 1]}${p2(p.year % 100)}`;
}

/** Master-contract expiry: `25-AUG-26`. */
export function masterExpiry(epochMs: number): string {
  const p = istParts(epochMs);
  return `${p2(p.day)}-${MONTHS[p.month - 1]}-${p2(p.year % 100)}`;
}

/** optiongreeks expiry: `25-Aug-2026`. */
export function greeksExpiry(epochMs: number): string {
  const p = istParts(epochMs);
  return `${p2(p.day)}-${MONTHS_TITLE[p.month - 1]}-${p.year}`;
}

/** `25AUG26` → IST midnight of that date, or undefined. */
export function parseDdmmmyy(s: string): number | undefined {
  const m = /^(\d{2})([A-Z]{3})(\d{2})$/.exec(s.trim().toUpperCase());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2]!) + 1;
  if (month === 0) return undefined;
  const year = 2000 + Number(m[3]);
  const t = istEpoch(year, month, Number(m[1]));
  return istParts(t).day === Number(m[1]) ? t : undefined;
}

/** `YYMMDD` of the IST date (order-id prefix, SANDBOX.md A.5). */
export function yymmdd(epochMs: number): string {
  const p = istParts(epochMs);
  return `${p2(p.year % 100)}${p2(p.month)}${p2(p.day)}`;
}

/** `YYYYMMDD-HHMMSS` (trade-id middle part). */
export function compactStamp(epochMs: number): string {
  const p = istParts(epochMs);
  return `${p.year}${p2(p.month)}${p2(p.day)}-${p2(p.hour)}${p2(p.minute)}${p2(p.second)}`;
}
