import { describe, expect, it } from 'vitest';
import { createRng, VirtualClock } from '../../../src/clock/index.js';

describe('VirtualClock', () => {
  it('fires timers in due order, ties in scheduling order, including timers scheduled while advancing', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => fired.push('a@10'), 10);
    clock.setTimeout(() => {
      fired.push('c@10');
      clock.setTimeout(() => fired.push('d@15'), 5);
    }, 10);
    clock.advance(19);
    expect(fired).toEqual(['a@10', 'c@10', 'd@15']);
    expect(clock.monotonicMs()).toBe(19);
    clock.advance(1);
    expect(fired.at(-1)).toBe('b@20');
  });

  it('cancelled timers do not fire; time never goes backwards', () => {
    const clock = new VirtualClock();
    let n = 0;
    const h = clock.setTimeout(() => n++, 5);
    clock.clearTimeout(h);
    clock.advance(10);
    expect(n).toBe(0);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('a wall-clock jump does not move monotonic time (§12)', () => {
    const clock = new VirtualClock({ monotonicMs: 1000 });
    const wall = clock.wallMs();
    clock.jumpWall(-2_000);
    expect(clock.wallMs()).toBe(wall - 2_000);
    expect(clock.monotonicMs()).toBe(1000);
  });

  it('sleep resolves on advanceAsync and rejects on abort', async () => {
    const clock = new VirtualClock();
    let done = false;
    const p = clock.sleep(1_000).then(() => {
      done = true;
    });
    await clock.advanceAsync(999);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await p;
    expect(done).toBe(true);
    const ac = new AbortController();
    const q = clock.sleep(1_000, ac.signal);
    ac.abort();
    await expect(q).rejects.toThrow(/abort/i);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('async loops progress exactly with virtual time', async () => {
    const clock = new VirtualClock();
    const ticks: number[] = [];
    const ac = new AbortController();
    const loop = (async () => {
      try {
        for (;;) {
          await clock.sleep(100, ac.signal);
          ticks.push(clock.monotonicMs());
        }
      } catch {
        /* aborted */
      }
    })();
    await clock.advanceAsync(350);
    ac.abort();
    await loop;
    expect(ticks).toEqual([100, 200, 300]);
  });
});

describe('seeded rng', () => {
  it('is deterministic per seed and uniform-ish', () => {
    const a = createRng(7);
    const b = createRng(7);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    expect(createRng(8).next()).not.toBe(createRng(7).next());
  });
});
