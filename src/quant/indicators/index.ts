export { Atr, atrSeries } from './atr.js';
export { Bollinger, type BollingerValue, bollingerSeries } from './bollinger.js';
export { ElderImpulse, elderImpulseSeries, type ImpulseColor } from './elder-impulse.js';
export { Ema, emaSeries } from './ema.js';
export {
  EwmaVol,
  type EwmaVolOptions,
  ewmaDailyVol,
  ewmaVolSeries,
  logReturns,
  SIZING_EWMA_SPAN,
} from './ewma-vol.js';
export {
  HistoricalVol,
  type HistoricalVolOptions,
  historicalVolSeries,
  TRADING_DAYS_PER_YEAR,
} from './historical-vol.js';
export { Ichimoku, type IchimokuValue, ichimokuSeries } from './ichimoku.js';
export { IV_RANK_LOOKBACK, IvRank, type IvRankValue, ivPercentile, ivRank, ivRankSeries } from './iv-rank.js';
export { Macd, type MacdValue, macdSeries } from './macd.js';
export {
  RelativeStrength,
  RS_LOOKBACK,
  type RsInput,
  relativeStrength,
  relativeStrengthSeries,
} from './relative-strength.js';
export { Rsi, rsiSeries } from './rsi.js';
export {
  SupplyDemand,
  type SupplyDemandOptions,
  type SupplyDemandValue,
  supplyDemandSeries,
  type Zone,
} from './supply-demand.js';
export type { Bar, StreamingIndicator } from './types.js';
export { Vcp, type VcpOptions, type VcpValue, vcpSeries } from './vcp.js';
