import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JournalingService } from '../../../src/agents/journaling/journaling-service.js';
import { VirtualClock } from '../../../src/clock/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { makeEvent } from '../../../src/contracts/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { CommandOutcomeReader } from '../../../src/store/command-outcomes.js';
import { CommandStore } from '../../../src/store/command-store.js';
import { openDatabase } from '../../../src/store/index.js';
import { JournalStore } from '../../../src/store/journal-store.js';
import { bpsLeg } from '../../support/orders.js';

const cfg = loadConfig({ env: {}, envFile: null });
if (!cfg.ok) throw new Error('config');
const config = cfg.config;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'tomic-journal-'));
  const clock = new VirtualClock();
  const db = openDatabase(dir, 'commands');
  const commands = new CommandStore(db, {
    clock,
    retry: CommandStore.retryPolicyFromConfig(config),
    leaseMs: 30_000,
  });
  const journal = new JournalStore(openDatabase(dir, 'journal'));
  const service = new JournalingService(new CommandOutcomeReader(db), journal, silentLogger(), () => ({
    regime: { regime: 'BULLISH', version: 7 },
    parameters: { dailyMaxLossPct: 6 },
  }));
  return { clock, commands, journal, service };
}

describe('Journaling agent: idempotent on event_id', () => {
  it('journals each final command once, with its sizing trace and regime, however often it sweeps', () => {
    const s = setup();
    const trace = [{ step: 1, name: 'carver', input: 10, output: 8 }];
    s.commands.enqueueGroup([
      bpsLeg(s.clock, 'long_put', { sizing_trace: trace }),
      bpsLeg(s.clock, 'short_put'),
    ]);
    const claimed = s.commands.claimNextGroup();
    expect(s.service.sweep()).toBe(0);
    s.commands.ack(claimed[0]!.id, claimed[0]!.ownerToken, { brokerOrderId: '26021500000001' });
    expect(s.service.sweep()).toBe(1);
    s.commands.fail(claimed[1]!.id, claimed[1]!.ownerToken, 'BROKER_REJECT', 'Insufficient funds');
    expect(s.service.sweep()).toBe(1);
    expect(s.service.sweep()).toBe(0);
    const rows = s.journal.list({ limit: 10 });
    expect(rows).toHaveLength(2);
    const done = rows.find((r) => r.status === 'DONE')!;
    expect(done.sizing_trace).toEqual(trace);
    expect(done.regime).toEqual({ regime: 'BULLISH', version: 7 });
    expect(rows.find((r) => r.status === 'FAILED')!.code).toBe('BROKER_REJECT');
  });

  it('a replayed bus event is skipped', () => {
    const s = setup();
    const fill = makeEvent(
      s.clock,
      'ORDER_FILL',
      { source_agent: 'execution', strategy_id: 'TOMIC_X' },
      {
        leg: 'short_put',
        action: 'SELL',
        symbol: 'NIFTY26FEB2625000PE',
        exchange: 'NFO',
        product: 'NRML',
        broker_order_id: '26021500000002',
        filled_quantity: 65,
        ordered_quantity: 65,
        average_price: 119.5,
        expected_price: 120,
      },
    );
    expect(s.service.onEvent(fill)).toBe(true);
    expect(s.service.onEvent(fill)).toBe(false);
    expect(s.journal.list({ limit: 10 })).toHaveLength(1);
  });
});
