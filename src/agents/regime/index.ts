export {
  aggregateBars,
  BarBuilder,
  type BarBuilderStats,
  type ClosedBar,
  type OhlcBar,
} from './bar-builder.js';
export {
  DEFAULT_VENUES,
  expiryIso,
  istDate,
  type OpenAlgoPortsOptions,
  openAlgoRegimePorts,
  toChainSnapshot,
  type Venue,
} from './openalgo-ports.js';
export type { HistoryBar, RegimePorts, RegimeTick } from './ports.js';
export {
  DEFAULT_BAR_GRACE_MS,
  REGIME_ALERT_CODE,
  RegimeAgent,
  type RegimeAgentOptions,
} from './regime-agent.js';
export {
  type ChainAnalytics,
  chainAnalytics,
  type EngineBar,
  type EngineParams,
  type EngineStats,
  RegimeEngine,
  type VixBand,
  warmupBars,
} from './regime-engine.js';
export {
  ATR_PERIOD,
  classifyRegime,
  type GexSummary,
  type IndicatorValue,
  PRIMARY_WEIGHTS,
  primaryScore,
  REGIME_FLAGS,
  type RegimeDecision,
  type RegimeFlag,
  type RegimeInputs,
  type RegimeParams,
  type RegimeRuleParams,
  type RuleBar,
  SECONDARY_WEIGHT,
} from './regime-rules.js';
