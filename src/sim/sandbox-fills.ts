import type { MarketState, MatchDecision, WorkingOrder } from './microstructure.js';

/**
 * OpenAlgo's own sandbox fill rules (SANDBOX.md A.6, `sandbox/execution_engine.py`), pure:
 * no partial fills, no rejects, no latency.
 *
 * | type   | fill condition                                   | price                                     |
 * |--------|--------------------------------------------------|-------------------------------------------|
 * | MARKET | at placement                                     | BUY ask / SELL bid (LTP if that side is 0) |
 * | LIMIT  | BUY LTP ≤ limit / SELL LTP ≥ limit               | at placement LTP; on later ticks the limit |
 * | SL-M   | trigger: BUY LTP ≥ trigger / SELL LTP ≤ trigger  | LTP                                       |
 * | SL     | trigger, then the limit condition                | LTP (else it turns into an open limit)     |
 */
function full(o: WorkingOrder, price: number, triggered: boolean): MatchDecision {
  return {
    kind: 'fill',
    quantity: o.remaining,
    price,
    slippage: 0,
    spreadCost: 0,
    remainder: 'none',
    triggered,
  };
}

function limitOk(o: WorkingOrder, ltp: number): boolean {
  return o.action === 'BUY' ? ltp <= o.price : ltp >= o.price;
}

function triggerHit(o: WorkingOrder, ltp: number): boolean {
  return o.action === 'BUY' ? ltp >= o.triggerPrice : ltp <= o.triggerPrice;
}

export function sandboxOnArrival(o: WorkingOrder, m: MarketState): MatchDecision {
  const ltp = m.ltp;
  switch (o.pricetype) {
    case 'MARKET': {
      const side = o.action === 'BUY' ? m.ask : m.bid;
      return full(o, side > 0 ? side : ltp, false);
    }
    case 'LIMIT':
      return limitOk(o, ltp) ? full(o, ltp, false) : { kind: 'wait', triggered: false };
    case 'SL-M':
      return triggerHit(o, ltp) ? full(o, ltp, true) : { kind: 'wait', triggered: false };
    case 'SL':
      if (!triggerHit(o, ltp)) return { kind: 'wait', triggered: false };
      return limitOk(o, ltp) ? full(o, ltp, true) : { kind: 'wait', triggered: true };
  }
}

export function sandboxOnTick(o: WorkingOrder, m: MarketState): MatchDecision {
  const ltp = m.ltp;
  switch (o.pricetype) {
    case 'MARKET':
      return full(o, ltp, false);
    case 'LIMIT':
      // A resting sandbox limit fills at its own price (no improvement after placement).
      return limitOk(o, ltp) ? full(o, o.price, false) : { kind: 'wait', triggered: false };
    case 'SL-M':
      return triggerHit(o, ltp) ? full(o, ltp, true) : { kind: 'wait', triggered: false };
    case 'SL':
      if (!o.triggered && !triggerHit(o, ltp)) return { kind: 'wait', triggered: false };
      return limitOk(o, ltp) ? full(o, ltp, true) : { kind: 'wait', triggered: true };
  }
}
