import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, EventHandler } from '../../../src/bus/index.js';
import type { TomicEvent } from '../../../src/contracts/index.js';
import { alert, heartbeat, regime, seqOf, waitFor } from './events.js';

/**
 * One medium (one in-memory bus, or one proxy with its sockets) seen through two endpoints. For the
 * in-memory bus `pub` and `sub` are the same object.
 */
export interface BusHarness {
  pub: Bus;
  sub: Bus;
  /** Resolves once every subscription made so far on `sub` is effective for `pub` (slow joiner). */
  settle(): Promise<void>;
  /**
   * Puts malformed messages on the medium, then `sentinel` (valid) through the same channel, so the
   * sentinel's arrival proves the malformed ones were handled. Returns how many malformed it sent.
   */
  injectMalformed(sentinel: TomicEvent): Promise<number>;
  close(): Promise<void>;
}

/** The behaviour every Bus implementation must show (run from unit and integration tests). */
export function busContract(name: string, makeHarness: () => Promise<BusHarness>): void {
  describe(`Bus contract: ${name}`, () => {
    let h: BusHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.close();
    });

    const collect = (): { events: TomicEvent[]; handler: EventHandler } => {
      const events: TomicEvent[] = [];
      return { events, handler: (e) => events.push(e) };
    };

    it('delivers only the subscribed event types; "*" gets all of them', async () => {
      const alerts = collect();
      const hbAndRegime = collect();
      const all = collect();
      h.sub.subscribe(['ALERT'], alerts.handler);
      h.sub.subscribe(['HEARTBEAT', 'REGIME_UPDATE'], hbAndRegime.handler);
      h.sub.subscribe('*', all.handler);
      await h.settle();

      const sent = [heartbeat(1), alert(1), regime(1), alert(2), heartbeat(2)];
      for (const e of sent) h.pub.publish(e);
      await waitFor(() => all.events.length === sent.length, 'all five events');

      expect(all.events.map((e) => e.event_id)).toEqual(sent.map((e) => e.event_id));
      expect(all.events).toEqual(sent);
      expect(alerts.events.map((e) => e.event_type)).toEqual(['ALERT', 'ALERT']);
      expect(hbAndRegime.events.map((e) => e.event_type)).toEqual([
        'HEARTBEAT',
        'REGIME_UPDATE',
        'HEARTBEAT',
      ]);
    });

    it('stops delivering to a handler once unsubscribed, and unsubscribing twice is harmless', async () => {
      const a = collect();
      const all = collect();
      const unsubscribe = h.sub.subscribe(['HEARTBEAT'], a.handler);
      h.sub.subscribe('*', all.handler);
      await h.settle();

      h.pub.publish(heartbeat(1));
      await waitFor(() => all.events.length === 1, 'first event');
      unsubscribe();
      unsubscribe();
      h.pub.publish(heartbeat(2));
      h.pub.publish(alert(3));
      await waitFor(() => all.events.length === 3, 'later events');

      expect(a.events.map(seqOf)).toEqual([1]);
    });

    it('keeps other subscriptions of the same topic alive when one unsubscribes', async () => {
      const a = collect();
      const b = collect();
      const offA = h.sub.subscribe(['HEARTBEAT'], a.handler);
      h.sub.subscribe(['HEARTBEAT'], b.handler);
      await h.settle();
      offA();
      for (let i = 0; i < 3; i++) h.pub.publish(heartbeat(i));
      await waitFor(() => b.events.length === 3, 'three heartbeats on the remaining handler');
      expect(a.events).toEqual([]);
    });

    it('preserves the order of one publisher', async () => {
      const all = collect();
      h.sub.subscribe('*', all.handler);
      await h.settle();
      const n = 500;
      for (let i = 0; i < n; i++) h.pub.publish(i % 7 === 0 ? alert(i) : heartbeat(i));
      await waitFor(() => all.events.length === n, `${n} events`);
      const hbs = all.events.filter((e) => e.event_type === 'HEARTBEAT').map(seqOf);
      expect(hbs).toEqual([...hbs].sort((x, y) => x - y));
      expect(
        all.events.map((e) => (e.event_type === 'ALERT' ? Number(e.payload.message.slice(6)) : seqOf(e))),
      ).toEqual(Array.from({ length: n }, (_, i) => i));
    });

    it('counts malformed messages and never delivers them', async () => {
      const all = collect();
      h.sub.subscribe('*', all.handler);
      await h.settle();
      const before = h.sub.stats().malformed;
      const sentinel = alert(99);
      const bad = await h.injectMalformed(sentinel);
      await waitFor(() => all.events.some((e) => e.event_id === sentinel.event_id), 'the sentinel');

      expect(bad).toBeGreaterThanOrEqual(3);
      expect(h.sub.stats().malformed - before).toBe(bad);
      // Only valid events reached the handler (probes of a transport are not events either).
      expect(all.events.at(-1)).toEqual(sentinel);
      for (const e of all.events) expect(['ALERT', 'HEARTBEAT']).toContain(e.event_type);
    });

    it('isolates a throwing handler: the others still get every event, later events still flow', async () => {
      const calls: number[] = [];
      const good = collect();
      h.sub.subscribe(['HEARTBEAT'], (e) => {
        calls.push(seqOf(e));
        throw new Error('handler bug');
      });
      h.sub.subscribe(['HEARTBEAT'], good.handler);
      await h.settle();
      for (let i = 0; i < 3; i++) h.pub.publish(heartbeat(i));
      await waitFor(() => good.events.length === 3, 'three heartbeats');
      expect(calls).toEqual([0, 1, 2]);
      expect(good.events.map(seqOf)).toEqual([0, 1, 2]);
    });

    it('counts published and received events; an event nobody wants is not received', async () => {
      const hb = collect();
      const pub0 = h.pub.stats();
      const sub0 = h.sub.stats();
      h.sub.subscribe(['HEARTBEAT'], hb.handler);
      h.sub.subscribe(['HEARTBEAT'], () => {}); // two handlers, one event: received once
      await h.settle();
      for (let i = 0; i < 4; i++) h.pub.publish(heartbeat(i));
      h.pub.publish(alert(1)); // no ALERT subscriber anywhere
      h.pub.publish(heartbeat(4)); // sentinel after the alert
      await waitFor(() => hb.events.length === 5, 'five heartbeats');
      await waitFor(() => h.pub.stats().published - pub0.published === 6, 'six published');

      const pub1 = h.pub.stats();
      const sub1 = h.sub.stats();
      expect(pub1.published - pub0.published).toBe(6);
      expect(sub1.received - sub0.received).toBe(5);
      expect(sub1.malformed - sub0.malformed).toBe(0);
      expect(pub1.dropped - pub0.dropped).toBe(0);
    });

    it('lets a handler unsubscribe itself and subscribe another while it is being called', async () => {
      const late = collect();
      const all = collect();
      h.sub.subscribe('*', all.handler);
      const off = h.sub.subscribe(['ALERT'], () => {
        off();
        h.sub.subscribe(['REGIME_UPDATE'], late.handler);
      });
      await h.settle();
      h.pub.publish(alert(1));
      await waitFor(() => all.events.length === 1, 'the alert');
      await h.settle();
      h.pub.publish(regime(7));
      await waitFor(() => late.events.length === 1, 'the regime update on the late handler');
      expect(late.events[0]?.event_type).toBe('REGIME_UPDATE');
    });

    it('after close, publish is counted as a drop and does not throw', async () => {
      await h.pub.close();
      const before = h.pub.stats().dropped;
      expect(() => h.pub.publish(heartbeat(1))).not.toThrow();
      expect(h.pub.stats().dropped - before).toBe(1);
    });
  });
}
