/**
 * `dialpad-etl demo` as a user runs it: a separate process with a real-looking API key and DATABASE_URL in its
 * environment (both must be ignored), its own embedded PostgreSQL under DIALPAD_ETL_DATA_DIR/demo, and the built-in
 * simulator. (Spawns jobs/demo.ts directly until the command is wired into the CLI.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopEmbeddedPostgres } from '../../src/load/embedded-postgres.js';
import { STREAM_NAMES } from '../../src/streams/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'real-secret-key-should-not-leak';

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function runDemoProcess(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['bin/dialpad-etl.js', 'demo'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** The text between a line starting with `start` and the next line starting with `end`. */
function section(text: string, start: string, end: string): string {
  const i = text.indexOf(`\n${start}`);
  if (i === -1) return '';
  const j = text.indexOf(`\n${end}`, i + 1);
  return text.slice(i + 1, j === -1 ? undefined : j);
}

describe('dialpad-etl demo', () => {
  let dataDir: string;
  let run: Run;

  beforeAll(async () => {
    // /var/tmp, mode 755: as root the embedded PostgreSQL runs as OS user postgres, which must enter it.
    dataDir = await fsp.mkdtemp('/var/tmp/dialpad-etl-demo-test-');
    await fsp.chmod(dataDir, 0o755);
    const { DIALPAD_BASE_URL: _b, DIALPAD_TIMEZONE: _t, ...base } = process.env;
    run = await runDemoProcess(
      {
        ...base,
        DIALPAD_API_KEY: SECRET,
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nowhere',
        DIALPAD_BASE_URL: 'https://dialpad.com',
        DIALPAD_ETL_DATA_DIR: dataDir,
      },
      110_000,
    );
  }, 120_000);

  afterAll(async () => {
    if (!dataDir) return;
    // Only if the demo failed to stop its server: do not leave a postmaster behind.
    await stopEmbeddedPostgres(path.join(dataDir, 'demo')).catch(() => undefined);
    await fsp.rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('exits 0 and says, first and last, that the data is simulated and the real key is ignored', () => {
    expect(run.signal, run.stderr).toBeNull();
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const banner = /^DEMO — SIMULATED DATA from a local Dialpad simulator at http:\/\/127\.0\.0\.1:\d+; no request leaves this machine; your DIALPAD_API_KEY is set but ignored/;
    expect(lines.slice(0, 3).some((l) => banner.test(l)), lines.slice(0, 3).join('\n')).toBe(true);
    expect(lines.slice(-3).some((l) => banner.test(l)), lines.slice(-3).join('\n')).toBe(true);
    expect(run.stdout).toContain('DATABASE_URL is ignored');
    expect(run.stdout).toContain(path.join(dataDir, 'demo'));
  });

  it('backfills every stream and prints the status table with every stream', () => {
    const summary = section(run.stdout, '== Backfill', '== Status');
    for (const name of STREAM_NAMES) expect(summary, name).toMatch(new RegExp(`^${name} +succeeded `, 'm'));
    const status = section(run.stdout, '== Status', '== Example queries');
    expect(status).toMatch(/^stream +newest day +rows last run/m);
    for (const name of STREAM_NAMES) expect(status, name).toMatch(new RegExp(`^${name} +- +\\d+ +\\d{4}-\\d{2}-\\d{2} `, 'm'));
  });

  it('prints example queries with their results', () => {
    const examples = section(run.stdout, '== Example queries', 'Demo finished');
    expect(examples).not.toContain('query failed');
    expect(examples).not.toContain('(no rows)');
    expect(examples).toContain('from dialpad.calls');
    // Calls per day: a date then numbers.
    expect(examples).toMatch(/^day +inbound +outbound/m);
    expect(examples).toMatch(/^\d{4}-\d{2}-\d{2} +\d+ +\d+ /m);
    expect(examples).toMatch(/^channel +sessions/m);
  });

  it('never shows the real API key, and stops its embedded PostgreSQL', () => {
    expect(run.stdout).not.toContain(SECRET);
    expect(run.stderr).not.toContain(SECRET);
    expect(fs.existsSync(path.join(dataDir, 'demo', 'pg15', 'PG_VERSION'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'demo', 'pg15', 'postmaster.pid'))).toBe(false);
  });

  it('takes well under a minute', () => {
    expect(run.ms).toBeLessThan(90_000);
  });
});
