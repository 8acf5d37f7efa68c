import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Publisher } from 'zeromq';
import { BusProxy, ZmqBus } from '../../../src/bus/index.js';
import type { TomicEvent } from '../../../src/contracts/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { busContract } from '../../unit/bus/bus-contract.js';
import { heartbeat, waitFor } from '../../unit/bus/events.js';
import { type ProxyFixture, startProxy } from './support.js';

const logger = silentLogger();
const connect = (p: ProxyFixture, extra: { maxQueue?: number } = {}) =>
  ZmqBus.connect({ xsubEndpoint: p.xsub, xpubEndpoint: p.xpub, logger, ...extra });

busContract('ZmqBus through a BusProxy on ipc://', async () => {
  const p = await startProxy();
  const pub = await connect(p);
  const sub = await connect(p);
  const raws: Publisher[] = [];
  return {
    pub,
    sub,
    settle: async () => {
      // Order matters: see ZmqBus.ready. The subscriber's probe proves its subscriptions reached the
      // proxy; the publisher's later probe proves the proxy has passed them on to its PUB socket.
      await sub.ready();
      await pub.ready();
    },
    injectMalformed: async (sentinel: TomicEvent) => {
      const raw = new Publisher({ linger: 1_000 });
      raws.push(raw);
      raw.connect(p.xsub);
      // The raw socket's own slow joiner: send valid heartbeats until one is seen, then the bad frames
      // (one publisher's frames arrive in order, so nothing bad is lost before the subscription).
      let seen = false;
      const off = sub.subscribe(['HEARTBEAT'], (e) => {
        if (e.event_type === 'HEARTBEAT' && e.payload.seq >= 10_000) seen = true;
      });
      for (let i = 0; !seen; i++) {
        await raw.send(['HEARTBEAT', JSON.stringify(heartbeat(10_000 + i))]);
        await new Promise((r) => setTimeout(r, 20));
        if (i > 1_000) throw new Error('raw publisher never joined');
      }
      off();
      const valid = heartbeat(1);
      const bad: string[][] = [
        ['HEARTBEAT', 'not json {'],
        ['HEARTBEAT', '{}'],
        ['HEARTBEAT', JSON.stringify({ ...valid, payload: { ...valid.payload, pid: -1 } })],
        ['ALERT', JSON.stringify(valid)], // topic and event_type disagree
        ['HEARTBEAT'],
        ['HEARTBEAT', JSON.stringify(valid), 'extra'],
        ['NOT_A_TYPE', JSON.stringify(valid)],
      ];
      for (const frames of bad) await raw.send(frames);
      await raw.send([sentinel.event_type, JSON.stringify(sentinel)]);
      return bad.length;
    },
    close: async () => {
      for (const r of raws) r.close();
      await pub.close();
      await sub.close();
      await p.close();
    },
  };
});

describe('ZmqBus', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('bounds its send queue: overflow is counted as dropped, never thrown', async () => {
    const p = await startProxy();
    cleanup.push(() => p.close());
    const bus = await connect(p, { maxQueue: 10 });
    cleanup.push(() => bus.close());
    const n = 1_000;
    for (let i = 0; i < n; i++) bus.publish(heartbeat(i));
    await bus.flush();
    const s = bus.stats();
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.published + s.dropped).toBe(n);
  });

  it('ready() rejects after its timeout when no proxy is there, and publish still does not throw', async () => {
    const p = await startProxy();
    await p.close(); // endpoints that nobody serves
    const bus = await connect(p);
    cleanup.push(() => bus.close());
    await expect(bus.ready({ timeoutMs: 200 })).rejects.toThrow(/not ready/);
    expect(() => bus.publish(heartbeat(1))).not.toThrow();
    await bus.flush();
    // ZeroMQ's PUB drops silently without peers: the event was handed over, nobody received it.
    expect(bus.stats().published).toBe(1);
  });

  it('reconnects by itself when the proxy restarts on the same endpoints', async () => {
    const p = await startProxy();
    cleanup.push(() => p.close());
    const pub = await connect(p);
    const sub = await connect(p);
    cleanup.push(
      () => pub.close(),
      () => sub.close(),
    );
    const got: number[] = [];
    sub.subscribe(['HEARTBEAT'], (e) => {
      if (e.event_type === 'HEARTBEAT') got.push(e.payload.seq);
    });
    await sub.ready();
    await pub.ready();
    pub.publish(heartbeat(1));
    await waitFor(() => got.includes(1), 'event through the first proxy');

    await p.proxy.close();
    const again = await BusProxy.start({ xsub: p.xsub, xpub: p.xpub, logger });
    cleanup.push(() => again.close());
    await sub.ready({ timeoutMs: 30_000 });
    await pub.ready({ timeoutMs: 30_000 });
    pub.publish(heartbeat(2));
    await waitFor(() => got.includes(2), 'event through the restarted proxy');
  });

  it('close() is idempotent and later subscriptions are inert', async () => {
    const p = await startProxy();
    cleanup.push(() => p.close());
    const bus = await connect(p);
    bus.publish(heartbeat(1));
    await Promise.all([bus.close(), bus.close()]);
    await bus.close();
    expect(bus.stats().published).toBe(1);
    const off = bus.subscribe('*', () => {});
    expect(() => off()).not.toThrow();
    await expect(bus.ready()).rejects.toThrow(/closed/);
  });
});

describe('BusProxy', () => {
  it('refuses to take over endpoints another proxy is serving; the first keeps working', async () => {
    const p = await startProxy();
    try {
      await expect(BusProxy.start({ xsub: p.xsub, xpub: p.xpub, logger })).rejects.toThrow(/already serving/);
      const bus = await connect(p);
      const got: TomicEvent[] = [];
      bus.subscribe('*', (e) => got.push(e));
      await bus.ready();
      bus.publish(heartbeat(1));
      await waitFor(() => got.length === 1, 'event through the first proxy');
      await bus.close();
    } finally {
      await p.close();
    }
  });

  it('removes its socket files on close, and replaces files left behind by a crash', async () => {
    const p = await startProxy();
    await p.proxy.close();
    expect(existsSync(p.xsub.slice('ipc://'.length))).toBe(false);
    expect(existsSync(p.xpub.slice('ipc://'.length))).toBe(false);
    mkdirSync(p.dir, { recursive: true });
    // One leftover is a plain file, the other a real socket file of a process killed while listening.
    writeFileSync(p.xsub.slice('ipc://'.length), 'stale');
    const killed = spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(p.xpub.slice('ipc://'.length))}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(p.xpub.slice('ipc://'.length))).toBe(true);
    const again = await BusProxy.start({ xsub: p.xsub, xpub: p.xpub, logger });
    try {
      const bus = await connect(p);
      const got: TomicEvent[] = [];
      bus.subscribe('*', (e) => got.push(e));
      await bus.ready();
      bus.publish(heartbeat(2));
      await waitFor(() => got.length === 1, 'event through the new proxy');
      await bus.close();
    } finally {
      await again.close();
      rmSync(p.dir, { recursive: true, force: true });
    }
  });
});
