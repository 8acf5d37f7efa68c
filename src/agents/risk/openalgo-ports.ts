import type { OpenAlgoClient } from '../../broker/index.js';
import { toExpiryInput } from '../../broker/index.js';
import type { Clock } from '../../clock/index.js';
import type { OrderRequest } from '../../contracts/index.js';
import { ewmaDailyVol, logReturns } from '../../quant/index.js';
import {
  BLACK_SWAN_MIN_DTE,
  daysToExpiry,
  monthlyExpiries,
  type StrategyChain,
  type TradableExpiry,
  type TradableQuote,
} from '../../strategy/index.js';
import type {
  ChainPort,
  ChainRequest,
  CommandSink,
  FundsPort,
  MarginPort,
  PositionsPort,
  RegimesPort,
  RiskPorts,
  StatsPort,
  TradeStats,
} from './ports.js';
import type { MarketInputs } from './risk-planner.js';

/** At most this many expiries are fetched per chain request (each is one optionchain call). */
export const MAX_EXPIRIES_PER_FETCH = 3;
/** Strikes each side of the money to ask for: enough for a 0.05-delta put on a monthly expiry. */
export const CHAIN_STRIKE_COUNT = 40;
/** Daily closes read for the 35-day EWMA (calendar days, so ~70 sessions). */
const HISTORY_DAYS = 100;
const DAY_MS = 86_400_000;
const IST_OFFSET_MS = 19_800_000;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** OpenAlgo expiry (`25-AUG-26`, `25-Aug-2026` or `25AUG26`) → 'YYYY-MM-DD'; undefined if unreadable. */
export function isoExpiry(raw: string): string | undefined {
  const input = toExpiryInput(raw);
  const m = input === undefined ? null : /^(\d{2})([A-Z]{3})(\d{2})$/.exec(input);
  if (m === null) return undefined;
  const month = MONTHS.indexOf(m[2]!);
  if (month < 0) return undefined;
  return `20${m[3]}-${String(month + 1).padStart(2, '0')}-${m[1]}`;
}

export interface OpenAlgoRiskPortOptions {
  readonly client: OpenAlgoClient;
  readonly clock: Clock;
  /** Exchange of the underlying index quote and history (NSE_INDEX for NIFTY/BANKNIFTY). */
  readonly underlyingExchange?: 'NSE_INDEX' | 'BSE_INDEX';
  /** Exchange of the option contracts. */
  readonly optionExchange?: 'NFO' | 'BFO';
  readonly riskFreeRatePct: number;
  readonly ewmaSpanDays: number;
  /** India VIX symbol on the index exchange. */
  readonly vixSymbol?: string;
  /** Market "now" for days to expiry and the history window; default the clock's wall time. */
  readonly marketNowMs?: () => number;
}

/** Option chains with greeks from OpenAlgo's expiry + optionchain endpoints. */
export class OpenAlgoChainPort implements ChainPort {
  constructor(private readonly o: OpenAlgoRiskPortOptions) {}

  async fetch(underlying: string, want: ChainRequest): Promise<StrategyChain> {
    const { client, clock } = this.o;
    const optEx = this.o.optionExchange ?? 'NFO';
    const listed = await client.expiry({ symbol: underlying, exchange: optEx, instrumenttype: 'options' });
    if (!listed.ok) throw new Error(`expiry ${underlying}: ${listed.error.message}`);
    const raw = new Map<string, string>();
    for (const r of listed.data) {
      const iso = isoExpiry(r);
      if (iso !== undefined) raw.set(iso, r);
    }
    const now = this.o.marketNowMs?.() ?? clock.wallMs();
    let chosen = [...raw.keys()].sort();
    if (want.expiries !== undefined) chosen = chosen.filter((e) => want.expiries!.includes(e));
    if (want.monthly)
      chosen = monthlyExpiries(chosen).filter((e) => daysToExpiry(e, now) >= BLACK_SWAN_MIN_DTE);
    if (want.minDte !== undefined) chosen = chosen.filter((e) => daysToExpiry(e, now) >= want.minDte!);
    if (want.maxDte !== undefined) chosen = chosen.filter((e) => daysToExpiry(e, now) <= want.maxDte!);
    chosen = chosen.slice(0, MAX_EXPIRIES_PER_FETCH);
    if (chosen.length === 0) throw new Error(`no listed ${underlying} expiry fits the request`);

    const expiries: TradableExpiry[] = [];
    let spot: number | undefined;
    let lotSize: number | undefined;
    for (const iso of chosen) {
      const res = await client.optionChain({
        underlying,
        exchange: this.o.underlyingExchange ?? 'NSE_INDEX',
        expiry_date: toExpiryInput(raw.get(iso)!)!,
        strike_count: CHAIN_STRIKE_COUNT,
        with_greeks: true,
        interest_rate: this.o.riskFreeRatePct,
      });
      if (!res.ok) throw new Error(`optionchain ${underlying} ${iso}: ${res.error.message}`);
      spot ??= res.data.underlyingLtp;
      const side = (l: (typeof res.data.chain)[number]['ce']): TradableQuote | undefined => {
        if (l === undefined) return undefined;
        lotSize ??= l.lotSize;
        return {
          ltp: l.ltp ?? 0,
          symbol: l.symbol,
          ...(l.bid !== undefined ? { bid: l.bid } : {}),
          ...(l.ask !== undefined ? { ask: l.ask } : {}),
          ...(l.oi !== undefined ? { oi: l.oi } : {}),
          ...(l.volume !== undefined ? { volume: l.volume } : {}),
          ...(l.lotSize !== undefined ? { lotSize: l.lotSize } : {}),
          // OpenAlgo sends IV in percent.
          ...(l.impliedVolatility !== undefined && l.impliedVolatility > 0
            ? { iv: l.impliedVolatility / 100 }
            : {}),
        };
      };
      expiries.push({
        expiry: iso,
        rows: res.data.chain.map((r) => {
          const ce = side(r.ce);
          const pe = side(r.pe);
          return { strike: r.strike, ...(ce ? { ce } : {}), ...(pe ? { pe } : {}) };
        }),
      });
    }
    if (spot === undefined || !(spot > 0)) throw new Error(`optionchain ${underlying}: no underlying price`);
    return {
      underlying,
      spot,
      asOfMs: clock.monotonicMs(),
      exchange: optEx,
      ...(lotSize !== undefined ? { lotSize } : {}),
      expiries,
    };
  }
}

