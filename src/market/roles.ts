import type { FeedMode } from './feed-protocol.js';

/**
 * Which feed mode each consumer subscribes with (plan, ws_data_manager): Regime and Sniper read
 * QUOTE; Execution needs DEPTH for the slippage check (§4 NO_DEPTH). Volatility and Risk read QUOTE.
 */
export type FeedRole = 'regime' | 'sniper' | 'volatility' | 'risk' | 'execution';

export const ROLE_MODE: Readonly<Record<FeedRole, FeedMode>> = {
  regime: 2,
  sniper: 2,
  volatility: 2,
  risk: 2,
  execution: 3,
};
