import type { Clock } from '../clock/index.js';
import { type Instrument, InstrumentRegistry, optionSymbol, UNDERLYINGS } from './instruments.js';
import { DAY_MS, greeksExpiry, istDate, parseDdmmmyy, YEAR_MS } from './ist.js';
import type { MarketEngine } from './market.js';
import { bsm, forwardPrice, RISK_FREE_RATE, yearsToExpiry } from './pricing.js';
import type { Loaded } from './wire/marshmallow.js';

/**
 * The option endpoints (REST.md §9): optionsymbol, optionchain, optiongreeks. ATM is the listed
 * strike nearest the underlying's LTP (or the `strike_int` grid when given); greeks are Black-76 off
 * the model forward, reported as OpenAlgo does: IV in percent, theta per day, vega and rho per
 * volatility/rate point.
 */
type Result<T> = ({ ok: true } & T) | { ok: false; status: number; message: string };

interface UnderlyingRef {
  name: string;
  symbol: string;
  exchange: string;
  ltp: number;
  prevClose: number;
  /** Set when the underlying was a futures contract (its expiry is the default). */
  expiry?: string;
}

function resolveUnderlying(
  market: MarketEngine,
  registry: InstrumentRegistry,
  underlying: string,
  exchange: string,
): Result<{ u: UnderlyingRef }> {
  const sym = underlying.toUpperCase();
  if ((exchange === 'NSE_INDEX' || exchange === 'NFO') && UNDERLYINGS[sym]) {
    const inst = registry.get(sym, 'NSE_INDEX')!;
    const q = market.quote(inst);
    return {
      ok: true,
      u: { name: sym, symbol: sym, exchange: 'NSE_INDEX', ltp: q.ltp, prevClose: q.prevClose },
    };
  }
  const fut = InstrumentRegistry.parseFuture(sym);
  const inst = fut ? registry.get(sym, 'NFO') : undefined;
  if (fut && inst) {
    const q = market.quote(inst);
    return {
      ok: true,
      u: {
        name: fut.underlying,
        symbol: sym,
        exchange: 'NFO',
        ltp: q.ltp,
        prevClose: q.prevClose,
        expiry: fut.expiry,
      },
    };
  }
  return { ok: false, status: 404, message: `Underlying symbol ${sym} not found in exchange ${exchange}` };
}

function expiryFrom(input: unknown, fallback: string | undefined): Result<{ expiry: string }> {
  if (typeof input === 'string') {
    const t = parseDdmmmyy(input);
    if (t === undefined) return { ok: false, status: 400, message: `Invalid expiry date ${input}` };
    return { ok: true, expiry: istDate(t) };
  }
  if (fallback) return { ok: true, expiry: fallback };
  return {
    ok: false,
    status: 400,
    message: 'Expiry date is required when the underlying is not a futures contract',
  };
}

/** The chain of a listed (unexpired) expiry; empty otherwise. */
function listedChain(registry: InstrumentRegistry, underlying: string, expiry: string) {
  return registry.listedExpiries(underlying, 'options').includes(expiry)
    ? registry.chain(underlying, expiry)
    : [];
}

function atmIndex(strikes: readonly number[], ltp: number): number {
  let best = 0;
  for (let i = 1; i < strikes.length; i++)
    if (Math.abs(strikes[i]! - ltp) < Math.abs(strikes[best]! - ltp)) best = i;
  return best;
}

