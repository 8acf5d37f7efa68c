export {
  BLACK_SWAN_MIN_DTE,
  BLACK_SWAN_PROFIT_PCT_BAND,
  type BlackSwanBudget,
  type BlackSwanPick,
  type BlackSwanPut,
  blackSwanBudget,
  blackSwanLots,
  selectBlackSwanPut,
} from './black-swan.js';
export {
  daysToExpiry,
  expiriesInWindow,
  monthlyExpiries,
  optionSymbol,
  type ParsedOptionSymbol,
  parseOptionSymbol,
  pricedStrikes,
  symbolOf,
} from './chain-utils.js';
export {
  CREDIT_STRATEGY_TYPES,
  type EntryCheck,
  entryAllowed,
  isCreditStrategy,
  NO_TRADE_FLAGS,
  NO_TRADE_REGIMES,
  STRATEGIES,
  strategiesForRegime,
  strategyDefinition,
} from './definitions.js';
export { evaluateExit, type SpreadValue, spreadValue } from './exits.js';
export { DEFAULT_DELTA_TOLERANCE, type SelectOptions, selectLegs } from './select-legs.js';
export type {
  BlackSwanParams,
  CreditStrategyType,
  ExitDecision,
  ExitRule,
  LegDefinition,
  LegName,
  LegSelection,
  OpenLeg,
  OpenStrategy,
  SelectedLeg,
  SelectReason,
  StrategyChain,
  StrategyDefinition,
  StrategyParams,
  StrikeRule,
  TradableExpiry,
  TradableQuote,
  TradableRow,
} from './types.js';
