import type { Config } from '../../src/config/index.js';

/**
 * The regime parameters the regime tests were recorded with: the plan's indicator periods and VIX
 * cut-offs, 5-minute bars, and a 0.5 % congestion band (the config default is 0.1 %; tests that
 * want it say so).
 */
export const REGIME_TEST_PARAMS: Config['regime'] = Object.freeze({
  ichimokuConversion: 9,
  ichimokuBase: 26,
  ichimokuSpanB: 52,
  impulseEma: 13,
  macdFast: 12,
  macdSlow: 26,
  macdSignal: 9,
  barIntervalMs: 300_000,
  vixLow: 12,
  vixHigh: 25,
  vixNoTrade: 35,
  congestionBandPct: 0.5,
  blowoffAtrMultiple: 3,
  pcrBullish: 1.2,
  pcrBearish: 0.8,
});
