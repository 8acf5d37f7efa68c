import type { TradingCalendar } from './calendar.js';
import { hash32 } from './hash.js';
import { ddmmmyy, parseDdmmmyy, parseIsoDate } from './ist.js';

export type InstrumentKind = 'index' | 'equity' | 'future' | 'option';
export type OptionType = 'CE' | 'PE';

export interface Instrument {
  readonly id: number;
  readonly symbol: string;
  readonly exchange: string;
  readonly kind: InstrumentKind;
  /** Underlying name (`NIFTY`) for F&O, the symbol itself otherwise. */
  readonly name: string;
  readonly tickSize: number;
  readonly lotSize: number;
  readonly freezeQty: number;
  readonly token: string;
  /** NIFTY 50 member (large-cap liquidity bucket); indices and index F&O count as large. */
  readonly largeCap: boolean;
  /** F&O only. */
  readonly underlying?: Underlying;
  readonly expiry?: string;
  /** 15:30 IST on the expiry date. */
  readonly expiryMs?: number;
  readonly strike?: number;
  readonly optionType?: OptionType;
}

export interface Underlying {
  readonly name: string;
  readonly exchange: 'NSE_INDEX';
  readonly strikeStep: number;
  readonly futureTick: number;
  readonly freezeQty: number;
}

/**
 * Index derivatives we list. Strike steps 50/100 (NSE); option tick 0.05; futures tick from the
 * ~Nov-2025 Kite instrument dump (NIFTY 0.10, BANKNIFTY 0.20: SOURCES.md `fo_contract_specs_observed`);
 * freeze quantities from OpenAlgo's `qtyfreeze.csv` (REST.md §4).
 */
export const UNDERLYINGS: Readonly<Record<string, Underlying>> = {
  NIFTY: { name: 'NIFTY', exchange: 'NSE_INDEX', strikeStep: 50, futureTick: 0.1, freezeQty: 1800 },
  BANKNIFTY: { name: 'BANKNIFTY', exchange: 'NSE_INDEX', strikeStep: 100, futureTick: 0.2, freezeQty: 600 },
};
export const INDEX_SYMBOLS = ['NIFTY', 'BANKNIFTY', 'INDIAVIX'] as const;
export const OPTION_TICK = 0.05;
export const EQUITY_TICK = 0.05;
/** Strikes listed each side of the day's reference price. */
export const STRIKES_EACH_SIDE = 40;
/** Off-grid strikes further than this from the reference are not listed (symbol lookups fail). */
const MAX_STRIKE_DISTANCE = 0.3;
const EQUITY_FREEZE_QTY = 100_000;

const OPTION_RE = /^([A-Z]+)(\d{2}[A-Z]{3}\d{2})(\d+(?:\.\d+)?)(CE|PE)$/;
const FUTURE_RE = /^([A-Z]+)(\d{2}[A-Z]{3}\d{2})FUT$/;

export function formatStrike(strike: number): string {
  return Number.isInteger(strike) ? String(strike) : String(Number(strike.toFixed(2)));
}

export function optionSymbol(underlying: string, expiry: string, strike: number, type: OptionType): string {
  return `${underlying}${ddmmmyy(parseIsoDate(expiry)!)}${formatStrike(strike)}${type}`;
}

export function futureSymbol(underlying: string, expiry: string): string {
  return `${underlying}${ddmmmyy(parseIsoDate(expiry)!)}FUT`;
}

export function roundToTick(price: number, tick: number): number {
  return Number((Math.round(price / tick) * tick).toFixed(2));
}

