import type {
  AccountSnapshot,
  EntryPlanInput,
  RegimeUpdate,
  RiskConfig,
} from '../../../src/agents/risk/index.js';
import { loadConfig } from '../../../src/config/index.js';
import type { PositionRow } from '../../../src/contracts/index.js';
import type { PositionSnapshot } from '../../../src/store/index.js';
import { chainOf, UPSTOX_0621 } from '../strategy/chain-fixture.js';

export function riskConfig(env: Record<string, string> = {}): RiskConfig {
  const r = loadConfig({
    env: { TOMIC_ENABLED_STRATEGIES: 'BULL_PUT_SPREAD,BEAR_CALL_SPREAD,IRON_CONDOR', ...env },
    envFile: null,
  });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

export const NOW_MS = 5_000_000;
export const F = UPSTOX_0621;
export const CHAIN = { ...chainOf(F.id, 'NIFTY', F.spot, { lotSize: F.lotSize }), asOfMs: NOW_MS - 1_000 };

export function regime(over: Partial<RegimeUpdate> = {}): RegimeUpdate {
  return {
    version: 7,
    underlying: 'NIFTY',
    regime: 'BULLISH',
    score: 0.8,
    vix: 14,
    flags: [],
    indicators: {},
    ...over,
  };
}

export function book(positions: PositionRow[] = [], version = 3): PositionSnapshot {
  return { version, positions, realizedPnl: 0 };
}

export function account(
  over: {
    capital?: number;
    available?: number;
    used?: number;
    byUnderlying?: Record<string, number>;
    gross?: number;
    realized?: number;
    asOfMs?: number;
  } = {},
): AccountSnapshot {
  const used = over.used ?? 0;
  return {
    account: {
      capital: over.capital ?? 10_000_000,
      realizedPnl: over.realized ?? 0,
      unrealizedPnl: 0,
      grossNotional: over.gross ?? 0,
      usedMarginByUnderlying: over.byUnderlying ?? {},
      usedMarginTotal: used,
    },
    margin: {
      availableMargin: over.available ?? 10_000_000,
      usedMargin: used,
      asOfMs: over.asOfMs ?? NOW_MS,
    },
  };
}

export function entryInput(over: Partial<EntryPlanInput> = {}): EntryPlanInput {
  return {
    opportunity: { strategyType: 'BULL_PUT_SPREAD', underlying: 'NIFTY', regime: regime() },
    chain: CHAIN,
    book: book(),
    account: account(),
    // 5 % daily vol keeps Carver's size (≈21 lots) under the §6 notional cap of 5× capital.
    market: { ewmaDailyVol: 0.05 },
    config: riskConfig(),
    strategyId: 'BPS-NIFTY-20240621-1',
    nowMs: NOW_MS,
    nowWallMs: F.wallMs,
    correlationId: 'corr-test',
    ...over,
  };
}
