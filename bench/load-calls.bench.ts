/**
 * `npm run bench`: rows per second of the load path (download stream → typed rows merged into dialpad.calls) for a
 * generated calls export, beside `psql \copy` of the same file into an untyped text table on the same server, and
 * the loader's peak RSS. Targets: >= 0.5x the rows/s of psql \copy, peak RSS <= 256 MB.
 *
 * Database: BENCH_DATABASE_URL, else DATABASE_URL, else TEST_DATABASE_URL (a database `dialpad_etl_bench` is
 * created on that server), else an embedded PostgreSQL in a temporary directory. Rows: BENCH_ROWS (1,000,000).
 */
import { execFile, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { ensureEmbeddedPostgres } from '../src/load/embedded-postgres.js';
import { migrateToLatest } from '../src/load/migrate.js';
import { CALL_COLUMNS, generateCallsCsv } from './generate-calls.js';

const run = promisify(execFile);
const ROWS = Number(process.env['BENCH_ROWS'] ?? 1_000_000);
const PARALLELISM = Number(process.env['DIALPAD_ETL_COPY_PARALLELISM'] ?? 2);
const RSS_TARGET = 256 * 1024 * 1024;

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'dialpad-etl-bench-'));
  // As root the embedded PostgreSQL runs as the OS user postgres, which must be able to enter this directory.
  await chmod(tmp, 0o755);
  let stopEmbedded: (() => Promise<void>) | null = null;
  try {
    const serverUrl = process.env['BENCH_DATABASE_URL'] ?? process.env['DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
    let adminUrl: string;
    let where: string;
    if (serverUrl) {
      adminUrl = serverUrl;
      where = `server ${new URL(serverUrl).host}`;
    } else {
      const emb = await ensureEmbeddedPostgres({ dataDir: path.join(tmp, 'db') });
      stopEmbedded = () => emb.release();
      adminUrl = emb.connectionString;
      where = 'embedded PostgreSQL 15';
    }
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    const version = (await admin.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
    await admin.query('drop database if exists dialpad_etl_bench with (force)');
    await admin.query('create database dialpad_etl_bench');
    await admin.end();
    const u = new URL(adminUrl);
    u.pathname = '/dialpad_etl_bench';
    const dbUrl = u.toString();
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: dbUrl, max: 2 }) }) });
    await migrateToLatest(db);
    await db.destroy();

    const file = path.join(tmp, 'calls.csv');
    console.log(`generating ${ROWS.toLocaleString()} calls rows…`);
    await generateCallsCsv(file, ROWS);
    const size = (await stat(file)).size;
    console.log(`  ${(size / 1e6).toFixed(0)} MB, ${CALL_COLUMNS.length} columns`);

    // Baseline: psql \copy into an untyped text table on the same server.
    const pool = new pg.Pool({ connectionString: dbUrl, max: 1 });
    await pool.query(`create table public.bench_raw (${CALL_COLUMNS.map((c) => `"${c}" text`).join(', ')})`);
    await pool.query('checkpoint');
    let t = performance.now();
    await run('psql', [dbUrl, '-v', 'ON_ERROR_STOP=1', '-qc', `\\copy public.bench_raw from '${file}' with (format csv, header true)`]);
    const psqlSeconds = (performance.now() - t) / 1000;
    await pool.query('drop table public.bench_raw');
    await pool.query('checkpoint');
    await pool.end();

    // The product path, in a child process (its own peak RSS), fed over HTTP like a real download.
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(size) });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dl/calls.csv?X-Goog-Signature=bench`;
    const first = await worker(url, dbUrl);
    const second = await worker(url, dbUrl); // the same export again: every row unchanged
    server.close();

    const psqlRate = ROWS / psqlSeconds;
    const rate = ROWS / first.seconds;
    const ratio = rate / psqlRate;
    const peak = Math.max(first.peakRssBytes, second.peakRssBytes);
    const lines = [
      `database: ${where} (PostgreSQL ${version}), ${os.cpus().length} CPUs, COPY parallelism ${PARALLELISM}`,
      `file: ${ROWS.toLocaleString()} rows, ${(size / 1e6).toFixed(0)} MB`,
      `psql \\copy → untyped text table : ${psqlSeconds.toFixed(2)} s  ${fmt(psqlRate)} rows/s`,
      `dialpad-etl load → dialpad.calls : ${first.seconds.toFixed(2)} s  ${fmt(rate)} rows/s  (${first.result.inserted} inserted; copy ${first.result.copyMs} ms, merge ${first.result.mergeMs} ms)  ratio ${ratio.toFixed(2)}x (target >= 0.50x)`,
      `re-load of the same export       : ${second.seconds.toFixed(2)} s  ${fmt(ROWS / second.seconds)} rows/s  (${second.result.unchanged} unchanged, ${second.result.updated} updated)`,
      `peak RSS of the loader           : ${(peak / 1048576).toFixed(0)} MB (target <= 256 MB)`,
    ];
    console.log(lines.join('\n'));
    await mkdir('bench/out', { recursive: true });
    await writeFile('bench/out/load-calls.json', JSON.stringify({ rows: ROWS, bytes: size, where, version, psqlSeconds, first, second, ratio, peakRssBytes: peak }, null, 2));
    const ok = ratio >= 0.5 && peak <= RSS_TARGET && first.result.inserted === ROWS && second.result.unchanged === ROWS;
    console.log(ok ? 'PASS' : 'FAIL');
    process.exitCode = ok ? 0 : 1;
  } finally {
    await stopEmbedded?.();
    await rm(tmp, { recursive: true, force: true });
  }
}

interface WorkerResult {
  readonly seconds: number;
  readonly peakRssBytes: number;
  readonly result: { readonly inserted: number; readonly updated: number; readonly unchanged: number; readonly copyMs: number; readonly mergeMs: number };
}

function worker(url: string, dbUrl: string): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load-worker.ts', url, dbUrl, String(PARALLELISM)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as WorkerResult) : reject(new Error(`load worker exited ${code}`))));
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

await main();
