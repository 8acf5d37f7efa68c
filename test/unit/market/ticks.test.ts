import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import {
  backoffDelay,
  MarketDataFrame,
  modeOf,
  QuoteCache,
  type Tick,
  toTick,
} from '../../../src/market/index.js';

const parse = (frame: unknown, at = 0, source = 'primary') => {
  const f = MarketDataFrame.safeParse(frame);
  if (!f.success) throw new Error(f.error.message);
  return toTick(f.data, at, source);
};

describe('tick normalisation (WEBSOCKET.md §4)', () => {
  it('Angel depth tick: depth levels, bid/ask from depth, ltt in ms, last_quantity', () => {
    const t = parse(
      {
        type: 'market_data',
        symbol: 'SBIN',
        exchange: 'NSE',
        mode: 3,
        broker: 'angel',
        data: {
          ltp: 769.6,
          ltt: 1746171226000,
          volume: 9362799,
          open: 760.0,
          high: 774.0,
          low: 758.15,
          close: 746.9,
          last_quantity: 205,
          oi: 0,
          upper_circuit: 821.55,
          lower_circuit: 672.25,
          depth: {
            buy: [
              { price: 769.4, quantity: 886, orders: 5 },
              { price: 0, quantity: 0, orders: 0 },
            ],
            sell: [{ price: 769.6, quantity: 767, orders: 3 }],
          },
          symbol: 'SBIN',
          exchange: 'NSE',
          mode: 3,
          timestamp: 1746171226123,
        },
      },
      42,
    );
    expect(t).toMatchObject({
      ltp: 769.6,
      bid: 769.4,
      ask: 769.6,
      prevClose: 746.9,
      lastQuantity: 205,
      lttMs: 1746171226000,
      feedTimeMs: 1746171226123,
      receivedMonoMs: 42,
      mode: 3,
      upperCircuit: 821.55,
    });
    expect(t.depth?.buy).toEqual([{ price: 769.4, quantity: 886, orders: 5 }]);
  });

  it('Zerodha variants: data.mode as a string, ltt in seconds, last_trade_quantity, open_interest, numeric strings', () => {
    const t = parse({
      type: 'market_data',
      symbol: 'NIFTY28AUG2524000CE',
      exchange: 'NFO',
      mode: 2,
      data: {
        mode: 'full',
        ltp: '120.5',
        ltt: 1712572800,
        last_trade_quantity: 75,
        open_interest: 123456,
        avg_trade_price: 118.2,
        timestamp: 1712572800123,
      },
    });
    expect(t).toMatchObject({
      ltp: 120.5,
      lttMs: 1712572800_000,
      lastQuantity: 75,
      oi: 123456,
      averagePrice: 118.2,
      bid: undefined,
    });
  });

  it('a mode-1 subscriber gets the full Quote/Depth payload tagged mode 1: the fields are still read', () => {
    const t = parse({
      type: 'market_data',
      symbol: 'RELIANCE',
      exchange: 'NSE',
      mode: 1,
      data: {
        ltp: 1187.75,
        bid: 1187.7,
        ask: 1187.8,
        volume: 10,
        depth: { buy: [{ price: 1187.7, quantity: 1 }], sell: [] },
      },
    });
    expect(t).toMatchObject({ mode: 1, bid: 1187.7, ask: 1187.8, volume: 10 });
    expect(t.depth?.buy.length).toBe(1);
  });

  it('wrong shapes are refused by the schema', () => {
    const bad = [
      { type: 'market_data', symbol: 'X', exchange: 'NSE', mode: 2, data: {} },
      { type: 'market_data', symbol: 'X', exchange: 'NSE', mode: 9, data: { ltp: 1 } },
      { type: 'market_data', symbol: '', exchange: 'NSE', mode: 2, data: { ltp: 1 } },
      { type: 'market_data', symbol: 'X', exchange: 'NSE', mode: 2, data: { ltp: 'abc' } },
    ];
    for (const b of bad) expect(MarketDataFrame.safeParse(b).success).toBe(false);
    expect(modeOf('Quote')).toBe(2);
    expect(modeOf('DEPTH')).toBe(3);
    expect(modeOf(true)).toBeUndefined();
  });

  it('back-off schedule 1, 2, 5, 10, 30, then 60 s capped', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((a) => backoffDelay(a))).toEqual([
      1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 60_000, 60_000,
    ]);
  });
});

