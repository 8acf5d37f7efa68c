export { backoffDelay, FEED_BACKOFF_MS } from './backoff.js';
export {
  type FailedSubscription,
  FeedClient,
  type FeedClientOptions,
  type FeedClientStats,
  type FeedState,
} from './feed-client.js';
export {
  type ActiveFeed,
  FEED_SWITCH_COOLDOWN_MS,
  type FeedEndpoint,
  type FeedHealth,
  FeedManager,
  type FeedManagerOptions,
  type FeedSwitch,
} from './feed-manager.js';
export {
  type DepthLevel,
  FEED_MODE,
  type FeedMode,
  fastMarketTick,
  type Instrument,
  MarketDataFrame,
  modeOf,
  type Tick,
  toTick,
} from './feed-protocol.js';
export { QuoteCache, type QuoteSnapshot } from './quote-cache.js';
export { type FeedRole, ROLE_MODE } from './roles.js';
