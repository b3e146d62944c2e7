/**
 * `dialpad-etl demo`: a self-contained tour that needs no Dialpad account and no network. It starts the built-in
 * Dialpad simulator on 127.0.0.1 (generated data, fixed seed), loads the last 14 days of every stream into a
 * SEPARATE embedded PostgreSQL (`${DIALPAD_ETL_DATA_DIR}/demo`), and prints the pass summary, the status table and
 * a few example SQL queries with their results.
 *
 * It must be impossible to confuse with production:
 *  - the Config is built from a clean environment: the user's DIALPAD_API_KEY, DIALPAD_BASE_URL and DATABASE_URL
 *    are never read into it (the only key in the process is the simulator's own), so no real key can be sent and
 *    no simulated row can reach a real warehouse;
 *  - the demo database lives in its own cluster directory, marked as demo data, and is wiped at each start;
 *  - the output starts and ends with a banner saying the data is simulated.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createApp, type App } from '../src/app.js';
import { DEFAULT_DATA_DIR, loadConfig, type Config } from '../src/config.js';
import { ConfigError, coerceError } from '../src/errors.js';
import { stopEmbeddedPostgres } from '../src/load/embedded-postgres.js';
import { createLogger, type Logger } from '../src/logger.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { addDays, todayIn } from '../src/windows.js';
import { runBackfill } from './backfill.js';
import { printSummary } from './passes.js';
import { collectStatus, formatStatus } from './status.js';

export interface DemoIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Ctrl-C from the CLI: stop after the work in flight (the demo still cleans up). */
  readonly signal?: AbortSignal;
}

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** Days loaded: today-14 … yesterday in the demo's zone. */
export const DEMO_DAYS = 14;
const DEMO_SEED = 20261126;
const DEMO_DEFAULT_TIMEZONE = 'America/New_York';
/** Written into the demo directory; the demo only ever wipes a directory that carries it (or is empty). */
const DEMO_MARKER = 'DIALPAD-ETL-DEMO-DATA-ONLY.txt';
const ROW_LIMIT = 8;

/** The demo's directory: `${DIALPAD_ETL_DATA_DIR ?? ./.dialpad-etl}/demo`, absolute. */
export function demoDataDir(env: Readonly<Record<string, string | undefined>>): string {
  const base = env['DIALPAD_ETL_DATA_DIR']?.trim() || DEFAULT_DATA_DIR;
  return path.resolve(base, 'demo');
}

/**
 * The environment the demo's Config is built from. Nothing of the user's Dialpad or database settings goes in:
 * only the time zone (when set) is taken over.
 */
export function demoEnvironment(env: Readonly<Record<string, string | undefined>>, sim: Pick<Simulator, 'apiKey' | 'baseUrl'>, dataDir: string): Record<string, string> {
  return {
    DIALPAD_API_KEY: sim.apiKey,
    DIALPAD_BASE_URL: sim.baseUrl,
    // DATABASE_URL deliberately absent: the embedded PostgreSQL under the demo directory.
    DIALPAD_ETL_DATA_DIR: dataDir,
    DIALPAD_TIMEZONE: env['DIALPAD_TIMEZONE']?.trim() || DEMO_DEFAULT_TIMEZONE,
    DIALPAD_POLL_INITIAL_DELAY_MS: '100',
    DIALPAD_POLL_INTERVAL_MS: '100',
    DIALPAD_POLL_MAX_INTERVAL_MS: '500',
    DIALPAD_RETRY_BASE_MS: '100',
    DIALPAD_RETRY_MAX_MS: '2000',
    DIALPAD_MIDNIGHT_GUARD_SECONDS: '0',
    DIALPAD_EXPORT_MAX_DAYS: '7',
    DIALPAD_ETL_LOG_LEVEL: 'warn',
  };
}

