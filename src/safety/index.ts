export {
  type AccountState,
  type BreakerAction,
  type BreakerDenial,
  type BreakerOrder,
  CircuitBreakers,
  ORDER_RATE_WINDOW_MS,
  type UnhedgedBreakerEvent,
} from './circuit-breakers.js';
export {
  ALLOW,
  type Allow,
  type DenialContext,
  type GateDenial,
  gateDenial,
  type OrderDeniedEvent,
} from './denial.js';
export {
  type AnalyticsAssessment,
  type AnalyticsInputs,
  assessAnalytics,
  isFresh,
  type OrderDataRequest,
  QuoteFreshness,
  type Stamped,
} from './freshness.js';
export {
  type LeggingPlan,
  type LegSpec,
  type OptionSide,
  type PlanDirection,
  type PlanInput,
  type PlanStep,
  planLegging,
  validatePlan,
} from './legging.js';
export {
  type BreakerParams,
  type ExecutionSafetyParams,
  type FreshnessParams,
  PLAN_LIMITS,
  type SafetyParams,
  type SizingParams,
  safetyParams,
  tightenBreakers,
  tightenExecution,
  tightenFreshness,
  tightenSizing,
  tightenVersionLag,
} from './limits.js';
export {
  type PreTradeDeps,
  type PreTradeInput,
  type PreTradeOrder,
  type PreTradeResult,
  preTradeCheck,
} from './pretrade.js';
export {
  type MarginSnapshot,
  runSizingChain,
  type SizingInput,
  type SizingResult,
  type SizingStep,
  TRADING_DAYS_PER_YEAR,
} from './sizing-chain.js';
export {
  type BrokerHealth,
  type SplitFailureAction,
  type SplitFailureParams,
  splitFailureAction,
} from './split-failure.js';
export {
  checkTradingState,
  nextTradingState,
  type SafetyAction,
  type StateGateOrder,
  type StateTransition,
  type TradingState,
  type TradingStateEvent,
} from './trading-state.js';
export {
  type CancelInput,
  type CloseInput,
  type FillInput,
  type ShortExposure,
  type UnhedgedAction,
  type UnhedgedForceClose,
  type UnhedgedResolved,
  UnhedgedTimer,
} from './unhedged-timer.js';
