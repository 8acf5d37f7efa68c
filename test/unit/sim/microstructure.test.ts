import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../../src/clock/index.js';
import {
  fillRate,
  type InstrumentProfile,
  isEdgeSession,
  liquidityBucket,
  type MarketState,
  matchOnArrival,
  matchOnTick,
  orderLatencyMs,
  DEFAULT_MICROSTRUCTURE as P,
  rejectProbability,
  slippagePerUnit,
  sweepPrice,
  type WorkingOrder,
} from '../../../src/sim/microstructure.js';
import { sandboxOnArrival, sandboxOnTick } from '../../../src/sim/sandbox-fills.js';

/** An Rng whose uniform draws come from a list (then repeat the last). */
function scripted(...u: number[]): Rng {
  let i = 0;
  const next = () => u[Math.min(i++, u.length - 1)]!;
  return {
    next,
    int: (a, b) => a + Math.floor(next() * (b - a + 1)),
    normal: () => 0,
    chance: (p) => next() < p,
  };
}

const MID_DAY = 12 * 60; // 12:00 IST
const option = (strikesFromAtm: number): InstrumentProfile => ({
  kind: 'option',
  tickSize: 0.05,
  lotSize: 75,
  largeCap: true,
  strikesFromAtm,
});
const LARGE: InstrumentProfile = { kind: 'equity', tickSize: 0.05, lotSize: 1, largeCap: true };
const MID: InstrumentProfile = { kind: 'equity', tickSize: 0.05, lotSize: 1, largeCap: false };

function market(over: Partial<MarketState> = {}): MarketState {
  return {
    ltp: 100,
    bid: 99.95,
    ask: 100.05,
    bids: [{ price: 99.95, quantity: 750 }],
    asks: [{ price: 100.05, quantity: 750 }],
    vix: 14,
    istMinute: MID_DAY,
    ...over,
  };
}

function order(over: Partial<WorkingOrder> = {}): WorkingOrder {
  return {
    action: 'BUY',
    pricetype: 'MARKET',
    remaining: 75,
    price: 0,
    triggerPrice: 0,
    triggered: false,
    ...over,
  };
}

describe('time of day, stress, latency and rejects (plan: Replay Validation table)', () => {
  it('09:15–09:30 and 15:00–15:30 IST are edge sessions; their boundaries are exact', () => {
    expect(isEdgeSession(9 * 60 + 15)).toBe(true);
    expect(isEdgeSession(9 * 60 + 29.99)).toBe(true);
    expect(isEdgeSession(9 * 60 + 30)).toBe(false);
    expect(isEdgeSession(14 * 60 + 59.99)).toBe(false);
    expect(isEdgeSession(15 * 60)).toBe(true);
    expect(isEdgeSession(15 * 60 + 29.99)).toBe(true);
    expect(isEdgeSession(15 * 60 + 30)).toBe(false);
  });

  it('latency is 100 ms, 300 ms once VIX is above 25 (not at 25)', () => {
    expect(orderLatencyMs({ vix: 25 }, P)).toBe(100);
    expect(orderLatencyMs({ vix: 25.01 }, P)).toBe(300);
    expect(orderLatencyMs({ vix: undefined }, P)).toBe(100);
  });

  it('reject rate is 2 %, plus 5 % while VIX > 25', () => {
    expect(rejectProbability({ vix: 20 }, P)).toBeCloseTo(0.02);
    expect(rejectProbability({ vix: 30 }, P)).toBeCloseTo(0.07);
  });

  it('the reject draw comes first on arrival: a low draw rejects, a high one does not', () => {
    expect(matchOnArrival(order(), option(0), market(), P, scripted(0.019)).kind).toBe('reject');
    expect(matchOnArrival(order(), option(0), market(), P, scripted(0.021, 0)).kind).toBe('fill');
    expect(matchOnArrival(order(), option(0), market({ vix: 30 }), P, scripted(0.069)).kind).toBe('reject');
  });

  it('the observed reject frequency matches the configured rate', () => {
    const rng = createRng(7);
    let rejects = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++)
      if (matchOnArrival(order(), option(0), market(), P, rng).kind === 'reject') rejects++;
    expect(rejects / n).toBeGreaterThan(0.015);
    expect(rejects / n).toBeLessThan(0.025);
  });
});

