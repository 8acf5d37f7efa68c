import { describe, expect, it } from 'vitest';
import { InMemoryBus } from '../../../src/bus/index.js';
import type { TomicEvent } from '../../../src/contracts/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { busContract } from './bus-contract.js';
import { alert, heartbeat } from './events.js';

busContract('InMemoryBus', async () => {
  const bus = new InMemoryBus({ logger: silentLogger() });
  return {
    pub: bus,
    sub: bus,
    settle: async () => {},
    injectMalformed: async (sentinel) => {
      const valid = heartbeat(1);
      const bad: unknown[] = [
        {},
        'not an event',
        { ...valid, ts: -1 },
        { ...valid, event_type: 'NOT_A_TYPE' },
        { ...valid, payload: { ...valid.payload, pid: 'x' } },
      ];
      for (const b of bad) bus.publish(b as TomicEvent);
      bus.publish(sentinel);
      return bad.length;
    },
    close: () => bus.close(),
  };
});

describe('InMemoryBus', () => {
  it('delivers synchronously, before publish returns', () => {
    const bus = new InMemoryBus();
    const got: TomicEvent[] = [];
    bus.subscribe('*', (e) => got.push(e));
    bus.publish(heartbeat(1));
    expect(got).toHaveLength(1);
  });

  it('keeps one global order when a handler publishes: the nested event comes after the current one', () => {
    const bus = new InMemoryBus();
    const first: string[] = [];
    const second: string[] = [];
    bus.subscribe('*', (e) => {
      first.push(e.event_type);
      if (e.event_type === 'HEARTBEAT') bus.publish(alert(1));
    });
    bus.subscribe('*', (e) => second.push(e.event_type));
    bus.publish(heartbeat(1));
    expect(first).toEqual(['HEARTBEAT', 'ALERT']);
    expect(second).toEqual(['HEARTBEAT', 'ALERT']);
  });

  it('hands handlers a parsed copy, not the object the publisher holds', () => {
    const bus = new InMemoryBus();
    const sent = heartbeat(1);
    let seen: TomicEvent | undefined;
    bus.subscribe('*', (e) => {
      seen = e;
    });
    bus.publish(sent);
    expect(seen).toEqual(sent);
    expect(seen).not.toBe(sent);
  });

  it('logs a throwing handler with the event type', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = silentLogger();
    logger.error = ((obj: Record<string, unknown>) => {
      lines.push(obj);
    }) as typeof logger.error;
    const bus = new InMemoryBus({ logger });
    bus.subscribe('*', () => {
      throw new Error('boom');
    });
    bus.publish(alert(1));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.event_type).toBe('ALERT');
  });
});
