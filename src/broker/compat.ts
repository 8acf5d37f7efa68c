import type { Clock } from '../clock/index.js';
import { type Logger, silentLogger } from '../log/index.js';
import { FeedClient, type FeedMode, type Instrument, type Tick } from '../market/index.js';
import type { OpenAlgoClient } from './client.js';
import type { BasketItemInput, PlaceOrderInput } from './requests.js';
import { type OptionChain, type OrderRow, TERMINAL_ORDER_STATUSES, toExpiryInput } from './responses.js';
import type { BrokerResult } from './types.js';

/**
 * `tomic compat`: the plan's Broker Compatibility Matrix run against whatever OpenAlgo the config
 * names — placeorder (equity + option), basketorder (a spread), cancelallorder, positionbook, funds,
 * margin, WebSocket QUOTE and DEPTH — plus the OpenAlgo behaviours TOMIC depends on (analyzer mode,
 * strategy tags in the orderbook, partial fills, spread margin benefit, basket result order, number
 * formats). Order checks run only when the instance reports analyzer mode or `allowLive` is set.
 *
 * Note: OpenAlgo's cancelallorder cancels every open order of the account (its `strategy` filters
 * nothing), so the cancel check also cancels other resting sandbox orders.
 */
export interface CompatRow {
  readonly endpoint: string;
  readonly test: string;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly detail: string;
  readonly ms: number;
}

export interface CompatOptions {
  readonly client: OpenAlgoClient;
  /** Feed URLs to check (primary first, then fallback). */
  readonly feedUrls: readonly string[];
  /** Key for the WebSocket feeds. */
  readonly apiKey: string;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Run order checks against a live (non-analyzer) instance. Real orders; off by default. */
  readonly allowLive?: boolean;
  readonly equity?: Instrument;
  /** Index whose options are traded (`NIFTY` on `NSE_INDEX` → options on `NFO`). */
  readonly underlying?: Instrument;
  readonly optionExchange?: 'NFO' | 'BFO';
  readonly strategyTag?: string;
  /** How long to wait for the first feed tick. */
  readonly feedTimeoutMs?: number;
  /** How long to follow a placed order to a terminal state. */
  readonly orderTimeoutMs?: number;
}

const DEFAULTS = {
  equity: { symbol: 'RELIANCE', exchange: 'NSE' },
  underlying: { symbol: 'NIFTY', exchange: 'NSE_INDEX' },
  optionExchange: 'NFO' as const,
  strategyTag: 'TOMIC_COMPAT',
  feedTimeoutMs: 10_000,
  orderTimeoutMs: 5_000,
};
/** The plan's DEPTH check is "Level 5 depth". */
const DEPTH_LEVELS_REQUIRED = 5;
/** Random broker rejects (our simulator models 2 %) must not fail a protocol check on their own. */
const PLACE_ATTEMPTS = 3;
const POLL_MS = 200;
const EQUITY_TICK = 0.05;

interface OptionPick {
  readonly exchange: 'NFO' | 'BFO';
  readonly lotSize: number;
  readonly atmCall: string;
  readonly shortPut: string;
  readonly longPut: string;
}

