import type { JournalEntry } from '../../store/index.js';
import type { TradeStats } from './ports.js';

const MONTH_MS = 30 * 86_400_000;

/**
 * The Black Swan bootstrap's inputs from the journal (plan Phase 2): a trade is closed once one of
 * its shorts was bought back (an exit fill); its profit is the cash of all its fills. The rolling
 * expected monthly profit is what the trades closed in the last 30 days made. Tail hedges (BSH-…)
 * are the cost being budgeted, not trades.
 */
export function tradeStatsFromJournal(fills: readonly JournalEntry[], nowWallMs: number): TradeStats {
  const byStrategy = new Map<string, { cash: number; closedAt: number | null }>();
  for (const f of fills) {
    if (f.entry_type !== 'FILL' || f.strategy_id.startsWith('BSH-')) continue;
    const qty = f.quantity ?? 0;
    const price = f.actual_price ?? 0;
    const s = byStrategy.get(f.strategy_id) ?? { cash: 0, closedAt: null };
    s.cash += (f.action === 'SELL' ? 1 : -1) * qty * price;
    if (f.action === 'BUY' && f.leg?.startsWith('short')) s.closedAt = Math.max(s.closedAt ?? 0, f.wall_ms);
    byStrategy.set(f.strategy_id, s);
  }
  let tradeCount = 0;
  let monthProfit = 0;
  for (const s of byStrategy.values()) {
    if (s.closedAt === null) continue;
    tradeCount++;
    if (nowWallMs - s.closedAt <= MONTH_MS) monthProfit += s.cash;
  }
  return { tradeCount, rollingExpectedMonthlyProfit: Math.max(0, monthProfit) };
}
