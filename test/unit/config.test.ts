/**
 * loadConfig(env): defaults, validation of every variable, DIALPAD_RATE_LIMITS parsing, and that a secret never
 * reaches an error message.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BASE_URL, GLOBAL_LIMITS, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { OPERATIONS } from '../../src/extract/endpoints.js';

/** Runs loadConfig and returns the ConfigError it throws (fails the test when it does not throw one). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  it('an empty environment yields the documented defaults', () => {
    const c = loadConfig({});
    expect(c.apiKey).toBeNull();
    expect(c.baseUrl).toBe(DEFAULT_BASE_URL);
    expect(c.timezone).toBe('UTC');
    expect(c.timezoneExplicit).toBe(false);
    expect(c.databaseUrl).toBeNull();
    expect(c.dataDir).toBe(path.resolve('./.dialpad-etl'));
    expect(c.callCenterIds).toEqual([]);
    expect(c.exportMaxDays).toBe(30);
    expect(c.exportMaxAttempts).toBe(3);
    expect(c.poll).toEqual({ initialDelayMs: 15_000, intervalMs: 5_000, maxIntervalMs: 30_000, timeoutMs: 1_800_000 });
    expect(c.requestTimeoutMs).toBe(30_000);
    expect(c.downloadIdleTimeoutMs).toBe(60_000);
    expect(c.retry).toEqual({ maxAttempts: 6, baseMs: 1_000, maxMs: 60_000 });
    expect(c.midnightGuardSeconds).toBe(300);
    expect(c.lookbackDays).toBe(3);
    expect(c.initialDays).toBe(7);
    expect(c.concurrency).toBe(4);
    expect(c.copyParallelism).toBe(2);
    expect(c.logLevel).toBe('info');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('default rate limits are the official ones of every operation plus global 20/s', () => {
    const c = loadConfig({});
    for (const op of Object.values(OPERATIONS)) expect(c.rateLimits[op.id]).toEqual(op.limits);
    expect(c.rateLimits['stats.create']).toEqual([{ count: 200, windowMs: 3_600_000 }]);
    expect(c.rateLimits.global).toEqual(GLOBAL_LIMITS);
    expect(c.rateLimits.global).toEqual([{ count: 20, windowMs: 1_000 }]);
  });

  it('blank values mean unset and values are trimmed', () => {
    const c = loadConfig({ DIALPAD_TIMEZONE: '   ', DIALPAD_EXPORT_MAX_DAYS: '', DIALPAD_API_KEY: '  k3y-value  ', DATABASE_URL: undefined });
    expect(c.timezone).toBe('UTC');
    expect(c.timezoneExplicit).toBe(false);
    expect(c.exportMaxDays).toBe(30);
    expect(c.apiKey).toBe('k3y-value');
    expect(c.databaseUrl).toBeNull();
  });

  it('reads explicit values', () => {
    const c = loadConfig({
      DIALPAD_API_KEY: 'abc',
      DIALPAD_BASE_URL: 'https://sandbox.dialpad.com///',
      DIALPAD_TIMEZONE: 'America/New_York',
      DATABASE_URL: 'postgresql://u:p@h:5432/db',
      DIALPAD_EXPORT_MAX_DAYS: '7',
      DIALPAD_POLL_INITIAL_DELAY_MS: '0',
      DIALPAD_RETRY_BASE_MS: '0',
      DIALPAD_ETL_CONCURRENCY: '32',
      DIALPAD_ETL_LOG_LEVEL: 'debug',
    });
    expect(c.apiKey).toBe('abc');
    expect(c.baseUrl).toBe('https://sandbox.dialpad.com');
    expect(c.timezone).toBe('America/New_York');
    expect(c.timezoneExplicit).toBe(true);
    expect(c.databaseUrl).toBe('postgresql://u:p@h:5432/db');
    expect(c.exportMaxDays).toBe(7);
    expect(c.poll.initialDelayMs).toBe(0);
    expect(c.retry.baseMs).toBe(0);
    expect(c.concurrency).toBe(32);
    expect(c.logLevel).toBe('debug');
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/x' }).databaseUrl).toBe('postgres://localhost/x');
  });
});

describe('DIALPAD_RATE_LIMITS', () => {
  it('a [count, seconds] pair overrides one operation, others keep their defaults', () => {
    const c = loadConfig({ DIALPAD_RATE_LIMITS: '{"stats.create":[5,60]}' });
    expect(c.rateLimits['stats.create']).toEqual([{ count: 5, windowMs: 60_000 }]);
    expect(c.rateLimits['stats.get']).toEqual(OPERATIONS.statsGet.limits);
    expect(c.rateLimits.global).toEqual([{ count: 20, windowMs: 1_000 }]);
  });

  it('the [[c,s],[c,s]] form gives several windows', () => {
    const c = loadConfig({ DIALPAD_RATE_LIMITS: '{"stats.create":[[5,60],[100,3600]]}' });
    expect(c.rateLimits['stats.create']).toEqual([
      { count: 5, windowMs: 60_000 },
      { count: 100, windowMs: 3_600_000 },
    ]);
  });

  it('"global" may be overridden, fractional seconds allowed', () => {
    const c = loadConfig({ DIALPAD_RATE_LIMITS: '{"global":[50,0.5]}' });
    expect(c.rateLimits.global).toEqual([{ count: 50, windowMs: 500 }]);
  });

  it('an empty object keeps every default', () => {
    expect(loadConfig({ DIALPAD_RATE_LIMITS: '{}' }).rateLimits).toEqual(loadConfig({}).rateLimits);
  });

  it.each([
    ['unknown operationId', '{"stats.nope":[5,60]}', /unknown operationId "stats\.nope"/],
    ['bad JSON', '{stats.create:[5,60]}', /not valid JSON/],
    ['a JSON array', '[[5,60]]', /JSON object/],
    ['a JSON string', '"x"', /JSON object/],
    ['null', 'null', /JSON object/],
    ['zero count', '{"stats.create":[0,60]}', /"stats\.create" must be/],
    ['negative count', '{"stats.create":[-1,60]}', /"stats\.create" must be/],
    ['zero seconds', '{"stats.create":[5,0]}', /"stats\.create" must be/],
    ['negative seconds', '{"stats.create":[5,-60]}', /"stats\.create" must be/],
    ['fractional count', '{"stats.create":[2.5,60]}', /"stats\.create" must be/],
    ['string numbers', '{"stats.create":["5","60"]}', /"stats\.create" must be/],
    ['three numbers', '{"stats.create":[5,60,1]}', /"stats\.create" must be/],
    ['an empty list', '{"stats.create":[]}', /"stats\.create" must be/],
    ['one bad pair among good ones', '{"stats.create":[[5,60],[0,60]]}', /"stats\.create" must be/],
    ['a bare number', '{"stats.create":5}', /"stats\.create" must be/],
  ])('%s → ConfigError naming DIALPAD_RATE_LIMITS', (_label, raw, detail) => {
    const err = configError({ DIALPAD_RATE_LIMITS: raw });
    expect(err.message).toMatch(/DIALPAD_RATE_LIMITS/);
    expect(err.message).toMatch(detail);
  });
});

describe('validation errors name the variable', () => {
  it('an invalid DIALPAD_TIMEZONE', () => {
    const err = configError({ DIALPAD_TIMEZONE: 'Mars/Olympus_Mons' });
    expect(err.message).toMatch(/DIALPAD_TIMEZONE/);
    expect(err.message).toContain('Mars/Olympus_Mons');
  });

  it.each(['mysql://u@h/db', 'localhost:5432/db', 'http://h/db'])('an invalid DATABASE_URL %s', (url) => {
    expect(configError({ DATABASE_URL: url }).message).toMatch(/^invalid DATABASE_URL/);
  });

  it.each([
    ['DIALPAD_POLL_INTERVAL_MS', 'abc'],
    ['DIALPAD_POLL_INTERVAL_MS', '0'],
    ['DIALPAD_POLL_INTERVAL_MS', '1.5'],
    ['DIALPAD_EXPORT_MAX_DAYS', '-3'],
    ['DIALPAD_REQUEST_TIMEOUT_MS', '10s'],
    ['DIALPAD_RETRY_MAX_ATTEMPTS', '0'],
    ['DIALPAD_RETRY_BASE_MS', '-1'],
    ['DIALPAD_MIDNIGHT_GUARD_SECONDS', 'five'],
    ['DIALPAD_ETL_CONCURRENCY', '33'],
    ['DIALPAD_ETL_COPY_PARALLELISM', '0'],
    ['DIALPAD_ETL_LOG_LEVEL', 'verbose'],
    ['DIALPAD_BASE_URL', 'not a url'],
    ['DIALPAD_BASE_URL', 'ftp://dialpad.com'],
  ])('%s=%s', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.message).toMatch(new RegExp(`^invalid ${name}\\b`));
  });

  it('DIALPAD_POLL_MAX_INTERVAL_MS below DIALPAD_POLL_INTERVAL_MS', () => {
    const err = configError({ DIALPAD_POLL_INTERVAL_MS: '10000', DIALPAD_POLL_MAX_INTERVAL_MS: '5000' });
    expect(err.message).toMatch(/DIALPAD_POLL_MAX_INTERVAL_MS/);
  });
});

describe('DIALPAD_CALL_CENTER_IDS', () => {
  it('comma separated, whitespace and empty items ignored', () => {
    expect(loadConfig({ DIALPAD_CALL_CENTER_IDS: '123, 456 ,,7890123456789012,' }).callCenterIds).toEqual(['123', '456', '7890123456789012']);
    expect(loadConfig({ DIALPAD_CALL_CENTER_IDS: '42' }).callCenterIds).toEqual(['42']);
    expect(loadConfig({ DIALPAD_CALL_CENTER_IDS: ' , ' }).callCenterIds).toEqual([]);
  });

  it('ids stay strings (no precision loss beyond 2^53)', () => {
    expect(loadConfig({ DIALPAD_CALL_CENTER_IDS: '9007199254740993' }).callCenterIds).toEqual(['9007199254740993']);
  });

  it.each(['12,abc', '12;34', '-5', '1.5'])('non-numeric %s → ConfigError naming the variable', (raw) => {
    expect(configError({ DIALPAD_CALL_CENTER_IDS: raw }).message).toMatch(/^invalid DIALPAD_CALL_CENTER_IDS/);
  });
});

describe('secrets', () => {
  const KEY = 'sk_live_SuperSecretKeyValue_0123456789';

  it.each<[string, Record<string, string>]>([
    ['bad timezone', { DIALPAD_TIMEZONE: 'Nowhere/Land' }],
    ['bad rate limits', { DIALPAD_RATE_LIMITS: '{"nope":[1,1]}' }],
    ['bad JSON rate limits', { DIALPAD_RATE_LIMITS: `{${KEY}` }],
    ['bad number', { DIALPAD_POLL_INTERVAL_MS: 'abc' }],
    ['bad base URL', { DIALPAD_BASE_URL: 'nope' }],
    ['bad database URL', { DATABASE_URL: 'nope' }],
    ['bad call center ids', { DIALPAD_CALL_CENTER_IDS: 'x' }],
    ['bad log level', { DIALPAD_ETL_LOG_LEVEL: 'loud' }],
  ])('the API key never appears in the error (%s)', (_label, extra) => {
    const err = configError({ DIALPAD_API_KEY: KEY, ...extra });
    expect(err.message).not.toContain(KEY);
    expect(err.message).not.toContain('SuperSecret');
    expect(err.stack ?? '').not.toContain(KEY);
  });
});