export async function runCompatMatrix(opts: CompatOptions): Promise<CompatRow[]> {
  const { client, clock } = opts;
  const log = (opts.logger ?? silentLogger()).child({ component: 'compat' });
  const equity = opts.equity ?? DEFAULTS.equity;
  const underlying = opts.underlying ?? DEFAULTS.underlying;
  const optionExchange = opts.optionExchange ?? DEFAULTS.optionExchange;
  const tag = opts.strategyTag ?? DEFAULTS.strategyTag;
  const orderTimeoutMs = opts.orderTimeoutMs ?? DEFAULTS.orderTimeoutMs;
  const rows: CompatRow[] = [];

  const timed = async (
    endpoint: string,
    test: string,
    fn: () => Promise<Omit<CompatRow, 'endpoint' | 'test' | 'ms'>>,
  ) => {
    const start = clock.monotonicMs();
    let row: Omit<CompatRow, 'endpoint' | 'test' | 'ms'>;
    try {
      row = await fn();
    } catch (e) {
      row = { status: 'fail', detail: `check crashed: ${e instanceof Error ? e.message : String(e)}` };
    }
    const full = { endpoint, test, ...row, ms: Math.round(clock.monotonicMs() - start) };
    log.info(full, 'compat check');
    rows.push(full);
    return full;
  };
  const skip = (endpoint: string, test: string, detail: string) =>
    rows.push({ endpoint, test, status: 'skip', detail, ms: 0 });

  // ---- reachability and mode
  await timed('ping', 'API key and broker session', async () => {
    const r = await client.ping();
    return r.ok
      ? { status: 'pass', detail: `${r.data.message} (broker ${r.data.broker ?? 'unknown'})` }
      : { status: 'fail', detail: errText(r) };
  });
  let analyze = false;
  await timed('analyzer', 'analyzer (sandbox) mode', async () => {
    const r = await client.analyzerStatus();
    if (!r.ok) return { status: 'fail', detail: errText(r) };
    analyze = r.data.analyzeMode;
    return {
      status: 'pass',
      detail: analyze ? 'analyze mode ON (sandbox)' : `analyze mode OFF (${r.data.mode})`,
    };
  });
  const ordersAllowed = analyze || opts.allowLive === true;
  const refusal =
    'instance is not in analyzer mode; order checks refused (pass allowLive to place real orders)';

  await timed('funds', 'margin reserve check', async () => {
    const r = await client.funds();
    if (!r.ok) return { status: 'fail', detail: errText(r) };
    return {
      status: 'pass',
      detail: `available ${r.data.availableCash.toFixed(2)}, used ${r.data.utilisedDebits.toFixed(2)} (sent as ${r.data.numericStrings ? 'strings' : 'numbers'})`,
    };
  });

  // ---- instruments
  let equityLtp: number | undefined;
  {
    const q = await client.quotes({
      symbol: equity.symbol,
      exchange: equity.exchange as PlaceOrderInput['exchange'],
    });
    if (q.ok) equityLtp = q.data.ltp;
  }
  const pick = await pickOptions(client, underlying, optionExchange);

  // ---- margin (not sandboxed by OpenAlgo: allowed without order permission)
  let spreadBenefit: string | undefined;
  if (typeof pick === 'string') skip('margin', 'pre-order margin', `no option instruments: ${pick}`);
  else {
    await timed('margin', 'pre-order margin', async () => {
      const shortLeg = {
        symbol: pick.shortPut,
        exchange: pick.exchange,
        action: 'SELL' as const,
        quantity: pick.lotSize,
        product: 'NRML' as const,
        pricetype: 'MARKET' as const,
      };
      const naked = await client.margin({ positions: [shortLeg] });
      if (!naked.ok) return { status: 'fail', detail: errText(naked) };
      const spread = await client.margin({
        positions: [{ ...shortLeg, symbol: pick.longPut, action: 'BUY' }, shortLeg],
      });
      if (!spread.ok) return { status: 'fail', detail: errText(spread) };
      const n = naked.data.totalMarginRequired;
      const s = spread.data.totalMarginRequired;
      spreadBenefit =
        s < n
          ? `yes: spread ${s.toFixed(0)} < naked short ${n.toFixed(0)}`
          : `no: spread ${s.toFixed(0)} ≥ naked short ${n.toFixed(0)}`;
      return { status: 'pass', detail: `naked short ${n.toFixed(0)}, hedged spread ${s.toFixed(0)}` };
    });
  }

  // ---- orders
  const placed: string[] = [];
  let basketOrderNote: string | undefined;
  if (!ordersAllowed) {
    for (const [e, t] of [
      ['placeorder', 'single equity'],
      ['placeorder', 'single option'],
      ['basketorder', 'multi-leg spread'],
      ['cancelallorder', 'kill switch path'],
    ] as const) {
      skip(e, t, refusal);
    }
  } else {
    const track = (o: PlaceOrderInput) => placeAndTrack(client, clock, o, orderTimeoutMs);

    await timed('placeorder', 'single equity', async () => {
      const buy = await track({
        strategy: tag,
        symbol: equity.symbol,
        exchange: asExchange(equity.exchange),
        action: 'BUY',
        quantity: 1,
        pricetype: 'MARKET',
        product: 'CNC',
      });
      if (!buy.ok) return { status: 'fail', detail: buy.detail };
      placed.push(buy.row.orderId);
      let flat = '';
      if (buy.row.status === 'complete') {
        const sell = await track({
          strategy: tag,
          symbol: equity.symbol,
          exchange: asExchange(equity.exchange),
          action: 'SELL',
          quantity: 1,
          pricetype: 'MARKET',
          product: 'CNC',
        });
        if (sell.ok) placed.push(sell.row.orderId);
        flat = sell.ok ? `; flattened (${sell.row.status})` : `; flatten failed: ${sell.detail}`;
      }
      return { status: 'pass', detail: `order ${buy.row.orderId} ${buy.row.status}${flat}` };
    });

    if (typeof pick === 'string') skip('placeorder', 'single option', `no option instruments: ${pick}`);
    else {
      await timed('placeorder', 'single option', async () => {
        const o = {
          strategy: tag,
          symbol: pick.atmCall,
          exchange: pick.exchange,
          quantity: pick.lotSize,
          pricetype: 'MARKET',
          product: 'NRML',
        } as const;
        const buy = await track({ ...o, action: 'BUY' });
        if (!buy.ok) return { status: 'fail', detail: buy.detail };
        placed.push(buy.row.orderId);
        let flat = '';
        if (buy.row.status === 'complete') {
          const sell = await track({ ...o, action: 'SELL' });
          if (sell.ok) placed.push(sell.row.orderId);
          flat = sell.ok ? `; flattened (${sell.row.status})` : `; flatten failed: ${sell.detail}`;
        }
        return {
          status: 'pass',
          detail: `${pick.atmCall} × ${pick.lotSize}: order ${buy.row.orderId} ${buy.row.status}${flat}`,
        };
      });
    }

    if (typeof pick === 'string') skip('basketorder', 'multi-leg spread', `no option instruments: ${pick}`);
    else {
      await timed('basketorder', 'multi-leg spread', async () => {
        const leg = (symbol: string, action: 'BUY' | 'SELL'): BasketItemInput => ({
          symbol,
          exchange: pick.exchange,
          action,
          quantity: pick.lotSize,
          pricetype: 'MARKET',
          product: 'NRML',
        });
        const orders = [leg(pick.longPut, 'BUY'), leg(pick.shortPut, 'SELL')];
        const r = await client.basketOrder({ strategy: tag, orders });
        if (!r.ok) return { status: 'fail', detail: errText(r) };
        if (r.data.queued)
          return {
            status: 'fail',
            detail: `basket queued for approval (semi-auto): ${r.data.message ?? ''}`,
          };
        for (const x of r.data.results) if (x.orderId) placed.push(x.orderId);
        const inOrder = r.data.results.every((x, i) => x.symbol === orders[i]?.symbol);
        basketOrderNote = inOrder ? 'request order' : 'completion order (not request order)';
        const legs = r.data.byRequest.map(
          (x, i) =>
            `${orders[i]!.action} ${orders[i]!.symbol}: ${x?.ok ? `ok ${x.orderId}` : `failed ${x?.message ?? 'no result'}`}`,
        );
        if (r.data.allOk) {
          // Unwind: buy back the short, sell the long (one basket; OpenAlgo sends BUY legs first).
          await client.basketOrder({
            strategy: tag,
            orders: [leg(pick.shortPut, 'BUY'), leg(pick.longPut, 'SELL')],
          });
        }
        return { status: r.data.allOk ? 'pass' : 'fail', detail: legs.join('; ') };
      });
    }

    if (equityLtp === undefined)
      skip('cancelallorder', 'kill switch path', 'no equity quote to price a resting order');
    else {
      const ltp = equityLtp;
      await timed('cancelallorder', 'kill switch path', async () => {
        const price = Number((Math.round((ltp * 0.8) / EQUITY_TICK) * EQUITY_TICK).toFixed(2));
        const rest = await client.placeOrder({
          strategy: tag,
          symbol: equity.symbol,
          exchange: asExchange(equity.exchange),
          action: 'BUY',
          quantity: 1,
          pricetype: 'LIMIT',
          product: 'CNC',
          price,
        });
        if (!rest.ok) return { status: 'fail', detail: `resting LIMIT not placed: ${errText(rest)}` };
        if (rest.data.queued)
          return { status: 'fail', detail: 'resting order queued for approval (semi-auto)' };
        const id = rest.data.orderId;
        placed.push(id);
        const r = await client.cancelAllOrders({ strategy: tag });
        if (!r.ok) return { status: 'fail', detail: errText(r) };
        const st = await client.orderStatus({ strategy: tag, orderid: id });
        const cancelled = r.data.canceled.includes(id) || (st.ok && st.data.status === 'cancelled');
        return {
          status: cancelled ? 'pass' : 'fail',
          detail:
            `${r.data.message ?? ''} (resting ${id} ${st.ok ? st.data.status : 'status unknown'})`.trim(),
        };
      });
    }
  }

  await timed('positionbook', 'reconciliation', async () => {
    const r = await client.positionBook();
    if (!r.ok) return { status: 'fail', detail: errText(r) };
    const open = r.data.positions.filter((p) => p.quantity !== 0).length;
    return { status: 'pass', detail: `${r.data.positions.length} rows (${open} open)` };
  });

  // ---- behaviours
  let book: OrderRow[] | undefined;
  {
    const r = await client.orderBook();
    if (r.ok) book = [...r.data.orders];
  }
  if (!book) skip('behaviour', 'orderbook carries strategy tag', 'orderbook unavailable');
  else if (placed.length === 0) skip('behaviour', 'orderbook carries strategy tag', 'no orders placed');
  else {
    // Whether rows carry the tag is a property of the rows, whatever their status: the matrix has
    // cancelled its own resting orders by now, and `findOrdersByTag` (idempotency) rightly skips
    // cancelled-unfilled rows, so asking it here answered "no" on a sandbox that does carry the tag.
    const ours = book.filter((o) => placed.includes(o.orderId));
    const tagged = ours.filter((o) => o.strategy === tag).length;
    const otherTag = ours.filter((o) => o.strategy !== undefined && o.strategy !== tag).length;
    const detail =
      ours.length === 0
        ? `unknown: none of our ${placed.length} orders is listed in the orderbook`
        : tagged > 0
          ? `yes (${tagged} of our ${ours.length} orders tagged ${tag}): broker-side idempotency by tag`
          : otherTag > 0
            ? `no (${otherTag} of our ${ours.length} orders carry another strategy value): idempotency falls back to symbol+action+quantity+time`
            : `no (${ours.length} of our orders listed untagged): idempotency falls back to symbol+action+quantity+time`;
    rows.push({
      endpoint: 'behaviour',
      test: 'orderbook carries strategy tag',
      status: 'pass',
      detail,
      ms: 0,
    });
  }
  if (book) {
    const partial = book.filter(
      (o) => o.filledQuantity !== undefined && o.filledQuantity > 0 && o.filledQuantity < o.quantity,
    ).length;
    rows.push({
      endpoint: 'behaviour',
      test: 'partial fills seen',
      status: 'pass',
      detail:
        partial > 0
          ? `yes (${partial} partially filled orders)`
          : 'none observed (OpenAlgo sandbox never partially fills)',
      ms: 0,
    });
  }
  rows.push(
    spreadBenefit === undefined
      ? {
          endpoint: 'behaviour',
          test: 'spread margin benefit',
          status: 'skip',
          detail: 'margin check did not run',
          ms: 0,
        }
      : {
          endpoint: 'behaviour',
          test: 'spread margin benefit',
          status: 'pass',
          detail: spreadBenefit,
          ms: 0,
        },
  );
  rows.push(
    basketOrderNote === undefined
      ? {
          endpoint: 'behaviour',
          test: 'basket result order',
          status: 'skip',
          detail: 'basket did not run',
          ms: 0,
        }
      : {
          endpoint: 'behaviour',
          test: 'basket result order',
          status: 'pass',
          detail: basketOrderNote,
          ms: 0,
        },
  );

  // ---- WebSocket feeds
  const feedTimeoutMs = opts.feedTimeoutMs ?? DEFAULTS.feedTimeoutMs;
  if (opts.feedUrls.length === 0) {
    skip('websocket', 'QUOTE', 'no feed URL configured');
    skip('websocket', 'DEPTH', 'no feed URL configured');
  }
  for (const [i, url] of opts.feedUrls.entries()) {
    const label = i === 0 ? 'primary' : i === 1 ? 'fallback' : `feed ${i + 1}`;
    await timed(`websocket ${label}`, 'QUOTE', () =>
      feedCheck({
        url,
        apiKey: opts.apiKey,
        clock,
        logger: log,
        mode: 2,
        instruments: [underlying, equity],
        timeoutMs: feedTimeoutMs,
      }),
    );
    await timed(`websocket ${label}`, 'DEPTH', () =>
      feedCheck({
        url,
        apiKey: opts.apiKey,
        clock,
        logger: log,
        mode: 3,
        instruments: [equity],
        timeoutMs: feedTimeoutMs,
      }),
    );
  }
  return rows;
}

