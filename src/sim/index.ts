export {
  Account,
  AUTO_SQUARE_OFF,
  type FillModelName,
  type OrderRecord,
  type OrderRequest,
} from './account.js';
export { TradingCalendar } from './calendar.js';
export { loadSimData, type SimData } from './data-files.js';
export { FaultState, NO_FAULTS } from './faults.js';
export { type Instrument, InstrumentRegistry, optionSymbol, UNDERLYINGS } from './instruments.js';
export {
  DEFAULT_MARGIN_PARAMS,
  type MarginBreakdown,
  type MarginLeg,
  type MarginParams,
  portfolioMargin,
} from './margin.js';
export { MarketEngine, type Quote } from './market.js';
export {
  type BookLevel,
  DEFAULT_MICROSTRUCTURE,
  fillLots,
  fillRate,
  type InstrumentProfile,
  isEdgeSession,
  isStressed,
  type LiquidityBucket,
  liquidityBucket,
  type MarketState,
  type MatchDecision,
  type MicrostructureParams,
  matchOnArrival,
  matchOnTick,
  orderLatencyMs,
  type PriceType,
  rejectProbability,
  type Side,
  slippagePerUnit,
  sweepPrice,
  type WorkingOrder,
} from './microstructure.js';
export { sandboxOnArrival, sandboxOnTick } from './sandbox-fills.js';
export {
  createSimCore,
  DEFAULT_DATA_DIR,
  DEFAULT_REPLAY_START,
  SIM_BROKER,
  SIM_USER_ID,
  type SimCore,
  startSimulator,
} from './simulator.js';
export { GeneratorSource, type MarketSource, ReplaySource } from './sources.js';
export type {
  FaultController,
  Faults,
  FeedState,
  RunningSimulator,
  SimInstrument,
  SimOrder,
  SimulatorOptions,
} from './types.js';
