/**
 * Opens the warehouse: the server named by DATABASE_URL, or (unset) the embedded PostgreSQL 15 kept under
 * DIALPAD_ETL_DATA_DIR and started on demand. Both are the same `pg.Pool` + Kysely PostgresDialect, so every query,
 * COPY and advisory lock behaves the same. This is the only module that constructs a pool.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { ensureEmbeddedPostgres } from './embedded-postgres.js';
import type { Database } from './schema.js';

// DATE stays 'YYYY-MM-DD' (not a local-midnight Date); int8 and numeric already come back as strings (ids, money).
pg.types.setTypeParser(1082, (v: string) => v);

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  readonly mode: 'server' | 'embedded';
  /** Connection string (password-free description for logs). */
  readonly description: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly poolSize?: number;
  readonly applicationName?: string;
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const max = opts.poolSize ?? 10;
  const application_name = opts.applicationName ?? 'dialpad-etl';
  if (opts.databaseUrl !== null) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max, application_name });
    return wrap(pool, 'server', describeUrl(opts.databaseUrl), opts.logger, async () => {});
  }
  const server = await ensureEmbeddedPostgres({ dataDir: opts.dataDir, onLog: (m) => opts.logger.trace({ embedded: m }, 'embedded postgres') });
  opts.logger.debug({ owned: server.owned, dataDir: opts.dataDir }, 'embedded postgres ready');
  const pool = new pg.Pool({ connectionString: server.connectionString, max, application_name });
  return wrap(pool, 'embedded', `embedded PostgreSQL under ${opts.dataDir}`, opts.logger, () => server.release());
}

function wrap(pool: pg.Pool, mode: DatabaseHandle['mode'], description: string, logger: Logger, after: () => Promise<void>): DatabaseHandle {
  // An idle client losing its connection (server restart) must not crash the process; the next query reconnects.
  pool.on('error', (err) => logger.warn({ err }, 'idle database connection lost'));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    pool,
    mode,
    description,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // ends the pool
      await after();
    },
  };
}

export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL';
  }
}
