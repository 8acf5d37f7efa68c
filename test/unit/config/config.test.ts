import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_TREE,
  describeConfig,
  exampleEnvFile,
  LEGGING_POLICIES,
  loadConfig,
  secretValues,
} from '../../../src/config/index.js';
import { leaves } from '../../../src/config/params.js';

const load = (env: Record<string, string>) => loadConfig({ env, envFile: null, cwd: '/tmp' });
const errorsOf = (env: Record<string, string>) => {
  const r = load(env);
  if (r.ok) throw new Error('expected config errors');
  return r.errors;
};

const ENDPOINTS = {
  TOMIC_FEED_PRIMARY_WS: 'ws://127.0.0.1:8767',
  TOMIC_FEED_FALLBACK_WS: 'ws://127.0.0.1:8766',
  TOMIC_EXECUTION_REST: 'http://127.0.0.1:5002',
  TOMIC_EXECUTION_API_KEY: 'abcdef0123456789abcdef',
};

describe('config: defaults are the plan values', () => {
  it('loads with an empty environment (embedded simulator, sandbox)', () => {
    const r = load({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.config;
    expect(c.mode).toBe('sandbox');
    expect(c.embeddedSim).toBe(true);
    expect(c.dataDir).toBe('/tmp/db');
    // §4
    expect(c.freshness.underlyingQuoteMaxAgeMs).toBe(5_000);
    expect(c.freshness.optionQuoteMaxAgeMs).toBe(10_000);
    expect(c.freshness.feedSwitchCooldownMs).toBe(30_000);
    expect(c.freshness.pcrMaxAgeMs).toBe(120_000);
    expect(c.freshness.gexMaxAgeMs).toBe(120_000);
    expect(c.freshness.maxPainMaxAgeMs).toBe(300_000);
    expect(c.freshness.greeksMaxAgeMs).toBe(60_000);
    expect(c.freshness.greeksApiMaxAgeMs).toBe(120_000);
    expect(c.freshness.vixMaxAgeMs).toBe(60_000);
    // §6
    expect(c.breakers).toEqual({
      dailyMaxLossPct: 6,
      maxOrdersPerMinute: 30,
      maxGrossNotionalMultiple: 5,
      perUnderlyingMarginPct: 30,
      maxUnhedgedMs: 5_000,
    });
    // §7
    expect(c.sizing.volTargetPct).toBe(20);
    expect(c.sizing.ewmaSpanDays).toBe(35);
    expect(c.sizing.riskPerTradePct).toBe(2);
    expect(c.sizing.vixHighThreshold).toBe(30);
    expect(c.sizing.correlationThreshold).toBe(0.7);
    expect(c.sizing.sectorHeatMaxPct).toBe(20);
    expect(c.sizing.maxPositions).toBe(10);
    expect(c.sizing.marginReserveMinPct).toBe(25);
    // §8, §2, §5, runbooks
    expect(c.positionBook.maxVersionLag).toBe(5);
    expect(c.positionBook.marginRefreshMs).toBe(30_000);
    expect(c.commands.leaseMs).toBe(30_000);
    expect(c.execution.smartOrderDelayMs).toBe(500);
    expect(c.agents.heartbeatIntervalMs).toBe(60_000);
    expect(c.agents.maxRestarts).toBe(3);
    expect(c.agents.restartBackoffMs).toBe(10_000);
    expect(c.blackSwan.fixedMonthlyBudget).toBe(5_000);
    expect(c.sim.spreadLeverage).toBe(5);
    expect(c.execution.orderMode).toBe('full_auto');
    expect(c.bus.xsubEndpoint).toBe('ipc:///tmp/db/bus-xsub.ipc');
  });

  it('has at least 90 parameters, every one with an env name, section and doc', () => {
    const all = leaves(CONFIG_TREE);
    expect(all.length).toBeGreaterThanOrEqual(90);
    const names = all.map((l) => l.leaf.env);
    expect(new Set(names).size).toBe(names.length);
    for (const { leaf } of all) {
      expect(leaf.env).toMatch(/^TOMIC_[A-Z0-9_]+$/);
      expect(leaf.section.length).toBeGreaterThan(0);
      expect(leaf.doc.length).toBeGreaterThan(5);
      if (leaf.default !== undefined) expect(leaf.check(leaf.default as never).ok).toBe(true);
    }
  });

  it('live mode defaults to Semi-Auto', () => {
    const r = load({ ...ENDPOINTS, TOMIC_MODE: 'live' });
    expect(r.ok && r.config.execution.orderMode).toBe('semi_auto');
  });
});

describe('config: every invalid input class gives a clear message naming the variable', () => {
  it('wrong type', () => {
    expect(errorsOf({ TOMIC_LEASE_MS: 'abc' })).toEqual(['TOMIC_LEASE_MS: must be an integer (got "abc")']);
    expect(errorsOf({ TOMIC_CAPITAL: 'lots' })).toEqual(['TOMIC_CAPITAL: must be a number (got "lots")']);
    expect(errorsOf({ TOMIC_MODE: 'yolo' })[0]).toBe('TOMIC_MODE: must be one of sandbox, live (got "yolo")');
  });

  it('out of range — safety thresholds cannot be loosened or switched off', () => {
    expect(errorsOf({ TOMIC_DAILY_MAX_LOSS_PCT: '10' })).toEqual([
      'TOMIC_DAILY_MAX_LOSS_PCT: must be <= 6 (got 10)',
    ]);
    expect(errorsOf({ TOMIC_DAILY_MAX_LOSS_PCT: '0' })).toEqual([
      'TOMIC_DAILY_MAX_LOSS_PCT: must be > 0 (got 0)',
    ]);
    expect(errorsOf({ TOMIC_MAX_UNHEDGED_MS: '60000' })[0]).toMatch(
      /^TOMIC_MAX_UNHEDGED_MS: must be <= 5000/,
    );
    expect(errorsOf({ TOMIC_UNDERLYING_QUOTE_MAX_AGE_MS: '999999' })[0]).toMatch(
      /^TOMIC_UNDERLYING_QUOTE_MAX_AGE_MS: must be <= 5000/,
    );
    expect(errorsOf({ TOMIC_FEED_SWITCH_COOLDOWN_MS: '0' })[0]).toMatch(
      /^TOMIC_FEED_SWITCH_COOLDOWN_MS: must be >= 30000/,
    );
    expect(errorsOf({ TOMIC_MAX_ORDERS_PER_MINUTE: '1000' })[0]).toMatch(
      /^TOMIC_MAX_ORDERS_PER_MINUTE: must be <= 30/,
    );
    expect(errorsOf({ TOMIC_SMART_ORDER_DELAY_MS: '0' })[0]).toMatch(
      /^TOMIC_SMART_ORDER_DELAY_MS: must be >= 500/,
    );
  });

  it('missing: a partial endpoint set names every missing variable', () => {
    const errs = errorsOf({ TOMIC_EXECUTION_REST: 'http://127.0.0.1:5002' });
    expect(errs).toHaveLength(3);
    expect(errs[0]).toMatch(/^TOMIC_FEED_PRIMARY_WS: required when TOMIC_EXECUTION_REST is set/);
    expect(errs.map((e) => e.split(':')[0])).toEqual([
      'TOMIC_FEED_PRIMARY_WS',
      'TOMIC_FEED_FALLBACK_WS',
      'TOMIC_EXECUTION_API_KEY',
    ]);
  });

  it('missing: live mode needs the endpoints', () => {
    const errs = errorsOf({ TOMIC_MODE: 'live' });
    expect(errs.some((e) => e.startsWith('TOMIC_EXECUTION_REST: required in live mode'))).toBe(true);
  });

  it('bad URL and protocol', () => {
    expect(errorsOf({ ...ENDPOINTS, TOMIC_FEED_PRIMARY_WS: 'http://x:1' })).toEqual([
      'TOMIC_FEED_PRIMARY_WS: must use ws: or wss: (got "http:")',
    ]);
    expect(errorsOf({ ...ENDPOINTS, TOMIC_EXECUTION_REST: 'not a url' })).toEqual([
      'TOMIC_EXECUTION_REST: must be a URL (got "not a url")',
    ]);
  });

  it('unknown strategy in the enabled list (legging table)', () => {
    expect(errorsOf({ TOMIC_ENABLED_STRATEGIES: 'BULL_PUT_SPREAD,SHORT_STRADDLE' })[0]).toMatch(
      /^TOMIC_ENABLED_STRATEGIES: unknown value\(s\) SHORT_STRADDLE; allowed: BULL_PUT_SPREAD/,
    );
  });

  it('unknown TOMIC_ variable (typo) is refused with a suggestion', () => {
    expect(errorsOf({ TOMIC_DAILY_MAX_LOS_PCT: '5' })).toEqual([
      'TOMIC_DAILY_MAX_LOS_PCT: unknown variable (did you mean TOMIC_DAILY_MAX_LOSS_PCT?)',
    ]);
  });

  it('cross-field ordering', () => {
    expect(errorsOf({ TOMIC_MACD_FAST: '30' })).toEqual([
      'TOMIC_MACD_FAST: must be < TOMIC_MACD_SLOW (30 vs 26)',
    ]);
  });

  it('reports all problems at once', () => {
    const errs = errorsOf({
      TOMIC_LEASE_MS: 'x',
      TOMIC_CAPITAL: '-1',
      TOMIC_MODE: 'paper',
      TOMIC_MAX_POSITIONS: '11',
    });
    expect(errs.map((e) => e.split(':')[0]).sort()).toEqual([
      'TOMIC_CAPITAL',
      'TOMIC_LEASE_MS',
      'TOMIC_MAX_POSITIONS',
      'TOMIC_MODE',
    ]);
  });

  it('reads .env.tomic, with the environment winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tomic-cfg-'));
    writeFileSync(join(dir, '.env.tomic'), '# comment\nTOMIC_CAPITAL=250000\nTOMIC_LEASE_MS="20000"\n');
    const r = loadConfig({ env: { TOMIC_LEASE_MS: '15000' }, cwd: dir });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.config.sizing.capital).toBe(250_000);
      expect(r.config.commands.leaseMs).toBe(15_000);
    }
    writeFileSync(join(dir, '.env.tomic'), 'this is not an assignment\n');
    const bad = loadConfig({ env: {}, cwd: dir });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors[0]).toBe('.env.tomic line 1: expected NAME=value');
  });
});