export async function runDemo(io: DemoIo): Promise<number> {
  const out = (s: string) => io.stdout.write(s);
  const userHasKey = (io.env['DIALPAD_API_KEY']?.trim() ?? '') !== '';
  const userHasDb = (io.env['DATABASE_URL']?.trim() ?? '') !== '';
  const dataDir = demoDataDir(io.env);
  const t0 = Date.now();

  let sim: Simulator | undefined;
  let app: App | undefined;
  let demoDirReady = false;
  let banner = 'DEMO — SIMULATED DATA (the simulator did not start)';
  try {
    sim = await startSimulator({
      seed: DEMO_SEED,
      data: { callsPerDay: 60 },
      export: { processingPolls: 1 },
    });
    // Belt and braces: everything the ETL will talk to must be on this machine.
    for (const url of [sim.baseUrl, sim.downloadBaseUrl]) {
      if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`the demo simulator is not local (${url}); refusing to run`);
    }
    banner = bannerText(sim.baseUrl, userHasKey);
    out(`${rule(banner)}\n${banner}\n${rule(banner)}\n`);
    if (userHasDb) out('DATABASE_URL is ignored: the demo writes only to its own embedded PostgreSQL, never to your warehouse.\n');
    out(`Demo database: embedded PostgreSQL under ${dataDir} (separate from the real one; wiped at each demo start).\n\n`);

    await resetDemoDir(dataDir);
    demoDirReady = true;

    const config: Config = loadConfig(demoEnvironment(io.env, sim, dataDir));
    const logger: Logger = createLogger({
      level: config.logLevel,
      pretty: (io.stderr as NodeJS.WriteStream).isTTY === true && io.env['CI'] === undefined,
      secrets: [sim.apiKey],
    });
    app = await createApp(config, logger, { requireApiKey: true });

    const today = todayIn(app.config.timezone, new Date());
    const from = addDays(today, -DEMO_DAYS);
    const to = addDays(today, -1);
    out(`== Backfill: every stream, ${from} .. ${to} (${DEMO_DAYS} days, ${app.config.timezone}) ==\n`);
    const tb = Date.now();
    const summary = await runBackfill(app, { from, to, ...(io.signal ? { signal: io.signal } : {}) });
    printSummary(io.stdout, summary);
    out(`backfill ${summary.ok ? 'succeeded' : 'FAILED'} in ${((Date.now() - tb) / 1000).toFixed(1)} s\n\n`);

    out('== Status (what `dialpad-etl status` shows; a backfill never moves the sync watermark, hence no "newest day") ==\n');
    out(formatStatus(await collectStatus(app)) + '\n\n');

    out('== Example queries (run them yourself with psql or a BI tool against your real warehouse) ==\n');
    let queriesOk = true;
    for (const q of exampleQueries(app.config.timezone)) {
      out(`\n-- ${q.title}\n${q.sql.trim()};\n\n`);
      try {
        const res = await app.database.pool.query(q.sql);
        out(formatTable(res.fields.map((f) => f.name), res.rows as Array<Record<string, unknown>>) + '\n');
      } catch (err) {
        queriesOk = false;
        out(`(query failed: ${coerceError(err).message})\n`);
      }
    }
    const ok = summary.ok && queriesOk && io.signal?.aborted !== true;
    out(`\nDemo ${ok ? 'finished' : 'finished with failures (see above)'} in ${((Date.now() - t0) / 1000).toFixed(1)} s.\n`);
    return ok ? EXIT_OK : EXIT_FAILED;
  } catch (err) {
    const e = coerceError(err);
    io.stderr.write(`dialpad-etl demo: ${err instanceof ConfigError ? '' : 'failed: '}${e.message}\n`);
    return err instanceof ConfigError ? EXIT_USAGE : EXIT_FAILED;
  } finally {
    await app?.close().catch((err: unknown) => io.stderr.write(`dialpad-etl demo: closing the demo database failed: ${coerceError(err).message}\n`));
    // app.close() releases the embedded server, which stops it only when no other client is connected. pg.Pool's
    // end() resolves before its connections are really gone, so release() can still count them and leave the server
    // running. The demo cluster is the demo's alone (wiped at start): stop it for certain.
    if (demoDirReady) {
      await stopEmbeddedPostgres(dataDir).catch((err: unknown) => io.stderr.write(`dialpad-etl demo: stopping the demo database failed: ${coerceError(err).message}\n`));
    }
    await sim?.close().catch(() => undefined);
    out(`${rule(banner)}\n${banner}\n${rule(banner)}\n`);
  }
}

function bannerText(baseUrl: string, userHasKey: boolean): string {
  return (
    `DEMO — SIMULATED DATA from a local Dialpad simulator at ${baseUrl}; no request leaves this machine; ` +
    (userHasKey ? 'your DIALPAD_API_KEY is set but ignored (never read, never sent)' : 'your DIALPAD_API_KEY is not used')
  );
}

function rule(text: string): string {
  return '='.repeat(Math.min(text.length, 100));
}

/**
 * Starts the demo from an empty directory. Only a directory that is empty or carries the demo marker is wiped;
 * a leftover demo server (a demo killed by a signal) is stopped first.
 */
async function resetDemoDir(dir: string): Promise<void> {
  const entries = await fsp.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (entries !== null && entries.length > 0) {
    if (!entries.includes(DEMO_MARKER)) {
      throw new Error(`${dir} exists and is not a dialpad-etl demo directory (no ${DEMO_MARKER}); move it away or set DIALPAD_ETL_DATA_DIR elsewhere`);
    }
    await stopEmbeddedPostgres(dir);
    await fsp.rm(dir, { recursive: true, force: true });
  }
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
  await fsp.chmod(dir, 0o755); // the umask may have narrowed it; as root the embedded server's user must enter it
  await fsp.writeFile(
    path.join(dir, DEMO_MARKER),
    'Simulated data of `dialpad-etl demo` (an embedded PostgreSQL loaded from the built-in Dialpad simulator).\n' +
      'Not a real warehouse. The demo wipes this directory each time it starts.\n',
  );
}

