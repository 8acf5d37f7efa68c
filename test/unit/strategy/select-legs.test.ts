import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import {
  entryAllowed,
  monthlyExpiries,
  optionSymbol,
  parseOptionSymbol,
  STRATEGIES,
  selectLegs,
  strategiesForRegime,
} from '../../../src/strategy/index.js';
import { num } from '../quant/csv.js';
import { chainOf, csvRows, UPSTOX_0621, UPSTOX_0626 } from './chain-fixture.js';

const loaded = loadConfig({ env: {}, envFile: null });
if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
const params = loaded.config.strategy;

const F = UPSTOX_0621;
const chain = chainOf(F.id, 'NIFTY', F.spot, { lotSize: F.lotSize });
const csv = csvRows(F.id, 'NIFTY');
const csvQuote = (strike: number, type: 'CE' | 'PE') =>
  csv.find((r) => num(r.strike) === strike && r.option_type === type && r.expiry === F.expiry);

describe('selectLegs on the recorded Upstox NIFTY chain of 2024-06-21 (spot 23,501.10, 6 days to expiry)', () => {
  it('bull put spread: short put at ~0.20 delta, hedge 4 listed strikes lower, both listed and priced', () => {
    const s = selectLegs(STRATEGIES.BULL_PUT_SPREAD, chain, params, F.wallMs);
    if (!s.ok) throw new Error(s.message);
    expect(s.expiry).toBe(F.expiry);
    expect(s.dte).toBeCloseTo(6, 6);
    expect(s.legs.map((l) => l.name)).toEqual(['long_put', 'short_put']);
    const [hedge, short] = s.legs;
    expect(Math.abs(short!.delta!)).toBeGreaterThan(0.15);
    expect(Math.abs(short!.delta!)).toBeLessThan(0.25);
    expect(short!.strike).toBeLessThan(F.spot);
    // The source's own delta for that strike (Upstox's model, not ours) is in the same band.
    const sourceDelta = Math.abs(num(csvQuote(short!.strike, 'PE')!.delta)!);
    expect(sourceDelta).toBeGreaterThan(0.15);
    expect(sourceDelta).toBeLessThan(0.3);
    expect(hedge!.strike).toBeLessThan(short!.strike);
    const listed = [...new Set(csv.filter((r) => r.option_type === 'PE').map((r) => num(r.strike)!))].sort(
      (a, b) => a - b,
    );
    expect(listed.indexOf(short!.strike) - listed.indexOf(hedge!.strike)).toBe(params.wingWidthStrikes);
    expect(csvQuote(hedge!.strike, 'PE')).toBeDefined();
    expect(hedge!.expectedPrice).toBeGreaterThan(0);
    expect(s.creditPerUnit).toBeCloseTo(short!.expectedPrice - hedge!.expectedPrice, 9);
    expect(s.creditPerUnit).toBeGreaterThan(0);
    expect(s.widthPoints).toBe(short!.strike - hedge!.strike);
    expect(s.maxLossPerUnit).toBeCloseTo(s.widthPoints - s.creditPerUnit, 9);
    expect(short!.symbol).toBe(`NIFTY27JUN24${short!.strike}PE`);
    expect(s.lotSize).toBe(25);
    expect(s.impliedMove).toBeGreaterThan(0);
  });

  it('bear call spread: short call at ~0.20 delta above spot, hedge further up', () => {
    const s = selectLegs(STRATEGIES.BEAR_CALL_SPREAD, chain, params, F.wallMs);
    if (!s.ok) throw new Error(s.message);
    const [hedge, short] = s.legs;
    expect(hedge!.name).toBe('long_call');
    expect(short!.delta!).toBeGreaterThan(0.15);
    expect(short!.delta!).toBeLessThan(0.25);
    expect(short!.strike).toBeGreaterThan(F.spot);
    expect(hedge!.strike).toBeGreaterThan(short!.strike);
    expect(csvQuote(hedge!.strike, 'CE')).toBeDefined();
  });

  it('iron condor: both wings first, then both shorts, each short hedged on its own side', () => {
    const s = selectLegs(STRATEGIES.IRON_CONDOR, chain, params, F.wallMs);
    if (!s.ok) throw new Error(s.message);
    expect(s.legs.map((l) => l.role)).toEqual(['HEDGE', 'HEDGE', 'SHORT', 'SHORT']);
    const by = Object.fromEntries(s.legs.map((l) => [l.name, l]));
    expect(by.long_put!.strike).toBeLessThan(by.short_put!.strike);
    expect(by.short_put!.strike).toBeLessThan(F.spot);
    expect(by.short_call!.strike).toBeGreaterThan(F.spot);
    expect(by.long_call!.strike).toBeGreaterThan(by.short_call!.strike);
  });

  it('on the day before expiry (2024-06-26) the 0.20-delta short is still found', () => {
    const f = UPSTOX_0626;
    const c = chainOf(f.id, 'NIFTY', f.spot, { lotSize: 25 });
    const s = selectLegs(STRATEGIES.BULL_PUT_SPREAD, c, { ...params, minDte: 1 }, f.wallMs);
    if (!s.ok) throw new Error(s.message);
    expect(Math.abs(s.legs[1]!.delta!)).toBeCloseTo(0.2, 1);
  });

  it('codes why it cannot trade: no expiry in the DTE window, no hedge strike, no lot size, delta off', () => {
    const tooSoon = selectLegs(STRATEGIES.BULL_PUT_SPREAD, chain, { ...params, minDte: 7 }, F.wallMs);
    expect(tooSoon).toMatchObject({ ok: false, reason: 'NO_EXPIRY_IN_WINDOW' });
    const wide = selectLegs(
      STRATEGIES.BULL_PUT_SPREAD,
      chain,
      { ...params, wingWidthStrikes: 200 },
      F.wallMs,
    );
    expect(wide).toMatchObject({ ok: false, reason: 'NO_HEDGE_STRIKE' });
    const noLot = selectLegs(
      STRATEGIES.BULL_PUT_SPREAD,
      { ...chain, lotSize: undefined } as never,
      params,
      F.wallMs,
    );
    expect(noLot).toMatchObject({ ok: false, reason: 'NO_LOT_SIZE' });
    const off = selectLegs(STRATEGIES.BULL_PUT_SPREAD, chain, params, F.wallMs, { deltaTolerance: 0 });
    expect(off).toMatchObject({ ok: false, reason: 'SHORT_DELTA_OFF' });
  });

  it('without source IVs, implies them from prices and still lands near 0.20', () => {
    const noIv = chainOf(F.id, 'NIFTY', F.spot, { lotSize: 25, withIv: false });
    const s = selectLegs(STRATEGIES.BULL_PUT_SPREAD, noIv, params, F.wallMs);
    if (!s.ok) throw new Error(s.message);
    expect(Math.abs(s.legs[1]!.delta!)).toBeCloseTo(0.2, 1);
  });
});