export function resolveOptionSymbol(
  market: MarketEngine,
  registry: InstrumentRegistry,
  v: Loaded,
): Result<{ inst: Instrument; underlyingLtp: number }> {
  const u = resolveUnderlying(market, registry, v.underlying as string, v.exchange as string);
  if (!u.ok) return u;
  const e = expiryFrom(v.expiry_date, u.u.expiry);
  if (!e.ok) return e;
  const rows = listedChain(registry, u.u.name, e.expiry);
  if (rows.length === 0)
    return {
      ok: false,
      status: 404,
      message: `No options found for ${u.u.name} expiring ${v.expiry_date ?? e.expiry}`,
    };
  const offset = v.offset as string;
  const type = v.option_type as 'CE' | 'PE';
  const n = offset === 'ATM' ? 0 : Number(offset.slice(3));
  // ITM calls sit below the money, ITM puts above it.
  const dir = (offset.startsWith('ITM') ? -1 : 1) * (type === 'CE' ? 1 : -1);
  let strike: number;
  const step = v.strike_int as number | undefined;
  if (step !== undefined) strike = Math.round(u.u.ltp / step) * step + dir * n * step;
  else {
    const strikes = rows.map((r) => r.strike);
    const i = atmIndex(strikes, u.u.ltp) + dir * n;
    if (i < 0 || i >= strikes.length)
      return {
        ok: false,
        status: 404,
        message: `Strike ${offset} is outside the listed strikes for ${u.u.name}`,
      };
    strike = strikes[i]!;
  }
  const row = rows.find((r) => r.strike === strike);
  const inst =
    (type === 'CE' ? row?.ce : row?.pe) ??
    registry.get(optionSymbol(u.u.name, e.expiry, strike, type), 'NFO');
  if (!inst)
    return { ok: false, status: 404, message: `Option with strike ${strike} not found for ${u.u.name}` };
  return { ok: true, inst, underlyingLtp: u.u.ltp };
}

function label(strike: number, atm: number, type: 'CE' | 'PE', index: number, atmI: number): string {
  if (strike === atm) return 'ATM';
  const away = Math.abs(index - atmI);
  const itm = type === 'CE' ? strike < atm : strike > atm;
  return `${itm ? 'ITM' : 'OTM'}${away}`;
}

/** Black-76 greeks at forward `f` with discount rate `r`, in OpenAlgo's units. */
function black76(type: 'CE' | 'PE', f: number, k: number, t: number, r: number, sigma: number) {
  const g = bsm(type === 'CE' ? 'c' : 'p', f, k, t, r, r, sigma);
  return {
    price: g.price,
    delta: g.delta,
    gamma: g.gamma,
    theta: g.thetaPerYear / 365,
    vega: g.vegaPerUnit / 100,
    rho: g.rhoPerUnit / 100,
  };
}

const round = (x: number, dp: number) => Number(x.toFixed(dp));

export function optionChainBody(
  market: MarketEngine,
  registry: InstrumentRegistry,
  _clock: Clock,
  v: Loaded,
): Result<{ body: Record<string, unknown> }> {
  const u = resolveUnderlying(market, registry, v.underlying as string, v.exchange as string);
  if (!u.ok) return u;
  const e = expiryFrom(v.expiry_date, u.u.expiry);
  if (!e.ok) return e;
  let rows = listedChain(registry, u.u.name, e.expiry);
  if (rows.length === 0)
    return {
      ok: false,
      status: 404,
      message: `No options found for ${u.u.name} expiring ${v.expiry_date as string}`,
    };
  const spot = market.spot(u.u.name)!;
  const strikes = rows.map((r) => r.strike);
  const atmI = atmIndex(strikes, u.u.ltp);
  const atm = strikes[atmI]!;
  const count = v.strike_count as number | undefined;
  const first = count === undefined ? 0 : Math.max(0, atmI - count);
  rows = count === undefined ? rows : rows.slice(first, atmI + count + 1);
  const withGreeks = v.with_greeks === true;
  const r = v.interest_rate === undefined ? RISK_FREE_RATE : (v.interest_rate as number) / 100;
  const anyInst = rows[0]!.ce ?? rows[0]!.pe!;
  const years = yearsToExpiry(anyInst, market.now());
  const forward = forwardPrice(spot, years);
  const leg = (inst: Instrument | undefined, strike: number, index: number) => {
    if (!inst) return null;
    const q = market.quote(inst);
    const out: Record<string, unknown> = {
      symbol: inst.symbol,
      label: label(strike, atm, inst.optionType!, index, atmI),
      ltp: q.ltp,
      bid: q.bid,
      ask: q.ask,
      bid_qty: q.bids[0]?.quantity ?? 0,
      ask_qty: q.asks[0]?.quantity ?? 0,
      open: q.open,
      high: q.high,
      low: q.low,
      prev_close: q.prevClose,
      volume: q.volume,
      oi: q.oi,
      lotsize: inst.lotSize,
      tick_size: inst.tickSize,
    };
    if (withGreeks) {
      const iv = market.optionTheory(inst).value.iv;
      const g = years > 0 ? black76(inst.optionType!, forward, strike, years, r, iv) : undefined;
      out.implied_volatility = round(iv * 100, 2);
      out.delta = g
        ? round(g.delta, 4)
        : inst.optionType === 'CE'
          ? spot > strike
            ? 1
            : 0
          : spot < strike
            ? -1
            : 0;
      out.gamma = g ? round(g.gamma, 6) : 0;
      out.theta = g ? round(g.theta, 4) : 0;
      out.vega = g ? round(g.vega, 4) : 0;
    }
    return out;
  };
  const chain = rows.map((row, i) => ({
    strike: row.strike,
    ce: leg(row.ce, row.strike, first + i),
    pe: leg(row.pe, row.strike, first + i),
  }));
  return {
    ok: true,
    body: {
      underlying: u.u.name,
      underlying_symbol: u.u.symbol,
      underlying_exchange: u.u.exchange,
      underlying_ltp: u.u.ltp,
      underlying_prev_close: u.u.prevClose,
      expiry_date: (v.expiry_date as string | undefined) ?? e.expiry,
      expiry_ts: anyInst.expiryMs !== undefined ? Math.floor(anyInst.expiryMs / 1000) : null,
      server_ts: Math.floor(market.now() / 1000),
      atm_strike: atm,
      quotes_included: true,
      greeks_included: withGreeks,
      forward_price: withGreeks ? round(forward, 2) : null,
      chain,
    },
  };
}