describe('liquidity buckets: slippage and partial fills', () => {
  it('buckets by kind and whole strikes from ATM, on either side', () => {
    expect(liquidityBucket(option(0))).toBe('OPTION_ATM');
    expect(liquidityBucket(option(1))).toBe('OPTION_OTM1');
    expect(liquidityBucket(option(-1))).toBe('OPTION_OTM1');
    expect(liquidityBucket(option(2))).toBe('OPTION_DEEP_OTM');
    expect(liquidityBucket(LARGE)).toBe('LARGE_CAP');
    expect(liquidityBucket(MID)).toBe('MID_CAP');
    expect(liquidityBucket({ kind: 'future', tickSize: 0.1, lotSize: 75, largeCap: true })).toBe('FUTURE');
  });

  it('fill rates: ATM 90 %, one strike 70 %, deep 50 %, equities 100 %; edge sessions cap at 50 %', () => {
    const mid = { istMinute: MID_DAY };
    const edge = { istMinute: 9 * 60 + 20 };
    expect(fillRate(option(0), mid, P)).toBe(0.9);
    expect(fillRate(option(1), mid, P)).toBe(0.7);
    expect(fillRate(option(3), mid, P)).toBe(0.5);
    expect(fillRate(LARGE, mid, P)).toBe(1);
    expect(fillRate(option(0), edge, P)).toBe(0.5);
    expect(fillRate(LARGE, edge, P)).toBe(0.5);
  });

  it('slippage: large-cap 0.05 %, mid-cap 0.15 %, ATM 1 tick, OTM 3→5 ticks, doubled at the edges', () => {
    const mid = { istMinute: MID_DAY };
    const edge = { istMinute: 15 * 60 + 10 };
    expect(slippagePerUnit(LARGE, 1400, mid, P)).toBeCloseTo(0.7);
    expect(slippagePerUnit(MID, 1000, mid, P)).toBeCloseTo(1.5);
    expect(slippagePerUnit(option(0), 100, mid, P)).toBeCloseTo(0.05);
    expect(slippagePerUnit(option(1), 100, mid, P)).toBeCloseTo(0.15);
    expect(slippagePerUnit(option(2), 100, mid, P)).toBeCloseTo(0.2);
    expect(slippagePerUnit(option(9), 100, mid, P)).toBeCloseTo(0.25);
    expect(slippagePerUnit(option(0), 100, edge, P)).toBeCloseTo(0.1);
    expect(slippagePerUnit(LARGE, 1400, edge, P)).toBeCloseTo(1.4);
  });

  it('spread cost walks the depth (VWAP); without depth the spread is 2 ticks and crossing costs one', () => {
    const m = market({
      asks: [
        { price: 100.05, quantity: 75 },
        { price: 100.1, quantity: 75 },
      ],
    });
    const s = sweepPrice('BUY', 150, option(0), m, P);
    expect(s.price).toBeCloseTo(100.075);
    expect(s.spreadCost).toBeCloseTo(0.075);
    const bare = sweepPrice('SELL', 75, option(0), market({ bid: 0, ask: 0, bids: [], asks: [] }), P);
    expect(bare.price).toBeCloseTo(99.95);
    expect(bare.spreadCost).toBeCloseTo(0.05);
  });

  it('a marketable buy pays the ask plus slippage; a sell receives the bid minus slippage', () => {
    const buy = matchOnArrival(order(), option(0), market(), P, scripted(0.5, 0));
    expect(buy).toMatchObject({ kind: 'fill', quantity: 75, remainder: 'none' });
    if (buy.kind === 'fill') expect(buy.price).toBeCloseTo(100.1);
    const sell = matchOnArrival(order({ action: 'SELL' }), option(0), market(), P, scripted(0.5, 0));
    if (sell.kind === 'fill') expect(sell.price).toBeCloseTo(99.9);
  });

  it('MARKET: unfilled lots are cancelled; LIMIT: they rest', () => {
    // 3 lots at OTM1 (70 %): draws 0.1 (fill), 0.8 (miss), 0.2 (fill) after the reject draw.
    const m = matchOnArrival(order({ remaining: 225 }), option(1), market(), P, scripted(0.5, 0.1, 0.8, 0.2));
    expect(m).toMatchObject({ kind: 'fill', quantity: 150, remainder: 'cancel' });
    const l = matchOnArrival(
      order({ remaining: 225, pricetype: 'LIMIT', price: 101 }),
      option(1),
      market(),
      P,
      scripted(0.5, 0.1, 0.8, 0.2),
    );
    expect(l).toMatchObject({ kind: 'fill', quantity: 150, remainder: 'rest' });
    const none = matchOnArrival(order(), option(3), market(), P, scripted(0.5, 0.9));
    expect(none.kind).toBe('cancel');
  });

  it('a marketable limit never fills beyond its limit price', () => {
    const d = matchOnArrival(
      order({ pricetype: 'LIMIT', price: 100.05 }),
      option(0),
      market(),
      P,
      scripted(0.5, 0),
    );
    expect(d).toMatchObject({ kind: 'fill', price: 100.05 });
  });
});

