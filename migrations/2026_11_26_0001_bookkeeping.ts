/**
 * Schema `dialpad_etl`: the pipeline's own bookkeeping. Schema `dialpad` (data) is created here too; its tables come
 * in later migrations, one per source family.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`
    create schema if not exists dialpad;
    create schema if not exists dialpad_etl;
    comment on schema dialpad is 'Dialpad analytics loaded by dialpad-etl: one table per stream.';
    comment on schema dialpad_etl is 'dialpad-etl bookkeeping: runs, the export request ledger, stream state, rate budget, quarantine.';

    create table dialpad_etl.runs (
      id          bigint generated always as identity primary key,
      command     text not null,
      streams     text[] not null default '{}',
      args        jsonb not null default '{}',
      status      text not null default 'running' check (status in ('running', 'succeeded', 'failed', 'interrupted')),
      started_at  timestamptz not null default now(),
      finished_at timestamptz,
      rows_loaded bigint not null default 0,
      error       text,
      pid         integer not null default pg_backend_pid(),
      host        text
    );
    comment on table dialpad_etl.runs is 'One row per command invocation (sync, backfill, scheduled pass).';

    create table dialpad_etl.export_requests (
      id               bigint generated always as identity primary key,
      stream           text not null,
      family           text not null check (family in ('stats', 'scorecards')),
      window_start     date not null,
      window_end       date not null,
      timezone         text not null,
      target           text not null default '',
      attempt          integer not null,
      status           text not null check (status in ('requesting', 'processing', 'complete', 'downloading', 'loaded', 'failed', 'expired', 'timed_out', 'abandoned')),
      request_body     jsonb,
      request_id       text,
      reason           text,
      error            text,
      polls            integer not null default 0,
      rows_loaded      bigint,
      rows_quarantined bigint,
      run_id           bigint references dialpad_etl.runs(id),
      created_at       timestamptz not null default now(),
      posted_at        timestamptz,
      completed_at     timestamptz,
      loaded_at        timestamptz,
      updated_at       timestamptz not null default now(),
      check (window_start < window_end)
    );
    comment on table dialpad_etl.export_requests is 'The export request ledger: every POST /stats or /scorecards/export, its Dialpad request_id and fate. Rows of dialpad.* point here through _export_id.';
    comment on column dialpad_etl.export_requests.window_end is 'exclusive: the export covers local dates [window_start, window_end) in timezone';
    comment on column dialpad_etl.export_requests.target is 'call center id for per-target exports (csat, dispositions); empty for company-wide';
    -- At most one open request per stream window: a second process finds and resumes it instead of POSTing again.
    create unique index export_requests_one_open on dialpad_etl.export_requests (stream, window_start, window_end, target)
      where status in ('requesting', 'processing', 'complete', 'downloading');
    create index export_requests_stream_window on dialpad_etl.export_requests (stream, window_start, window_end);

    create table dialpad_etl.stream_state (
      stream            text primary key,
      watermark         date,
      last_success_at   timestamptz,
      last_failure_at   timestamptz,
      last_error        text,
      last_run_id       bigint references dialpad_etl.runs(id),
      rows_last_run     bigint,
      updated_at        timestamptz not null default now()
    );
    comment on column dialpad_etl.stream_state.watermark is 'exclusive end of the contiguous dates loaded by incremental syncs (local dates in DIALPAD_TIMEZONE)';

    create table dialpad_etl.quarantine (
      id         bigint generated always as identity primary key,
      stream     text not null,
      export_id  bigint, -- the ledger id for export streams; the run id for API streams (no FK: two possible parents)
      run_id     bigint references dialpad_etl.runs(id),
      record_no  bigint,
      reason     text not null,
      raw        text not null,
      created_at timestamptz not null default now()
    );
    comment on table dialpad_etl.quarantine is 'Source rows that could not be parsed or typed: kept with the reason and the raw line, counted in the run.';
    create index quarantine_stream on dialpad_etl.quarantine (stream, created_at);

    create table dialpad_etl.rate_events (
      operation_id text not null,
      at           timestamptz not null default clock_timestamp(),
      pid          integer not null default pg_backend_pid()
    );
    comment on table dialpad_etl.rate_events is 'Sliding-window log of API requests by operationId (and "global"), shared by every dialpad-etl process of the company.';
    create index rate_events_op_at on dialpad_etl.rate_events (operation_id, at desc);
  `).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('drop schema if exists dialpad_etl cascade; drop schema if exists dialpad cascade;').execute(db);
}
