import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realDelay } from '../../../src/clock/index.js';
import { type RunningSimulator, startSimulator } from '../../../src/sim/index.js';
import { authed, until } from './helpers.js';

// A feed client that stops reading (a stalled agent, a frozen VPS process) must cost the simulator
// bounded memory: past MAX_CLIENT_BUFFER_BYTES its ticks are dropped, and counted.
describe('feed back-pressure', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({
      source: 'generator',
      seed: 3,
      speed: 3_000,
      apiKey: 'slow-consumer-key-0123',
    });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('drops ticks for a client that stopped reading, keeps serving one that reads', async () => {
    const instruments = sim.market.instruments();
    const subscribe = (p: Awaited<ReturnType<typeof authed>>) => {
      for (const i of instruments)
        p.send({ action: 'subscribe', symbol: i.symbol, exchange: i.exchange, mode: 3 });
    };
    const stalled = await authed(sim.wsPrimaryUrl, 'slow-consumer-key-0123');
    const reader = await authed(sim.wsPrimaryUrl, 'slow-consumer-key-0123');
    subscribe(stalled);
    subscribe(reader);
    await until(() => stalled.marketData().length > 0 && reader.marketData().length > 0, 10_000, 'ticks');
    // Stop reading from the socket: the kernel buffers fill, then the server's queue would grow.
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await until(() => sim.feedStats().ticksDropped > 0, 30_000, 'ticks dropped for the stalled client');
    const before = reader.marketData().length;
    await realDelay(500);
    expect(reader.marketData().length).toBeGreaterThan(before);
    stalled.close();
    reader.close();
  });
});