function asExchange(e: string): PlaceOrderInput['exchange'] {
  return e as PlaceOrderInput['exchange'];
}

function errText(r: BrokerResult<unknown>): string {
  return r.ok
    ? 'ok'
    : `${r.error.class}${r.error.httpStatus ? ` ${r.error.httpStatus}` : ''}: ${r.error.message}`;
}

async function pickOptions(
  client: OpenAlgoClient,
  underlying: Instrument,
  exchange: 'NFO' | 'BFO',
): Promise<OptionPick | string> {
  const ex = await client.expiry({ symbol: underlying.symbol, exchange, instrumenttype: 'options' });
  if (!ex.ok) return `expiry: ${errText(ex)}`;
  const first = ex.data.map(toExpiryInput).find((e): e is string => e !== undefined);
  if (!first) return 'expiry: no option expiries listed';
  const ch = await client.optionChain({
    underlying: underlying.symbol,
    exchange: asExchange(underlying.exchange),
    expiry_date: first,
    strike_count: 5,
  });
  if (!ch.ok) return `optionchain: ${errText(ch)}`;
  return pickFromChain(ch.data, exchange) ?? 'optionchain: no usable ATM/OTM strikes';
}

function pickFromChain(chain: OptionChain, exchange: 'NFO' | 'BFO'): OptionPick | undefined {
  const rows = [...chain.chain].sort((a, b) => a.strike - b.strike);
  const atmStrike =
    chain.atmStrike ??
    (chain.underlyingLtp !== undefined
      ? rows.reduce(
          (best, r) =>
            Math.abs(r.strike - chain.underlyingLtp!) < Math.abs(best.strike - chain.underlyingLtp!)
              ? r
              : best,
          rows[0]!,
        ).strike
      : undefined);
  const atmIdx = rows.findIndex((r) => r.strike === atmStrike);
  if (atmIdx < 0) return undefined;
  const atm = rows[atmIdx]!;
  // Bull put spread: sell one strike below ATM, buy two below (both OTM puts).
  const shortRow = rows[atmIdx - 1];
  const longRow = rows[atmIdx - 2];
  const lotSize = atm.ce?.lotSize ?? atm.pe?.lotSize;
  if (!atm.ce || !shortRow?.pe || !longRow?.pe || !lotSize) return undefined;
  return {
    exchange,
    lotSize,
    atmCall: atm.ce.symbol,
    shortPut: shortRow.pe.symbol,
    longPut: longRow.pe.symbol,
  };
}

