import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files in the data folder that hold generated secrets (0600, never printed). */
export const SECRET_FILES = {
  simApiKey: 'sim-api-key',
  apiKey: 'api-key',
  adminPassword: 'admin-password',
} as const;

/**
 * A secret from config, else the one generated once into `<dataDir>/<file>` (mode 0600) so the
 * operator's own tools (the `tomic` CLI, a browser) can use it. Returns where it lives.
 */
export function localSecret(
  dataDir: string,
  file: string,
  configured: string | undefined,
): { value: string; file: string | null } {
  if (configured) return { value: configured, file: null };
  const path = join(dataDir, file);
  if (existsSync(path)) return { value: readFileSync(path, 'utf8').trim(), file: path };
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(24).toString('hex');
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { value, file: path };
}

/** Reads a generated secret without creating it (the CLI must not invent a key the API lacks). */
export function readLocalSecret(dataDir: string, file: string): string | undefined {
  const path = join(dataDir, file);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}
