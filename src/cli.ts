/**
 * The `dialpad-etl` command line. Exit codes: 0 success, 1 a run failed, 2 bad usage or configuration.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { parse as parseDotenv } from 'dotenv';
import { describePlan, planBackfill, runBackfill } from '../jobs/backfill.js';
import { parseStreamList, printSummary, selectStreams, type PassSummary } from '../jobs/passes.js';
import { collectStatus, formatStatus } from '../jobs/status.js';
import { runDemo } from '../jobs/demo.js';
import { createProgress } from '../jobs/progress.js';
import { runSchedule } from '../jobs/schedule.js';
import { runSync } from '../jobs/sync.js';
import { createApp, type App } from './app.js';
import { ENV_DOCS, loadConfig, type Config } from './config.js';
import { ConfigError, coerceError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { EmbeddedPostgresError } from './load/embedded-postgres.js';
import { STREAMS } from './streams/index.js';

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly cwd: string;
}

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** Environment with `.env` (in the working directory) underneath: real variables win. */
export function environment(io: Pick<CliIo, 'env' | 'cwd'>): Record<string, string | undefined> {
  const file = path.join(io.cwd, '.env');
  const fromFile = fs.existsSync(file) ? parseDotenv(fs.readFileSync(file)) : {};
  return { ...fromFile, ...io.env };
}

export async function main(argv: ReadonlyArray<string>, io: CliIo = { env: process.env, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }): Promise<number> {
  let exitCode = EXIT_OK;
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    io.stderr.write(`\n${sig}: stopping; open exports stay in the ledger and the next run resumes them (${sig} again to quit now)\n`);
    controller.abort(new Error(`received ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const withApp = async (requireApiKey: boolean, fn: (app: App, config: Config, logger: Logger) => Promise<number>): Promise<number> => {
    const config = loadConfig(environment(io));
    const logger = createLogger({
      level: config.logLevel,
      pretty: isInteractive(io),
      secrets: config.apiKey ? [config.apiKey] : [],
    });
    const app = await createApp(config, logger, { requireApiKey });
    try {
      return await fn(app, config, logger);
    } finally {
      await app.close();
    }
  };
  const finish = (summary: PassSummary) => {
    printSummary(io.stdout, summary);
    return summary.ok ? EXIT_OK : EXIT_FAILED;
  };

  const program = new Command('dialpad-etl')
    .description('Keeps a Postgres warehouse in sync with Dialpad analytics.')
    .exitOverride()
    // Usage errors are one line ("error: …"); --help shows the rest.
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText('after', `\nStreams: ${STREAMS.map((s) => s.name).join(', ')}\nEnvironment (also read from .env):\n${ENV_DOCS.map((d) => `  ${d.name.padEnd(32)} ${d.doc}`).join('\n')}\n`);

  program
    .command('migrate')
    .description('create or upgrade the dialpad and dialpad_etl schemas (every other command does this first)')
    .action(async () => {
      exitCode = await withApp(false, async (app) => {
        io.stdout.write(`database ready: ${app.database.description}\n`);
        return EXIT_OK;
      });
    });

  program
    .command('backfill')
    .description('load an explicit range of calendar dates (in DIALPAD_TIMEZONE); never moves the sync watermark')
    .requiredOption('--from <date>', 'first date, YYYY-MM-DD', dateArg)
    .requiredOption('--to <date>', 'last date (inclusive), YYYY-MM-DD; must be before today', dateArg)
    .option('--streams <list>', 'comma-separated stream names (default: all)')
    .option('--dry-run', 'print the plan (windows, POSTs, time under the budget) and request nothing')
    .option('--force', 're-read windows the ledger shows loaded')
    .action(async (o: { from: string; to: string; streams?: string; dryRun?: boolean; force?: boolean }) => {
      const streams = parseStreamList(o.streams);
      selectStreams(streams); // unknown names are a usage error before anything else
      exitCode = await withApp(o.dryRun !== true, async (app) => {
        const opts = { from: o.from, to: o.to, ...(streams ? { streams } : {}), force: o.force === true, signal: controller.signal };
        if (o.dryRun === true) {
          io.stdout.write(describePlan(app, await planBackfill(app, opts)) + '\n');
          return EXIT_OK;
        }
        const progress = createProgress({ interactive: isInteractive(io), logger: app.logger, stream: io.stderr });
        return finish(await runBackfill(app, { ...opts, progress }));
      });
    });

  program
    .command('sync')
    .description('one incremental pass of every stream (or --streams): from the watermark minus the lookback to yesterday')
    .option('--streams <list>', 'comma-separated stream names (default: all)')
    .action(async (o: { streams?: string }) => {
      const streams = parseStreamList(o.streams);
      selectStreams(streams);
      exitCode = await withApp(true, async (app) => finish(await runSync(app, { ...(streams ? { streams } : {}), signal: controller.signal })));
    });

  program
    .command('schedule')
    .description('long-running: incremental passes on cron schedules per stream family (see DIALPAD_SCHEDULE_*); SIGTERM stops cleanly')
    .option('--streams <list>', 'comma-separated stream names (default: all)')
    .action(async (o: { streams?: string }) => {
      const streams = parseStreamList(o.streams);
      selectStreams(streams);
      exitCode = await withApp(true, (app) => runSchedule(app, { signal: controller.signal, ...(streams ? { streams } : {}) }));
    });

  program
    .command('demo')
    .description('the whole pipeline on SIMULATED data: a built-in Dialpad simulator on 127.0.0.1, a separate embedded database, 14 days of every stream, then status and example SQL')
    .action(async () => {
      exitCode = await runDemo({ env: environment(io), stdout: io.stdout, stderr: io.stderr, signal: controller.signal });
    });

  program
    .command('status')
    .description('freshness, last runs, open exports, quarantine and rate budget per stream')
    .option('--json', 'print JSON only, on stdout')
    .action(async (o: { json?: boolean }) => {
      exitCode = await withApp(false, async (app) => {
        const report = await collectStatus(app);
        io.stdout.write(o.json === true ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report) + '\n');
        return EXIT_OK;
      });
    });

  try {
    await program.parseAsync([...argv], { from: 'node' });
    if (argv.length <= 2) {
      program.outputHelp();
      return EXIT_USAGE;
    }
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') return EXIT_OK;
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError || err instanceof EmbeddedPostgresError) {
      io.stderr.write(`dialpad-etl: ${err.message}\n`);
      return EXIT_USAGE;
    }
    const e = coerceError(err);
    io.stderr.write(`dialpad-etl: failed: ${e.message}\n`);
    return EXIT_FAILED;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function isInteractive(io: CliIo): boolean {
  return (io.stderr as NodeJS.WriteStream).isTTY === true && io.env['CI'] === undefined;
}

function dateArg(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InvalidArgumentError('expected a date YYYY-MM-DD');
  return value;
}
