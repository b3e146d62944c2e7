/**
 * createRateBudget on a real, migrated database: the sliding-window log in dialpad_etl.rate_events, shared across
 * pools (processes), the 'global' limit, usage(), and abort.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/load/migrate.js';
import { createRateBudget, type Limit } from '../../src/load/rate-budget.js';
import { silentLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let tdb: TestDatabase;
let db: Kysely<unknown>;
let pool: pg.Pool;
let pool2: pg.Pool;

beforeAll(async () => {
  tdb = await createTestDatabase('rate_budget');
  pool = new pg.Pool({ connectionString: tdb.url, max: 6 });
  pool.on('error', () => {});
  db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const { applied } = await migrateToLatest(db);
  expect(applied).toContain('2026_11_26_0001_bookkeeping');
  pool2 = new pg.Pool({ connectionString: tdb.url, max: 6 });
  pool2.on('error', () => {});
});

afterAll(async () => {
  await pool2?.end().catch(() => undefined);
  await db?.destroy().catch(() => undefined); // ends `pool`
  await tdb?.drop();
});

beforeEach(async () => {
  await pool.query('truncate dialpad_etl.rate_events');
});

/** Permit times (ms since epoch, database clock) of one operation, oldest first. */
async function permitTimes(operationId: string): Promise<number[]> {
  const { rows } = await pool.query<{ ms: string }>(
    `select (extract(epoch from at) * 1000)::float8 as ms from dialpad_etl.rate_events where operation_id = $1 order by at`,
    [operationId],
  );
  return rows.map((r) => Number(r.ms));
}

/** The most permits found in any half-open window [t, t + windowMs) that starts at a permit. */
function maxInAnyWindow(times: ReadonlyArray<number>, windowMs: number): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    let n = 0;
    for (let j = i; j < times.length && times[j]! < times[i]! + windowMs; j++) n++;
    best = Math.max(best, n);
  }
  return best;
}

const lim = (count: number, windowMs: number): Limit => ({ count, windowMs });

