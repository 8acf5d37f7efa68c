/**
 * Leaf builders for the config tree: each leaf names its environment variable, how to parse and
 * bound it, its default (the plan's value) and the plan section it comes from.
 */
export type ParseResult<V> = { ok: true; value: V } | { ok: false; reason: string };

export interface Leaf<V, O extends boolean = false> {
  readonly __leaf: true;
  /** True when the leaf has no default: its value may be undefined. */
  readonly optional: O;
  readonly env: string;
  readonly default: V | undefined;
  readonly section: string;
  readonly doc: string;
  readonly secret: boolean;
  /** Human description of what is accepted, for the example file and error messages. */
  readonly accepts: string;
  parse(raw: string): ParseResult<V>;
  /** Checks a default or derived value against the same rules (defaults are tested too). */
  check(value: V): ParseResult<V>;
}

function leaf<V, O extends boolean = false>(
  env: string,
  def: V | undefined,
  section: string,
  doc: string,
  accepts: string,
  parse: (raw: string) => ParseResult<V>,
  check: (v: V) => ParseResult<V>,
  secret = false,
): Leaf<V, O> {
  return {
    __leaf: true,
    optional: (def === undefined) as O,
    env,
    default: def,
    section,
    doc,
    accepts,
    secret,
    parse: (raw) => {
      const r = parse(raw.trim());
      return r.ok ? check(r.value) : r;
    },
    check,
  };
}

const ok = <V>(value: V): ParseResult<V> => ({ ok: true, value });
const bad = <V>(reason: string): ParseResult<V> => ({ ok: false, reason });

interface Bounds {
  min?: number;
  max?: number;
  /** Exclusive lower bound (e.g. a threshold that must stay above zero). */
  above?: number;
}

function boundsText(b: Bounds): string {
  const parts: string[] = [];
  if (b.above !== undefined) parts.push(`> ${b.above}`);
  if (b.min !== undefined) parts.push(`>= ${b.min}`);
  if (b.max !== undefined) parts.push(`<= ${b.max}`);
  return parts.join(' and ');
}

function checkBounds(v: number, b: Bounds): ParseResult<number> {
  if (!Number.isFinite(v)) return bad('must be a finite number');
  if (b.above !== undefined && !(v > b.above)) return bad(`must be > ${b.above} (got ${v})`);
  if (b.min !== undefined && v < b.min) return bad(`must be >= ${b.min} (got ${v})`);
  if (b.max !== undefined && v > b.max) return bad(`must be <= ${b.max} (got ${v})`);
  return ok(v);
}

export function int(env: string, def: number, b: Bounds, section: string, doc: string): Leaf<number> {
  return leaf(
    env,
    def,
    section,
    doc,
    `integer ${boundsText(b)}`.trim(),
    (raw) => (/^-?\d+$/.test(raw) ? ok(Number(raw)) : bad(`must be an integer (got "${raw}")`)),
    (v) => (Number.isInteger(v) ? checkBounds(v, b) : bad(`must be an integer (got ${v})`)),
  );
}

export function num(env: string, def: number, b: Bounds, section: string, doc: string): Leaf<number> {
  return leaf(
    env,
    def,
    section,
    doc,
    `number ${boundsText(b)}`.trim(),
    (raw) =>
      raw !== '' && Number.isFinite(Number(raw)) ? ok(Number(raw)) : bad(`must be a number (got "${raw}")`),
    (v) => checkBounds(v, b),
  );
}

export function bool(env: string, def: boolean, section: string, doc: string): Leaf<boolean> {
  return leaf(
    env,
    def,
    section,
    doc,
    'true | false',
    (raw) => {
      const s = raw.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return ok(true);
      if (['false', '0', 'no', 'off'].includes(s)) return ok(false);
      return bad(`must be true or false (got "${raw}")`);
    },
    ok,
  );
}

export function oneOf<const T extends string>(
  env: string,
  values: readonly T[],
  def: T,
  section: string,
  doc: string,
): Leaf<T> {
  const isT = (s: string): s is T => (values as readonly string[]).includes(s);
  return leaf(
    env,
    def,
    section,
    doc,
    values.join(' | '),
    (raw) => (isT(raw) ? ok(raw) : bad(`must be one of ${values.join(', ')} (got "${raw}")`)),
    ok,
  );
}

export function str<D extends string | undefined>(
  env: string,
  def: D,
  section: string,
  doc: string,
  opts: { secret?: boolean; minLength?: number; pattern?: RegExp; patternText?: string } = {},
): Leaf<string, D extends undefined ? true : false> {
  const check = (v: string): ParseResult<string> => {
    if (opts.minLength !== undefined && v.length < opts.minLength) {
      return bad(`must be at least ${opts.minLength} characters (got ${v.length})`);
    }
    if (opts.pattern && !opts.pattern.test(v)) return bad(`must match ${opts.patternText ?? opts.pattern}`);
    return ok(v);
  };
  const accepts = opts.patternText ?? (opts.minLength ? `text, ${opts.minLength}+ characters` : 'text');
  return leaf<string, D extends undefined ? true : false>(
    env,
    def,
    section,
    doc,
    accepts,
    (raw) => (raw === '' ? bad('must not be empty') : ok(raw)),
    check,
    opts.secret ?? false,
  );
}

export function url(
  env: string,
  protocols: readonly string[],
  section: string,
  doc: string,
): Leaf<string, true> {
  const check = (v: string): ParseResult<string> => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return bad(`must be a URL (got "${v}")`);
    }
    if (!protocols.includes(u.protocol))
      return bad(`must use ${protocols.join(' or ')} (got "${u.protocol}")`);
    return ok(v.replace(/\/+$/, ''));
  };
  return leaf<string, true>(
    env,
    undefined,
    section,
    doc,
    `${protocols.map((p) => `${p}//host:port`).join(' | ')}`,
    check,
    check,
  );
}

export function list(
  env: string,
  def: readonly string[],
  section: string,
  doc: string,
  allowed?: readonly string[],
): Leaf<readonly string[]> {
  const check = (v: readonly string[]): ParseResult<readonly string[]> => {
    if (allowed) {
      const unknown = v.filter((s) => !allowed.includes(s));
      if (unknown.length)
        return bad(`unknown value(s) ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`);
    }
    return ok(v);
  };
  return leaf(
    env,
    def,
    section,
    doc,
    allowed ? `comma list of ${allowed.join(', ')}` : 'comma-separated list',
    (raw) =>
      ok(
        raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    check,
  );
}

export type InferTree<T> =
  T extends Leaf<infer V, infer O>
    ? O extends true
      ? V | undefined
      : V
    : { readonly [K in keyof T]: InferTree<T[K]> };

export function isLeaf(x: unknown): x is Leaf<unknown, boolean> {
  return typeof x === 'object' && x !== null && (x as { __leaf?: unknown }).__leaf === true;
}

/** Every leaf with its dotted path, in declaration order. */
export function leaves(tree: object, prefix = ''): Array<{ path: string; leaf: Leaf<unknown, boolean> }> {
  const out: Array<{ path: string; leaf: Leaf<unknown, boolean> }> = [];
  for (const [k, v] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isLeaf(v)) out.push({ path, leaf: v });
    else if (typeof v === 'object' && v !== null) out.push(...leaves(v, path));
  }
  return out;
}
