import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type InferTree, leaves } from './params.js';
import { CONFIG_TREE } from './schema.js';

type Raw = InferTree<typeof CONFIG_TREE>;

/** The validated, frozen configuration every process receives (DESIGN.md: built once, passed in). */
export type Config = Raw & {
  readonly dataDir: string;
  readonly endpoints: Raw['endpoints'] & { readonly analyticsRest: string | undefined };
  readonly bus: { readonly xsubEndpoint: string; readonly xpubEndpoint: string };
  readonly telegram: Raw['telegram'] & { readonly apiRoot: string };
  /** True when no OpenAlgo endpoints are configured: `npm start` runs the embedded simulator. */
  readonly embeddedSim: boolean;
};

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: string[] };

export interface LoadOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Path of a dotenv file; variables in `env` win over it. Default `.env.tomic` in the cwd. */
  envFile?: string | null;
  cwd?: string;
}

/** Variables that are ours but not settings (e.g. where to find the env file). */
const META_VARS = new Set(['TOMIC_ENV_FILE']);

export function parseDotenv(text: string): { vars: Record<string, string>; errors: string[] } {
  const vars: Record<string, string> = {};
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(t);
    if (!m) {
      errors.push(`.env.tomic line ${i + 1}: expected NAME=value`);
      return;
    }
    let v = m[2] ?? '';
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    vars[m[1]!] = v;
  });
  return { vars, errors };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) {
    node[k] ??= {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

function closest(name: string, known: string[]): string | undefined {
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0]!;
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = d[j]!;
        d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = tmp;
      }
    }
    return d[b.length]!;
  };
  let best: string | undefined;
  let bestD = 4;
  for (const k of known) {
    const dd = dist(name, k);
    if (dd < bestD) {
      best = k;
      bestD = dd;
    }
  }
  return best;
}

/**
 * Reads `.env.tomic` and the environment, validates every setting and reports *all* problems at
 * once, each naming its variable and the reason.
 */
