export {
  type ClassifyContext,
  classify,
  fieldErrorsOf,
  isRetryableClass,
  type RawOutcome,
} from './classify.js';
export {
  type CallEvent,
  type CallOptions,
  type ClientStats,
  OpenAlgoClient,
  type OpenAlgoClientOptions,
} from './client.js';
export { type CompatOptions, type CompatRow, formatCompatTable, runCompatMatrix } from './compat.js';
export { findOrdersByTag, parseBrokerTimestamp, type TagFallback, type TagSearch } from './find-orders.js';
export { parsePythonLiteral } from './python-literal.js';
export { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits, routeKind } from './rate-limiter.js';
export type {
  BasketItemInput,
  BasketOrderInput,
  ExpiryInput,
  HistoryInput,
  MarginInput,
  ModifyOrderInput,
  MultiQuotesInput,
  OptionChainInput,
  OptionGreeksInput,
  OrderRefInput,
  PlaceOrderInput,
  PlaceSmartOrderInput,
  StrategyOnlyInput,
  SymbolInput,
} from './requests.js';
export { EXCHANGES, FNO_EXCHANGES, HISTORY_INTERVALS } from './requests.js';
export {
  type AnalyzerStatus,
  type BasketLegResult,
  type BasketResult,
  type CancelAllResult,
  type Candle,
  type Depth,
  type DepthLevel,
  epochToMs,
  type Funds,
  type MarginResult,
  type MultiQuoteItem,
  normalizeOrderStatus,
  type OptionChain,
  type OptionGreeks,
  type OptionLeg,
  ORDER_STATUSES,
  type OrderAck,
  type OrderBook,
  type OrderRow,
  type OrderStatus,
  type PositionRow,
  type Quote,
  type SmartOrderAck,
  type SymbolInfo,
  TERMINAL_ORDER_STATUSES,
  type TradeRow,
  toExpiryInput,
} from './responses.js';
export { type RateLimit, TokenBucket } from './token-bucket.js';
export type {
  BrokerError,
  BrokerErrorClass,
  BrokerErrorCode,
  BrokerResult,
  Exchange,
  ResponseMode,
} from './types.js';
