/**
 * Composition root: builds the database handle (migrated), the shared rate budget, and the Dialpad client from a
 * Config, and hands them to commands. Nothing here is a singleton: tests build as many apps as they like.
 */
import type { Config } from './config.js';
import { ConfigError } from './errors.js';
import { createDialpadClient, type DialpadClient, type FetchLike } from './extract/client.js';
import { primaryOfficeTimezone } from './extract/sources.js';
import { isValidZone } from './windows.js';
import type { Logger } from './logger.js';
import { openDatabase, type DatabaseHandle } from './load/database.js';
import { migrateToLatest } from './load/migrate.js';
import { createRateBudget, type RateBudget } from './load/rate-budget.js';
import { dropStaleStages } from './load/staging.js';

export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: DatabaseHandle;
  readonly budget: RateBudget;
  /** Null when no API key is configured (migrate, status). */
  readonly client: DialpadClient | null;
  close(): Promise<void>;
}

export interface AppOptions {
  readonly requireApiKey: boolean;
  readonly fetch?: FetchLike;
}

export async function createApp(config: Config, logger: Logger, opts: AppOptions): Promise<App> {
  if (opts.requireApiKey && config.apiKey === null) throw new ConfigError('missing DIALPAD_API_KEY: set it in the environment or in .env');
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logger,
    // Windows in flight (each may hold a lock connection and COPY connections) plus the budget's own queries.
    poolSize: Math.max(10, config.concurrency * (1 + config.copyParallelism) + 2),
  });
  try {
    const { applied } = await migrateToLatest(database.db as never);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
    await dropStaleStages(database.pool);
  } catch (err) {
    await database.close();
    throw err;
  }
  const budget = createRateBudget(database.pool, { limits: config.rateLimits, logger });
  const client =
    config.apiKey === null
      ? null
      : createDialpadClient({
          apiKey: config.apiKey,
          baseUrl: config.baseUrl,
          limiter: budget,
          logger,
          requestTimeoutMs: config.requestTimeoutMs,
          downloadIdleTimeoutMs: config.downloadIdleTimeoutMs,
          retry: config.retry,
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
        });
  let effective = config;
  if (client !== null && !config.timezoneExplicit) {
    effective = { ...config, timezone: await defaultTimezone(client, logger) };
  }
  return { config: Object.freeze(effective), logger, database, budget, client, close: () => database.close() };
}

/** DIALPAD_TIMEZONE unset: the primary office's zone (GET /api/v2/offices/primary), UTC when that is unknown. */
async function defaultTimezone(client: DialpadClient, logger: Logger): Promise<string> {
  try {
    const tz = await primaryOfficeTimezone(client);
    if (tz !== null && isValidZone(tz)) {
      logger.info({ timezone: tz }, "DIALPAD_TIMEZONE is not set: using the primary office's time zone");
      return tz;
    }
    logger.warn({ timezone: tz }, 'DIALPAD_TIMEZONE is not set and the primary office has no usable time zone: using UTC');
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'DIALPAD_TIMEZONE is not set and the primary office could not be read: using UTC');
  }
  return 'UTC';
}
