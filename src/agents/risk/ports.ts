import type { OrderRequest } from '../../contracts/index.js';
import type { PositionSnapshot } from '../../store/index.js';
import type { StrategyChain } from '../../strategy/index.js';
import type { MarketInputs, RegimeUpdate } from './risk-planner.js';

export interface RegimeSnapshot {
  readonly version: number;
  readonly regimes: Readonly<Record<string, RegimeUpdate>>;
}

/** Which part of a chain the caller needs; the port fetches at least these expiries. */
export interface ChainRequest {
  /** Exact expiries ('YYYY-MM-DD'), e.g. an open position's. */
  readonly expiries?: readonly string[];
  /** Expiries with days to expiry in this window (entries). */
  readonly minDte?: number;
  readonly maxDte?: number;
  /** Monthly expiries only (the Black Swan hedge). */
  readonly monthly?: boolean;
}

/** Option chain with IVs (and symbols, lot size). Rejects when it cannot be had. */
export interface ChainPort {
  fetch(underlying: string, want: ChainRequest): Promise<StrategyChain>;
}

/** The broker's funds (§8: the Risk agent refreshes them every 30 s). */
export interface FundsSnapshot {
  /** Free margin, ₹. */
  readonly availableMargin: number;
  /** Margin in use, ₹. */
  readonly usedMargin: number;
  readonly m2mRealized: number;
  readonly m2mUnrealized: number;
}

export interface FundsPort {
  fetch(): Promise<FundsSnapshot>;
}

/** Optional: margin of one lot of a whole spread from the broker's margin API (else width × lot). */
export interface MarginPort {
  marginPerLot(legs: readonly OrderRequest[]): Promise<number | null>;
}

/** PositionBookReader-like (§8 versioned snapshot). */
export interface PositionsPort {
  currentVersion(): number;
  readSnapshot(): PositionSnapshot;
}

/** RegimeStateReader-like. */
export interface RegimesPort {
  currentVersion(): number;
  readSnapshot(): RegimeSnapshot;
}

export type EnqueueOutcome =
  | { readonly ok: true; readonly id: number }
  | {
      readonly ok: false;
      readonly code: 'IDEMPOTENCY_SKIP';
      readonly existingId: number;
      readonly duplicateKey: string;
    };

/** The durable command table's producer side (CommandStore). */
export interface CommandSink {
  enqueueGroup(cmds: readonly OrderRequest[], opts: { awaitApproval?: boolean }): readonly EnqueueOutcome[];
  /**
   * Optional: the rows of one strategy id, to learn whether an entry is still queued or has failed.
   * Without it, an entry that never reaches the book is released after a fixed time.
   */
  list?(filter: {
    readonly strategyId?: string;
  }): readonly { readonly status: string; readonly group_id?: string | null }[];
}

export interface TradeStats {
  /** Closed trades so far (the Black Swan bootstrap counts them). */
  readonly tradeCount: number;
  /** Rolling expected monthly profit, ₹. */
  readonly rollingExpectedMonthlyProfit: number;
}

export interface StatsPort {
  tradeStats(): Promise<TradeStats>;
  /** EWMA daily vol, VIX, correlation of an underlying; null when not available. */
  market(underlying: string): Promise<MarketInputs | null>;
}

export interface RiskPorts {
  readonly chains: ChainPort;
  readonly funds: FundsPort;
  readonly positions: PositionsPort;
  readonly regimes: RegimesPort;
  readonly commands: CommandSink;
  readonly stats: StatsPort;
  readonly margin?: MarginPort;
}
