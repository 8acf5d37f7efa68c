import { describe, expect, it } from 'vitest';
import { tradeStatsFromJournal } from '../../../src/agents/risk/journal-stats.js';
import type { JournalEntry } from '../../../src/store/index.js';

const DAY = 86_400_000;
const NOW = 1_764_000_000_000;

function fill(
  strategy: string,
  leg: string,
  action: 'BUY' | 'SELL',
  qty: number,
  price: number,
  ageDays: number,
) {
  return {
    entry_type: 'FILL',
    strategy_id: strategy,
    leg,
    action,
    quantity: qty,
    actual_price: price,
    wall_ms: NOW - ageDays * DAY,
  } as JournalEntry;
}

describe('Black Swan bootstrap statistics from the journal', () => {
  it('counts a trade once one of its shorts was bought back; its profit is the cash of its fills', () => {
    const fills = [
      // Closed 3 days ago: credit 100 − 40 = 60/unit received, 20 − 5 = 15 paid back → 45 × 75.
      fill('BPS-NIFTY-1', 'long_put', 'BUY', 75, 40, 5),
      fill('BPS-NIFTY-1', 'short_put', 'SELL', 75, 100, 5),
      fill('BPS-NIFTY-1', 'short_put', 'BUY', 75, 20, 3),
      fill('BPS-NIFTY-1', 'long_put', 'SELL', 75, 5, 3),
      // Still open: not a trade yet.
      fill('BCS-NIFTY-2', 'long_call', 'BUY', 75, 30, 1),
      fill('BCS-NIFTY-2', 'short_call', 'SELL', 75, 90, 1),
      // The tail hedge is the cost being budgeted, never a trade.
      fill('BSH-NIFTY-202511', 'hedge_put', 'BUY', 75, 12, 2),
    ];
    expect(tradeStatsFromJournal(fills, NOW)).toEqual({
      tradeCount: 1,
      rollingExpectedMonthlyProfit: 45 * 75,
    });
  });

  it('trades closed more than 30 days ago count as trades but not toward the monthly profit; losses floor at 0', () => {
    const old = [
      fill('IC-NIFTY-9', 'short_put', 'SELL', 75, 50, 40),
      fill('IC-NIFTY-9', 'short_put', 'BUY', 75, 10, 35),
    ];
    const loss = [
      fill('BPS-NIFTY-3', 'short_put', 'SELL', 75, 50, 4),
      fill('BPS-NIFTY-3', 'short_put', 'BUY', 75, 150, 2),
    ];
    expect(tradeStatsFromJournal(old, NOW)).toEqual({ tradeCount: 1, rollingExpectedMonthlyProfit: 0 });
    expect(tradeStatsFromJournal(loss, NOW)).toEqual({ tradeCount: 1, rollingExpectedMonthlyProfit: 0 });
  });
});