const tick = (o: Partial<Tick>): Tick => ({
  symbol: 'NIFTY',
  exchange: 'NSE_INDEX',
  mode: 2,
  ltp: 100,
  bid: undefined,
  ask: undefined,
  open: undefined,
  high: undefined,
  low: undefined,
  prevClose: undefined,
  volume: undefined,
  oi: undefined,
  averagePrice: undefined,
  lastQuantity: undefined,
  totalBuyQuantity: undefined,
  totalSellQuantity: undefined,
  upperCircuit: undefined,
  lowerCircuit: undefined,
  depth: undefined,
  feedTimeMs: undefined,
  lttMs: undefined,
  receivedMonoMs: 0,
  source: 'primary',
  ...o,
});

describe('QuoteCache', () => {
  it('keeps the latest per (exchange, symbol), stamped with our monotonic receipt time, not the feed time', () => {
    const clock = new VirtualClock({ monotonicMs: 1_000 });
    const cache = new QuoteCache(clock);
    cache.update(tick({ ltp: 100, receivedMonoMs: 1_000, feedTimeMs: 5 }));
    clock.advance(1_500);
    expect(cache.ageMs('NIFTY')).toBe(1_500);
    cache.update(tick({ ltp: 101, receivedMonoMs: clock.monotonicMs(), feedTimeMs: 999_999_999_999 }));
    expect(cache.get('NIFTY', 'NSE_INDEX')).toMatchObject({ ltp: 101, receivedMonoMs: 2_500, ticks: 2 });
    expect(cache.ageMs('NIFTY', 'NSE_INDEX')).toBe(0);
  });

  it('merges: an LTP-only tick keeps earlier depth and bid/ask with their own receipt times', () => {
    const cache = new QuoteCache();
    const depth = {
      buy: [{ price: 99.9, quantity: 5, orders: 1 }],
      sell: [{ price: 100.1, quantity: 5, orders: 1 }],
    };
    cache.update(tick({ symbol: 'X', exchange: 'NFO', bid: 99.9, ask: 100.1, depth, receivedMonoMs: 10 }));
    cache.update(tick({ symbol: 'X', exchange: 'NFO', ltp: 100.05, mode: 1, receivedMonoMs: 20 }));
    expect(cache.get('X')).toMatchObject({
      ltp: 100.05,
      bid: 99.9,
      ask: 100.1,
      receivedMonoMs: 20,
      bidAskReceivedMonoMs: 10,
      depthReceivedMonoMs: 10,
    });
    expect(cache.get('X')?.depth).toBe(depth);
  });

  it('get(symbol) without exchange returns the most recently updated listing; onTick fans out and survives a bad listener', () => {
    const cache = new QuoteCache();
    const seen: number[] = [];
    cache.onTick(() => {
      throw new Error('bad agent');
    });
    const off = cache.onTick((_t, s) => seen.push(s.ltp));
    cache.update(tick({ symbol: 'RELIANCE', exchange: 'NSE', ltp: 1 }));
    cache.update(tick({ symbol: 'RELIANCE', exchange: 'BSE', ltp: 2 }));
    expect(cache.get('RELIANCE')?.exchange).toBe('BSE');
    expect(cache.get('RELIANCE', 'NSE')?.ltp).toBe(1);
    off();
    cache.update(tick({ symbol: 'RELIANCE', exchange: 'NSE', ltp: 3 }));
    expect(seen).toEqual([1, 2]);
    expect(cache.listenerErrors).toBe(3);
    expect(cache.size).toBe(2);
    expect(cache.get('NOPE')).toBeUndefined();
  });
});
