/**
 * Just enough of marshmallow 3 (OpenAlgo's request validation, REST.md §1.3–1.4) to answer exactly as
 * it does: fields in declaration order, `unknown=RAISE`, numeric strings accepted by Float/Integer,
 * the standard messages, nested list errors keyed by index, and Python `repr` of the error dict for
 * the endpoints that stringify it (shape A).
 */
export type ErrorTree = { [key: string]: string[] | ErrorTree };

export interface Field {
  readonly kind: 'str' | 'float' | 'int' | 'bool' | 'list' | 'dict';
  readonly required?: boolean;
  /** Value when the key is absent (marshmallow `load_default`). */
  readonly default?: unknown;
  readonly allowNone?: boolean;
  /** Validators run after conversion, in order; each returns an error message or undefined. */
  readonly validate?: readonly ((v: never) => string | undefined)[];
  /** Applied to strings before validation (e.g. upper-casing `action`). */
  readonly transform?: (v: string) => string;
  /** `list` of nested objects. */
  readonly item?: Schema;
  readonly minItems?: number;
  readonly maxItems?: number;
  /** `list` of scalars. */
  readonly scalarItem?: Field;
}

export type Schema = Readonly<Record<string, Field>>;
export type Loaded = Record<string, unknown>;
export type LoadResult = { ok: true; value: Loaded } | { ok: false; errors: ErrorTree };

export const MSG = {
  required: 'Missing data for required field.',
  null: 'Field may not be null.',
  str: 'Not a valid string.',
  number: 'Not a valid number.',
  int: 'Not a valid integer.',
  bool: 'Not a valid boolean.',
  list: 'Not a valid list.',
  dict: 'Not a valid mapping type.',
  unknown: 'Unknown field.',
  schema: 'Invalid input type.',
  nan: 'Special numeric values (nan or infinity) are not permitted.',
} as const;

// ------------------------------------------------------------------ validators (marshmallow.validate)

export function oneOf(choices: readonly string[]): (v: string) => string | undefined {
  return (v) => (choices.includes(v) ? undefined : `Must be one of: ${choices.join(', ')}.`);
}

export function length(min?: number, max?: number): (v: string | unknown[]) => string | undefined {
  return (v) => {
    const n = v.length;
    if (min !== undefined && max !== undefined && (n < min || n > max))
      return min === max ? `Length must be ${min}.` : `Length must be between ${min} and ${max}.`;
    if (min !== undefined && n < min) return `Shorter than minimum length ${min}.`;
    if (max !== undefined && n > max) return `Longer than maximum length ${max}.`;
    return undefined;
  };
}

function fmtNum(n: number): string {
  return Number.isInteger(n) ? String(n) : String(n);
}

export function range(opts: { min?: number; max?: number; minInclusive?: boolean; maxInclusive?: boolean }) {
  const minInc = opts.minInclusive ?? true;
  const maxInc = opts.maxInclusive ?? true;
  return (v: number): string | undefined => {
    const tooLow = opts.min !== undefined && (minInc ? v < opts.min : v <= opts.min);
    const tooHigh = opts.max !== undefined && (maxInc ? v > opts.max : v >= opts.max);
    if (!tooLow && !tooHigh) return undefined;
    const lo =
      opts.min !== undefined ? `greater than ${minInc ? 'or equal to ' : ''}${fmtNum(opts.min)}` : '';
    const hi = opts.max !== undefined ? `less than ${maxInc ? 'or equal to ' : ''}${fmtNum(opts.max)}` : '';
    return `Must be ${[lo, hi].filter(Boolean).join(' and ')}.`;
  };
}

// ------------------------------------------------------------------ conversion

