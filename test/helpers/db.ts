/**
 * Per-test databases on the admin server chosen by test/helpers/global-setup.ts (TEST_DATABASE_URL or embedded PG 15).
 *
 *   const tdb = await createTestDatabase('calls');
 *   afterAll(() => tdb.drop());
 *   const pool = new pg.Pool({ connectionString: tdb.url });
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  /** Terminates leftover connections and drops the database. Idempotent. */
  drop(): Promise<void>;
}

/** Connection string of the admin server (superuser, maintenance database). */
export function adminDatabaseUrl(): string {
  const url = inject('adminDatabaseUrl');
  if (!url) throw new Error('adminDatabaseUrl was not provided: is test/helpers/global-setup.ts in vitest.config.ts globalSetup?');
  return url;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl(), connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates a fresh, uniquely named database on the admin server and returns its URL. */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const cleanPrefix = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 30) || 'test';
  const name = `${cleanPrefix}_${process.pid}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withAdmin((c) => c.query(`create database ${c.escapeIdentifier(name)}`));
  const u = new URL(adminDatabaseUrl());
  u.pathname = `/${encodeURIComponent(name)}`;
  const url = u.toString();

  let dropped: Promise<void> | undefined;
  const drop = (): Promise<void> => {
    dropped ??= withAdmin(async (c) => {
      await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      await c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`);
    });
    return dropped;
  };
  return { url, name, drop };
}