describe('config: frozen, legging table immutable, secrets masked', () => {
  it('the config object is deeply frozen', () => {
    const r = load({});
    if (!r.ok) throw new Error('config');
    expect(Object.isFrozen(r.config)).toBe(true);
    expect(Object.isFrozen(r.config.breakers)).toBe(true);
    expect(() => {
      (r.config.breakers as { maxUnhedgedMs: number }).maxUnhedgedMs = 60_000;
    }).toThrow(TypeError);
  });

  it('the legging policy table cannot be mutated at run time', () => {
    expect(Object.isFrozen(LEGGING_POLICIES)).toBe(true);
    expect(() => {
      (LEGGING_POLICIES as Record<string, unknown>).BULL_PUT_SPREAD = {
        preferred: 'ATOMIC',
        fallback: 'SHORT_FIRST',
      };
    }).toThrow(TypeError);
    expect(() => {
      (LEGGING_POLICIES.IRON_CONDOR as { fallback: string }).fallback = 'SHORT_FIRST_WITH_KILL_SWITCH';
    }).toThrow(TypeError);
    expect(LEGGING_POLICIES.BULL_PUT_SPREAD.fallback).toBe('HEDGE_FIRST');
    expect(LEGGING_POLICIES.IRON_CONDOR.fallback).toBe('HEDGE_FIRST_PER_SIDE');
    expect(LEGGING_POLICIES.RISK_REVERSAL.fallback).toBe('SHORT_FIRST_WITH_KILL_SWITCH');
    expect(LEGGING_POLICIES.DITM_CALL.preferred).toBe('SINGLE_LEG');
    // No configuration variable reaches the table.
    expect(leaves(CONFIG_TREE).some((l) => /LEGGING/.test(l.leaf.env))).toBe(false);
  });

  it('describeConfig masks secrets; secretValues lists them for the redactor', () => {
    const r = load({ ...ENDPOINTS });
    if (!r.ok) throw new Error('config');
    const rows = describeConfig(r.config);
    const key = rows.find((x) => x.env === 'TOMIC_EXECUTION_API_KEY');
    expect(key?.value).toBe('***cdef***');
    expect(JSON.stringify(rows)).not.toContain(ENDPOINTS.TOMIC_EXECUTION_API_KEY);
    expect(secretValues(r.config)).toContain(ENDPOINTS.TOMIC_EXECUTION_API_KEY);
  });

  it('.env.tomic.example documents every variable and matches the generator', () => {
    const file = readFileSync(new URL('../../../.env.tomic.example', import.meta.url), 'utf8');
    expect(file).toBe(exampleEnvFile());
    for (const { leaf } of leaves(CONFIG_TREE)) expect(file).toContain(`${leaf.env}=`);
  });
});
