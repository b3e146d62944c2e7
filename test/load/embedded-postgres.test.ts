/**
 * The embedded PostgreSQL manager against the real PG 15 binaries: cross-process start, ownership, release rules,
 * orphans and the lock file. Independent of TEST_DATABASE_URL (each test uses its own fresh data directory).
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedPostgresError, ensureEmbeddedPostgres, stopEmbeddedPostgres } from '../../src/load/embedded-postgres.js';
import { adminDatabaseUrl, createTestDatabase } from '../helpers/db.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const modulePath = path.join(repoRoot, 'src', 'load', 'embedded-postgres.ts');

/** Runs in a child process: ensure, report as one JSON line, release when told 'release' on stdin. */
const CHILD_SCRIPT = `
import readline from 'node:readline';
const { ensureEmbeddedPostgres } = await import(process.env.EP_MODULE_URL);
try {
  const s = await ensureEmbeddedPostgres({ dataDir: process.env.EP_DATA_DIR });
  const port = Number(new URL(s.connectionString).port);
  process.stdout.write(JSON.stringify({ ok: true, owned: s.owned, port, url: s.connectionString }) + '\\n');
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.trim() === 'release') {
      await s.release();
      process.stdout.write(JSON.stringify({ released: true }) + '\\n');
      break;
    }
  }
  rl.close();
  process.stdin.destroy();
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.message ? e.message : e) }) + '\\n');
  process.exitCode = 1;
}
`;

interface ChildMessage {
  ok?: boolean;
  owned?: boolean;
  port?: number;
  url?: string;
  error?: string;
  released?: boolean;
}

interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  next(): Promise<ChildMessage>;
  release(): Promise<ChildMessage>;
  readonly exited: Promise<number | null>;
}

const children: Child[] = [];

function startChild(dataDir: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD_SCRIPT], {
    cwd: repoRoot,
    env: { ...process.env, EP_DATA_DIR: dataDir, EP_MODULE_URL: pathToFileURL(modulePath).href },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const queue: ChildMessage[] = [];
  const waiters: Array<(m: ChildMessage) => void> = [];
  readline.createInterface({ input: proc.stdout }).on('line', (line) => {
    let msg: ChildMessage;
    try {
      msg = JSON.parse(line) as ChildMessage;
    } catch {
      return; // stray output
    }
    const w = waiters.shift();
    if (w) w(msg);
    else queue.push(msg);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const next = () =>
    new Promise<ChildMessage>((resolve, reject) => {
      const m = queue.shift();
      if (m) return resolve(m);
      waiters.push(resolve);
      void exited.then((code) => reject(new Error(`child exited (${code}) before answering; stderr: ${stderr}`)));
    });
  const child: Child = {
    proc,
    next,
    exited,
    release: () => {
      proc.stdin.write('release\n');
      return next();
    },
  };
  children.push(child);
  return child;
}

const dirs: string[] = [];

async function freshDataDir(): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'dialpad-etl-ep-test-'));
  await fsp.chmod(dir, 0o755); // as root the server runs as OS user postgres, who must be able to enter it
  dirs.push(dir);
  return path.join(dir, 'data'); // not existing yet: ensureEmbeddedPostgres creates it
}

const postmasterPid = (dataDir: string) => path.join(dataDir, 'pg15', 'postmaster.pid');
const isRunning = (dataDir: string) => fs.existsSync(postmasterPid(dataDir));

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

