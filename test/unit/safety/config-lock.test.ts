import { describe, expect, it } from 'vitest';
import { CONFIG_TREE, type Config, loadConfig } from '../../../src/config/index.js';
import { leaves } from '../../../src/config/params.js';
import {
  CircuitBreakers,
  PLAN_LIMITS,
  QuoteFreshness,
  runSizingChain,
  type SizingInput,
  safetyParams,
  splitFailureAction,
  UnhedgedTimer,
} from '../../../src/safety/index.js';
import { mustReread } from '../../../src/store/position-book.js';

// §5: "Non-bypassable — no config flag can disable these." Each rule holds whatever the config says.

const load = (env: Record<string, string>) => loadConfig({ env, envFile: null, cwd: '/tmp' });

/** The loosest value loadConfig accepts for every safety setting: the plan's own number. */
const LOOSEST: Record<string, string> = {
  TOMIC_UNDERLYING_QUOTE_MAX_AGE_MS: '5000',
  TOMIC_OPTION_QUOTE_MAX_AGE_MS: '10000',
  TOMIC_FEED_SWITCH_COOLDOWN_MS: '30000',
  TOMIC_PCR_MAX_AGE_MS: '120000',
  TOMIC_GEX_MAX_AGE_MS: '120000',
  TOMIC_MAX_PAIN_MAX_AGE_MS: '300000',
  TOMIC_GREEKS_MAX_AGE_MS: '60000',
  TOMIC_GREEKS_API_MAX_AGE_MS: '120000',
  TOMIC_VIX_MAX_AGE_MS: '60000',
  TOMIC_DAILY_MAX_LOSS_PCT: '6',
  TOMIC_MAX_ORDERS_PER_MINUTE: '30',
  TOMIC_MAX_GROSS_NOTIONAL_MULTIPLE: '5',
  TOMIC_PER_UNDERLYING_MARGIN_PCT: '30',
  TOMIC_MAX_UNHEDGED_MS: '5000',
  TOMIC_VOL_TARGET_PCT: '20',
  TOMIC_KELLY_FRACTION: '0.5',
  TOMIC_RISK_PER_TRADE_PCT: '2',
  TOMIC_VIX_HIGH_THRESHOLD: '30',
  TOMIC_VIX_HIGH_MULTIPLIER: '0.5',
  TOMIC_CORRELATION_THRESHOLD: '0.7',
  TOMIC_CORRELATION_MULTIPLIER: '0.7',
  TOMIC_SECTOR_HEAT_MAX_PCT: '20',
  TOMIC_MAX_POSITIONS: '10',
  TOMIC_MARGIN_RESERVE_MIN_PCT: '25',
  TOMIC_MARGIN_MAX_AGE_MS: '60000',
  TOMIC_POSITION_MAX_VERSION_LAG: '5',
  TOMIC_SMART_ORDER_DELAY_MS: '500',
  TOMIC_RISK_REVERSAL_HEDGE_MS: '3000',
  TOMIC_CONSECUTIVE_TIMEOUTS_KILL: '5',
};

/** One step looser than the plan, for each setting: loadConfig must refuse it. */
const LOOSER: Record<string, string[]> = {
  TOMIC_UNDERLYING_QUOTE_MAX_AGE_MS: ['5001', '0', '-1'],
  TOMIC_OPTION_QUOTE_MAX_AGE_MS: ['10001'],
  TOMIC_FEED_SWITCH_COOLDOWN_MS: ['29999', '0'],
  TOMIC_PCR_MAX_AGE_MS: ['120001'],
  TOMIC_GEX_MAX_AGE_MS: ['120001'],
  TOMIC_MAX_PAIN_MAX_AGE_MS: ['300001'],
  TOMIC_GREEKS_MAX_AGE_MS: ['60001'],
  TOMIC_GREEKS_API_MAX_AGE_MS: ['120001'],
  TOMIC_VIX_MAX_AGE_MS: ['60001'],
  TOMIC_DAILY_MAX_LOSS_PCT: ['6.001', '0', '100', 'off'],
  TOMIC_MAX_ORDERS_PER_MINUTE: ['31', '0', 'false'],
  TOMIC_MAX_GROSS_NOTIONAL_MULTIPLE: ['5.001', '0', 'Infinity'],
  TOMIC_PER_UNDERLYING_MARGIN_PCT: ['30.001', '0'],
  TOMIC_MAX_UNHEDGED_MS: ['5001', '0', '-1'],
  TOMIC_VOL_TARGET_PCT: ['20.1'],
  TOMIC_KELLY_FRACTION: ['0.51', '1'],
  TOMIC_RISK_PER_TRADE_PCT: ['2.01'],
  TOMIC_VIX_HIGH_THRESHOLD: ['30.01'],
  TOMIC_VIX_HIGH_MULTIPLIER: ['0.51', '1'],
  TOMIC_CORRELATION_THRESHOLD: ['0.71'],
  TOMIC_CORRELATION_MULTIPLIER: ['0.71', '1'],
  TOMIC_SECTOR_HEAT_MAX_PCT: ['20.01'],
  TOMIC_MAX_POSITIONS: ['11'],
  TOMIC_MARGIN_RESERVE_MIN_PCT: ['24.99', '0'],
  TOMIC_MARGIN_MAX_AGE_MS: ['60001'],
  TOMIC_POSITION_MAX_VERSION_LAG: ['6'],
  TOMIC_SMART_ORDER_DELAY_MS: ['499', '0'],
  TOMIC_RISK_REVERSAL_HEDGE_MS: ['3001'],
  TOMIC_CONSECUTIVE_TIMEOUTS_KILL: ['6', '0'],
};