export function loadConfig(opts: LoadOptions = {}): LoadResult {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const errors: string[] = [];
  let fileVars: Record<string, string> = {};
  const envFile =
    opts.envFile === null ? null : resolve(cwd, opts.envFile ?? env.TOMIC_ENV_FILE ?? '.env.tomic');
  if (envFile && existsSync(envFile)) {
    const parsed = parseDotenv(readFileSync(envFile, 'utf8'));
    fileVars = parsed.vars;
    errors.push(...parsed.errors);
  }
  const merged: Record<string, string | undefined> = { ...fileVars };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;

  const all = leaves(CONFIG_TREE);
  const knownEnv = all.map((l) => l.leaf.env);
  for (const name of Object.keys(merged)) {
    if (name.startsWith('TOMIC_') && !knownEnv.includes(name) && !META_VARS.has(name)) {
      const guess = closest(name, knownEnv);
      errors.push(`${name}: unknown variable${guess ? ` (did you mean ${guess}?)` : ''}`);
    }
  }

  const out: Record<string, unknown> = {};
  const isSet = (name: string) => merged[name] !== undefined && merged[name] !== '';
  for (const { path, leaf } of all) {
    const raw = merged[leaf.env];
    if (raw === undefined || raw === '') {
      setPath(out, path, leaf.default);
      continue;
    }
    const r = leaf.parse(raw);
    if (r.ok) setPath(out, path, r.value);
    else errors.push(`${leaf.env}: ${r.reason}`);
  }
  if (errors.length) return { ok: false, errors };

  const c = out as unknown as Raw & Record<string, Record<string, unknown>>;
  // §1: role-based endpoints come as a set, or not at all (embedded simulator).
  const required = [
    'TOMIC_FEED_PRIMARY_WS',
    'TOMIC_FEED_FALLBACK_WS',
    'TOMIC_EXECUTION_REST',
    'TOMIC_EXECUTION_API_KEY',
  ];
  const present = required.filter(isSet);
  if (present.length > 0 && present.length < required.length) {
    for (const name of required.filter((n) => !isSet(n))) {
      errors.push(
        `${name}: required when ${present.join(', ')} ${present.length > 1 ? 'are' : 'is'} set (set all four OpenAlgo endpoints, or none to use the embedded simulator)`,
      );
    }
  }
  if (c.mode === 'live' && present.length === 0) {
    for (const name of required) errors.push(`${name}: required in live mode (TOMIC_MODE=live)`);
  }
  const order = (a: number, b: number, an: string, bn: string, strict = true) => {
    if (strict ? !(a < b) : !(a <= b))
      errors.push(`${an}: must be ${strict ? '<' : '<='} ${bn} (${a} vs ${b})`);
  };
  order(
    c.universe.watchlistMin,
    c.universe.watchlistMax,
    'TOMIC_WATCHLIST_MIN',
    'TOMIC_WATCHLIST_MAX',
    false,
  );
  order(c.regime.macdFast, c.regime.macdSlow, 'TOMIC_MACD_FAST', 'TOMIC_MACD_SLOW');
  order(
    c.regime.ichimokuConversion,
    c.regime.ichimokuBase,
    'TOMIC_ICHIMOKU_CONVERSION',
    'TOMIC_ICHIMOKU_BASE',
  );
  order(c.regime.ichimokuBase, c.regime.ichimokuSpanB, 'TOMIC_ICHIMOKU_BASE', 'TOMIC_ICHIMOKU_SPAN_B');
  order(c.regime.vixLow, c.regime.vixHigh, 'TOMIC_REGIME_VIX_LOW', 'TOMIC_REGIME_VIX_HIGH');
  order(c.regime.vixHigh, c.regime.vixNoTrade, 'TOMIC_REGIME_VIX_HIGH', 'TOMIC_REGIME_VIX_NO_TRADE');
  order(c.regime.pcrBearish, c.regime.pcrBullish, 'TOMIC_PCR_BEARISH', 'TOMIC_PCR_BULLISH');
  order(c.strategy.minDte, c.strategy.maxDte, 'TOMIC_MIN_DTE', 'TOMIC_MAX_DTE');
  order(c.strategy.exitDte, c.strategy.maxDte, 'TOMIC_EXIT_DTE', 'TOMIC_MAX_DTE');
  order(
    c.blackSwan.profitPctMin,
    c.blackSwan.profitPctMax,
    'TOMIC_BLACK_SWAN_PROFIT_PCT_MIN',
    'TOMIC_BLACK_SWAN_PROFIT_PCT_MAX',
    false,
  );
  order(
    c.replay.slippageOtmTicksMin,
    c.replay.slippageOtmTicksMax,
    'TOMIC_REPLAY_SLIPPAGE_OTM_TICKS_MIN',
    'TOMIC_REPLAY_SLIPPAGE_OTM_TICKS_MAX',
    false,
  );
  order(
    c.agents.heartbeatIntervalMs,
    c.agents.heartbeatTimeoutMs,
    'TOMIC_HEARTBEAT_INTERVAL_MS',
    'TOMIC_HEARTBEAT_TIMEOUT_MS',
    false,
  );
  if (c.telegram.botToken && c.telegram.chatIds.length === 0) {
    errors.push('TOMIC_TELEGRAM_CHAT_IDS: required when TOMIC_TELEGRAM_BOT_TOKEN is set');
  }
  for (const id of c.telegram.chatIds) {
    if (!/^-?\d+$/.test(id)) errors.push(`TOMIC_TELEGRAM_CHAT_IDS: "${id}" is not a numeric chat id`);
  }
  if (errors.length) return { ok: false, errors };

  const dataDir = resolve(cwd, c.dataDir);
  const config = {
    ...c,
    dataDir,
    embeddedSim: present.length === 0,
    endpoints: { ...c.endpoints, analyticsRest: c.endpoints.analyticsRest ?? c.endpoints.executionRest },
    execution: {
      ...c.execution,
      // Sandbox trades on its own so a trader sees it work; live starts Semi-Auto (Phase 5).
      orderMode: isSet('TOMIC_ORDER_MODE')
        ? c.execution.orderMode
        : c.mode === 'live'
          ? 'semi_auto'
          : 'full_auto',
    },
    bus: {
      xsubEndpoint: c.bus.xsubEndpoint ?? `ipc://${dataDir}/bus-xsub.ipc`,
      xpubEndpoint: c.bus.xpubEndpoint ?? `ipc://${dataDir}/bus-xpub.ipc`,
    },
    telegram: { ...c.telegram, apiRoot: c.telegram.apiRoot ?? 'https://api.telegram.org' },
    sim: { ...c.sim, dataDir: resolve(cwd, c.sim.dataDir) },
  };
  return { ok: true, config: deepFreeze(config) as Config };
}

/** Values the Redactor must scrub wherever they appear. */
export function secretValues(config: Config): string[] {
  return leaves(CONFIG_TREE)
    .filter(({ leaf }) => leaf.secret)
    .map(({ path }) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], config))
    .filter((v): v is string => typeof v === 'string');
}

/** For `tomic config`: every setting, its effective value (secrets masked) and its origin. */
export function describeConfig(
  config: Config,
): Array<{ env: string; value: string; section: string; doc: string }> {
  return leaves(CONFIG_TREE).map(({ path, leaf }) => {
    const v = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], config);
    const shown =
      v === undefined
        ? ''
        : leaf.secret
          ? `***${String(v).slice(-4)}***`
          : Array.isArray(v)
            ? v.join(',')
            : String(v);
    return { env: leaf.env, value: shown, section: leaf.section, doc: leaf.doc };
  });
}

/** The `.env.tomic.example` text, generated from the same table (a test keeps the file in sync). */
export function exampleEnvFile(): string {
  const lines = [
    '# TOMIC configuration. Copy to .env.tomic and edit. Every variable is optional unless noted;',
    "# the value shown is the default (the plan's number). Safety thresholds can be tightened, never loosened.",
    '# Generated from src/config/schema.ts — `tomic config --example` prints it again.',
  ];
  let group = '';
  for (const { path, leaf } of leaves(CONFIG_TREE)) {
    const g = path.split('.')[0]!;
    if (g !== group) {
      group = g;
      lines.push('', `# ── ${g} ──`);
    }
    lines.push(`# ${leaf.doc} [${leaf.section}] (${leaf.accepts})`);
    const def =
      leaf.default === undefined
        ? ''
        : Array.isArray(leaf.default)
          ? leaf.default.join(',')
          : String(leaf.default);
    lines.push(`${leaf.default === undefined ? '# ' : ''}${leaf.env}=${def}`);
  }
  return `${lines.join('\n')}\n`;
}
