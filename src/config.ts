/**
 * The one configuration object. Read once from the environment (and `.env`), validated, frozen, passed down.
 * No other module reads `process.env`.
 */
import path from 'node:path';
import { IANAZone } from 'luxon';
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { OPERATIONS, type OperationId, type RateLimit } from './extract/endpoints.js';

export const DEFAULT_BASE_URL = 'https://dialpad.com';
export const DEFAULT_DATA_DIR = './.dialpad-etl';

/** Every variable the program reads, with its default and meaning; README's table is generated from the same facts. */
export const ENV_DOCS: ReadonlyArray<{ readonly name: string; readonly default: string; readonly doc: string }> = [
  { name: 'DIALPAD_API_KEY', default: '(none)', doc: 'API key (or OAuth token) sent as `Authorization: Bearer`. Required by sync, backfill and schedule.' },
  { name: 'DIALPAD_BASE_URL', default: DEFAULT_BASE_URL, doc: 'API origin; `https://sandbox.dialpad.com` for the sandbox.' },
  { name: 'DIALPAD_TIMEZONE', default: 'UTC', doc: "The company's IANA time zone: day windows (--from/--to) are calendar dates in this zone, and exports are requested in it." },
  { name: 'DATABASE_URL', default: '(unset: embedded)', doc: 'PostgreSQL connection string. Unset: an embedded PostgreSQL 15 under DIALPAD_ETL_DATA_DIR, started on demand.' },
  { name: 'DIALPAD_ETL_DATA_DIR', default: DEFAULT_DATA_DIR, doc: 'Where the embedded database lives (and temporary spool files).' },
  { name: 'DIALPAD_RATE_LIMITS', default: '{}', doc: 'JSON overriding limits by operationId: `{"stats.create":[5,60]}` = 5 per 60 s; `[[c,s],[c,s]]` for several windows; `"global"` for the all-requests limit.' },
  { name: 'DIALPAD_CALL_CENTER_IDS', default: '(none)', doc: 'Comma-separated call center ids targeted by the csat and dispositions exports.' },
  { name: 'DIALPAD_EXPORT_MAX_DAYS', default: '30', doc: 'Longest date span requested in one export (Dialpad does not document a maximum).' },
  { name: 'DIALPAD_EXPORT_MAX_ATTEMPTS', default: '3', doc: 'Exports requested per window before the window fails (failed, expired, truncated downloads each cost one).' },
  { name: 'DIALPAD_POLL_INITIAL_DELAY_MS', default: '15000', doc: 'Wait after POSTing an export before the first status poll.' },
  { name: 'DIALPAD_POLL_INTERVAL_MS', default: '5000', doc: 'First poll interval; grows by 1.5x per poll up to DIALPAD_POLL_MAX_INTERVAL_MS.' },
  { name: 'DIALPAD_POLL_MAX_INTERVAL_MS', default: '30000', doc: 'Longest wait between two polls of one export.' },
  { name: 'DIALPAD_EXPORT_TIMEOUT_MS', default: '1800000', doc: 'Give up polling one export after this long (it is re-requested, up to DIALPAD_EXPORT_MAX_ATTEMPTS).' },
  { name: 'DIALPAD_REQUEST_TIMEOUT_MS', default: '30000', doc: 'Timeout of one API request (headers and body).' },
  { name: 'DIALPAD_DOWNLOAD_IDLE_TIMEOUT_MS', default: '60000', doc: 'A download that sends no byte for this long is aborted (and retried).' },
  { name: 'DIALPAD_RETRY_MAX_ATTEMPTS', default: '6', doc: 'Attempts per API request on 429, 5xx and network errors.' },
  { name: 'DIALPAD_RETRY_BASE_MS', default: '1000', doc: 'First retry backoff; doubles per attempt, with full jitter.' },
  { name: 'DIALPAD_RETRY_MAX_MS', default: '60000', doc: 'Cap of one retry backoff (a Retry-After header is honoured even when longer).' },
  { name: 'DIALPAD_MIDNIGHT_GUARD_SECONDS', default: '300', doc: 'An export POST is held back this long on each side of local midnight, so days_ago cannot point at the wrong dates.' },
  { name: 'DIALPAD_SYNC_LOOKBACK_DAYS', default: '3', doc: 'An incremental sync re-reads this many days before its watermark, so late rows land.' },
  { name: 'DIALPAD_SYNC_INITIAL_DAYS', default: '7', doc: 'A stream with no watermark yet: the first sync reads this many days back.' },
  { name: 'DIALPAD_ETL_CONCURRENCY', default: '4', doc: 'Export windows worked on at once (polling overlaps; the POST budget is separate).' },
  { name: 'DIALPAD_ETL_COPY_PARALLELISM', default: '2', doc: 'Parallel COPY streams per export load.' },
  { name: 'DIALPAD_SCHEDULE_EXPORTS', default: '17 * * * *', doc: 'schedule: cron expression (node-cron, in DIALPAD_TIMEZONE) for the stats and scorecards exports.' },
  { name: 'DIALPAD_SCHEDULE_API', default: '*/15 * * * *', doc: 'schedule: cron expression for WFM metrics and digital sessions.' },
  { name: 'DIALPAD_SCHEDULE_DIRECTORY', default: '5 4 * * *', doc: 'schedule: cron expression for the directory tables (offices, call centers, departments, users, company).' },
  { name: 'DIALPAD_SCHEDULE_BACKOFF_BASE_MS', default: '900000', doc: 'schedule: a stream whose pass failed n times in a row waits base x 2^(n-1) before its next try.' },
  { name: 'DIALPAD_SCHEDULE_BACKOFF_MAX_MS', default: '21600000', doc: 'schedule: cap of that wait.' },
  { name: 'DIALPAD_ETL_LOG_LEVEL', default: 'info', doc: 'pino level: trace, debug, info, warn, error, fatal, silent.' },
];