describe('createRateBudget', () => {
  it('3 per second: 6 acquires take about a second and no sliding 1 s window holds more than 3', async () => {
    const budget = createRateBudget(pool, { limits: { x: [lim(3, 1_000)], global: [lim(100, 1_000)] }, logger: silentLogger() });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => budget.acquire('x')));
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(4_000);

    const times = await permitTimes('x');
    expect(times).toHaveLength(6);
    expect(maxInAnyWindow(times, 1_000)).toBe(3);
    for (let i = 0; i + 3 < times.length; i++) expect(times[i + 3]! - times[i]!).toBeGreaterThanOrEqual(1_000);
    // Every permit is also logged under 'global'.
    expect(await permitTimes('global')).toHaveLength(6);
  });

  it('sequential acquires: the first `count` are immediate, the next one waits for the window', async () => {
    const budget = createRateBudget(pool, { limits: { s: [lim(2, 600)] }, logger: silentLogger() });
    const t0 = performance.now();
    await budget.acquire('s');
    await budget.acquire('s');
    const afterTwo = performance.now() - t0;
    await budget.acquire('s');
    const afterThree = performance.now() - t0;
    expect(afterTwo).toBeLessThan(400);
    expect(afterThree).toBeGreaterThanOrEqual(550);
    expect(maxInAnyWindow(await permitTimes('s'), 600)).toBe(2);
  });

  it('two budgets on two separate pools (two processes) share one limit', async () => {
    const limits = { y: [lim(2, 500)], global: [lim(100, 1_000)] };
    const a = createRateBudget(pool, { limits, logger: silentLogger() });
    const b = createRateBudget(pool2, { limits, logger: silentLogger() });
    const t0 = performance.now();
    await Promise.all([a.acquire('y'), b.acquire('y'), a.acquire('y'), b.acquire('y'), a.acquire('y'), b.acquire('y')]);
    const elapsed = performance.now() - t0;
    // 6 permits at 2 per 500 ms need three windows: at least two full waits.
    expect(elapsed).toBeGreaterThanOrEqual(950);
    const times = await permitTimes('y');
    expect(times).toHaveLength(6);
    expect(maxInAnyWindow(times, 500)).toBe(2);
  });

  it("permits taken through one pool make the other pool's budget wait", async () => {
    const limits = { v: [lim(2, 600)] };
    const a = createRateBudget(pool, { limits, logger: silentLogger() });
    const b = createRateBudget(pool2, { limits, logger: silentLogger() });
    await a.acquire('v');
    await a.acquire('v');
    const t0 = performance.now();
    await b.acquire('v');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(400);
    expect(maxInAnyWindow(await permitTimes('v'), 600)).toBe(2);
  });

  it("the 'global' limit applies across operations", async () => {
    const budget = createRateBudget(pool, {
      limits: { a: [lim(100, 1_000)], b: [lim(100, 1_000)], global: [lim(3, 800)] },
      logger: silentLogger(),
    });
    const t0 = performance.now();
    await budget.acquire('a');
    await budget.acquire('b');
    await budget.acquire('a');
    expect(performance.now() - t0).toBeLessThan(600);
    await budget.acquire('b'); // own limit is far away, global is exhausted
    expect(performance.now() - t0).toBeGreaterThanOrEqual(750);
    const global = await permitTimes('global');
    expect(global).toHaveLength(4);
    expect(maxInAnyWindow(global, 800)).toBe(3);
    expect(await permitTimes('a')).toHaveLength(2);
    expect(await permitTimes('b')).toHaveLength(2);
  });

  it('an operation without limits of its own is still bound by global', async () => {
    const budget = createRateBudget(pool, { limits: { global: [lim(2, 600)] }, logger: silentLogger() });
    const t0 = performance.now();
    await Promise.all([budget.acquire('unlisted'), budget.acquire('unlisted'), budget.acquire('unlisted')]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(550);
    expect(maxInAnyWindow(await permitTimes('global'), 600)).toBe(2);
  });

  it('usage() reports the permits in the current window of each limit', async () => {
    const limits = { u: [lim(5, 60_000), lim(50, 3_600_000)], global: [lim(20, 1_000)] };
    const budget = createRateBudget(pool, { limits, logger: silentLogger() });
    expect(await budget.usage('u')).toEqual([
      { limit: lim(5, 60_000), used: 0 },
      { limit: lim(50, 3_600_000), used: 0 },
    ]);
    await budget.acquire('u');
    await budget.acquire('u');
    expect(await budget.usage('u')).toEqual([
      { limit: lim(5, 60_000), used: 2 },
      { limit: lim(50, 3_600_000), used: 2 },
    ]);
    expect(await budget.usage('global')).toEqual([{ limit: lim(20, 1_000), used: 2 }]);
    expect(await budget.usage('nothing')).toEqual([]);
    // A permit older than the window is not counted.
    await pool.query(`insert into dialpad_etl.rate_events (operation_id, at) values ('u', clock_timestamp() - interval '2 minutes')`);
    expect((await budget.usage('u')).map((x) => x.used)).toEqual([2, 3]);
  });

  it('an aborted signal rejects a waiting acquire, which then takes no permit', async () => {
    const budget = createRateBudget(pool, { limits: { z: [lim(1, 10_000)] }, logger: silentLogger() });
    await budget.acquire('z');
    const ac = new AbortController();
    const t0 = performance.now();
    const waiting = budget.acquire('z', ac.signal);
    setTimeout(() => ac.abort(), 150);
    await expect(waiting).rejects.toThrow();
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(await permitTimes('z')).toHaveLength(1);
  });

  it('an already aborted signal rejects at once', async () => {
    const budget = createRateBudget(pool, { limits: { w: [lim(5, 1_000)] }, logger: silentLogger() });
    const ac = new AbortController();
    ac.abort(new Error('cancelled'));
    await expect(budget.acquire('w', ac.signal)).rejects.toThrow('cancelled');
    expect(await permitTimes('w')).toHaveLength(0);
  });
});
