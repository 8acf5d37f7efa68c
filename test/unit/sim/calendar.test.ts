import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/clock/index.js';
import { barPath } from '../../../src/sim/bridge.js';
import { TradingCalendar } from '../../../src/sim/calendar.js';
import { loadSimData } from '../../../src/sim/data-files.js';
import { InstrumentRegistry } from '../../../src/sim/instruments.js';

const data = loadSimData('/work/shared/data');
const cal = new TradingCalendar(data);

describe('trading calendar, expiries and lot sizes (SOURCES.md)', () => {
  it('loads the recorded series', () => {
    expect(data).toBeDefined();
    expect(data!.daily.get('NIFTY')!.dates.length).toBeGreaterThan(4_000);
    expect(data!.intraday.get('NIFTY')![0]!.intervalMs).toBe(60_000);
  });

  it('trading days come from the data; weekends and recorded holidays are skipped', () => {
    expect(cal.isTradingDay('2025-09-04')).toBe(true);
    expect(cal.isTradingDay('2025-09-06')).toBe(false);
    expect(cal.next('2025-09-05')).toBe('2025-09-08');
    expect(cal.previous('2025-09-08')).toBe('2025-09-05');
  });

  it('NIFTY on 2025-09-04: Tuesday weeklies, monthlies from the futures file (re-dated 25-Sep dropped), lot 75', () => {
    const exp = cal.optionExpiries('NIFTY', '2025-09-04');
    expect(exp).toEqual([
      '2025-09-09',
      '2025-09-16',
      '2025-09-23',
      '2025-09-30',
      '2025-10-07',
      '2025-10-28',
      '2025-11-25',
    ]);
    expect(cal.futureExpiries('NIFTY', '2025-09-04')).toEqual(['2025-09-30', '2025-10-28', '2025-11-25']);
    expect(cal.lotSize('NIFTY', '2025-09-09')).toBe(75);
    expect(cal.lotSize('NIFTY', '2025-12-30')).toBe(75);
    expect(cal.lotSize('NIFTY', '2026-01-27')).toBe(65);
  });

  it('BANKNIFTY: monthly only after Nov-2024 with lot 35 (Jul–Dec 2025); Thursday weeklies and lot 25 in 2023', () => {
    expect(cal.optionExpiries('BANKNIFTY', '2025-09-04')).toEqual(['2025-09-30', '2025-10-28', '2025-11-25']);
    expect(cal.lotSize('BANKNIFTY', '2025-09-30')).toBe(35);
    expect(cal.lotSize('BANKNIFTY', '2025-03-27')).toBe(30);
    expect(cal.lotSize('BANKNIFTY', '2026-01-27')).toBe(30);
    const e2023 = cal.optionExpiries('BANKNIFTY', '2023-04-03');
    expect(e2023.slice(0, 3)).toEqual(['2023-04-06', '2023-04-13', '2023-04-20']);
    expect(e2023).toContain('2023-04-27');
    expect(cal.lotSize('BANKNIFTY', '2023-04-13')).toBe(25);
  });

  it('the registry lists NFO symbols in OpenAlgo format with the series lot and 0.05 option tick', () => {
    const reg = new InstrumentRegistry({
      calendar: cal,
      equities: ['RELIANCE'],
      largeCaps: new Set(['RELIANCE']),
    });
    reg.rollTo('2025-09-04', { NIFTY: 24_970.3, BANKNIFTY: 54_000 });
    const call = reg.get('NIFTY09SEP2524950CE', 'NFO')!;
    expect(call).toMatchObject({
      kind: 'option',
      strike: 24_950,
      optionType: 'CE',
      lotSize: 75,
      tickSize: 0.05,
      expiry: '2025-09-09',
    });
    expect(reg.get('BANKNIFTY30SEP2554000PE', 'NFO')!.lotSize).toBe(35);
    expect(reg.get('NIFTY30SEP25FUT', 'NFO')!.tickSize).toBe(0.1);
    // On the strike grid but beyond the pre-listed range: created on demand; off-grid: unknown.
    expect(reg.get('NIFTY09SEP2527500CE', 'NFO')?.strike).toBe(27_500);
    expect(reg.get('NIFTY09SEP2524975CE', 'NFO')).toBeUndefined();
    expect(reg.get('NIFTY10SEP2524950CE', 'NFO')).toBeUndefined();
    expect(reg.search('NIFTY 24950 SEP CE', 'NFO').map((i) => i.symbol)).toContain('NIFTY09SEP2524950CE');
  });
});

describe('Brownian bridge through a bar', () => {
  it('starts at the open, ends at the close, touches high and low, never leaves the range', () => {
    for (let seed = 0; seed < 50; seed++) {
      const bar = { o: 100, h: 103, l: 98, c: 101 };
      const p = barPath(bar, 60, createRng(seed));
      expect(p[0]).toBe(100);
      expect(p[59]).toBe(101);
      expect(Math.max(...p)).toBe(103);
      expect(Math.min(...p)).toBe(98);
    }
  });
  it('is a pure function of the seed', () => {
    const bar = { o: 10, h: 12, l: 9, c: 11 };
    expect(Array.from(barPath(bar, 300, createRng(5)))).toEqual(Array.from(barPath(bar, 300, createRng(5))));
    expect(Array.from(barPath(bar, 300, createRng(5)))).not.toEqual(
      Array.from(barPath(bar, 300, createRng(6))),
    );
  });
});