function expiryDateOf(code: string): string | undefined {
  const t = parseDdmmmyy(code);
  if (t === undefined) return undefined;
  const d = new Date(t + 19_800_000);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/**
 * The simulator's master contract: indices, a handful of liquid NSE stocks, and NIFTY/BANKNIFTY
 * futures and weekly/monthly options listed as of the market date with the lot size of their series.
 */
export class InstrumentRegistry {
  readonly #bySymbol = new Map<string, Instrument>();
  readonly #calendar: TradingCalendar;
  readonly #equities: readonly string[];
  readonly #largeCaps: ReadonlySet<string>;
  #nextId = 1;
  #date = '';
  readonly #listedExpiries = new Map<string, { options: string[]; futures: string[] }>();
  readonly #reference = new Map<string, number>();

  constructor(opts: {
    calendar: TradingCalendar;
    equities: readonly string[];
    largeCaps: ReadonlySet<string>;
  }) {
    this.#calendar = opts.calendar;
    this.#equities = opts.equities;
    this.#largeCaps = opts.largeCaps;
    for (const s of INDEX_SYMBOLS)
      this.#add({ symbol: s, exchange: 'NSE_INDEX', kind: 'index', name: s, tickSize: 0.05, lotSize: 1 });
    for (const s of this.#equities)
      this.#add({ symbol: s, exchange: 'NSE', kind: 'equity', name: s, tickSize: EQUITY_TICK, lotSize: 1 });
  }

  #key(symbol: string, exchange: string): string {
    return `${exchange}:${symbol}`;
  }

  #add(
    spec: Omit<Instrument, 'id' | 'token' | 'freezeQty' | 'largeCap'> & { freezeQty?: number },
  ): Instrument {
    const key = this.#key(spec.symbol, spec.exchange);
    const existing = this.#bySymbol.get(key);
    if (existing) return existing;
    const inst: Instrument = {
      ...spec,
      id: this.#nextId++,
      token: String(100_000 + (hash32('token', spec.exchange, spec.symbol) % 9_000_000)),
      freezeQty: spec.freezeQty ?? EQUITY_FREEZE_QTY,
      largeCap: spec.kind !== 'equity' || this.#largeCaps.has(spec.symbol),
    };
    this.#bySymbol.set(key, inst);
    return inst;
  }

  get date(): string {
    return this.#date;
  }

  /** Lists the day's F&O contracts around each underlying's reference price (session open). */
  rollTo(date: string, reference: Readonly<Record<string, number>>): void {
    this.#date = date;
    // Expired contracts leave the master contract (open positions keep their own reference).
    for (const [k, i] of this.#bySymbol)
      if (i.expiry !== undefined && i.expiry < date) this.#bySymbol.delete(k);
    for (const u of Object.values(UNDERLYINGS)) {
      const ref = reference[u.name];
      if (ref === undefined || !(ref > 0)) continue;
      this.#reference.set(u.name, ref);
      const options = this.#calendar.optionExpiries(u.name, date);
      const futures = this.#calendar.futureExpiries(u.name, date);
      this.#listedExpiries.set(u.name, { options, futures });
      for (const expiry of futures) this.#future(u, expiry);
      const atm = Math.round(ref / u.strikeStep) * u.strikeStep;
      for (const expiry of options)
        for (let i = -STRIKES_EACH_SIDE; i <= STRIKES_EACH_SIDE; i++) {
          const strike = atm + i * u.strikeStep;
          if (strike <= 0) continue;
          this.#option(u, expiry, strike, 'CE');
          this.#option(u, expiry, strike, 'PE');
        }
    }
  }

  #expiryMs(expiry: string): number {
    return this.#calendar.sessionCloseMs(expiry);
  }

  #future(u: Underlying, expiry: string): Instrument {
    return this.#add({
      symbol: futureSymbol(u.name, expiry),
      exchange: 'NFO',
      kind: 'future',
      name: u.name,
      tickSize: u.futureTick,
      lotSize: this.#calendar.lotSize(u.name, expiry),
      freezeQty: u.freezeQty,
      underlying: u,
      expiry,
      expiryMs: this.#expiryMs(expiry),
    });
  }

  #option(u: Underlying, expiry: string, strike: number, type: OptionType): Instrument {
    return this.#add({
      symbol: optionSymbol(u.name, expiry, strike, type),
      exchange: 'NFO',
      kind: 'option',
      name: u.name,
      tickSize: OPTION_TICK,
      lotSize: this.#calendar.lotSize(u.name, expiry),
      freezeQty: u.freezeQty,
      underlying: u,
      expiry,
      expiryMs: this.#expiryMs(expiry),
      strike,
      optionType: type,
    });
  }

  /** Looks a symbol up; a listed expiry's on-grid strike not pre-listed is created on demand. */
  get(symbol: string, exchange: string): Instrument | undefined {
    const hit = this.#bySymbol.get(this.#key(symbol, exchange));
    if (hit || exchange !== 'NFO') return hit;
    const m = OPTION_RE.exec(symbol);
    if (!m) return undefined;
    const u = UNDERLYINGS[m[1]!];
    const expiry = expiryDateOf(m[2]!);
    if (!u || !expiry) return undefined;
    if (!this.#listedExpiries.get(u.name)?.options.includes(expiry)) return undefined;
    const strike = Number(m[3]);
    const ref = this.#reference.get(u.name) ?? 0;
    if (!(strike > 0) || Math.abs(strike / u.strikeStep - Math.round(strike / u.strikeStep)) > 1e-9)
      return undefined;
    if (Math.abs(strike - ref) > ref * MAX_STRIKE_DISTANCE) return undefined;
    return this.#option(u, expiry, strike, m[4] as OptionType);
  }

  /** Parses a futures symbol without requiring it to be listed (used to validate inputs). */
  static parseFuture(symbol: string): { underlying: string; expiry: string } | undefined {
    const m = FUTURE_RE.exec(symbol);
    const expiry = m ? expiryDateOf(m[2]!) : undefined;
    return m && expiry ? { underlying: m[1]!, expiry } : undefined;
  }

  all(): Instrument[] {
    return [...this.#bySymbol.values()];
  }

  /** Listed (unexpired) contracts of today. */
  listedExpiries(underlying: string, kind: 'options' | 'futures'): string[] {
    return [...(this.#listedExpiries.get(underlying)?.[kind] ?? [])];
  }

  /** Contracts of one option expiry, strikes ascending. */
  chain(underlying: string, expiry: string): { strike: number; ce?: Instrument; pe?: Instrument }[] {
    const rows = new Map<number, { strike: number; ce?: Instrument; pe?: Instrument }>();
    for (const i of this.#bySymbol.values()) {
      if (i.kind !== 'option' || i.name !== underlying || i.expiry !== expiry || i.strike === undefined)
        continue;
      const row = rows.get(i.strike) ?? { strike: i.strike };
      if (i.optionType === 'CE') row.ce = i;
      else row.pe = i;
      rows.set(i.strike, row);
    }
    return [...rows.values()].sort((a, b) => a.strike - b.strike);
  }

  futureOf(underlying: string, expiry: string): Instrument | undefined {
    return this.#bySymbol.get(this.#key(futureSymbol(underlying, expiry), 'NFO'));
  }

  /** Free-text search, as OpenAlgo's `/search`: every token must appear in the symbol or its fields. */
  search(query: string, exchange?: string): Instrument[] {
    const tokens = query.toUpperCase().split(/\s+/).filter(Boolean);
    const out: Instrument[] = [];
    for (const i of this.#bySymbol.values()) {
      if (exchange && i.exchange !== exchange) continue;
      const hay = `${i.symbol} ${i.name} ${i.expiry ?? ''} ${i.strike ?? ''} ${i.optionType ?? ''} ${i.kind === 'future' ? 'FUT' : ''} ${
        i.expiry ? ddmmmyy(parseIsoDate(i.expiry)!) : ''
      }`;
      if (tokens.every((t) => hay.includes(t))) out.push(i);
    }
    return out.sort((a, b) => a.symbol.localeCompare(b.symbol)).slice(0, 500);
  }

  equities(): readonly string[] {
    return this.#equities;
  }
}
