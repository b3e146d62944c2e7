/**
 * Operations: failure backoff per stream for the scheduler, and dialpad_etl.stream_status, the view BI tools chart
 * freshness from (the same facts `dialpad-etl status` prints).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`
    alter table dialpad_etl.stream_state add column consecutive_failures integer not null default 0;
    comment on column dialpad_etl.stream_state.consecutive_failures is 'failed passes in a row; the scheduler backs off exponentially on it';

    create view dialpad_etl.stream_status as
    with open_exports as (
      select stream, count(*) as n from dialpad_etl.export_requests
       where status in ('requesting', 'processing', 'complete', 'downloading') group by stream
    ), quarantined as (
      select stream, count(*) as n from dialpad_etl.quarantine group by stream
    ), last_loads as (
      select stream, max(loaded_at) as at from dialpad_etl.export_requests where status = 'loaded' group by stream
      union all
      select stream, max(finished_at) from dialpad_etl.api_loads where status = 'loaded' group by stream
    )
    select s.stream,
           s.watermark - 1 as newest_complete_day,
           s.watermark,
           s.rows_last_run,
           s.last_success_at,
           s.last_failure_at,
           s.last_error,
           s.consecutive_failures,
           coalesce(o.n, 0) as open_exports,
           coalesce(q.n, 0) as quarantined_rows,
           (select max(at) from last_loads l where l.stream = s.stream) as last_loaded_at,
           now() - s.last_success_at as since_last_success
      from dialpad_etl.stream_state s
      left join open_exports o on o.stream = s.stream
      left join quarantined q on q.stream = s.stream;
    comment on view dialpad_etl.stream_status is 'Freshness per stream for BI dashboards: newest complete day, last success/failure, open exports, quarantine.';
  `).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`drop view if exists dialpad_etl.stream_status; alter table dialpad_etl.stream_state drop column if exists consecutive_failures;`).execute(db);
}