type Tracked = { ok: true; row: OrderRow } | { ok: false; detail: string };

/** Places an order and follows it to a terminal state; a reject (random or not) is retried twice. */
async function placeAndTrack(
  client: OpenAlgoClient,
  clock: Clock,
  order: PlaceOrderInput,
  timeoutMs: number,
): Promise<Tracked> {
  let last = '';
  for (let attempt = 1; attempt <= PLACE_ATTEMPTS; attempt++) {
    const r = await client.placeOrder(order);
    if (!r.ok) {
      last = errText(r);
      if (r.error.class === 'BROKER_REJECT') continue;
      return { ok: false, detail: last };
    }
    if (r.data.queued) return { ok: false, detail: `queued for approval (semi-auto): ${r.data.message}` };
    const id = r.data.orderId;
    const deadline = clock.monotonicMs() + timeoutMs;
    let row: OrderRow | undefined;
    for (;;) {
      const st = await client.orderStatus({ strategy: order.strategy, orderid: id });
      if (st.ok) row = st.data;
      if ((row && TERMINAL_ORDER_STATUSES.has(row.status)) || clock.monotonicMs() >= deadline) break;
      await clock.sleep(POLL_MS);
    }
    if (!row) return { ok: false, detail: `order ${id} placed but orderstatus never answered` };
    if (row.status === 'rejected') {
      last = `order ${id} rejected: ${row.rejectionReason ?? ''}`;
      continue;
    }
    return { ok: true, row };
  }
  return { ok: false, detail: `${PLACE_ATTEMPTS} attempts rejected; last: ${last}` };
}

