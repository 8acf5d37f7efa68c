import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BusStats, ZmqBus } from '../../../src/bus/index.js';
import type { TomicEvent } from '../../../src/contracts/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { alert, waitFor } from '../../unit/bus/events.js';
import { type ProxyFixture, startProxy } from './support.js';

const PEER = join(import.meta.dirname, 'fixtures', 'bus-peer.ts');

type PeerMessage =
  | { type: 'done'; stats: BusStats }
  | { type: 'stats'; stats: BusStats }
  | { type: 'ready' }
  | { type: 'got'; message: string };

interface Peer {
  child: ChildProcess;
  messages: PeerMessage[];
  exited: Promise<number | null>;
}

function spawnPeer(p: ProxyFixture, args: string[]): Peer {
  const child = fork(PEER, [p.xsub, p.xpub, ...args], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const messages: PeerMessage[] = [];
  child.on('message', (m) => messages.push(m as PeerMessage));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, messages, exited };
}

describe('ZmqBus across processes', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup() {
    const p = await startProxy();
    cleanup.push(() => p.close());
    const bus = await ZmqBus.connect({ xsubEndpoint: p.xsub, xpubEndpoint: p.xpub, logger: silentLogger() });
    cleanup.push(() => bus.close());
    return { p, bus };
  }

  it('a child publishes; the parent receives every event, in order, through the proxy', async () => {
    const { p, bus } = await setup();
    const got: TomicEvent[] = [];
    bus.subscribe(['HEARTBEAT'], (e) => got.push(e));
    // Ready before the child connects: the proxy hands our subscription to the child's PUB as it joins.
    await bus.ready();

    const n = 2_000;
    const peer = spawnPeer(p, ['publish', String(n)]);
    cleanup.push(() => {
      if (peer.child.exitCode === null) peer.child.kill('SIGKILL');
    });
    await waitFor(() => got.length === n, `${n} heartbeats from the child`, 45_000);
    expect(await peer.exited).toBe(0);

    expect(got.map((e) => (e.event_type === 'HEARTBEAT' ? e.payload.seq : -1))).toEqual(
      Array.from({ length: n }, (_, i) => i),
    );
    expect(new Set(got.map((e) => e.source_agent))).toEqual(new Set(['sniper']));
    expect(got[0]?.event_type === 'HEARTBEAT' && got[0].payload.pid).toBe(peer.child.pid);
    const done = peer.messages.find((m) => m.type === 'done');
    expect(done?.type === 'done' && done.stats).toMatchObject({ published: n, dropped: 0 });
    expect(bus.stats()).toMatchObject({ received: n, malformed: 0 });
  });

  it('the parent publishes; a child subscriber receives every event, in order', async () => {
    const { p, bus } = await setup();
    await bus.ready();
    const peer = spawnPeer(p, ['subscribe']);
    cleanup.push(() => {
      if (peer.child.exitCode === null) peer.child.kill('SIGKILL');
    });
    await waitFor(() => peer.messages.some((m) => m.type === 'ready'), 'the child to be ready', 45_000);

    // The child's ready() proves its subscription reached the proxy; our PUB hears of it a moment
    // later on its own pipe. Ping until the child has one, then the real sequence follows in order.
    const got = () => peer.messages.flatMap((m) => (m.type === 'got' ? [m.message] : []));
    for (let i = 0; !got().includes('ping'); i++) {
      bus.publish({ ...alert(0), payload: { ...alert(0).payload, message: 'ping' } });
      await new Promise((r) => setTimeout(r, 20));
      if (i > 2_000) throw new Error('child never saw a ping');
    }
    const n = 300;
    for (let i = 0; i < n; i++) bus.publish(alert(i));
    await waitFor(() => got().filter((m) => m !== 'ping').length === n, `${n} alerts at the child`, 45_000);
    expect(got().filter((m) => m !== 'ping')).toEqual(Array.from({ length: n }, (_, i) => `alert ${i}`));

    peer.child.send('stop');
    expect(await peer.exited).toBe(0);
    const stats = peer.messages.find((m) => m.type === 'stats');
    expect(stats?.type === 'stats' && stats.stats.malformed).toBe(0);
  });
});
