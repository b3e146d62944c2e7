/** dialpad_etl.runs and dialpad_etl.stream_state: what ran, how it ended, and how far incremental syncs got. */
import os from 'node:os';
import { sql, type Kysely } from 'kysely';
import type { Database, RunStatus } from './schema.js';

type Db = Kysely<Database>;

export async function startRun(db: Db, command: string, streams: ReadonlyArray<string>, args: unknown): Promise<string> {
  const r = await db
    .insertInto('dialpad_etl.runs')
    .values({ command, streams: [...streams], args: JSON.stringify(args), host: os.hostname() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(r.id);
}

export async function finishRun(db: Db, id: string, status: RunStatus, rowsLoaded: number, error: string | null): Promise<void> {
  await db.updateTable('dialpad_etl.runs').set({ status, finished_at: sql`now()`, rows_loaded: rowsLoaded, error }).where('id', '=', id).execute();
}

export async function getWatermark(db: Db, stream: string): Promise<string | null> {
  const r = await db.selectFrom('dialpad_etl.stream_state').select('watermark').where('stream', '=', stream).executeTakeFirst();
  return r?.watermark ?? null;
}

/** Records a successful pass; moves the watermark forward only (never back). */
export async function recordStreamSuccess(db: Db, stream: string, runId: string, rows: number, watermark: string | null): Promise<void> {
  await db
    .insertInto('dialpad_etl.stream_state')
    .values({ stream, watermark, last_success_at: sql`now()`, last_run_id: runId, rows_last_run: rows })
    .onConflict((oc) =>
      oc.column('stream').doUpdateSet({
        watermark: sql`greatest(dialpad_etl.stream_state.watermark, excluded.watermark)`,
        last_success_at: sql`now()`,
        last_run_id: runId,
        rows_last_run: rows,
        consecutive_failures: 0,
        updated_at: sql`now()`,
      }),
    )
    .execute();
}

export async function recordStreamFailure(db: Db, stream: string, runId: string, error: string): Promise<void> {
  await db
    .insertInto('dialpad_etl.stream_state')
    .values({ stream, last_failure_at: sql`now()`, last_error: error, last_run_id: runId, consecutive_failures: 1 })
    .onConflict((oc) =>
      oc.column('stream').doUpdateSet({
        last_failure_at: sql`now()`,
        last_error: error,
        last_run_id: runId,
        consecutive_failures: sql`dialpad_etl.stream_state.consecutive_failures + 1`,
        updated_at: sql`now()`,
      }),
    )
    .execute();
}

/**
 * Streams the scheduler should leave alone for now: after n failed passes in a row, wait base·2^(n-1) (capped) from
 * the last failure before trying again.
 */
export async function streamsInBackoff(db: Db, baseMs: number, maxMs: number, now: Date = new Date()): Promise<ReadonlyMap<string, Date>> {
  const rows = await db.selectFrom('dialpad_etl.stream_state').select(['stream', 'consecutive_failures', 'last_failure_at']).where('consecutive_failures', '>', 0).execute();
  const out = new Map<string, Date>();
  for (const r of rows) {
    if (r.last_failure_at === null) continue;
    const wait = Math.min(maxMs, baseMs * 2 ** (r.consecutive_failures - 1));
    const until = new Date(new Date(r.last_failure_at).getTime() + wait);
    if (until > now) out.set(r.stream, until);
  }
  return out;
}

/** When each stream's last successful pass ended. */
export async function lastSuccesses(db: Db): Promise<ReadonlyMap<string, Date>> {
  const rows = await db.selectFrom('dialpad_etl.stream_state').select(['stream', 'last_success_at']).where('last_success_at', 'is not', null).execute();
  return new Map(rows.map((r) => [r.stream, new Date(r.last_success_at!)]));
}