/** Python `float()` of a string: optional whitespace, sign, digits/decimal/exponent, inf/nan. */
const PY_FLOAT = /^\s*[-+]?((\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?|inf(inity)?|nan)\s*$/i;
const PY_INT = /^\s*[-+]?\d[\d_]*\s*$/;

function toFloat(v: unknown): number | string {
  if (typeof v === 'boolean') return MSG.number;
  if (typeof v === 'number') return Number.isFinite(v) ? v : MSG.nan;
  if (typeof v === 'string' && PY_FLOAT.test(v)) {
    const s = v.trim().replaceAll('_', '').toLowerCase();
    const n = s.includes('inf')
      ? s.startsWith('-')
        ? -Infinity
        : Infinity
      : s.includes('nan')
        ? Number.NaN
        : Number(s);
    return Number.isFinite(n) ? n : MSG.nan;
  }
  return MSG.number;
}

function toInt(v: unknown): number | string {
  if (typeof v === 'boolean') return MSG.int;
  // Non-strict marshmallow Integer is Python int(): it truncates floats and parses integer strings.
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : MSG.int;
  if (typeof v === 'string' && PY_INT.test(v)) return Number(v.trim().replaceAll('_', ''));
  return MSG.int;
}

const TRUTHY = new Set(['t', 'true', 'on', 'y', 'yes', '1']);
const FALSY = new Set(['f', 'false', 'off', 'n', 'no', '0']);

function toBool(v: unknown): boolean | string {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (TRUTHY.has(s) && v === v.trim()) return true;
    if (FALSY.has(s) && v === v.trim()) return false;
  }
  return MSG.bool;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function convert(field: Field, raw: unknown): { value?: unknown; error?: string[] | ErrorTree } {
  let value: unknown;
  switch (field.kind) {
    case 'str':
      if (typeof raw !== 'string') return { error: [MSG.str] };
      value = field.transform ? field.transform(raw) : raw;
      break;
    case 'float': {
      const n = toFloat(raw);
      if (typeof n === 'string') return { error: [n] };
      value = n;
      break;
    }
    case 'int': {
      const n = toInt(raw);
      if (typeof n === 'string') return { error: [n] };
      value = n;
      break;
    }
    case 'bool': {
      const b = toBool(raw);
      if (typeof b === 'string') return { error: [b] };
      value = b;
      break;
    }
    case 'dict':
      if (!isPlainObject(raw)) return { error: [MSG.dict] };
      value = raw;
      break;
    case 'list': {
      if (!Array.isArray(raw)) return { error: [MSG.list] };
      const items: unknown[] = [];
      const errs: ErrorTree = {};
      raw.forEach((item, i) => {
        if (field.item) {
          const r = load(field.item, item);
          if (r.ok) items.push(r.value);
          else errs[String(i)] = r.errors;
        } else if (field.scalarItem) {
          const r = convert(field.scalarItem, item);
          if (r.error) errs[String(i)] = r.error;
          else items.push(r.value);
        } else items.push(item);
      });
      if (Object.keys(errs).length > 0) return { error: errs };
      value = items;
      break;
    }
  }
  const msgs: string[] = [];
  for (const v of field.validate ?? []) {
    const m = (v as (x: unknown) => string | undefined)(value);
    if (m) msgs.push(m);
  }
  if (field.kind === 'list' && Array.isArray(value)) {
    const lv = length(field.minItems, field.maxItems)(value);
    if ((field.minItems !== undefined || field.maxItems !== undefined) && lv) msgs.push(lv);
  }
  return msgs.length ? { error: msgs } : { value };
}

/** `Schema().load(data)` with marshmallow's default `unknown=RAISE`. */
export function load(schema: Schema, data: unknown): LoadResult {
  if (!isPlainObject(data)) return { ok: false, errors: { _schema: [MSG.schema] } };
  const out: Loaded = {};
  const errors: ErrorTree = {};
  for (const [name, field] of Object.entries(schema)) {
    if (!(name in data) || data[name] === undefined) {
      if (field.required) errors[name] = [MSG.required];
      else if (field.default !== undefined) out[name] = field.default;
      continue;
    }
    const raw = data[name];
    if (raw === null) {
      if (field.allowNone) out[name] = null;
      else errors[name] = [MSG.null];
      continue;
    }
    const r = convert(field, raw);
    if (r.error) errors[name] = r.error;
    else out[name] = r.value;
  }
  for (const key of Object.keys(data)) if (!(key in schema)) errors[key] = [MSG.unknown];
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value: out };
}

// ------------------------------------------------------------------ Python repr

function reprStr(s: string): string {
  const useDouble = s.includes("'") && !s.includes('"');
  const q = useDouble ? '"' : "'";
  let body = '';
  for (const ch of s) {
    if (ch === '\\') body += '\\\\';
    else if (ch === q) body += `\\${q}`;
    else if (ch === '\n') body += '\\n';
    else if (ch === '\r') body += '\\r';
    else if (ch === '\t') body += '\\t';
    else body += ch;
  }
  return `${q}${body}${q}`;
}

/** Python `repr()` of an error dict: list indices become int keys, strings single-quoted. */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return reprStr(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null || v === undefined) return 'None';
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>).map(
    ([k, val]) => `${/^\d+$/.test(k) ? k : reprStr(k)}: ${pyRepr(val)}`,
  );
  return `{${entries.join(', ')}}`;
}
