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
import type { DialpadClient } from '../extract/client.js';
import type { ColumnSpec, Row } from '../transform/columns.js';
import type { KeySpec } from '../load/table-spec.js';
import type { InstantWindow } from '../windows.js';

export type StatType = 'calls' | 'csat' | 'dispositions' | 'onduty' | 'recordings' | 'screenshare' | 'texts' | 'voicemails';

/** The fixed part of a POST /api/v2/stats body (days_ago_* and timezone are added per window at POST time). */
export interface StatsRequest {
  readonly export_type: 'records' | 'stats';
  readonly stat_type: StatType;
  readonly group_by?: 'date' | 'group' | 'user';
}

export type ScorecardsType =
  | 'scorecard_export_agent_leaderboard'
  | 'scorecard_export_calls'
  | 'scorecard_export_calls_questions'
  | 'scorecard_export_leaderboard'
  | 'scorecard_export_teamgroup_leaderboard';

/** What every stream declares about its table. */
interface TableDeclaration {
  readonly name: string;
  readonly description: string;
  readonly columns: ReadonlyArray<ColumnSpec>;
  readonly key: KeySpec;
  readonly dateColumn?: string;
  readonly replaceWindow?: boolean;
}

/** A stats export (POST /api/v2/stats): calendar-day windows, CSV. */
export interface StatsStreamDefinition extends TableDeclaration {
  readonly kind: 'export';
  readonly family: 'stats';
  readonly request: StatsRequest;
  /** 'call_centers': one export per call center (csat and dispositions require a target). */
  readonly targets?: 'call_centers';
}

/** A scorecards export (POST /api/v2/scorecards/export): calendar-day windows, CSV. */
export interface ScorecardsStreamDefinition extends TableDeclaration {
  readonly kind: 'export';
  readonly family: 'scorecards';
  readonly request: { readonly scorecards_type: ScorecardsType };
  /**
   * Aggregates over the requested range (leaderboards): requested one day at a time, and that day is stored in
   * the column named here (part of the key), so rows are day-grain facts.
   */
  readonly dayColumn?: string;
  readonly targets?: never;
}

export type ExportStreamDefinition = StatsStreamDefinition | ScorecardsStreamDefinition;

export type { Row };

export interface ApiFetchContext {
  readonly client: DialpadClient;
  readonly signal?: AbortSignal;
  /** Agent e-mail addresses known from dialpad.users (WFM activity is queried per agent). */
  agentEmails(): Promise<ReadonlyArray<string>>;
}

/** One raw item of a JSON source and the row it becomes. */
export interface RowWithRaw {
  readonly row: Row;
  readonly raw: unknown;
}

/** A windowed JSON source with cursor paging (WFM metrics, digital sessions): UTC instant windows. */
export interface ApiStreamDefinition extends TableDeclaration {
  readonly kind: 'api';
  /** Longest window the endpoint accepts (WFM and digital: "less than 7 days"). */
  readonly maxWindowMs: number;
  /** Operation whose rate budget the dry run reports. */
  readonly operationId: string;
  fetch(ctx: ApiFetchContext, window: InstantWindow): AsyncIterable<ReadonlyArray<RowWithRaw>>;
}

/** A dimension table refreshed in full (offices, users, …); rows that disappear are marked, never deleted. */
export interface DirectoryStreamDefinition extends TableDeclaration {
  readonly kind: 'directory';
  readonly operationId: string;
  fetch(ctx: ApiFetchContext): AsyncIterable<ReadonlyArray<RowWithRaw>>;
}

export type StreamDefinition = ExportStreamDefinition | ApiStreamDefinition | DirectoryStreamDefinition;

type WithoutKind<T> = T extends unknown ? Omit<T, 'kind'> : never;

/** Identity with a precise type; checks the declaration's internal consistency at module load. */
export function defineExportStream<const S extends WithoutKind<ExportStreamDefinition>>(s: S): S & { readonly kind: 'export' } {
  checkTable(s);
  if ('request' in s && 'stat_type' in s.request && (s.request.stat_type === 'csat' || s.request.stat_type === 'dispositions')) {
    if (s.targets !== 'call_centers') throw new Error(`stream "${s.name}": ${s.request.stat_type} exports require a target`);
  }
  return Object.freeze({ ...s, kind: 'export' as const }) as unknown as S & { readonly kind: 'export' };
}

export function defineApiStream<const S extends WithoutKind<ApiStreamDefinition>>(s: S): S & { readonly kind: 'api' } {
  checkTable(s);
  return Object.freeze({ ...s, kind: 'api' as const }) as unknown as S & { readonly kind: 'api' };
}

export function defineDirectoryStream<const S extends WithoutKind<DirectoryStreamDefinition>>(s: S): S & { readonly kind: 'directory' } {
  checkTable(s);
  return Object.freeze({ ...s, kind: 'directory' as const }) as unknown as S & { readonly kind: 'directory' };
}

function checkTable(s: TableDeclaration): void {
  if (!/^[a-z][a-z0-9_]*$/.test(s.name)) throw new Error(`stream name "${s.name}" must be snake_case`);
  const names = new Set(s.columns.map((c) => c.name));
  if (names.size !== s.columns.length) throw new Error(`stream "${s.name}" declares a column twice`);
  if (s.key.kind === 'columns') {
    for (const k of s.key.columns) if (!names.has(k)) throw new Error(`stream "${s.name}": key column "${k}" is not declared`);
  } else if (s.key.columns !== 'all') {
    for (const k of s.key.columns) if (!names.has(k)) throw new Error(`stream "${s.name}": key column "${k}" is not declared`);
  }
  if (s.dateColumn !== undefined && !names.has(s.dateColumn)) throw new Error(`stream "${s.name}": dateColumn "${s.dateColumn}" is not declared`);
}
