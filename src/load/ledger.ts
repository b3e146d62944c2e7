/**
 * The export request ledger (dialpad_etl.export_requests). An export is recorded BEFORE it is POSTed
 * ('requesting'), gets its Dialpad request_id right after ('processing'), and ends 'loaded' in the same transaction
 * that merges its rows. Anything else it can end as ('failed', 'expired', 'timed_out', 'abandoned') is kept, so the
 * ledger tells every attempt a window took.
 */
import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { OPEN_EXPORT_STATUSES, type Database, type ExportStatus } from './schema.js';

export interface ExportKey {
  readonly stream: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly target: string;
}

export interface ExportRow {
  readonly id: string;
  readonly stream: string;
  readonly family: 'stats' | 'scorecards';
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly timezone: string;
  readonly target: string;
  readonly attempt: number;
  readonly status: ExportStatus;
  readonly requestId: string | null;
  readonly polls: number;
  readonly postedAt: Date | null;
}

type Db = Kysely<Database>;
const T = 'dialpad_etl.export_requests' as const;

function toRow(r: {
  id: string;
  stream: string;
  family: 'stats' | 'scorecards';
  window_start: string;
  window_end: string;
  timezone: string;
  target: string;
  attempt: number;
  status: ExportStatus;
  request_id: string | null;
  polls: number;
  posted_at: Date | null;
}): ExportRow {
  return {
    id: String(r.id),
    stream: r.stream,
    family: r.family,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    timezone: r.timezone,
    target: r.target,
    attempt: r.attempt,
    status: r.status,
    requestId: r.request_id,
    polls: r.polls,
    postedAt: r.posted_at,
  };
}

const COLS = ['id', 'stream', 'family', 'window_start', 'window_end', 'timezone', 'target', 'attempt', 'status', 'request_id', 'polls', 'posted_at'] as const;

export async function findOpenExport(db: Db, k: ExportKey): Promise<ExportRow | undefined> {
  const r = await db
    .selectFrom(T)
    .select(COLS)
    .where('stream', '=', k.stream)
    .where('window_start', '=', k.windowStart)
    .where('window_end', '=', k.windowEnd)
    .where('target', '=', k.target)
    .where('status', 'in', OPEN_EXPORT_STATUSES)
    .executeTakeFirst();
  return r === undefined ? undefined : toRow(r);
}

export async function listOpenExports(db: Db, streams: ReadonlyArray<string>): Promise<ReadonlyArray<ExportRow>> {
  if (streams.length === 0) return [];
  const rows = await db.selectFrom(T).select(COLS).where('stream', 'in', streams).where('status', 'in', OPEN_EXPORT_STATUSES).orderBy('id').execute();
  return rows.map(toRow);
}

/** Number of attempts (rows) a window has had so far; the next attempt number is this + 1. */
export async function countAttempts(db: Db, k: ExportKey): Promise<number> {
  const r = await db
    .selectFrom(T)
    .select((eb) => eb.fn.max('attempt').as('n'))
    .where('stream', '=', k.stream)
    .where('window_start', '=', k.windowStart)
    .where('window_end', '=', k.windowEnd)
    .where('target', '=', k.target)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/**
 * Records an export about to be POSTed. Fails with a unique violation (23505) if another process already has an
 * open request for the same window: the caller then resumes that one.
 */
export async function insertRequesting(
  db: Db,
  k: ExportKey & { readonly family: 'stats' | 'scorecards'; readonly timezone: string; readonly attempt: number; readonly runId: string | null },
): Promise<string> {
  const r = await db
    .insertInto(T)
    .values({
      stream: k.stream,
      family: k.family,
      window_start: k.windowStart,
      window_end: k.windowEnd,
      timezone: k.timezone,
      target: k.target,
      attempt: k.attempt,
      status: 'requesting',
      run_id: k.runId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(r.id);
}

export async function recordBody(db: Db, id: string, body: unknown): Promise<void> {
  await db.updateTable(T).set({ request_body: JSON.stringify(body), updated_at: sql`now()` }).where('id', '=', id).execute();
}

export async function markPosted(db: Db, id: string, requestId: string): Promise<void> {
  await db.updateTable(T).set({ request_id: requestId, status: 'processing', posted_at: sql`now()`, updated_at: sql`now()` }).where('id', '=', id).execute();
}

export async function recordPoll(db: Db, id: string, status: ExportStatus, reason: string | null): Promise<void> {
  await db
    .updateTable(T)
    .set((eb) => ({
      polls: eb('polls', '+', 1),
      status,
      reason,
      updated_at: sql`now()`,
      ...(status === 'complete' ? { completed_at: sql`now()` } : {}),
    }))
    .where('id', '=', id)
    .execute();
}

export async function markStatus(db: Db, id: string, status: ExportStatus, error: string | null = null): Promise<void> {
  await db.updateTable(T).set({ status, error, updated_at: sql`now()` }).where('id', '=', id).execute();
}

/** Inside the merge transaction: the rows and the ledger's 'loaded' commit together. */
export async function markLoaded(client: pg.PoolClient, id: string, rowsLoaded: number, rowsQuarantined: number): Promise<void> {
  await client.query(
    `update dialpad_etl.export_requests
        set status = 'loaded', loaded_at = now(), updated_at = now(), rows_loaded = $2, rows_quarantined = $3, error = null
      where id = $1`,
    [id, rowsLoaded, rowsQuarantined],
  );
}

/** Windows of a stream already loaded (for backfill to skip), as 'start|end|target' strings. */
export async function loadedWindows(db: Db, stream: string): Promise<ReadonlySet<string>> {
  const rows = await db.selectFrom(T).select(['window_start', 'window_end', 'target']).where('stream', '=', stream).where('status', '=', 'loaded').execute();
  return new Set(rows.map((r) => `${r.window_start}|${r.window_end}|${r.target}`));
}

/** True when another process loaded this exact window at or after `since` (database time). */
export async function exportLoadedSince(db: Db, k: ExportKey, since: Date): Promise<boolean> {
  const r = await db
    .selectFrom(T)
    .select('id')
    .where('stream', '=', k.stream)
    .where('window_start', '=', k.windowStart)
    .where('window_end', '=', k.windowEnd)
    .where('target', '=', k.target)
    .where('status', '=', 'loaded')
    .where('loaded_at', '>=', since)
    .executeTakeFirst();
  return r !== undefined;
}

export async function databaseNow(db: Db): Promise<Date> {
  const r = await sql<{ now: Date }>`select now() as now`.execute(db);
  return r.rows[0]!.now;
}
