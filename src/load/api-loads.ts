/** dialpad_etl.api_loads: one row per window (or full refresh) loaded from a JSON source. */
import type pg from 'pg';

export async function startApiLoad(pool: pg.Pool, stream: string, window: { readonly startUtc: string; readonly endUtc: string } | null, runId: string | null): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into dialpad_etl.api_loads (stream, window_start, window_end, status, run_id) values ($1, $2, $3, 'running', $4) returning id`,
    [stream, window?.startUtc ?? null, window?.endUtc ?? null, runId],
  );
  return rows[0]!.id;
}

/** Inside the merge transaction. */
export async function finishApiLoad(client: pg.PoolClient, id: string, rows: number, quarantined: number, pages: number): Promise<void> {
  await client.query(`update dialpad_etl.api_loads set status = 'loaded', rows_loaded = $2, rows_quarantined = $3, pages = $4, finished_at = now() where id = $1`, [id, rows, quarantined, pages]);
}

export async function failApiLoad(pool: pg.Pool, id: string, error: string): Promise<void> {
  await pool.query(`update dialpad_etl.api_loads set status = 'failed', error = $2, finished_at = now() where id = $1`, [id, error]);
}

/** Windows of a stream already loaded, as 'startISO|endISO'. */
export async function loadedApiWindows(pool: pg.Pool, stream: string): Promise<ReadonlySet<string>> {
  const { rows } = await pool.query<{ s: string; e: string }>(
    `select to_char(window_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as s, to_char(window_end at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as e
       from dialpad_etl.api_loads where stream = $1 and status = 'loaded' and window_start is not null`,
    [stream],
  );
  return new Set(rows.map((r) => `${r.s}|${r.e}`));
}

/** True when this window (null: a full refresh) of the stream was loaded at or after `since` (database time). */
export async function apiLoadedSince(pool: pg.Pool, stream: string, window: { readonly startUtc: string; readonly endUtc: string } | null, since: Date): Promise<boolean> {
  const { rows } = await pool.query(
    `select 1 from dialpad_etl.api_loads
      where stream = $1 and status = 'loaded' and finished_at >= $4
        and window_start is not distinct from $2::timestamptz and window_end is not distinct from $3::timestamptz limit 1`,
    [stream, window?.startUtc ?? null, window?.endUtc ?? null, since],
  );
  return rows.length > 0;
}
