/**
 * The rate budget, shared by every dialpad-etl process of the company through Postgres.
 *
 * Dialpad counts requests per company (the stats POST budget, 200 per hour, is the binding one), so an in-process
 * limiter would let a cron pass and a backfill together overrun it. Each permit is a row in
 * dialpad_etl.rate_events, taken under a transaction-scoped advisory lock per operation: a sliding-window log,
 * exact at every instant, unlike a fixed-window counter, which allows 2x bursts at window edges. Timestamps come
 * from the database clock, so processes on hosts with skewed clocks still agree.
 *
 * Written here rather than with rate-limiter-flexible because its Postgres limiter is fixed-window (see
 * ../shared/docs/stack-notes.md §4) and a single 429 on the 200/h endpoint costs up to an hour.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from '../logger.js';

export interface Limit {
  readonly count: number;
  readonly windowMs: number;
}

export interface RateBudgetOptions {
  /** Limits by operationId; the key 'global' applies to every operation in addition to its own. */
  readonly limits: Readonly<Record<string, ReadonlyArray<Limit>>>;
  readonly logger: Logger;
  /**
   * Extra time added to each window (fraction of the window plus a constant), covering the gap between our
   * clock reading and Dialpad receiving the request.
   */
  readonly safety?: { readonly fraction: number; readonly ms: number };
  /** Longest single sleep before re-checking (so aborts and other processes' releases are noticed). */
  readonly maxSleepMs?: number;
}

export interface RateBudget {
  acquire(operationId: string, signal?: AbortSignal): Promise<void>;
  /** Requests made in the current window of each limit, for `status`. */
  usage(operationId: string): Promise<ReadonlyArray<{ readonly limit: Limit; readonly used: number }>>;
}

const LOCK_NAMESPACE = 0x44505254; // 'DPRT'

export function createRateBudget(pool: pg.Pool, opts: RateBudgetOptions): RateBudget {
  const safety = opts.safety ?? { fraction: 0.02, ms: 50 };
  const maxSleepMs = opts.maxSleepMs ?? 30_000;
  let sincePrune = 0;
  const longestWindow = Math.max(...Object.values(opts.limits).flatMap((ls) => ls.map((l) => l.windowMs)), 60_000);

  /** One attempt: returns 0 when a permit was taken, else how long to wait. */
  async function tryTake(operationId: string): Promise<number> {
    const keys = operationId === 'global' ? ['global'] : ['global', operationId];
    const client = await pool.connect();
    try {
      await client.query('begin');
      // Always lock 'global' first: a fixed order cannot deadlock.
      for (const k of keys) await client.query('select pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, k]);
      let wait = 0;
      for (const k of keys) {
        for (const limit of opts.limits[k] ?? []) {
          const windowMs = Math.ceil(limit.windowMs * (1 + safety.fraction) + safety.ms);
          // The count-th most recent permit inside the window: once it leaves the window, one slot frees up.
          const { rows } = await client.query<{ n: string; wait_ms: string | null }>(
            `select count(*) as n,
                    ceil(extract(epoch from (min(at) + make_interval(secs => $3::float8 / 1000) - clock_timestamp())) * 1000) as wait_ms
               from (select at from dialpad_etl.rate_events
                      where operation_id = $1 and at > clock_timestamp() - make_interval(secs => $3::float8 / 1000)
                      order by at desc limit $2) recent`,
            [k, limit.count, windowMs],
          );
          const row = rows[0]!;
          if (Number(row.n) >= limit.count) wait = Math.max(wait, Math.max(1, Number(row.wait_ms ?? 1)));
        }
      }
      if (wait === 0) {
        await client.query('insert into dialpad_etl.rate_events (operation_id) select unnest($1::text[])', [keys]);
        if (++sincePrune >= 200) {
          sincePrune = 0;
          await client.query(`delete from dialpad_etl.rate_events where at < clock_timestamp() - make_interval(secs => $1::float8 / 1000)`, [longestWindow * 2]);
        }
      }
      await client.query('commit');
      return wait;
    } catch (err) {
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  return {
    async acquire(operationId, signal) {
      let logged = false;
      for (;;) {
        signal?.throwIfAborted();
        const wait = await tryTake(operationId);
        if (wait === 0) return;
        if (!logged && wait > 2_000) {
          opts.logger.info({ operationId, waitMs: wait }, 'rate budget exhausted: waiting for a permit');
          logged = true;
        }
        await sleep(Math.min(wait, maxSleepMs), undefined, signal ? { signal } : undefined);
      }
    },
    async usage(operationId) {
      const out: Array<{ limit: Limit; used: number }> = [];
      for (const limit of opts.limits[operationId] ?? []) {
        const { rows } = await pool.query<{ n: string }>(
          `select count(*) as n from dialpad_etl.rate_events where operation_id = $1 and at > clock_timestamp() - make_interval(secs => $2::float8 / 1000)`,
          [operationId, limit.windowMs],
        );
        out.push({ limit, used: Number(rows[0]!.n) });
      }
      return out;
    },
  };
}
