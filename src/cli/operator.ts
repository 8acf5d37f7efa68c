import { type ClientResult, ControlClient, exitCodeOf } from '../api/index.js';
import type { Config } from '../config/index.js';
import { readLocalSecret, SECRET_FILES } from '../runtime/local-secrets.js';

/** Exit code when no API key is known to this machine (same as an authentication failure). */
export const EXIT_NO_KEY = 3;

/** The control API as configured: 127.0.0.1 unless TOMIC_API_HOST says otherwise. */
export function apiBaseUrl(api: Pick<Config['api'], 'host' | 'port'>): string {
  const host = api.host === '0.0.0.0' ? '127.0.0.1' : api.host === '::' ? '::1' : api.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${api.port}`;
}

/** The key from TOMIC_API_KEY, else the one `tomic start` generated into the data folder. */
export function operatorClient(config: Config): ControlClient | { error: string } {
  const key = config.api.apiKey ?? readLocalSecret(config.dataDir, SECRET_FILES.apiKey);
  if (!key) {
    return {
      error: `no API key: set TOMIC_API_KEY or start TOMIC once so it writes ${config.dataDir}/${SECRET_FILES.apiKey}`,
    };
  }
  return new ControlClient({ baseUrl: apiBaseUrl(config.api), apiKey: key });
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Prints a result — the formatted text, or the API's JSON with `--json` — and returns the exit code
 * scripts rely on (0 done, 1 refused, 3 auth, 4 unreachable, 5 API failure).
 */
export function report<T>(
  r: ClientResult<T>,
  json: boolean,
  format: (data: T) => string,
  io: Output,
): number {
  if (r.ok) {
    io.out(json ? `${JSON.stringify(r.data, null, 2)}\n` : format(r.data));
    return 0;
  }
  if (json) io.out(`${JSON.stringify({ ok: false, code: r.code, message: r.message }, null, 2)}\n`);
  io.err(`tomic: ${r.code}: ${r.message}\n`);
  return exitCodeOf(r);
}