export class OpenAlgoFundsPort implements FundsPort {
  constructor(private readonly client: OpenAlgoClient) {}

  async fetch() {
    const r = await this.client.funds();
    if (!r.ok) throw new Error(`funds: ${r.error.message}`);
    return {
      availableMargin: r.data.availableCash,
      usedMargin: r.data.utilisedDebits,
      m2mRealized: r.data.m2mRealized,
      m2mUnrealized: r.data.m2mUnrealized,
    };
  }
}

/** Margin of one lot of a whole group from OpenAlgo's margin endpoint (spread benefit included). */
export class OpenAlgoMarginPort implements MarginPort {
  constructor(private readonly client: OpenAlgoClient) {}

  async marginPerLot(legs: readonly OrderRequest[]): Promise<number | null> {
    const first = legs[0];
    if (first === undefined) return null;
    const lots = first.payload.quantity / first.payload.lot_size;
    const r = await this.client.margin({
      positions: legs.map((l) => ({
        symbol: l.payload.symbol,
        exchange: l.payload.exchange as 'NFO',
        action: l.payload.action,
        quantity: l.payload.quantity,
        product: l.payload.product,
        pricetype: l.payload.pricetype,
        price: l.payload.price,
        trigger_price: l.payload.trigger_price,
      })),
    });
    if (!r.ok || !(lots > 0)) return null;
    return r.data.totalMarginRequired / lots;
  }
}

const isoDay = (wallMs: number) => new Date(wallMs + IST_OFFSET_MS).toISOString().slice(0, 10);

/** EWMA daily vol from OpenAlgo daily history, VIX from its quote; trade stats from the caller. */
export class OpenAlgoStatsPort implements StatsPort {
  constructor(
    private readonly o: OpenAlgoRiskPortOptions,
    private readonly trades: () => Promise<TradeStats> = async () => ({
      tradeCount: 0,
      rollingExpectedMonthlyProfit: 0,
    }),
  ) {}

  tradeStats(): Promise<TradeStats> {
    return this.trades();
  }

  async market(underlying: string): Promise<MarketInputs | null> {
    const { client, clock } = this.o;
    const ex = this.o.underlyingExchange ?? 'NSE_INDEX';
    const now = this.o.marketNowMs?.() ?? clock.wallMs();
    const h = await client.history({
      symbol: underlying,
      exchange: ex,
      interval: 'D',
      start_date: isoDay(now - HISTORY_DAYS * DAY_MS),
      end_date: isoDay(now),
    });
    if (!h.ok) return null;
    const vol = ewmaDailyVol(logReturns(h.data.map((c) => c.close)), this.o.ewmaSpanDays);
    if (vol === null || !(vol > 0)) return null;
    const vix = await client.quotes({ symbol: this.o.vixSymbol ?? 'INDIAVIX', exchange: ex });
    return { ewmaDailyVol: vol, ...(vix.ok ? { vix: vix.data.ltp } : {}) };
  }
}

export interface OpenAlgoRiskPortsInput extends OpenAlgoRiskPortOptions {
  readonly positions: PositionsPort;
  readonly regimes: RegimesPort;
  readonly commands: CommandSink;
  readonly tradeStats?: () => Promise<TradeStats>;
  /** Ask the broker for spread margin (default true); off = width × lot size estimate. */
  readonly brokerMargin?: boolean;
}

/** Every Risk port over one OpenAlgo client and the stores (PositionBookReader, RegimeStateReader, CommandStore). */
export function openAlgoRiskPorts(i: OpenAlgoRiskPortsInput): RiskPorts {
  return {
    chains: new OpenAlgoChainPort(i),
    funds: new OpenAlgoFundsPort(i.client),
    positions: i.positions,
    regimes: i.regimes,
    commands: i.commands,
    stats: new OpenAlgoStatsPort(i, i.tradeStats),
    ...(i.brokerMargin === false ? {} : { margin: new OpenAlgoMarginPort(i.client) }),
  };
}
