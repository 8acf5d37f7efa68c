import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock/index.js';
import { loadSimData } from '../../../src/sim/data-files.js';
import { createSimCore, type SimulatorOptions } from '../../../src/sim/index.js';

type TickRow = [string, number, number];

/** Runs a core for `total` market ms in the given step pattern and records every tick. */
function ticks(opts: SimulatorOptions, steps: number[]): TickRow[] {
  const core = createSimCore({ clock: new VirtualClock(), ...opts });
  const out: TickRow[] = [];
  const opt = core.registry.chain('NIFTY', core.registry.listedExpiries('NIFTY', 'options')[0]!)[40]!.ce!;
  core.market.watch(opt);
  core.market.onTick((inst, q) => out.push([inst.symbol, q().ltt, q().ltp]));
  for (const s of steps) core.market.step(s);
  return out;
}

const regular = Array.from({ length: 600 }, () => 1_000);
const irregular = [1, 137, 2_500, 0, 61_362, 999, 1, 300_000, 235_000];

describe('determinism: same seed + same inputs ⇒ same ticks', () => {
  for (const source of ['replay', 'generator'] as const) {
    it(`${source}: the tick sequence does not depend on how time is stepped`, () => {
      const a = ticks({ source, seed: 7, startDate: '2025-09-04' }, regular);
      const b = ticks({ source, seed: 7, startDate: '2025-09-04' }, irregular);
      expect(a.length).toBeGreaterThan(600 * 10);
      expect(b).toEqual(a);
    });
    it(`${source}: another seed gives another path`, () => {
      const a = ticks({ source, seed: 7, startDate: '2025-09-04' }, regular.slice(0, 120));
      const c = ticks({ source, seed: 8, startDate: '2025-09-04' }, regular.slice(0, 120));
      expect(c).not.toEqual(a);
    });
  }

  it('crossing the close continues at the next session open (closed hours skipped)', () => {
    const core = createSimCore({ clock: new VirtualClock(), seed: 1 });
    const open = core.market.now();
    core.market.step(6.25 * 3_600_000 + 60_000);
    expect(core.market.date()).toBe('2025-09-05');
    expect(core.market.now() - core.market.sessionOpenMs()).toBe(60_000);
    expect(core.market.sessionOpenMs() - open).toBe(86_400_000);
  });
});

describe('replay fidelity: ticks pass through every recorded 1-minute bar', () => {
  it('the simulated minute bars of 2025-09-04 equal the recording', () => {
    const data = loadSimData('/work/shared/data')!;
    const recorded = data.intraday.get('NIFTY')![0]!.byDate.get('2025-09-04')!;
    const core = createSimCore({ clock: new VirtualClock(), seed: 3, source: 'replay' });
    core.market.step(60 * 60_000);
    const sim = core.market.minuteBars('NIFTY').slice(0, 59);
    expect(sim.length).toBe(59);
    sim.forEach((b, i) => {
      const r = recorded[i]!;
      expect([b.t, b.o, b.h, b.l, b.c]).toEqual([r.t, r.o, r.h, r.l, r.c]);
    });
  });
});
