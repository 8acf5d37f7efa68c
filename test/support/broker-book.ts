import { OpenAlgoClient } from '../../src/broker/index.js';
import { SystemClock } from '../../src/clock/index.js';
import type { PositionRow } from '../../src/contracts/index.js';

/** The simulator's positionbook as sorted `symbol:quantity` lines (open positions only). */
export async function brokerPositions(sim: { restUrl: string; apiKey: string }): Promise<string[]> {
  const client = new OpenAlgoClient({
    baseUrl: sim.restUrl,
    apiKey: sim.apiKey,
    timeoutMs: 5_000,
    clock: new SystemClock(),
  });
  try {
    const r = await client.positionBook();
    if (!r.ok) throw new Error(`positionbook: ${r.error.message}`);
    return positionLines(r.data.positions);
  } finally {
    await client.close();
  }
}

/** The same lines for any list of positions (the PositionBook's, the broker's). */
export function positionLines(rows: ReadonlyArray<Pick<PositionRow, 'symbol' | 'quantity'>>): string[] {
  return rows
    .filter((x) => x.quantity !== 0)
    .map((x) => `${x.symbol}:${x.quantity}`)
    .sort();
}
