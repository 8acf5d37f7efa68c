import type { TomicEvent } from '../contracts/index.js';
import { METRICS } from './observability.js';

/** Denials that count as stale-data blocks (§4 gates). */
const STALE_CODES: ReadonlySet<string> = new Set([
  'STALE_QUOTE',
  'NO_DEPTH',
  'PCR_STALE',
  'GEX_STALE',
  'MAX_PAIN_STALE',
  'GREEKS_STALE',
  'GREEKS_API_STALE',
  'VIX_STALE',
  'SIZING_MARGIN_STALE',
  'SNAPSHOT_STALE',
]);

/**
 * Which §13 counters an event moves. The supervisor is the one writer of tomic_metrics.db: it sees
 * every event on the bus and records them here, so agents stay free of metrics I/O.
 */
export function metricsOf(e: TomicEvent): Array<{ readonly name: string; readonly by: number }> {
  switch (e.event_type) {
    case 'ORDER_FILL':
      return [{ name: METRICS.orders, by: 1 }];
    case 'ORDER_REJECT':
      return [
        { name: METRICS.orders, by: 1 },
        { name: METRICS.rejects, by: 1 },
      ];
    case 'ORDER_DENIED':
      return STALE_CODES.has(e.payload.code) ? [{ name: METRICS.staleBlocks, by: 1 }] : [];
    case 'FEED_STATUS':
      // The Execution agent publishes FEED_STATUS on each primary/fallback switch.
      return [{ name: METRICS.failovers, by: 1 }];
    case 'UNHEDGED_INCIDENT':
      return e.payload.action === 'FORCE_CLOSE' ? [{ name: METRICS.unhedged, by: 1 }] : [];
    case 'COMMAND_STATUS':
      return e.payload.status === 'DEAD_LETTER' ? [{ name: METRICS.deadLetters, by: 1 }] : [];
    default:
      return [];
  }
}
