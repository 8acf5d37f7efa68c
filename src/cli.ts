#!/usr/bin/env node
import { Command } from 'commander';
import { describeConfig, exampleEnvFile, loadConfig } from './config/index.js';
import { migrateAll } from './store/index.js';

/** Loads the config or exits 2 listing every problem (each names its variable). */
function configOrExit() {
  const r = loadConfig();
  if (!r.ok) {
    process.stderr.write(`TOMIC configuration is invalid:\n${r.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    process.exit(2);
  }
  return r.config;
}

// `tomic status | head` closes the pipe early; that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('tomic')
  .description('TOMIC — The One Man Insurance Company')
  .showHelpAfterError();

program
  .command('config')
  .description('print the effective configuration (secrets masked)')
  .option('--json', 'machine-readable output')
  .option('--example', 'print the .env.tomic.example text')
  .action((opts: { json?: boolean; example?: boolean }) => {
    if (opts.example) {
      process.stdout.write(exampleEnvFile());
      return;
    }
    const rows = describeConfig(configOrExit());
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify(Object.fromEntries(rows.map((r) => [r.env, r.value])), null, 2)}\n`,
      );
      return;
    }
    const width = Math.max(...rows.map((r) => r.env.length));
    for (const r of rows)
      process.stdout.write(`${r.env.padEnd(width)}  ${r.value.padEnd(24)}  ${r.section}\n`);
  });

program
  .command('migrate')
  .description('apply pending database migrations')
  .option('--json', 'machine-readable output')
  .action((opts: { json?: boolean }) => {
    const config = configOrExit();
    const applied = migrateAll(config.dataDir);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(applied)}\n`);
      return;
    }
    for (const [db, files] of Object.entries(applied)) {
      process.stdout.write(
        `tomic_${db}.db: ${files.length ? `applied ${files.join(', ')}` : 'up to date'}\n`,
      );
    }
  });

program
  .command('compat')
  .description(
    'run the Broker Compatibility Matrix against the configured OpenAlgo (or the embedded simulator)',
  )
  .option('--json', 'machine-readable output')
  .option('--allow-live', 'also place test orders when the instance is not in analyzer (sandbox) mode')
  .action(async (opts: { json?: boolean; allowLive?: boolean }) => {
    const config = configOrExit();
    const { runCompat } = await import('./runtime/compat.js');
    const rows = await runCompat(config, { allowLive: opts.allowLive ?? false });
    process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${rows.table}\n`);
    process.exitCode = rows.rows.every((r) => r.status !== 'fail') ? 0 : 1;
  });

program
  .command('sim')
  .description('run the OpenAlgo-compatible simulator alone (REST + primary/fallback WebSocket feeds)')
  .option('--speed <n>', 'market seconds per real second', Number)
  .action(async (opts: { speed?: number }) => {
    const config = configOrExit();
    const { simApiKey, startConfiguredSimulator } = await import('./runtime/sim-host.js');
    const sim = await startConfiguredSimulator(config, opts.speed ? { speed: opts.speed } : {});
    const key = simApiKey(config);
    process.stdout.write(
      [
        'TOMIC simulator (OpenAlgo-compatible, sandbox)',
        `  REST            ${sim.restUrl}/api/v1/`,
        `  feed (primary)  ${sim.wsPrimaryUrl}`,
        `  feed (fallback) ${sim.wsFallbackUrl}`,
        `  API key         ${key.file ? `in ${key.file}` : 'TOMIC_SIM_API_KEY'}`,
        '  Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    const stop = async () => {
      await sim.stop();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('start')
  .description('start TOMIC (sandbox: with the embedded OpenAlgo-compatible simulator)')
  .action(async () => {
    const config = configOrExit();
    const { startSystem } = await import('./runtime/main.js');
    await startSystem(config);
  });

await program.parseAsync(process.argv);
