import { parseEventOf, type TomicEvent } from '../../contracts/index.js';
import type { Logger } from '../../log/index.js';
import type { CommandOutcomeReader } from '../../store/command-outcomes.js';
import type { DecisionContext, JournalableEvent, JournalStore } from '../../store/journal-store.js';

const TERMINAL = new Set(['DONE', 'FAILED', 'DEAD_LETTER']);
const JOURNALED_EVENTS = new Set([
  'ORDER_FILL',
  'ORDER_REJECT',
  'ORDER_DENIED',
  'IDEMPOTENCY_SKIP',
  'UNHEDGED_INCIDENT',
]);

/**
 * The Journaling agent's work. Command outcomes come from the durable command table (swept, so none
 * is lost when the bus drops a message); fills, rejects, denials, idempotency skips and unhedged
 * incidents come from the bus. Every write is idempotent on event_id: a replayed or re-read event is
 * skipped.
 */
export class JournalingService {
  /** Lowest command id that may still change; everything below it is journaled. */
  #watermark = 0;

  constructor(
    private readonly commands: CommandOutcomeReader,
    private readonly journal: JournalStore,
    private readonly logger: Logger,
    private readonly context: () => DecisionContext = () => ({}),
  ) {}

  /** Journals every command that reached a final state since the last sweep; returns how many. */
  sweep(batch = 500): number {
    let written = 0;
    let nextWatermark: number | undefined;
    for (let from = this.#watermark; ; ) {
      const rows = this.commands.from(from, batch);
      for (const row of rows) {
        if (!TERMINAL.has(row.status)) {
          nextWatermark ??= row.id;
          continue;
        }
        const parsed = parseEventOf('ORDER_REQUEST', JSON.parse(row.payload));
        if (!parsed.ok) {
          this.logger.error(
            { command_id: row.id, error: parsed.message },
            'command payload failed its schema; not journaled',
          );
          continue;
        }
        const wrote = this.journal.recordOutcome(
          {
            event: parsed.value,
            commandId: row.id,
            status: row.status as 'DONE' | 'FAILED' | 'DEAD_LETTER',
            error: row.last_error,
            errorClass: row.error_class,
          },
          this.context(),
        );
        if (wrote) written++;
      }
      const last = rows.at(-1)?.id;
      if (rows.length < batch || last === undefined) {
        this.#watermark = nextWatermark ?? (last === undefined ? from : last + 1);
        return written;
      }
      from = last + 1;
    }
  }

  /** Bus events worth a journal row; others are ignored. Returns true when a row was written. */
  onEvent(e: TomicEvent): boolean {
    if (!JOURNALED_EVENTS.has(e.event_type)) return false;
    return this.journal.record(e as JournalableEvent, this.context());
  }
}
