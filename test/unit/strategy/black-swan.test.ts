import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { blackSwanBudget, blackSwanLots, selectBlackSwanPut } from '../../../src/strategy/index.js';
import { chainOf } from './chain-fixture.js';

const loaded = loadConfig({ env: {}, envFile: null });
if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
const bs = loaded.config.blackSwan;

describe('blackSwanBudget (Phase 2 bootstrap)', () => {
  it('29 trades: the fixed ₹5,000; 30 trades: 1–2 % of rolling expected monthly profit', () => {
    expect(blackSwanBudget(29, 1_000_000, bs)).toEqual({ basis: 'FIXED', budget: 5_000, minBudget: 5_000 });
    expect(blackSwanBudget(0, 0, bs).budget).toBe(5_000);
    expect(blackSwanBudget(30, 1_000_000, bs)).toEqual({
      basis: 'PROFIT_SHARE',
      budget: 20_000,
      minBudget: 10_000,
      pctMin: 1,
      pctMax: 2,
    });
  });

  it('clamps configured percentages into the plan’s 1–2 % band', () => {
    const loose = blackSwanBudget(50, 1_000_000, { ...bs, profitPctMin: 0.5, profitPctMax: 5 });
    expect(loose).toMatchObject({ pctMin: 1, pctMax: 2, budget: 20_000, minBudget: 10_000 });
    const inside = blackSwanBudget(50, 1_000_000, { ...bs, profitPctMin: 1.5, profitPctMax: 1.8 });
    expect(inside).toMatchObject({ pctMin: 1.5, pctMax: 1.8 });
    expect(inside.budget).toBeCloseTo(18_000, 6);
    const inverted = blackSwanBudget(50, 1_000_000, { ...bs, profitPctMin: 1.8, profitPctMax: 1.2 });
    expect(inverted).toMatchObject({ pctMin: 1.8, pctMax: 1.8 });
  });

  it('funds nothing from a loss or an unknown profit', () => {
    expect(blackSwanBudget(40, -50_000, bs).budget).toBe(0);
    expect(blackSwanBudget(40, Number.NaN, bs).budget).toBe(0);
  });

  it('lots: whole lots within the budget', () => {
    expect(blackSwanLots(5_000, 9.875, 65)).toBe(7);
    expect(blackSwanLots(600, 9.875, 65)).toBe(0);
    expect(blackSwanLots(641.875, 9.875, 65)).toBe(1);
  });
});

describe('selectBlackSwanPut on the NSE NIFTY chain of 2026-04-20', () => {
  const chain = chainOf('nse_web_2026-04-20', 'NIFTY', 24_000, { lotSize: 65 });
  it('a ≈5-delta put on the nearest monthly expiry at least 7 days out', () => {
    const p = selectBlackSwanPut(
      chain,
      { putDelta: bs.putDelta, riskFreeRatePct: 6.5 },
      Date.UTC(2026, 3, 20, 10),
    );
    if (!p.ok) throw new Error(p.message);
    expect(p.expiry).toBe('2026-04-28'); // April's last expiry (weekly 04-21 is skipped)
    expect(Math.abs(p.delta)).toBeCloseTo(0.05, 1);
    expect(p.strike).toBeLessThan(24_000);
    expect(p.price).toBeGreaterThan(0);
    expect(p.symbol).toBe(`NIFTY28APR26${p.strike}PE`);
  });
  it('rolls to the next month once the current monthly is inside a week', () => {
    const p = selectBlackSwanPut(
      chain,
      { putDelta: bs.putDelta, riskFreeRatePct: 6.5 },
      Date.UTC(2026, 3, 22, 10),
    );
    if (!p.ok) throw new Error(p.message);
    expect(p.expiry).toBe('2026-05-26');
    expect(Math.abs(p.delta)).toBeLessThan(0.1);
  });
});