afterEach(async () => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  for (const dir of dirs.splice(0)) {
    await stopEmbeddedPostgres(path.join(dir, 'data')).catch(() => undefined);
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

describe('ensureEmbeddedPostgres', () => {
  it('two processes starting at once on a fresh data directory share one server; exactly one owns it', async () => {
    const dataDir = await freshDataDir();
    const a = startChild(dataDir);
    const b = startChild(dataDir);
    const [ma, mb] = await Promise.all([a.next(), b.next()]);
    expect(ma.error ?? null).toBeNull();
    expect(mb.error ?? null).toBeNull();
    expect(ma.ok && mb.ok).toBe(true);
    expect(ma.port).toBe(mb.port);
    expect([ma.owned, mb.owned].filter(Boolean)).toHaveLength(1);

    const [row] = await query<{ version: string; num: string }>(
      ma.url!,
      `select version(), current_setting('server_version_num') as num, current_database() as db`,
    );
    expect(row!.version).toMatch(/^PostgreSQL 15\.\d+/);
    expect(row!.num.startsWith('15')).toBe(true);
    expect(ma.url).toMatch(/^postgres:\/\/postgres:postgres@127\.0\.0\.1:\d+\/dialpad_etl$/);

    const [owner, other] = ma.owned ? [a, b] : [b, a];
    expect(await other.release()).toEqual({ released: true });
    expect(isRunning(dataDir)).toBe(true); // a non-owner never stops it
    expect(await owner.release()).toEqual({ released: true }); // owner is last: stops it
    expect(isRunning(dataDir)).toBe(false);
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'pg15.lock'))).toBe(false);
  });

  it('owner release keeps the server running while another process is connected; a non-owner never stops it', async () => {
    const dataDir = await freshDataDir();
    const owner = await ensureEmbeddedPostgres({ dataDir });
    expect(owner.owned).toBe(true);
    const other = startChild(dataDir);
    const m = await other.next();
    expect(m).toMatchObject({ ok: true, owned: false, url: owner.connectionString });

    const pidBefore = fs.readFileSync(postmasterPid(dataDir), 'utf8').split('\n')[0];
    await owner.release();
    expect(isRunning(dataDir)).toBe(true);
    expect(await query<{ one: number }>(m.url!, 'select 1 as one')).toEqual([{ one: 1 }]);

    expect(await other.release()).toEqual({ released: true });
    expect(isRunning(dataDir)).toBe(true);
    expect(fs.readFileSync(postmasterPid(dataDir), 'utf8').split('\n')[0]).toBe(pidBefore);

    // The next process reuses the left-over server.
    const again = await ensureEmbeddedPostgres({ dataDir });
    expect(again.owned).toBe(false);
    expect(again.connectionString).toBe(owner.connectionString);
    await again.release();
    expect(await stopEmbeddedPostgres(dataDir)).toBe(true);
    expect(isRunning(dataDir)).toBe(false);
  });

  it('owner release stops the server once the other process has released', async () => {
    const dataDir = await freshDataDir();
    const owner = await ensureEmbeddedPostgres({ dataDir, database: 'etl_b2' });
    expect(owner.connectionString).toMatch(/\/etl_b2$/);
    const other = startChild(dataDir);
    expect(await other.next()).toMatchObject({ ok: true, owned: false });
    expect(await other.release()).toEqual({ released: true });
    expect(await other.exited).toBe(0);

    await owner.release();
    await owner.release(); // idempotent
    expect(isRunning(dataDir)).toBe(false);
  });

  it('a plain (non dialpad-etl) client also keeps the server running on owner release', async () => {
    const dataDir = await freshDataDir();
    const owner = await ensureEmbeddedPostgres({ dataDir });
    const psql = new pg.Client({ connectionString: owner.connectionString });
    psql.on('error', () => {});
    await psql.connect();
    await owner.release();
    expect(isRunning(dataDir)).toBe(true);
    expect((await psql.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await psql.end();
  });

  it('a second call in the same process on a running directory returns owned=false', async () => {
    const dataDir = await freshDataDir();
    const first = await ensureEmbeddedPostgres({ dataDir });
    const second = await ensureEmbeddedPostgres({ dataDir });
    expect(first.owned).toBe(true);
    expect(second.owned).toBe(false);
    expect(second.connectionString).toBe(first.connectionString);
    await second.release();
    expect(isRunning(dataDir)).toBe(true);
    await first.release();
    expect(isRunning(dataDir)).toBe(false);

    // Restart on the existing cluster (no initdb): owned again, database still there.
    const third = await ensureEmbeddedPostgres({ dataDir });
    expect(third.owned).toBe(true);
    expect(await query<{ db: string }>(third.connectionString, 'select current_database() as db')).toEqual([{ db: 'dialpad_etl' }]);
    await third.release();
    expect(isRunning(dataDir)).toBe(false);
  });

  it('reuses the orphan server of a SIGKILLed owner', async () => {
    const dataDir = await freshDataDir();
    const child = startChild(dataDir);
    const m = await child.next();
    expect(m).toMatchObject({ ok: true, owned: true });
    child.proc.kill('SIGKILL');
    await child.exited;

    const s = await ensureEmbeddedPostgres({ dataDir });
    expect(s.owned).toBe(false);
    expect(s.connectionString).toBe(m.url);
    expect(await query<{ one: number }>(s.connectionString, 'select 1 as one')).toEqual([{ one: 1 }]);
    await s.release();
    expect(isRunning(dataDir)).toBe(true);
  });

  it('removes a stale lock file and times out clearly on a live one', async () => {
    const dataDir = await freshDataDir();
    await fsp.mkdir(dataDir, { recursive: true });
    const lock = path.join(dataDir, 'pg15.lock');

    // Live holder (this very process): bounded wait, then a clear error.
    await fsp.writeFile(lock, `${process.pid}\nsomeone-else\n`);
    const err = await ensureEmbeddedPostgres({ dataDir, lockTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddedPostgresError);
    expect((err as Error).message).toMatch(/Timed out .* waiting for lock .*pg15\.lock, held by pid \d+/);

    // Dead holder: a process that has exited.
    const dead = spawn(process.execPath, ['-e', '0']);
    const deadPid = dead.pid!;
    await new Promise((resolve) => dead.on('exit', resolve));
    await fsp.writeFile(lock, `${deadPid}\nstale\n`);
    const s = await ensureEmbeddedPostgres({ dataDir, lockTimeoutMs: 5_000 });
    expect(s.owned).toBe(true);
    await s.release();
    expect(fs.existsSync(lock)).toBe(false);
    expect(isRunning(dataDir)).toBe(false);
  });

  it('names the data directory when the cluster directory is not a PostgreSQL cluster', async () => {
    const dataDir = await freshDataDir();
    await fsp.mkdir(path.join(dataDir, 'pg15'), { recursive: true });
    await fsp.writeFile(path.join(dataDir, 'pg15', 'junk'), 'x');
    const err = await ensureEmbeddedPostgres({ dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddedPostgresError);
    expect((err as Error).message).toContain(path.join(dataDir, 'pg15'));
    expect((err as Error).message).toMatch(/not a PostgreSQL cluster/);
  });
});

describe('test database harness (test/helpers/db.ts)', () => {
  it('creates a fresh database on the admin server (real PostgreSQL 15) and drops it', async () => {
    expect(adminDatabaseUrl()).toMatch(/^postgres(ql)?:\/\//);
    const tdb = await createTestDatabase('Harness-Check');
    expect(tdb.name).toMatch(/^harness_check_\d+_/);
    const [row] = await query<{ db: string; num: string }>(tdb.url, `select current_database() as db, current_setting('server_version_num') as num`);
    expect(row).toEqual({ db: tdb.name, num: expect.stringMatching(/^15/) });

    const leftover = new pg.Client({ connectionString: tdb.url }); // drop() must cope with a connection left open
    leftover.on('error', () => {});
    await leftover.connect();
    await tdb.drop();
    await tdb.drop(); // idempotent
    await leftover.end().catch(() => undefined);
    const exists = await query<{ n: number }>(adminDatabaseUrl(), `select count(*)::int as n from pg_database where datname = '${tdb.name}'`);
    expect(exists).toEqual([{ n: 0 }]);
  });
});