describe('entry regimes', () => {
  const reg = (
    regime: 'BULLISH' | 'BEARISH' | 'CONGESTION' | 'BLOWOFF' | 'NO_TRADE',
    flags: string[] = [],
  ) => ({
    regime,
    flags,
  });
  it('BPS ← BULLISH, BCS ← BEARISH, IC ← CONGESTION; nothing in BLOWOFF / NO_TRADE', () => {
    const all = ['BULL_PUT_SPREAD', 'BEAR_CALL_SPREAD', 'IRON_CONDOR'];
    expect(strategiesForRegime(reg('BULLISH'), all).map((d) => d.type)).toEqual(['BULL_PUT_SPREAD']);
    expect(strategiesForRegime(reg('BEARISH'), all).map((d) => d.type)).toEqual(['BEAR_CALL_SPREAD']);
    expect(strategiesForRegime(reg('CONGESTION'), all).map((d) => d.type)).toEqual(['IRON_CONDOR']);
    expect(strategiesForRegime(reg('BLOWOFF'), all)).toEqual([]);
    expect(strategiesForRegime(reg('NO_TRADE'), all)).toEqual([]);
    expect(strategiesForRegime(reg('BEARISH'), ['BULL_PUT_SPREAD', 'IRON_CONDOR'])).toEqual([]);
  });
  it('a no-trade flag blocks even the matching regime; high and thin VIX only inform (sizing handles VIX)', () => {
    for (const f of ['HIGH_VOL', 'THIN_PREMIUM']) {
      expect(entryAllowed(STRATEGIES.BULL_PUT_SPREAD, reg('BULLISH', [f])).ok).toBe(true);
    }
    for (const f of [
      'VIX_NO_TRADE',
      'VIX_MISSING',
      'INSUFFICIENT_DATA',
      'GREEKS_API_STALE',
      'NO_TRADE_EVENT',
    ]) {
      expect(entryAllowed(STRATEGIES.BULL_PUT_SPREAD, reg('BULLISH', [f]))).toMatchObject({
        ok: false,
        reason: 'NO_TRADE_FLAG',
      });
    }
    expect(entryAllowed(STRATEGIES.BULL_PUT_SPREAD, reg('BULLISH', ['PCR_STALE', 'IN_CLOUD'])).ok).toBe(true);
  });
});

describe('symbols and expiries', () => {
  it('formats and parses OpenAlgo option symbols', () => {
    expect(optionSymbol('NIFTY', '2026-02-26', 25000, 'PE')).toBe('NIFTY26FEB2625000PE');
    expect(parseOptionSymbol('BANKNIFTY30JUN2652000CE')).toEqual({
      underlying: 'BANKNIFTY',
      expiry: '2026-06-30',
      strike: 52000,
      optionType: 'CE',
    });
    expect(parseOptionSymbol('NIFTY')).toBeNull();
  });
  it('a monthly expiry is the last listed expiry of its month', () => {
    expect(monthlyExpiries(['2026-04-21', '2026-04-28', '2026-05-05', '2026-05-26', '2026-06-30'])).toEqual([
      '2026-04-28',
      '2026-05-26',
      '2026-06-30',
    ]);
  });
});