async function feedCheck(o: {
  url: string;
  apiKey: string;
  clock: Clock;
  logger: Logger;
  mode: FeedMode;
  instruments: readonly Instrument[];
  timeoutMs: number;
}): Promise<Omit<CompatRow, 'endpoint' | 'test' | 'ms'>> {
  const feed = new FeedClient({
    url: o.url,
    apiKey: o.apiKey,
    clock: o.clock,
    logger: o.logger,
    name: 'compat',
  });
  const started = o.clock.monotonicMs();
  try {
    const tick = await new Promise<Tick | undefined>((resolve) => {
      const timer = o.clock.setTimeout(() => resolve(undefined), o.timeoutMs);
      feed.onTick((t) => {
        if (o.mode === 3 && !t.depth) return;
        o.clock.clearTimeout(timer);
        resolve(t);
      });
      feed.subscribe(o.instruments, o.mode);
      feed.start();
    });
    const s = feed.stats();
    if (!tick) {
      const why = s.authFailures > 0 ? `auth failed (${s.lastError ?? ''})` : (s.lastError ?? 'no tick');
      return {
        status: 'fail',
        detail: `no ${o.mode === 3 ? 'depth ' : ''}tick within ${o.timeoutMs} ms: ${why}`,
      };
    }
    const wait = Math.round(tick.receivedMonoMs - started);
    if (o.mode === 2) {
      return {
        status: 'pass',
        detail: `${tick.exchange}:${tick.symbol} ltp ${tick.ltp} after ${wait} ms (envelope mode ${tick.mode})`,
      };
    }
    const levels = Math.min(tick.depth!.buy.length, tick.depth!.sell.length);
    const failed = feed.failedSubscriptions().length;
    return {
      status: levels >= DEPTH_LEVELS_REQUIRED ? 'pass' : 'fail',
      detail: `${tick.symbol} depth ${tick.depth!.buy.length}×${tick.depth!.sell.length} levels after ${wait} ms${failed ? `; ${failed} subscriptions refused` : ''}`,
    };
  } finally {
    await feed.stop();
  }
}

/** A fixed-width table for the CLI. */
export function formatCompatTable(rows: readonly CompatRow[]): string {
  const head = ['ENDPOINT', 'TEST', 'STATUS', 'MS', 'DETAIL'];
  const body = rows.map((r) => [r.endpoint, r.test, r.status.toUpperCase(), String(r.ms), r.detail]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (i === 4 ? 0 : b[i]!.length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const pass = rows.filter((r) => r.status === 'pass').length;
  const fail = rows.filter((r) => r.status === 'fail').length;
  const skipped = rows.filter((r) => r.status === 'skip').length;
  return [
    line(head),
    line(widths.map((w, i) => (i === 4 ? '------' : '-'.repeat(w)))),
    ...body.map(line),
    '',
    `${pass} pass, ${fail} fail, ${skipped} skip`,
  ].join('\n');
}
