/**
 * Runs the real CLI (in-process, through `main`) against a Dialpad simulator and a real Postgres test database.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import { main } from '../../src/cli.js';
import type { Simulator } from '../../src/simulator/index.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function sink(): { stream: Writable; text: () => string } {
  let buf = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => buf };
}

/** Fast, test-friendly settings: short polls and backoffs, no midnight hold. */
export function etlEnv(sim: Simulator, databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DIALPAD_API_KEY: sim.apiKey,
    DIALPAD_BASE_URL: sim.baseUrl,
    DATABASE_URL: databaseUrl,
    DIALPAD_TIMEZONE: 'America/New_York',
    DIALPAD_POLL_INITIAL_DELAY_MS: '20',
    DIALPAD_POLL_INTERVAL_MS: '20',
    DIALPAD_POLL_MAX_INTERVAL_MS: '100',
    DIALPAD_RETRY_BASE_MS: '10',
    DIALPAD_RETRY_MAX_MS: '200',
    DIALPAD_MIDNIGHT_GUARD_SECONDS: '0',
    DIALPAD_EXPORT_MAX_DAYS: '2',
    DIALPAD_ETL_LOG_LEVEL: 'warn',
    ...extra,
  };
}

export async function runCli(args: ReadonlyArray<string>, env: Record<string, string>): Promise<CliRun> {
  const out = sink();
  const err = sink();
  const code = await main(['node', 'dialpad-etl', ...args], { env, stdout: out.stream, stderr: err.stream, cwd: '/nonexistent-no-dotenv' });
  return { code, stdout: out.text(), stderr: err.text() };
}

export async function query<T extends pg.QueryResultRow>(url: string, text: string, params: ReadonlyArray<unknown> = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, [...params])).rows;
  } finally {
    await c.end();
  }
}

/** A fingerprint of a whole table, including lineage and load time: equal fingerprints mean nothing changed. */
export async function tableFingerprint(url: string, table: string): Promise<string> {
  const rows = await query<{ h: string | null; n: string }>(url, `select md5(string_agg(t::text, '|' order by t::text)) as h, count(*) as n from ${table} t`);
  return `${rows[0]!.n}:${rows[0]!.h}`;
}
