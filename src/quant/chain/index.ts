export { type GexOptions, type GexStrike, type GexValue, gex } from './gex.js';
export { type MaxPainValue, maxPain } from './max-pain.js';
export { type PcrValue, pcr } from './pcr.js';
export { DEFAULT_RATE, expiryT, quoteIv, quotePrice, yearsToExpiry } from './quote.js';
export {
  listedStrikes,
  nearestStrike,
  type StrikeByDelta,
  strikeByDelta,
  strikeStep,
  wingStrike,
  wingWidthFromMove,
} from './strikes.js';
export type { ChainExpiry, ChainParams, ChainRow, ChainSnapshot, OptionQuote } from './types.js';
export {
  type AtmIvValue,
  atmIv,
  type SkewValue,
  type SmilePoint,
  type StraddleMoveValue,
  skew25,
  smile,
  straddleMove,
  type TermStructureValue,
  termStructure,
} from './vol-surface.js';
