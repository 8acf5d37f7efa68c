import { type Field, length, oneOf, range, type Schema } from './marshmallow.js';

/**
 * OpenAlgo's request schemas (REST.md §5–§10: `restx_api/schemas.py`, `data_schemas.py`,
 * `account_schema.py`), field order as documented. Every schema rejects unknown fields.
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
export const PRICE_TYPES = ['MARKET', 'LIMIT', 'SL', 'SL-M'] as const;
export const PRODUCTS = ['MIS', 'CNC', 'NRML'] as const;
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

const upper = (s: string) => s.toUpperCase();
const apikey: Field = { kind: 'str', required: true, validate: [length(1, 256)] };
const str: Field = { kind: 'str', required: true };
const exchange: Field = { kind: 'str', required: true, validate: [oneOf(EXCHANGES)] };
const action: Field = { kind: 'str', required: true, transform: upper, validate: [oneOf(['BUY', 'SELL'])] };
const quantity: Field = { kind: 'float', required: true, validate: [range({ min: 0, minInclusive: false })] };
const pricetype: Field = { kind: 'str', default: 'MARKET', validate: [oneOf(PRICE_TYPES)] };
const product: Field = { kind: 'str', default: 'MIS', validate: [oneOf(PRODUCTS)] };
const price: Field = { kind: 'float', default: 0, validate: [range({ min: 0 })] };
const triggerPrice: Field = { kind: 'float', default: 0, validate: [range({ min: 0 })] };
const disclosed: Field = { kind: 'int', default: 0, validate: [range({ min: 0 })] };

const orderItem: Schema = {
  exchange,
  symbol: str,
  action,
  quantity,
  pricetype,
  product,
  price,
  trigger_price: triggerPrice,
  disclosed_quantity: disclosed,
};

export const OrderSchema: Schema = {
  apikey,
  strategy: str,
  ...orderItem,
  underlying_ltp: { kind: 'float', allowNone: true },
};

export const SmartOrderSchema: Schema = {
  apikey,
  strategy: str,
  ...orderItem,
  quantity: { kind: 'float', required: true, validate: [range({ min: 0 })] },
  position_size: { kind: 'float', required: true },
};

export const BasketOrderSchema: Schema = {
  apikey,
  strategy: str,
  orders: { kind: 'list', required: true, item: orderItem, minItems: 1 },
};

export const ModifyOrderSchema: Schema = {
  apikey,
  strategy: str,
  exchange,
  symbol: str,
  orderid: str,
  action,
  product: { kind: 'str', required: true, validate: [oneOf(PRODUCTS)] },
  pricetype: { kind: 'str', required: true, validate: [oneOf(PRICE_TYPES)] },
  price: { kind: 'float', required: true, validate: [range({ min: 0 })] },
  quantity: { kind: 'int', required: true, validate: [range({ min: 0, minInclusive: false })] },
  disclosed_quantity: { kind: 'int', required: true, validate: [range({ min: 0 })] },
  trigger_price: { kind: 'float', required: true, validate: [range({ min: 0 })] },
};

export const OrderIdSchema: Schema = { apikey, strategy: str, orderid: str };
export const StrategyOnlySchema: Schema = { apikey, strategy: str };
export const OpenPositionSchema: Schema = {
  apikey,
  strategy: str,
  symbol: str,
  // A free string here: the schema does not check the enum (REST.md §6.2).
  exchange: str,
  product: { kind: 'str', required: true, validate: [oneOf(PRODUCTS)] },
};
export const ApiKeySchema: Schema = { apikey };
export const AnalyzerToggleSchema: Schema = { apikey, mode: { kind: 'bool', required: true } };

export const MarginSchema: Schema = {
  apikey,
  positions: {
    kind: 'list',
    required: true,
    minItems: 1,
    maxItems: 50,
    item: {
      symbol: { kind: 'str', required: true, validate: [length(1, 50)] },
      exchange,
      action,
      // Strings only here (REST.md §1.4): a JSON number is "Not a valid string."
      quantity: str,
      product: { kind: 'str', required: true, validate: [oneOf(PRODUCTS)] },
      pricetype: { kind: 'str', required: true, validate: [oneOf(PRICE_TYPES)] },
      price: { kind: 'str', default: '0' },
      trigger_price: { kind: 'str', default: '0' },
    },
  },
};

export const SymbolExchangeSchema: Schema = { apikey, symbol: str, exchange };
export const MultiQuotesSchema: Schema = {
  apikey,
  symbols: { kind: 'list', required: true, minItems: 1, item: { symbol: str, exchange } },
};

const isoDate = (v: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)) ? undefined : 'Not a valid date.';
export const HistorySchema: Schema = {
  apikey,
  symbol: str,
  exchange,
  interval: { kind: 'str', required: true, validate: [oneOf(HISTORY_INTERVALS)] },
  start_date: { kind: 'str', required: true, validate: [isoDate] },
  end_date: { kind: 'str', required: true, validate: [isoDate] },
  source: { kind: 'str', default: 'api', validate: [oneOf(['api', 'db'])] },
};

export const SearchSchema: Schema = {
  apikey,
  query: { kind: 'str', required: true, validate: [length(1)] },
  exchange: { kind: 'str', validate: [oneOf(EXCHANGES)] },
};

export const ExpirySchema: Schema = {
  apikey,
  symbol: str,
  exchange: { kind: 'str', required: true, validate: [oneOf(FNO_EXCHANGES)] },
  instrumenttype: { kind: 'str', required: true, validate: [oneOf(['futures', 'options'])] },
};

const OFFSET = /^(ATM|ITM([1-9]|[1-4]\d|50)|OTM([1-9]|[1-4]\d|50))$/;
const offset: Field = {
  kind: 'str',
  required: true,
  transform: upper,
  validate: [(v: string) => (OFFSET.test(v) ? undefined : 'Offset must be ATM, ITM1-ITM50, or OTM1-OTM50')],
};
const expiryInput = (v: string) =>
  /^\d{2}[A-Z]{3}\d{2}$/.test(v.toUpperCase())
    ? undefined
    : 'Expiry date must be in DDMMMYY format (e.g. 28NOV24)';

export const OptionSymbolSchema: Schema = {
  apikey,
  strategy: { kind: 'str' },
  underlying: str,
  exchange,
  expiry_date: { kind: 'str', transform: upper, validate: [expiryInput] },
  strike_int: { kind: 'float', validate: [range({ min: 0, minInclusive: false })] },
  offset,
  option_type: { kind: 'str', required: true, transform: upper, validate: [oneOf(['CE', 'PE'])] },
};

export const OptionChainSchema: Schema = {
  apikey,
  underlying: str,
  exchange,
  expiry_date: { kind: 'str', required: true, transform: upper, validate: [expiryInput] },
  strike_count: { kind: 'int', validate: [range({ min: 1, max: 100 })] },
  with_greeks: { kind: 'bool', default: false },
  interest_rate: { kind: 'float', validate: [range({ min: 0, max: 100 })] },
};

export const OptionGreeksSchema: Schema = {
  apikey,
  symbol: str,
  exchange: { kind: 'str', required: true, validate: [oneOf(FNO_EXCHANGES)] },
  interest_rate: { kind: 'float', validate: [range({ min: 0, max: 100 })] },
  forward_price: { kind: 'float', validate: [range({ min: 0, minInclusive: false })] },
  underlying_symbol: { kind: 'str' },
  underlying_exchange: { kind: 'str', validate: [oneOf(EXCHANGES)] },
  expiry_time: {
    kind: 'str',
    validate: [
      (v: string) => (/^([01]\d|2[0-3]):[0-5]\d$/.test(v) ? undefined : 'Invalid time format. Use HH:MM'),
    ],
  },
};