describe('config cannot loosen or switch off a safety rule', () => {
  it('every safety setting has a test here, and none is a boolean switch', () => {
    const safetySections = ['freshness', 'breakers', 'sizing', 'positionBook'];
    const safetyEnv = leaves(CONFIG_TREE)
      .filter(({ path }) => safetySections.includes(path.split('.')[0]!))
      .map(({ leaf }) => leaf.env)
      .filter((e) => !['TOMIC_CAPITAL', 'TOMIC_EWMA_SPAN_DAYS', 'TOMIC_MARGIN_REFRESH_MS'].includes(e));
    for (const env of safetyEnv) expect(Object.keys(LOOSEST)).toContain(env);
    for (const { leaf } of leaves(CONFIG_TREE)) {
      if (Object.hasOwn(LOOSEST, leaf.env)) expect(leaf.accepts).not.toMatch(/true \| false/);
    }
  });

  it.each(Object.entries(LOOSER))('loadConfig refuses %s looser than the plan', (env, values) => {
    for (const v of values) {
      const r = load({ [env]: v });
      expect(r.ok, `${env}=${v}`).toBe(false);
      if (!r.ok) expect(r.errors.some((e) => e.startsWith(`${env}:`))).toBe(true);
    }
  });

  it('with the loosest accepted values every rule still trips at the plan boundary', () => {
    const r = load(LOOSEST);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = safetyParams(r.config);
    expect(p.freshness).toEqual(PLAN_LIMITS.freshness);
    expect(p.breakers).toEqual(PLAN_LIMITS.breakers);
    expect(p.sizing).toEqual(PLAN_LIMITS.sizing);
    expect(p.execution).toEqual(PLAN_LIMITS.execution);

    const f = new QuoteFreshness(p.freshness);
    f.recordTick('NIFTY', 0);
    expect(f.checkOrderData({ underlying: 'NIFTY', options: [], needDepth: false }, 5_000).ok).toBe(true);
    expect(f.checkOrderData({ underlying: 'NIFTY', options: [], needDepth: false }, 5_001).ok).toBe(false);

    const b = new CircuitBreakers(p.breakers);
    const acct = {
      capital: 1e6,
      realizedPnl: -60_001,
      unrealizedPnl: 0,
      grossNotional: 0,
      usedMarginByUnderlying: {},
      usedMarginTotal: 0,
    };
    expect(b.checkDailyLoss(acct).ok).toBe(false);

    const t = new UnhedgedTimer({ maxUnhedgedMs: p.breakers.maxUnhedgedMs });
    t.onFill({
      groupId: 'g',
      leg: 's',
      role: 'SHORT',
      action: 'SELL',
      filledQty: 1,
      symbol: 'X',
      nowMs: 0,
    });
    expect(t.poll(5_001)).toHaveLength(1);

    const sizing: SizingInput = {
      capital: 1e6,
      ewmaDailyVol: 0.01,
      exposurePerLot: 125_000,
      winRate: 0.6,
      rewardRisk: 1.5,
      slDistancePerLot: 5_000,
      lotSize: 65,
      vix: 15,
      correlation: 0.2,
      sectorMarginUsed: 0,
      openPositions: 10,
      marginPerLot: 1_000,
      margin: { availableMargin: 1e6, usedMargin: 0, asOfMs: 0 },
      nowMs: 0,
    };
    const s = runSizingChain(sizing, p.sizing);
    expect(s.ok ? 'OK' : s.code).toBe('SIZING_POSITION_CAP');
    expect(mustReread(0, 6, p.maxVersionLag)).toBe(true);
    expect(
      splitFailureAction(
        {
          primaryFeedUp: true,
          fallbackFeedUp: true,
          executionUp: false,
          consecutiveExecutionTimeouts: 5,
          feedDownSinceMs: null,
        },
        0,
        { consecutiveTimeoutsKill: p.execution.consecutiveTimeoutsKill },
      ).killSwitch,
    ).toBe(true);
  });

  it('a hand-built config (bypassing loadConfig) is clamped to the plan too', () => {
    const r = load({});
    if (!r.ok) throw new Error('defaults must load');
    const forged = {
      ...r.config,
      freshness: { ...r.config.freshness, underlyingQuoteMaxAgeMs: 1e9, feedSwitchCooldownMs: 0 },
      breakers: { ...r.config.breakers, dailyMaxLossPct: 100, maxOrdersPerMinute: Number.NaN },
      sizing: { ...r.config.sizing, maxPositions: 1_000, marginReserveMinPct: -5 },
      execution: { ...r.config.execution, smartOrderDelayMs: 0, consecutiveTimeoutsKill: 99 },
      positionBook: { ...r.config.positionBook, maxVersionLag: 1_000 },
    } as Config;
    const p = safetyParams(forged);
    expect(p.freshness.underlyingQuoteMaxAgeMs).toBe(5_000);
    expect(p.freshness.feedSwitchCooldownMs).toBe(30_000);
    expect(p.breakers.dailyMaxLossPct).toBe(6);
    expect(p.breakers.maxOrdersPerMinute).toBe(30);
    expect(p.sizing.maxPositions).toBe(10);
    expect(p.sizing.marginReserveMinPct).toBe(25);
    expect(p.execution.smartOrderDelayMs).toBe(500);
    expect(p.execution.consecutiveTimeoutsKill).toBe(5);
    expect(p.maxVersionLag).toBe(5);
    expect(mustReread(0, 6, 1_000)).toBe(true);
  });
});