export function optionGreeksBody(
  market: MarketEngine,
  registry: InstrumentRegistry,
  v: Loaded,
): Result<{ body: Record<string, unknown> }> {
  const symbol = v.symbol as string;
  const exchange = v.exchange as string;
  const inst = registry.get(symbol, exchange);
  if (inst?.kind !== 'option')
    return { ok: false, status: 404, message: `Option symbol ${symbol} not found in exchange ${exchange}` };
  let expiryMs = inst.expiryMs!;
  if (typeof v.expiry_time === 'string') {
    const [h, m] = (v.expiry_time as string).split(':').map(Number);
    expiryMs = Date.parse(`${inst.expiry}T00:00:00+05:30`) + (h! * 60 + m!) * 60_000;
  }
  const now = market.now();
  if (now >= expiryMs)
    return { ok: false, status: 400, message: `Option has expired on ${greeksExpiry(expiryMs)}` };
  const uSym = (v.underlying_symbol as string | undefined) ?? inst.name;
  const uExch = (v.underlying_exchange as string | undefined) ?? 'NSE_INDEX';
  const uInst = registry.get(uSym, uExch);
  const spot = uInst ? market.quote(uInst).ltp : market.spot(inst.name)!;
  const years = (expiryMs - now) / YEAR_MS;
  const r = v.interest_rate === undefined ? 0 : (v.interest_rate as number) / 100;
  const forward = (v.forward_price as number | undefined) ?? forwardPrice(market.spot(inst.name)!, years);
  const q = market.quote(inst);
  const iv = market.optionTheory(inst).value.iv;
  const k = inst.strike!;
  const g = black76(inst.optionType!, forward, k, years, r, iv);
  const intrinsic = inst.optionType === 'CE' ? Math.max(0, spot - k) : Math.max(0, k - spot);
  return {
    ok: true,
    body: {
      symbol: inst.symbol,
      exchange: inst.exchange,
      underlying: inst.name,
      strike: k,
      option_type: inst.optionType,
      expiry_date: greeksExpiry(inst.expiryMs!),
      days_to_expiry: round((expiryMs - now) / DAY_MS, 4),
      spot_price: spot,
      option_price: q.ltp,
      intrinsic_value: round(intrinsic, 2),
      time_value: round(Math.max(0, q.ltp - intrinsic), 2),
      interest_rate: r * 100,
      implied_volatility: round(iv * 100, 2),
      greeks: {
        delta: round(g.delta, 4),
        gamma: round(g.gamma, 6),
        theta: round(g.theta, 4),
        vega: round(g.vega, 4),
        rho: round(g.rho, 6),
      },
    },
  };
}
