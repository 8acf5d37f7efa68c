import type { Database, Statement } from 'better-sqlite3';
import type { CommandRow } from './command-store.js';

/**
 * Read side for the Journaling agent: commands from a watermark upward in id order, so a sweep can
 * journal the ones that reached a final state and remember the lowest one still in flight.
 */
export class CommandOutcomeReader {
  readonly #from: Statement;

  constructor(db: Database) {
    this.#from = db.prepare('SELECT * FROM commands WHERE id >= ? ORDER BY id ASC LIMIT ?');
  }

  from(minId: number, limit: number): CommandRow[] {
    return this.#from.all(minId, limit) as CommandRow[];
  }
}
