/**
 * Kysely types of the bookkeeping tables (schema dialpad_etl). Data tables (schema dialpad) are written with
 * generated SQL in bulk-load.ts, since their shape comes from the stream registry.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Int8 = ColumnType<string, number | string, number | string>;
/** `generated always as identity` bigint: read as a string, never written. */
type IdentityId = ColumnType<string, never, never>;

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';
export type ExportStatus = 'requesting' | 'processing' | 'complete' | 'downloading' | 'loaded' | 'failed' | 'expired' | 'timed_out' | 'abandoned';
export const OPEN_EXPORT_STATUSES: ReadonlyArray<ExportStatus> = ['requesting', 'processing', 'complete', 'downloading'];

export interface RunsTable {
  id: IdentityId;
  command: string;
  streams: ColumnType<string[], string[] | undefined, string[]>;
  args: ColumnType<unknown, string | undefined, string>;
  status: ColumnType<RunStatus, RunStatus | undefined, RunStatus>;
  started_at: Generated<Timestamp>;
  finished_at: Timestamp | null;
  rows_loaded: ColumnType<string, number | string | undefined, number | string>;
  error: string | null;
  pid: Generated<number>;
  host: string | null;
}

export interface ExportRequestsTable {
  id: IdentityId;
  stream: string;
  family: 'stats' | 'scorecards';
  window_start: ColumnType<string, string, string>;
  window_end: ColumnType<string, string, string>;
  timezone: string;
  target: Generated<string>;
  attempt: number;
  status: ExportStatus;
  request_body: ColumnType<unknown, string | null | undefined, string | null>;
  request_id: string | null;
  reason: string | null;
  error: string | null;
  polls: Generated<number>;
  rows_loaded: Int8 | null;
  rows_quarantined: Int8 | null;
  run_id: Int8 | null;
  created_at: Generated<Timestamp>;
  posted_at: Timestamp | null;
  completed_at: Timestamp | null;
  loaded_at: Timestamp | null;
  updated_at: Generated<Timestamp>;
}

export interface StreamStateTable {
  stream: string;
  watermark: ColumnType<string | null, string | null | undefined, string | null>;
  last_success_at: Timestamp | null;
  last_failure_at: Timestamp | null;
  last_error: string | null;
  last_run_id: Int8 | null;
  rows_last_run: Int8 | null;
  consecutive_failures: Generated<number>;
  updated_at: Generated<Timestamp>;
}

export interface QuarantineTable {
  id: IdentityId;
  stream: string;
  export_id: Int8 | null;
  run_id: Int8 | null;
  record_no: Int8 | null;
  reason: string;
  raw: string;
  created_at: Generated<Timestamp>;
}

export interface RateEventsTable {
  operation_id: string;
  at: Generated<Timestamp>;
  pid: Generated<number>;
}

export interface Database {
  'dialpad_etl.runs': RunsTable;
  'dialpad_etl.export_requests': ExportRequestsTable;
  'dialpad_etl.stream_state': StreamStateTable;
  'dialpad_etl.quarantine': QuarantineTable;
  'dialpad_etl.rate_events': RateEventsTable;
}
