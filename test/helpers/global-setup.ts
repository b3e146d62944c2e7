/**
 * Vitest global setup: one real PostgreSQL admin server for the whole run, never skipped.
 *  - TEST_DATABASE_URL set: use it (it must answer, otherwise the run fails).
 *  - unset: start an embedded PostgreSQL 15 in a fresh temp directory and stop/remove it at teardown.
 * Tests get the admin URL with inject('adminDatabaseUrl') (see test/helpers/db.ts) and create their own databases.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { ensureEmbeddedPostgres, stopEmbeddedPostgres } from '../../src/load/embedded-postgres.js';
import type { EmbeddedServer } from '../../src/load/embedded-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>(`select current_setting('server_version') as v`);
    return rows[0]?.v ?? '?';
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env.TEST_DATABASE_URL;
  if (fromEnv) {
    let version: string;
    try {
      version = await serverVersion(fromEnv);
    } catch (err) {
      throw new Error(
        `TEST_DATABASE_URL=${redact(fromEnv)} is set but not reachable: ${err instanceof Error ? err.message : String(err)}. ` +
          'Start that server, or unset TEST_DATABASE_URL to use an embedded PostgreSQL 15.',
        { cause: err },
      );
    }
    console.log(`[db] using TEST_DATABASE_URL ${redact(fromEnv)} (PostgreSQL ${version})`);
    project.provide('adminDatabaseUrl', fromEnv);
    return async () => {};
  }

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dialpad-etl-test-pg-'));
  // mkdtemp makes it 0700; when running as root the server runs as OS user postgres, which must be able to enter it.
  await fs.chmod(dir, 0o755);
  const t0 = Date.now();
  let server: EmbeddedServer;
  try {
    server = await ensureEmbeddedPostgres({ dataDir: dir, database: 'postgres' });
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  const version = await serverVersion(server.connectionString);
  console.log(`[db] using embedded PostgreSQL ${version} at ${dir} (${redact(server.connectionString)}, started in ${Date.now() - t0} ms)`);
  project.provide('adminDatabaseUrl', server.connectionString);

  return async () => {
    await server.release().catch(() => undefined);
    // Workers are gone by now; force the stop in case a test left a connection open.
    await stopEmbeddedPostgres(dir).catch((err: unknown) => console.error('[db] could not stop embedded PostgreSQL:', err));
    await fs.rm(dir, { recursive: true, force: true });
  };
}
