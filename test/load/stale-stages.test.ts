/** Starting any command sweeps staging tables of dead loads, but never those of a load in flight elsewhere. */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/load/migrate.js';
import { createStage, dropStaleStages } from '../../src/load/staging.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

describe('dropStaleStages', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase('stale_stages');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const k = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url, max: 1 }) }) });
    await migrateToLatest(k);
    await k.destroy();
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('keeps tables of open loads and drops the rest', async () => {
    const id = async (status: string) =>
      (
        await pool.query<{ id: string }>(
          `insert into dialpad_etl.export_requests (stream, family, window_start, window_end, timezone, attempt, status) values ('calls', 'stats', '2026-11-01', '2026-11-02', 'UTC', 1, $1) returning id`,
          [status],
        )
      ).rows[0]!.id;
    const live = await id('downloading');
    const dead = await id('failed');
    const running = (await pool.query<{ id: string }>(`insert into dialpad_etl.api_loads (stream, status) values ('users', 'running') returning id`)).rows[0]!.id;
    const cols = [{ name: 'a', pgType: 'text', known: true }];
    await createStage(pool, live, cols, 2);
    await createStage(pool, dead, cols, 1);
    await createStage(pool, `api_${running}`, cols, 1);
    await createStage(pool, '999999', cols, 1); // no ledger row at all
    expect(await dropStaleStages(pool)).toBe(2);
    const left = await pool.query<{ relname: string }>(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'dialpad_etl' and relname like 'stage%' order by 1`);
    expect(left.rows.map((r) => r.relname)).toEqual([`stage_${live}_0`, `stage_${live}_1`, `stage_api_${running}_0`].sort());
    await pool.query(`update dialpad_etl.export_requests set updated_at = now() - interval '2 days' where id = $1`, [live]);
    expect(await dropStaleStages(pool, 24)).toBe(2);
  });
});
