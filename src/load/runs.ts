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
        updated_at: sql`now()`,
      }),
    )
    .execute();
}

export async function recordStreamFailure(db: Db, stream: string, runId: string, error: string): Promise<void> {
  await db
    .insertInto('dialpad_etl.stream_state')
    .values({ stream, last_failure_at: sql`now()`, last_error: error, last_run_id: runId })
    .onConflict((oc) => oc.column('stream').doUpdateSet({ last_failure_at: sql`now()`, last_error: error, last_run_id: runId, updated_at: sql`now()` }))
    .execute();
}
