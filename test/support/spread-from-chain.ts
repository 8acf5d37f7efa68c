import type { OpenAlgoClient } from '../../src/broker/index.js';
import { toExpiryInput } from '../../src/broker/index.js';
import type { Clock } from '../../src/clock/index.js';
import { makeEvent, type OrderRequest } from '../../src/contracts/index.js';

/**
 * A one-lot NIFTY bull put spread discovered through OpenAlgo's own endpoints (expiry, optionchain), as
 * the Risk agent would: short `shortOffset` strikes below the money, hedge `width` strikes further.
 */
export async function bullPutSpreadFromChain(
  client: OpenAlgoClient,
  clock: Clock,
  strategyId: string,
  opts: { shortOffset: number; width: number },
): Promise<OrderRequest[]> {
  const expiries = await client.expiry({ symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'options' });
  if (!expiries.ok) throw new Error(expiries.error.message);
  const chain = await client.optionChain({
    underlying: 'NIFTY',
    exchange: 'NSE_INDEX',
    expiry_date: toExpiryInput(expiries.data[0]!)!,
    strike_count: 15,
  });
  if (!chain.ok) throw new Error(chain.error.message);
  const atm = chain.data.chain.findIndex((r) => r.strike === chain.data.atmStrike);
  const shortRow = chain.data.chain[atm - opts.shortOffset]!;
  const longRow = chain.data.chain[atm - opts.shortOffset - opts.width]!;
  const lot = shortRow.pe!.lotSize ?? 65;
  const leg = (name: 'long_put' | 'short_put', row: typeof shortRow) =>
    makeEvent(
      clock,
      'ORDER_REQUEST',
      { source_agent: 'risk', strategy_id: strategyId },
      {
        leg: name,
        action: name === 'short_put' ? 'SELL' : 'BUY',
        intent: 'ENTRY',
        symbol: row.pe!.symbol,
        exchange: 'NFO',
        underlying: 'NIFTY',
        quantity: lot,
        lot_size: lot,
        pricetype: 'MARKET',
        product: 'NRML',
        price: 0,
        trigger_price: 0,
        option_type: 'PE',
        strike: row.strike,
        group: {
          group_id: `${strategyId}:entry`,
          strategy_type: 'BULL_PUT_SPREAD',
          leg_count: 2,
          leg_index: name === 'short_put' ? 1 : 0,
          role: name === 'short_put' ? 'SHORT' : 'HEDGE',
          pair_leg: name === 'short_put' ? 'long_put' : 'short_put',
        },
        expected_price: row.pe!.ltp ?? 0,
      },
    );
  return [leg('long_put', longRow), leg('short_put', shortRow)];
}
