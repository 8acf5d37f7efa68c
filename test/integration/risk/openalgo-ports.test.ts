import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OpenAlgoChainPort,
  OpenAlgoFundsPort,
  OpenAlgoMarginPort,
  openAlgoRiskPorts,
  planEntry,
  RiskAgent,
} from '../../../src/agents/risk/index.js';
import { OpenAlgoClient } from '../../../src/broker/index.js';
import { InMemoryBus } from '../../../src/bus/index.js';
import { SystemClock } from '../../../src/clock/index.js';
import type { TomicEvent } from '../../../src/contracts/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { startSimulator } from '../../../src/sim/index.js';
import {
  CommandStore,
  type Database,
  openDatabase,
  PositionBookReader,
  RegimeStateReader,
  retryPolicy,
} from '../../../src/store/index.js';
import { parseOptionSymbol, STRATEGIES, selectLegs } from '../../../src/strategy/index.js';
import { riskConfig } from '../../unit/risk/fixtures.js';

type Sim = Awaited<ReturnType<typeof startSimulator>>;

describe('Risk ports over OpenAlgo (the embedded simulator)', () => {
  const clock = new SystemClock();
  const cfg = riskConfig();
  let sim: Sim;
  let client: OpenAlgoClient;
  const dbs: Database[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ source: 'generator', seed: 7 });
    client = new OpenAlgoClient({ baseUrl: sim.restUrl, apiKey: sim.apiKey, timeoutMs: 5_000, clock });
  });
  afterAll(async () => {
    for (const db of dbs) db.close();
    await client?.close();
    await sim?.stop();
  });

  const opts = () => ({ client, clock, riskFreeRatePct: cfg.strategy.riskFreeRatePct, ewmaSpanDays: 35 });

  it('optionchain with greeks becomes a tradable chain: symbols, lot size, IVs as decimals', async () => {
    const chain = await new OpenAlgoChainPort(opts()).fetch('NIFTY', {
      minDte: cfg.strategy.minDte,
      maxDte: 45,
    });
    expect(chain.spot).toBeGreaterThan(0);
    expect(chain.lotSize).toBeGreaterThan(0);
    expect(chain.expiries.length).toBeGreaterThan(0);
    const row = chain.expiries[0]!.rows.find((r) => r.pe?.symbol !== undefined)!;
    expect(parseOptionSymbol(row.pe!.symbol!)).toMatchObject({ strike: row.strike, optionType: 'PE' });
    expect(row.pe!.iv!).toBeGreaterThan(0);
    expect(row.pe!.iv!).toBeLessThan(3);
    const s = selectLegs(STRATEGIES.BULL_PUT_SPREAD, chain, cfg.strategy, clock.wallMs());
    if (!s.ok) throw new Error(s.message);
    expect(Math.abs(s.legs[1]!.delta!)).toBeCloseTo(0.2, 1);
  });

  it('funds and the spread margin of one lot', async () => {
    const funds = await new OpenAlgoFundsPort(client).fetch();
    expect(funds.availableMargin).toBeGreaterThan(0);
    const chain = await new OpenAlgoChainPort(opts()).fetch('NIFTY', {
      minDte: cfg.strategy.minDte,
      maxDte: 45,
    });
    const plan = planEntry({
      opportunity: {
        strategyType: 'BULL_PUT_SPREAD',
        underlying: 'NIFTY',
        regime: {
          version: 1,
          underlying: 'NIFTY',
          regime: 'BULLISH',
          score: 1,
          vix: 14,
          flags: [],
          indicators: {},
        },
      },
      chain,
      book: { version: 0, positions: [], realizedPnl: 0 },
      account: {
        account: {
          capital: 10_000_000,
          realizedPnl: 0,
          unrealizedPnl: 0,
          grossNotional: 0,
          usedMarginByUnderlying: {},
          usedMarginTotal: 0,
        },
        margin: {
          availableMargin: funds.availableMargin,
          usedMargin: funds.usedMargin,
          asOfMs: clock.monotonicMs(),
        },
      },
      market: { ewmaDailyVol: 0.05 },
      config: cfg,
      strategyId: 'BPS-NIFTY-SIM-1',
      nowMs: clock.monotonicMs(),
      nowWallMs: clock.wallMs(),
    });
    if (!plan.ok) throw new Error(`${plan.code} ${plan.gate}`);
    const perLot = await new OpenAlgoMarginPort(client).marginPerLot(plan.orders);
    expect(perLot).not.toBeNull();
    expect(perLot!).toBeGreaterThan(0);
  });

  it('RiskAgent end to end: a bullish regime becomes one hedged group on the command table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tomic-risk-sim-'));
    const commandsDb = openDatabase(dir, 'commands');
    const positionsDb = openDatabase(dir, 'positions');
    dbs.push(commandsDb, positionsDb);
    const store = new CommandStore(commandsDb, { clock, retry: retryPolicy(), leaseMs: 30_000 });
    const bus = new InMemoryBus();
    const events: TomicEvent[] = [];
    bus.subscribe('*', (e) => events.push(e));
    const agent = new RiskAgent(
      { name: 'risk', clock, bus, logger: silentLogger(), heartbeatIntervalMs: 60_000 },
      {
        config: cfg,
        blackSwan: false,
        ports: openAlgoRiskPorts({
          ...opts(),
          positions: new PositionBookReader(positionsDb),
          regimes: new RegimeStateReader(positionsDb),
          commands: store,
        }),
      },
    );
    await agent.start();
    try {
      await agent.refreshFunds();
      bus.publish({
        event_id: '00000000-0000-4000-8000-000000000001',
        correlation_id: 'r',
        strategy_id: 'SYSTEM',
        idempotency_key: 'r-1',
        event_version: 1,
        source_agent: 'regime',
        ts: clock.wallMs(),
        event_type: 'REGIME_UPDATE',
        payload: {
          version: 1,
          underlying: 'NIFTY',
          regime: 'BULLISH',
          score: 1,
          vix: 14,
          flags: [],
          indicators: {},
        },
      });
      await agent.idle();
      const denied = events.filter((e) => e.event_type === 'ORDER_DENIED');
      expect(denied.map((d) => d.payload)).toEqual([]);
      const rows = store.list().reverse();
      expect(rows.map((r) => r.idempotency_key.split(':').slice(1).join(':'))).toEqual([
        'long_put:BUY',
        'short_put:SELL',
      ]);
    } finally {
      await agent.stop();
      store.close();
    }
  });
});
