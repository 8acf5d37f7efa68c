import type { Database } from 'better-sqlite3';
import type { Config } from '../../config/index.js';
import type { TomicEvent } from '../../contracts/index.js';
import { CommandOutcomeReader, JournalStore, openDatabase } from '../../store/index.js';
import { Agent, type AgentContext } from '../agent-base.js';
import { JournalingService } from './journaling-service.js';

const SWEEP_INTERVAL_MS = 1_000;

/**
 * The Journaling agent (plan `journaling_agent`): fills, rejects and denials from the bus, command
 * outcomes swept from the durable table every second (so none is lost when the bus drops one).
 */
export class JournalingAgent extends Agent {
  protected override readonly topics = '*' as const;
  readonly service: JournalingService;
  readonly #dbs: Database[];

  constructor(ctx: AgentContext, config: Config) {
    super(ctx);
    const commandsDb = openDatabase(config.dataDir, 'commands');
    const journalDb = openDatabase(config.dataDir, 'journal');
    this.#dbs = [commandsDb, journalDb];
    const journal = new JournalStore(journalDb, { mode: config.mode === 'live' ? 'live' : 'paper' });
    // The parameters in force when the order was decided (the order itself carries its sizing
    // trace and regime version).
    const parameters = { sizing: config.sizing, strategy: config.strategy, breakers: config.breakers };
    this.service = new JournalingService(new CommandOutcomeReader(commandsDb), journal, ctx.logger, () => ({
      parameters,
    }));
  }

  protected override onEvent(event: TomicEvent): void {
    this.service.onEvent(event);
  }

  protected override async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.service.sweep();
      await this.clock.sleep(SWEEP_INTERVAL_MS, signal).catch(() => undefined);
    }
  }

  /** The final sweep flushes every outcome reached before the stop (Safe Shutdown step 3). */
  protected override async cleanup(): Promise<void> {
    this.service.sweep();
    for (const db of this.#dbs) db.close();
  }
}
