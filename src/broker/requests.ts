import { z } from 'zod';

/**
 * Request bodies, one zod object per OpenAlgo schema (REST.md §5–§10). OpenAlgo's marshmallow schemas
 * reject unknown fields (`"Unknown field."`), so parsing strips everything not listed here: what we
 * send is exactly the schema's fields plus `apikey`, which the client adds. Field names are OpenAlgo's
 * own (snake_case), because these objects mirror the wire.
 */

export const EXCHANGES = [
  'NSE',
  'NFO',
  'CDS',
  'BSE',
  'BFO',
  'BCD',
  'MCX',
  'NCDEX',
  'NCO',
  'NSE_INDEX',
  'BSE_INDEX',
  'MCX_INDEX',
  'GLOBAL_INDEX',
  'CRYPTO',
] as const;
export const FNO_EXCHANGES = ['NFO', 'BFO', 'MCX', 'CDS', 'NCO', 'BCD', 'NCDEX', 'CRYPTO'] as const;

const ExchangeEnum = z.enum(EXCHANGES);
const FnoExchangeEnum = z.enum(FNO_EXCHANGES);
const ActionEnum = z.enum(['BUY', 'SELL']);
const PriceTypeEnum = z.enum(['MARKET', 'LIMIT', 'SL', 'SL-M']);
const ProductEnum = z.enum(['MIS', 'CNC', 'NRML']);
const Strategy = z.string().min(1).max(255);
const SymbolName = z.string().min(1).max(100);
const NonNeg = z.number().finite().nonnegative();
/** OpenAlgo dates for option inputs: DDMMMYY, e.g. 25AUG26. */
const ExpiryInput = z.string().regex(/^\d{2}[A-Z]{3}\d{2}$/, 'expected DDMMMYY, e.g. 25AUG26');
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

/** Fractional quantities exist only on CRYPTO (schemas.py::_coerce_quantity_to_int). */
function integerUnlessCrypto(o: { exchange: string; quantity: number }, ctx: z.RefinementCtx): void {
  if (o.exchange !== 'CRYPTO' && !Number.isInteger(o.quantity)) {
    ctx.addIssue({
      code: 'custom',
      path: ['quantity'],
      message: `Fractional quantity (${o.quantity}) is not allowed`,
    });
  }
}

const orderFields = {
  exchange: ExchangeEnum,
  symbol: SymbolName,
  action: ActionEnum,
  quantity: z.number().finite().positive(),
  pricetype: PriceTypeEnum.default('MARKET'),
  product: ProductEnum.default('MIS'),
  price: NonNeg.default(0),
  trigger_price: NonNeg.default(0),
  disclosed_quantity: z.number().int().nonnegative().default(0),
};

export const PlaceOrderRequest = z
  .object({ strategy: Strategy, ...orderFields })
  .superRefine(integerUnlessCrypto);
export type PlaceOrderInput = z.input<typeof PlaceOrderRequest>;

const EXCHANGE_SET: ReadonlySet<string> = new Set(EXCHANGES);
const PRICE_TYPES: ReadonlySet<string> = new Set(PriceTypeEnum.options);
const PRODUCTS: ReadonlySet<string> = new Set(ProductEnum.options);

function nonNegOr0(v: unknown): number | undefined {
  if (v === undefined) return 0;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/**
 * placeorder is the latency-critical call: the plain, valid input is checked by hand and produces the
 * same body `PlaceOrderRequest` would (same fields, defaults and key order). Anything it does not
 * accept — including every invalid input — returns undefined and goes through the schema, which
 * reports the field errors.
 */
export function fastPlaceOrderBody(input: unknown): z.output<typeof PlaceOrderRequest> | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const i = input as Record<string, unknown>;
  const { strategy, exchange, symbol, action, quantity } = i;
  if (typeof strategy !== 'string' || strategy.length < 1 || strategy.length > 255) return undefined;
  if (typeof exchange !== 'string' || !EXCHANGE_SET.has(exchange)) return undefined;
  if (typeof symbol !== 'string' || symbol.length < 1 || symbol.length > 100) return undefined;
  if (action !== 'BUY' && action !== 'SELL') return undefined;
  if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity <= 0) return undefined;
  if (exchange !== 'CRYPTO' && !Number.isInteger(quantity)) return undefined;
  const pricetype = i.pricetype === undefined ? 'MARKET' : i.pricetype;
  if (typeof pricetype !== 'string' || !PRICE_TYPES.has(pricetype)) return undefined;
  const product = i.product === undefined ? 'MIS' : i.product;
  if (typeof product !== 'string' || !PRODUCTS.has(product)) return undefined;
  const price = nonNegOr0(i.price);
  const trigger_price = nonNegOr0(i.trigger_price);
  if (price === undefined || trigger_price === undefined) return undefined;
  const dq = i.disclosed_quantity === undefined ? 0 : i.disclosed_quantity;
  if (typeof dq !== 'number' || !Number.isSafeInteger(dq) || dq < 0) return undefined;
  return {
    strategy,
    exchange: exchange as (typeof EXCHANGES)[number],
    symbol,
    action,
    quantity,
    pricetype: pricetype as z.output<typeof PriceTypeEnum>,
    product: product as z.output<typeof ProductEnum>,
    price,
    trigger_price,
    disclosed_quantity: dq,
  };
}

