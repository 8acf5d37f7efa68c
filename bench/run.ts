/**
 * `npm run bench [name…]`: runs every bench/<name>.ts (or the named ones), prints each figure set and
 * writes it to bench/results/<name>.json with the machine and time it was measured on.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => basename(f, '.ts'))
  .filter((n) => wanted.length === 0 || wanted.includes(n));

for (const name of benches) {
  const mod = (await import(join(here, `${name}.ts`))) as { run?: () => Promise<Record<string, unknown>> };
  if (typeof mod.run !== 'function') continue;
  console.log(`\n=== bench: ${name}`);
  const figures = await mod.run();
  const result = {
    bench: name,
    measured_at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model,
      mem_gb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...figures,
  };
  writeFileSync(join(here, 'results', `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(figures, null, 2));
}