interface ExampleQuery {
  readonly title: string;
  readonly sql: string;
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** What a BI user would write against the warehouse. */
export function exampleQueries(timezone: string): ReadonlyArray<ExampleQuery> {
  const tz = literal(timezone);
  return [
    {
      title: `Calls per day and direction (conversations: legs that are not agent legs of a call-center call), local days in ${timezone}`,
      sql: `
select (date_started at time zone ${tz})::date as day,
       count(*) filter (where direction = 'inbound')  as inbound,
       count(*) filter (where direction = 'outbound') as outbound,
       count(*) filter (where voicemail)              as voicemail,
       round(avg(talk_duration), 2)                   as avg_talk_min
from dialpad.calls
where entry_point_call_id is null
group by 1
order by 1 desc
limit ${ROW_LIMIT - 1}`,
    },
    {
      title: 'Answered vs missed by day (Dialpad’s own daily totals)',
      sql: `
select date, inbound_calls, answered, missed, abandoned,
       round(100.0 * answered / nullif(inbound_calls, 0), 1) as answer_rate_pct,
       service_level, asa as asa_min
from dialpad.call_stats_by_date
order by date desc
limit ${ROW_LIMIT - 1}`,
    },
    {
      title: 'Top agents by talk time over the period',
      sql: `
select coalesce(u.display_name, s.name) as agent, u.job_title, u.state,
       sum(s.all_calls) as calls, sum(s.answered) as answered,
       round(sum(s.talk_duration), 1) as talk_min,
       round(sum(s.talk_duration) / nullif(sum(s.answered), 0), 2) as min_per_answered
from dialpad.call_stats_by_user s
left join dialpad.users u on lower(u.primary_email) = lower(s.email)
group by 1, 2, 3
order by talk_min desc nulls last
limit ${ROW_LIMIT}`,
    },
    {
      title: 'WFM adherence per agent',
      sql: `
select agent_name, agent_email,
       round(avg(adherence_score), 1)              as avg_adherence_pct,
       round(sum(scheduled_hours), 1)              as scheduled_h,
       round(100 * avg(time_in_adherence_pct), 1)  as in_adherence_pct,
       round(100 * avg(occupancy), 1)              as occupancy_pct
from dialpad.wfm_agent_metrics
group by 1, 2
order by avg_adherence_pct asc nulls last
limit ${ROW_LIMIT}`,
    },
    {
      title: 'Digital sessions per channel',
      sql: `
select session_channel as channel, count(*) as sessions,
       count(*) filter (where agent_handled)              as agent_handled,
       round(avg(duration_ms) / 60000.0, 1)               as avg_duration_min,
       round(avg(queue_time_ms) / 1000.0, 1)              as avg_queue_s,
       round(avg(customer_csat_score), 2)                 as avg_csat
from dialpad.digital_sessions
group by 1
order by sessions desc
limit ${ROW_LIMIT}`,
    },
  ];
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (v instanceof Date) return v.toISOString().replace('T', ' ').slice(0, 19);
  if (Array.isArray(v)) return v.map(cell).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Terminal columns a string takes: East Asian wide characters count 2, combining marks 0. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x0300 && c <= 0x036f) || (c >= 0x200b && c <= 0x200f) || (c >= 0xfe00 && c <= 0xfe0f)) continue;
    const wide =
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1f300 && c <= 0x1faff) ||
      (c >= 0x20000 && c <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

function pad(s: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return right ? fill + s : s + fill;
}

function clip(s: string, max = 40): string {
  if (displayWidth(s) <= max) return s;
  let out = '';
  for (const ch of s) {
    if (displayWidth(out + ch) > max - 3) break;
    out += ch;
  }
  return `${out}...`;
}

/** A padded text table; numbers right-aligned, long cells clipped. */
export function formatTable(columns: ReadonlyArray<string>, rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return '(no rows)';
  const body = rows.slice(0, ROW_LIMIT).map((r) => columns.map((c) => clip(cell(r[c]))));
  const numeric = columns.map((_, i) => body.every((row) => /^-?\d+(\.\d+)?$/.test(row[i]!) || row[i] === '-'));
  const widths = columns.map((c, i) => Math.max(displayWidth(c), ...body.map((row) => displayWidth(row[i]!))));
  const fmt = (cells: ReadonlyArray<string>) => cells.map((c, i) => pad(c, widths[i]!, numeric[i]!)).join('  ').trimEnd();
  const lines = [fmt(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)];
  if (rows.length > ROW_LIMIT) lines.push(`(${rows.length - ROW_LIMIT} more rows)`);
  return lines.join('\n');
}
