import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { evaluateExit, type OpenStrategy, spreadValue } from '../../../src/strategy/index.js';

const loaded = loadConfig({ env: {}, envFile: null });
if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
// Plan defaults: profit target 50 %, stop 2× credit, implied-move multiple 1, exit at 1 DTE.
const params = loaded.config.strategy;

const EXPIRY_CLOSE = Date.UTC(2024, 5, 27, 10, 0, 0); // 15:30 IST on 2024-06-27
const NOW = Date.UTC(2024, 5, 21, 10, 0, 0); // six days before
const SP = 'NIFTY27JUN2423250PE';
const LP = 'NIFTY27JUN2423050PE';
const SC = 'NIFTY27JUN2423800CE';
const LC = 'NIFTY27JUN2424000CE';

const bps: OpenStrategy = {
  strategyId: 'BPS-NIFTY-20240621-1',
  strategyType: 'BULL_PUT_SPREAD',
  underlying: 'NIFTY',
  exchange: 'NFO',
  expiry: '2024-06-27',
  lotSize: 25,
  legs: [
    {
      name: 'long_put',
      role: 'HEDGE',
      optionType: 'PE',
      strike: 23050,
      symbol: LP,
      quantity: 25,
      entryPrice: 21,
    },
    {
      name: 'short_put',
      role: 'SHORT',
      optionType: 'PE',
      strike: 23250,
      symbol: SP,
      quantity: 25,
      entryPrice: 52,
    },
  ],
  entryUnderlying: 23_500,
  impliedMove: 100,
};
// Credit 31/unit: 50 % target = cost 15.5; 2× stop = cost 62; dynamic stop at 23,500 − 100 = 23,400.

const SAFE_SPOT = 23_450;
const ev = (marks: Record<string, number>, spot = SAFE_SPOT, now = NOW, open = bps) =>
  evaluateExit(open, marks, spot, params, now);

describe('evaluateExit — each rule at its boundary (bull put spread, credit 31/unit)', () => {
  it('holds in between', () => {
    expect(ev({ [SP]: 40, [LP]: 15 }).action).toBe('HOLD');
    expect(spreadValue(bps, { [SP]: 40, [LP]: 15 })).toEqual({
      credit: 775,
      costToClose: 625,
      missingMarks: [],
    });
  });

  it('profit target: closes at exactly 50 % of the credit captured, holds just short of it', () => {
    expect(ev({ [SP]: 20.5, [LP]: 5 })).toMatchObject({ action: 'CLOSE', reason: 'PROFIT_TARGET' });
    expect(ev({ [SP]: 20.55, [LP]: 5 }).action).toBe('HOLD');
  });

  it('stop loss: closes when the spread costs exactly 2× the credit, holds just below', () => {
    expect(ev({ [SP]: 72, [LP]: 10 })).toMatchObject({ action: 'CLOSE', reason: 'STOP_LOSS' });
    expect(ev({ [SP]: 71.95, [LP]: 10 }).action).toBe('HOLD');
  });

  it('dynamic stop: closes once the underlying is the implied move × multiple below entry', () => {
    const marks = { [SP]: 40, [LP]: 15 };
    expect(ev(marks, 23_400)).toMatchObject({ action: 'CLOSE', reason: 'DYNAMIC_STOP' });
    expect(ev(marks, 23_400.05).action).toBe('HOLD');
    const wider = evaluateExit(bps, marks, 23_400, { ...params, impliedMoveMultiple: 1.5 }, NOW);
    expect(wider.action).toBe('HOLD');
    // Without the entry anchor the rule is skipped, not guessed.
    const { entryUnderlying: _e, ...noAnchor } = bps;
    expect(ev(marks, 23_400, NOW, noAnchor).action).toBe('HOLD');
  });

  it('short strike breached: at the strike closes, a tick above does not', () => {
    const marks = { [SP]: 40, [LP]: 15 };
    const wide = { ...bps, impliedMove: 1_000 };
    expect(ev(marks, 23_250, NOW, wide)).toMatchObject({ action: 'CLOSE', reason: 'SHORT_STRIKE_BREACHED' });
    expect(ev(marks, 23_250.05, NOW, wide).action).toBe('HOLD');
  });

  it('DTE exit: closes at exactly 1 day to the expiry close, holds 1 ms before', () => {
    const marks = { [SP]: 40, [LP]: 15 };
    expect(ev(marks, SAFE_SPOT, EXPIRY_CLOSE - 86_400_000)).toMatchObject({
      action: 'CLOSE',
      reason: 'DTE_EXIT',
    });
    expect(ev(marks, SAFE_SPOT, EXPIRY_CLOSE - 86_400_001).action).toBe('HOLD');
  });

  it('missing marks skip the P&L rules but not the breach or DTE rules', () => {
    const d = ev({ [SP]: 100 });
    expect(d.action).toBe('HOLD');
    expect(d.details.missingMarks).toEqual([LP]);
    expect(ev({}, 23_200)).toMatchObject({ action: 'CLOSE', reason: 'SHORT_STRIKE_BREACHED' });
  });
});

describe('evaluateExit — iron condor', () => {
  const ic: OpenStrategy = {
    ...bps,
    strategyId: 'IC-NIFTY-20240621-1',
    strategyType: 'IRON_CONDOR',
    legs: [
      ...bps.legs,
      {
        name: 'long_call',
        role: 'HEDGE',
        optionType: 'CE',
        strike: 24000,
        symbol: LC,
        quantity: 25,
        entryPrice: 8,
      },
      {
        name: 'short_call',
        role: 'SHORT',
        optionType: 'CE',
        strike: 23800,
        symbol: SC,
        quantity: 25,
        entryPrice: 24,
      },
    ],
    impliedMove: 250,
  };
  it('either short breached closes the condor; the dynamic stop watches both sides', () => {
    const marks = { [SP]: 40, [LP]: 15, [SC]: 20, [LC]: 5 };
    expect(evaluateExit(ic, marks, 23_700, params, NOW).action).toBe('HOLD');
    expect(evaluateExit(ic, marks, 23_800, params, NOW)).toMatchObject({
      action: 'CLOSE',
      reason: 'SHORT_STRIKE_BREACHED',
      details: { leg: 'short_call' },
    });
    expect(evaluateExit({ ...ic, impliedMove: 200 }, marks, 23_700, params, NOW)).toMatchObject({
      action: 'CLOSE',
      reason: 'DYNAMIC_STOP',
    });
  });
});