describe('queue position: a resting limit fills only when the price trades through it', () => {
  const resting = order({ pricetype: 'LIMIT', price: 99 });
  it('not marketable on arrival → waits', () => {
    expect(matchOnArrival(resting, option(0), market(), P, scripted(0.5)).kind).toBe('wait');
  });
  it('touching the limit is not enough; trading through fills at the limit without slippage', () => {
    const at = market({ ltp: 99, bid: 98.95, ask: 99.05 });
    expect(matchOnTick(resting, option(0), at, P, scripted(0)).kind).toBe('wait');
    const through = market({ ltp: 98.95, bid: 98.9, ask: 99 });
    expect(matchOnTick(resting, option(0), through, P, scripted(0))).toMatchObject({
      kind: 'fill',
      price: 99,
      slippage: 0,
      remainder: 'none',
    });
  });
  it('sell side mirrors it', () => {
    const sell = order({ action: 'SELL', pricetype: 'LIMIT', price: 101 });
    expect(matchOnTick(sell, option(0), market({ ltp: 101 }), P, scripted(0)).kind).toBe('wait');
    expect(matchOnTick(sell, option(0), market({ ltp: 101.05 }), P, scripted(0)).kind).toBe('fill');
  });
  it('stops wait for the trigger, then act as market (SL-M) or limit (SL)', () => {
    const slm = order({ pricetype: 'SL-M', triggerPrice: 102 });
    expect(matchOnTick(slm, option(0), market(), P, scripted(0)).kind).toBe('wait');
    expect(
      matchOnTick(slm, option(0), market({ ltp: 102, ask: 102.05, asks: [] }), P, scripted(0)).kind,
    ).toBe('fill');
    const sl = order({ pricetype: 'SL', triggerPrice: 102, price: 101 });
    const trig = matchOnTick(
      sl,
      option(0),
      market({ ltp: 102, bid: 101.95, ask: 102.05, asks: [] }),
      P,
      scripted(0),
    );
    expect(trig).toEqual({ kind: 'wait', triggered: true });
  });
});

describe('OpenAlgo sandbox fill rules (SANDBOX.md A.6)', () => {
  it('MARKET fills whole at ask/bid (LTP when the side is empty)', () => {
    expect(sandboxOnArrival(order({ remaining: 750 }), market())).toMatchObject({
      quantity: 750,
      price: 100.05,
    });
    expect(sandboxOnArrival(order({ action: 'SELL' }), market())).toMatchObject({ price: 99.95 });
    expect(sandboxOnArrival(order(), market({ ask: 0 }))).toMatchObject({ price: 100 });
  });
  it('LIMIT: marketable at placement fills at LTP; later at the limit', () => {
    expect(sandboxOnArrival(order({ pricetype: 'LIMIT', price: 101 }), market())).toMatchObject({
      price: 100,
    });
    expect(sandboxOnArrival(order({ pricetype: 'LIMIT', price: 99 }), market()).kind).toBe('wait');
    expect(sandboxOnTick(order({ pricetype: 'LIMIT', price: 99 }), market({ ltp: 99 }))).toMatchObject({
      price: 99,
    });
  });
});

describe('property: the model conserves quantity', () => {
  it('filled + resting + cancelled = ordered, in whole lots, whatever the market does', () => {
    const lot = 75;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom('MARKET', 'LIMIT', 'SL', 'SL-M'),
        fc.constantFrom('BUY', 'SELL'),
        fc.integer({ min: -6, max: 6 }),
        fc.array(fc.double({ min: 80, max: 120, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 2 ** 30 }),
        (lots, pricetype, action, away, path, seed) => {
          const rng = createRng(seed);
          const qty = lots * lot;
          let filled = 0;
          let cancelled = 0;
          let w: WorkingOrder = {
            action: action as 'BUY' | 'SELL',
            pricetype: pricetype as WorkingOrder['pricetype'],
            remaining: qty,
            price: 100,
            triggerPrice: 100,
            triggered: false,
          };
          let done = false;
          path.forEach((ltp, i) => {
            if (done) return;
            const m = market({ ltp, bid: ltp - 0.05, ask: ltp + 0.05, istMinute: 555 + i * 13 });
            const d =
              i === 0 ? matchOnArrival(w, option(away), m, P, rng) : matchOnTick(w, option(away), m, P, rng);
            if (d.kind === 'reject' || d.kind === 'cancel') {
              cancelled += w.remaining;
              done = true;
            } else if (d.kind === 'fill') {
              expect(d.quantity % lot).toBe(0);
              expect(d.quantity).toBeGreaterThan(0);
              expect(d.quantity).toBeLessThanOrEqual(w.remaining);
              filled += d.quantity;
              const rest = w.remaining - d.quantity;
              if (d.remainder === 'cancel') {
                cancelled += rest;
                done = true;
              } else if (d.remainder === 'none') done = true;
              w = { ...w, remaining: rest, triggered: w.triggered || d.triggered };
            } else w = { ...w, triggered: d.triggered };
          });
          const resting = done ? 0 : w.remaining;
          expect(filled + resting + cancelled).toBe(qty);
        },
      ),
      { numRuns: 300 },
    );
  });
});