export interface RetryConfig {
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export interface PollConfig {
  readonly initialDelayMs: number;
  readonly intervalMs: number;
  readonly maxIntervalMs: number;
  readonly timeoutMs: number;
}

export interface Config {
  readonly apiKey: string | null;
  readonly baseUrl: string;
  /** IANA zone of the company; `timezoneExplicit` says whether the operator set it. */
  readonly timezone: string;
  readonly timezoneExplicit: boolean;
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly rateLimits: Readonly<Record<OperationId | 'global', ReadonlyArray<RateLimit>>>;
  readonly callCenterIds: ReadonlyArray<string>;
  readonly exportMaxDays: number;
  readonly exportMaxAttempts: number;
  readonly poll: PollConfig;
  readonly requestTimeoutMs: number;
  readonly downloadIdleTimeoutMs: number;
  readonly retry: RetryConfig;
  readonly midnightGuardSeconds: number;
  readonly lookbackDays: number;
  readonly initialDays: number;
  readonly concurrency: number;
  readonly copyParallelism: number;
  readonly logLevel: string;
  readonly schedule: ScheduleConfig;
}

export interface ScheduleConfig {
  readonly exports: string;
  readonly api: string;
  readonly directory: string;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

const posInt = (def: number) => z.coerce.number().int().positive().default(def);
const nonNegInt = (def: number) => z.coerce.number().int().min(0).default(def);

const EnvSchema = z.object({
  DIALPAD_API_KEY: z.string().min(1).optional(),
  DIALPAD_BASE_URL: z.url({ protocol: /^https?$/ }).default(DEFAULT_BASE_URL),
  DIALPAD_TIMEZONE: z.string().min(1).optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
  DIALPAD_ETL_DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
  DIALPAD_RATE_LIMITS: z.string().optional(),
  DIALPAD_CALL_CENTER_IDS: z.string().optional(),
  DIALPAD_EXPORT_MAX_DAYS: posInt(30),
  DIALPAD_EXPORT_MAX_ATTEMPTS: posInt(3),
  DIALPAD_POLL_INITIAL_DELAY_MS: nonNegInt(15_000),
  DIALPAD_POLL_INTERVAL_MS: posInt(5_000),
  DIALPAD_POLL_MAX_INTERVAL_MS: posInt(30_000),
  DIALPAD_EXPORT_TIMEOUT_MS: posInt(1_800_000),
  DIALPAD_REQUEST_TIMEOUT_MS: posInt(30_000),
  DIALPAD_DOWNLOAD_IDLE_TIMEOUT_MS: posInt(60_000),
  DIALPAD_RETRY_MAX_ATTEMPTS: posInt(6),
  DIALPAD_RETRY_BASE_MS: nonNegInt(1_000),
  DIALPAD_RETRY_MAX_MS: nonNegInt(60_000),
  DIALPAD_MIDNIGHT_GUARD_SECONDS: nonNegInt(300),
  DIALPAD_SYNC_LOOKBACK_DAYS: nonNegInt(3),
  DIALPAD_SYNC_INITIAL_DAYS: posInt(7),
  DIALPAD_ETL_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  DIALPAD_ETL_COPY_PARALLELISM: z.coerce.number().int().min(1).max(8).default(2),
  DIALPAD_SCHEDULE_EXPORTS: z.string().refine(validCron, 'not a valid cron expression').default('17 * * * *'),
  DIALPAD_SCHEDULE_API: z.string().refine(validCron, 'not a valid cron expression').default('*/15 * * * *'),
  DIALPAD_SCHEDULE_DIRECTORY: z.string().refine(validCron, 'not a valid cron expression').default('5 4 * * *'),
  DIALPAD_SCHEDULE_BACKOFF_BASE_MS: nonNegInt(900_000),
  DIALPAD_SCHEDULE_BACKOFF_MAX_MS: nonNegInt(21_600_000),
  DIALPAD_ETL_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

/**
 * Validates `env` into a frozen Config. Throws ConfigError naming the first bad variable (never echoing secrets).
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  // Empty strings mean "unset" (a blank line in .env, `FOO= cmd` in a shell).
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v.trim() !== '') cleaned[k] = v.trim();
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`invalid ${name}: ${issue.message}`);
  }
  const e = parsed.data;
  const timezone = e.DIALPAD_TIMEZONE ?? 'UTC';
  if (!IANAZone.isValidZone(timezone)) {
    throw new ConfigError(`invalid DIALPAD_TIMEZONE: "${timezone}" is not an IANA time zone (e.g. America/New_York)`);
  }
  if (e.DIALPAD_POLL_MAX_INTERVAL_MS < e.DIALPAD_POLL_INTERVAL_MS) {
    throw new ConfigError('invalid DIALPAD_POLL_MAX_INTERVAL_MS: must be >= DIALPAD_POLL_INTERVAL_MS');
  }
  const callCenterIds = (e.DIALPAD_CALL_CENTER_IDS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const id of callCenterIds) {
    if (!/^\d+$/.test(id)) throw new ConfigError(`invalid DIALPAD_CALL_CENTER_IDS: "${id}" is not a numeric id`);
  }
  return Object.freeze({
    apiKey: e.DIALPAD_API_KEY ?? null,
    baseUrl: e.DIALPAD_BASE_URL.replace(/\/+$/, ''),
    timezone,
    timezoneExplicit: e.DIALPAD_TIMEZONE !== undefined,
    databaseUrl: e.DATABASE_URL ?? null,
    dataDir: path.resolve(e.DIALPAD_ETL_DATA_DIR),
    rateLimits: parseRateLimits(e.DIALPAD_RATE_LIMITS),
    callCenterIds: Object.freeze(callCenterIds),
    exportMaxDays: e.DIALPAD_EXPORT_MAX_DAYS,
    exportMaxAttempts: e.DIALPAD_EXPORT_MAX_ATTEMPTS,
    poll: Object.freeze({
      initialDelayMs: e.DIALPAD_POLL_INITIAL_DELAY_MS,
      intervalMs: e.DIALPAD_POLL_INTERVAL_MS,
      maxIntervalMs: e.DIALPAD_POLL_MAX_INTERVAL_MS,
      timeoutMs: e.DIALPAD_EXPORT_TIMEOUT_MS,
    }),
    requestTimeoutMs: e.DIALPAD_REQUEST_TIMEOUT_MS,
    downloadIdleTimeoutMs: e.DIALPAD_DOWNLOAD_IDLE_TIMEOUT_MS,
    retry: Object.freeze({ maxAttempts: e.DIALPAD_RETRY_MAX_ATTEMPTS, baseMs: e.DIALPAD_RETRY_BASE_MS, maxMs: e.DIALPAD_RETRY_MAX_MS }),
    midnightGuardSeconds: e.DIALPAD_MIDNIGHT_GUARD_SECONDS,
    lookbackDays: e.DIALPAD_SYNC_LOOKBACK_DAYS,
    initialDays: e.DIALPAD_SYNC_INITIAL_DAYS,
    concurrency: e.DIALPAD_ETL_CONCURRENCY,
    copyParallelism: e.DIALPAD_ETL_COPY_PARALLELISM,
    logLevel: e.DIALPAD_ETL_LOG_LEVEL,
    schedule: Object.freeze({
      exports: e.DIALPAD_SCHEDULE_EXPORTS,
      api: e.DIALPAD_SCHEDULE_API,
      directory: e.DIALPAD_SCHEDULE_DIRECTORY,
      backoffBaseMs: e.DIALPAD_SCHEDULE_BACKOFF_BASE_MS,
      backoffMaxMs: e.DIALPAD_SCHEDULE_BACKOFF_MAX_MS,
    }),
  });
}

/** Official limits (by operationId) overlaid with DIALPAD_RATE_LIMITS. */
export function parseRateLimits(raw: string | undefined): Config['rateLimits'] {
  const limits: Record<string, ReadonlyArray<RateLimit>> = {};
  for (const op of Object.values(OPERATIONS)) limits[op.id] = op.limits;
  limits['global'] = GLOBAL_LIMITS;
  if (raw === undefined) return Object.freeze(limits) as Config['rateLimits'];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigError('invalid DIALPAD_RATE_LIMITS: not valid JSON (expected e.g. {"stats.create":[5,60]})');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError('invalid DIALPAD_RATE_LIMITS: expected a JSON object keyed by operationId');
  }
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (!(key in limits)) {
      throw new ConfigError(`invalid DIALPAD_RATE_LIMITS: unknown operationId "${key}" (known: ${Object.keys(limits).join(', ')})`);
    }
    const pairs = isPair(value) ? [value] : Array.isArray(value) && value.every(isPair) && value.length > 0 ? value : null;
    if (pairs === null) {
      throw new ConfigError(`invalid DIALPAD_RATE_LIMITS: "${key}" must be [count, seconds] or [[count, seconds], ...] with positive numbers`);
    }
    limits[key] = Object.freeze(pairs.map(([count, seconds]) => Object.freeze({ count, windowMs: seconds * 1000 })));
  }
  return Object.freeze(limits) as Config['rateLimits'];
}

function isPair(v: unknown): v is [number, number] {
  return Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number' && Number.isFinite(n) && n > 0) && Number.isInteger(v[0]);
}

/** 20 requests per second per company across every API operation (developers.dialpad.com/docs/rate-limits). */
export const GLOBAL_LIMITS: ReadonlyArray<RateLimit> = Object.freeze([Object.freeze({ count: 20, windowMs: 1_000 })]);
