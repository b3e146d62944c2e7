/**
 * Terminology
 * - stream: one kind of Dialpad data with a stable name (`calls`, `call_stats_by_user`, …) loaded into the table
 *   `dialpad.<name>`. Declared once, as data, in one small file, and listed in ./index.ts.
 * - window: the half-open range a single extraction covers: calendar days `[start, end)` in DIALPAD_TIMEZONE for
 *   exports.
 * - export request: one POST to an async export endpoint, recorded in dialpad_etl.export_requests (the ledger)
 *   before it is polled, so a crashed run resumes it instead of POSTing again.
 * - run: one command invocation (sync, backfill), recorded in dialpad_etl.runs.
 * - lookback: days before the watermark an incremental sync reads again, so late rows land.
 * - backfill: an explicit date range; it never moves the incremental watermark.
 */
import type { ColumnSpec } from '../transform/columns.js';
import type { KeySpec } from '../load/table-spec.js';

export type StatType = 'calls' | 'csat' | 'dispositions' | 'onduty' | 'recordings' | 'screenshare' | 'texts' | 'voicemails';

/** The fixed part of a POST /api/v2/stats body (days_ago_* and timezone are added per window at POST time). */
export interface StatsRequest {
  readonly export_type: 'records' | 'stats';
  readonly stat_type: StatType;
  readonly group_by?: 'date' | 'group' | 'user';
}

export interface ExportStreamDefinition {
  readonly name: string;
  readonly family: 'stats';
  readonly description: string;
  readonly request: StatsRequest;
  /** 'call_centers': one export per call center (csat and dispositions require a target). */
  readonly targets?: 'call_centers';
  readonly columns: ReadonlyArray<ColumnSpec>;
  readonly key: KeySpec;
  readonly dateColumn?: string;
  readonly replaceWindow?: boolean;
}

export type StreamDefinition = ExportStreamDefinition;

/** Identity with a precise type; checks the declaration's internal consistency at module load. */
export function defineExportStream<const S extends ExportStreamDefinition>(s: S): S {
  if (!/^[a-z][a-z0-9_]*$/.test(s.name)) throw new Error(`stream name "${s.name}" must be snake_case`);
  const names = new Set(s.columns.map((c) => c.name));
  if (names.size !== s.columns.length) throw new Error(`stream "${s.name}" declares a column twice`);
  if (s.key.kind === 'columns') {
    for (const k of s.key.columns) if (!names.has(k)) throw new Error(`stream "${s.name}": key column "${k}" is not declared`);
  } else if (s.key.columns !== 'all') {
    for (const k of s.key.columns) if (!names.has(k)) throw new Error(`stream "${s.name}": key column "${k}" is not declared`);
  }
  if (s.dateColumn !== undefined && !names.has(s.dateColumn)) throw new Error(`stream "${s.name}": dateColumn "${s.dateColumn}" is not declared`);
  if (s.request.stat_type === 'csat' || s.request.stat_type === 'dispositions') {
    if (s.targets !== 'call_centers') throw new Error(`stream "${s.name}": ${s.request.stat_type} exports require a target`);
  }
  return Object.freeze(s);
}
