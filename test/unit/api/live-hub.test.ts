import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { LIVE_CLOSE } from '../../../src/api/index.js';
import { LiveHub } from '../../../src/api/live.js';
import { VirtualClock } from '../../../src/clock/index.js';
import { makeEvent, Redactor, type TomicEvent } from '../../../src/contracts/index.js';
import { silentLogger } from '../../../src/log/index.js';

/** The few members of a ws socket the hub uses, recording what it was asked to do. */
class Socket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  pings = 0;
  closedWith: number | undefined;
  terminated = false;
  send(s: string) {
    this.sent.push(s);
  }
  ping() {
    this.pings++;
  }
  close(code: number) {
    this.closedWith = code;
    this.readyState = 3;
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
  }
}

function setup(pingMs = 1_000, maxBufferedBytes = 100) {
  const clock = new VirtualClock();
  let handler: ((e: TomicEvent) => void) | undefined;
  const hub = new LiveHub({
    events: {
      subscribe: (h) => {
        handler = h;
        return () => {
          handler = undefined;
        };
      },
    },
    redactor: new Redactor(),
    clock,
    logger: silentLogger(),
    pingMs,
    maxBufferedBytes,
  });
  const add = (valid = () => true) => {
    const s = new Socket();
    hub.add(s as unknown as WebSocket, { types: null, valid, sessionKey: null });
    return s;
  };
  const alert = () =>
    makeEvent(
      clock,
      'ALERT',
      { source_agent: 'supervisor' },
      { level: 'RISK', code: 'METRIC_THRESHOLD', message: 'm' },
    );
  return {
    clock,
    hub,
    add,
    emit: (e: TomicEvent) => handler?.(e),
    alert,
    subscribed: () => handler !== undefined,
  };
}

describe('LiveHub', () => {
  it('serializes once and writes the same text to every client', () => {
    const { add, emit, alert, hub } = setup();
    const a = add();
    const b = add();
    emit(alert());
    expect(a.sent).toHaveLength(1);
    expect(b.sent[0]).toBe(a.sent[0]);
    expect(hub.stats()).toMatchObject({ clients: 2, delivered: 2 });
  });

  it('drops a client whose send buffer is over the limit instead of buffering without end', () => {
    const { add, emit, alert, hub } = setup(1_000, 100);
    const slow = add();
    const fast = add();
    slow.bufferedAmount = 101;
    emit(alert());
    expect(slow.closedWith).toBe(LIVE_CLOSE.TOO_SLOW);
    expect(slow.sent).toHaveLength(0);
    expect(fast.sent).toHaveLength(1);
    expect(hub.clientCount).toBe(1);
  });

  it('pings on the clock; a client that did not pong by the next ping is terminated', () => {
    const { add, clock } = setup(1_000);
    const alive = add();
    const dead = add();
    clock.advance(1_000);
    expect([alive.pings, dead.pings]).toEqual([1, 1]);
    alive.emit('pong');
    clock.advance(1_000);
    expect(dead.terminated).toBe(true);
    expect(alive.terminated).toBe(false);
    expect(alive.pings).toBe(2);
  });

  it('closes a client whose session ended at the next ping even without events', () => {
    let valid = true;
    const { add, clock } = setup(1_000);
    const s = add(() => valid);
    valid = false;
    clock.advance(1_000);
    expect(s.closedWith).toBe(LIVE_CLOSE.SESSION_ENDED);
  });

  it('close() unsubscribes, closes clients and stops pinging', () => {
    const { add, hub, clock, subscribed } = setup(1_000);
    const s = add();
    hub.close();
    expect(subscribed()).toBe(false);
    expect(s.closedWith).toBe(LIVE_CLOSE.SHUTDOWN);
    expect(clock.pendingTimers()).toBe(0);
    const late = new Socket();
    hub.add(late as unknown as WebSocket, { types: null, valid: () => true, sessionKey: null });
    expect(late.closedWith).toBe(LIVE_CLOSE.SHUTDOWN);
  });
});
