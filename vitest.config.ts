import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One admin PostgreSQL for the whole run (TEST_DATABASE_URL or an embedded PG 15); tests make their own databases.
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2, // 2-core machine; each worker also talks to a real Postgres
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