export const PlaceSmartOrderRequest = z
  .object({
    strategy: Strategy,
    ...orderFields,
    quantity: z.number().finite().nonnegative(),
    position_size: z.number().finite(),
  })
  .superRefine(integerUnlessCrypto);
export type PlaceSmartOrderInput = z.input<typeof PlaceSmartOrderRequest>;

export const BasketItem = z.object(orderFields).superRefine(integerUnlessCrypto);
export type BasketItemInput = z.input<typeof BasketItem>;

export const BasketOrderRequest = z.object({ strategy: Strategy, orders: z.array(BasketItem).min(1) });
export type BasketOrderInput = z.input<typeof BasketOrderRequest>;

/** Every modifyorder field is required by OpenAlgo's ModifyOrderSchema. */
export const ModifyOrderRequest = z
  .object({
    strategy: Strategy,
    exchange: ExchangeEnum,
    symbol: SymbolName,
    orderid: z.string().min(1),
    action: ActionEnum,
    product: ProductEnum,
    pricetype: PriceTypeEnum,
    price: NonNeg,
    quantity: z.number().finite().positive(),
    disclosed_quantity: z.number().int().nonnegative(),
    trigger_price: NonNeg,
  })
  .superRefine(integerUnlessCrypto);
export type ModifyOrderInput = z.input<typeof ModifyOrderRequest>;

export const OrderRefRequest = z.object({ strategy: Strategy, orderid: z.string().min(1) });
export type OrderRefInput = z.input<typeof OrderRefRequest>;

export const StrategyOnlyRequest = z.object({ strategy: Strategy });
export type StrategyOnlyInput = z.input<typeof StrategyOnlyRequest>;

export const EmptyRequest = z.object({});

const MarginPosition = z
  .object({
    symbol: z.string().min(1).max(50),
    exchange: ExchangeEnum,
    action: ActionEnum,
    quantity: z.number().finite().positive(),
    product: ProductEnum,
    pricetype: PriceTypeEnum,
    price: NonNeg.default(0),
    trigger_price: NonNeg.default(0),
  })
  // margin.positions[] declares quantity/price/trigger_price as fields.Str: numbers are refused there.
  .transform((p) => ({
    ...p,
    quantity: String(p.quantity),
    price: String(p.price),
    trigger_price: String(p.trigger_price),
  }));
export const MarginRequest = z.object({ positions: z.array(MarginPosition).min(1).max(50) });
export type MarginInput = z.input<typeof MarginRequest>;

export const SymbolRequest = z.object({ symbol: SymbolName, exchange: ExchangeEnum });
export type SymbolInput = z.input<typeof SymbolRequest>;

export const MultiQuotesRequest = z.object({ symbols: z.array(SymbolRequest).min(1) });
export type MultiQuotesInput = z.input<typeof MultiQuotesRequest>;

export const HISTORY_INTERVALS = [
  '1s',
  '5s',
  '10s',
  '15s',
  '30s',
  '45s',
  '1m',
  '2m',
  '3m',
  '5m',
  '10m',
  '15m',
  '20m',
  '30m',
  '1h',
  '2h',
  '3h',
  '4h',
  'D',
  'W',
  'M',
  'Q',
  'Y',
] as const;

export const HistoryRequest = z.object({
  symbol: SymbolName,
  exchange: ExchangeEnum,
  interval: z.enum(HISTORY_INTERVALS),
  start_date: IsoDate,
  end_date: IsoDate,
  source: z.enum(['api', 'db']).optional(),
});
export type HistoryInput = z.input<typeof HistoryRequest>;

export const ExpiryRequest = z.object({
  symbol: SymbolName,
  exchange: FnoExchangeEnum,
  instrumenttype: z.enum(['futures', 'options']),
});
export type ExpiryInput = z.input<typeof ExpiryRequest>;

export const OptionChainRequest = z.object({
  underlying: SymbolName,
  exchange: ExchangeEnum,
  expiry_date: ExpiryInput,
  strike_count: z.number().int().min(1).max(100).optional(),
  with_greeks: z.boolean().optional(),
  interest_rate: z.number().min(0).max(100).optional(),
});
export type OptionChainInput = z.input<typeof OptionChainRequest>;

export const OptionGreeksRequest = z.object({
  symbol: SymbolName,
  exchange: FnoExchangeEnum,
  interest_rate: z.number().min(0).max(100).optional(),
  forward_price: z.number().positive().optional(),
  underlying_symbol: SymbolName.optional(),
  underlying_exchange: ExchangeEnum.optional(),
  expiry_time: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
    .optional(),
});
export type OptionGreeksInput = z.input<typeof OptionGreeksRequest>;
