#!/usr/bin/env node
import { Command } from 'commander';
import type { ActionResult, ClientResult, ControlClient, JournalQuery, OrderView } from './api/index.js';
import { formatJournal, formatOrders, formatPositions, formatStatus } from './cli/format.js';
import { EXIT_NO_KEY, operatorClient, report } from './cli/operator.js';
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

const io = {
  out: (t: string) => void process.stdout.write(t),
  err: (t: string) => void process.stderr.write(t),
};

/** Runs one control-API call from the CLI and sets the exit code scripts rely on. */
async function viaApi<T>(
  call: (c: ControlClient) => Promise<ClientResult<T>>,
  json: boolean,
  format: (data: T) => string,
): Promise<void> {
  const client = operatorClient(configOrExit());
  if ('error' in client) {
    io.err(`tomic: ${client.error}\n`);
    process.exitCode = EXIT_NO_KEY;
    return;
  }
  process.exitCode = report(await call(client), json, format, io);
}

const said = (r: ActionResult) => `${r.message}${r.state ? ` (trading ${r.state})` : ''}\n`;

program
  .command('start')
  .description(
    'start TOMIC in the foreground (sandbox: with the embedded simulator); if it is already running, start its agents',
  )
  .option('--speed <n>', 'embedded simulator: market seconds per real second', Number)
  .option('--json', 'machine-readable output (when TOMIC is already running)')
  .action(async (opts: { speed?: number; json?: boolean }) => {
    const config = configOrExit();
    const client = operatorClient(config);
    if (!('error' in client) && (await client.health()).ok) {
      process.exitCode = report(await client.start(), opts.json ?? false, said, io);
      return;
    }
    const { startSystem } = await import('./runtime/main.js');
    await startSystem(config, opts.speed ? { speed: opts.speed } : {});
  });

program
  .command('stop')
  .description('safe shutdown of the agents (finish cycle, flush journal, cancel open orders)')
  .option('--json', 'machine-readable output')
  .action((o: { json?: boolean }) => viaApi((c) => c.stop(), o.json ?? false, said));

program
  .command('pause')
  .description('no new entries (exits still allowed) until resume')
  .argument('[reason...]', 'why, for the audit log')
  .option('--json', 'machine-readable output')
  .action((reason: string[], o: { json?: boolean }) =>
    viaApi((c) => c.pause(reason.join(' ') || 'operator pause'), o.json ?? false, said),
  );

program
  .command('resume')
  .description('leave a pause, or the HALTED state after a kill switch')
  .option('--json', 'machine-readable output')
  .action((o: { json?: boolean }) => viaApi((c) => c.resume(), o.json ?? false, said));

program
  .command('kill')
  .description('kill switch: HALTED, cancel all open orders, fail queued commands; positions stay open')
  .argument('[reason...]', 'why, for the audit log')
  .option('--json', 'machine-readable output')
  .action((reason: string[], o: { json?: boolean }) =>
    viaApi((c) => c.kill(reason.join(' ') || 'operator kill'), o.json ?? false, said),
  );

program
  .command('status')
  .description('trading state, agents, feed, breakers, freshness')
  .option('--json', 'machine-readable output')
  .action((o: { json?: boolean }) => viaApi((c) => c.status(), o.json ?? false, formatStatus));

program
  .command('positions')
  .description('the PositionBook')
  .option('--json', 'machine-readable output')
  .action((o: { json?: boolean }) => viaApi((c) => c.positions(), o.json ?? false, formatPositions));

program
  .command('orders')
  .description('the command table, newest first')
  .option('--status <status>', 'PENDING, PROCESSING, DONE, FAILED, DEAD_LETTER or AWAITING_APPROVAL')
  .option('--strategy <id>', 'one strategy id')
  .option('--limit <n>', 'rows', Number, 50)
  .option('--json', 'machine-readable output')
  .action((o: { status?: string; strategy?: string; limit: number; json?: boolean }) =>
    viaApi(
      (c) =>
        c.orders({
          ...(o.status ? { status: o.status as OrderView['status'] } : {}),
          ...(o.strategy ? { strategyId: o.strategy } : {}),
          limit: o.limit,
        }),
      o.json ?? false,
      formatOrders,
    ),
  );

program
  .command('approve')
  .description('Semi-Auto: approve a command awaiting approval')
  .argument('<id>', 'command id', Number)
  .option('--json', 'machine-readable output')
  .action((id: number, o: { json?: boolean }) => viaApi((c) => c.approve(id), o.json ?? false, said));

program
  .command('reject')
  .description('Semi-Auto: reject a command awaiting approval')
  .argument('<id>', 'command id', Number)
  .argument('[reason...]', 'why')
  .option('--json', 'machine-readable output')
  .action((id: number, reason: string[], o: { json?: boolean }) =>
    viaApi((c) => c.reject(id, reason.join(' ') || undefined), o.json ?? false, said),
  );

program
  .command('journal')
  .description('the trade journal, newest first')
  .option('--strategy <id>', 'one strategy id')
  .option('--type <type>', 'entry type, e.g. FILL, REJECT, DENIED, OUTCOME')
  .option('--code <code>', 'error code, e.g. STALE_QUOTE')
  .option('--limit <n>', 'rows', Number, 50)
  .option('--offset <n>', 'skip rows', Number, 0)
  .option('--json', 'machine-readable output')
  .action(
    (o: { strategy?: string; type?: string; code?: string; limit: number; offset: number; json?: boolean }) =>
      viaApi(
        (c) =>
          c.journal({
            ...(o.strategy ? { strategyId: o.strategy } : {}),
            ...(o.type ? { type: o.type as JournalQuery['type'] } : {}),
            ...(o.code ? { code: o.code } : {}),
            limit: o.limit,
            offset: o.offset,
          }),
        o.json ?? false,
        formatJournal,
      ),
  );

program
  .command('metrics')
  .description('the §13 metrics (--prometheus for the text exposition)')
  .option('--prometheus', 'Prometheus text format')
  .option('--json', 'machine-readable output')
  .action(async (o: { prometheus?: boolean; json?: boolean }) => {
    if (o.prometheus)
      return viaApi(
        (c) => c.metricsText(),
        false,
        (t) => t,
      );
    return viaApi(
      (c) => c.metrics(),
      o.json ?? false,
      (m) =>
        `${Object.entries(m)
          .map(([k, v]) => `${k.padEnd(24)} ${v === null ? '-' : String(v)}`)
          .join('\n')}\n`,
    );
  });

await program.parseAsync(process.argv);
