/**
 * What the load layer needs to know about a target table, in database terms only (the stream registry builds it
 * from a stream's typed column declarations). Every data table lives in schema `dialpad`, and besides its typed
 * columns carries:
 * - `_extra jsonb`: every column of the source the table does not know (never dropped);
 * - `_export_id bigint`: the ledger id (dialpad_etl.export_requests.id) of the export that produced the row,
 *   or of the run for API (non-export) streams;
 * - `_loaded_at timestamptz`: when that row last changed.
 */
export interface TableColumn {
  readonly name: string;
  /** Postgres type of the column, e.g. 'timestamptz', 'numeric', 'text[]'. */
  readonly pgType: string;
}

/**
 * How a row is identified.
 * - `columns`: the source has a natural id (calls: call_id); those columns are the primary key.
 * - `derived`: no id in the source; `_row_key` = md5 over the named columns (plus the export target, when the
 *   stream is requested per target). When a named column is missing from a file, or for `'all'`, the hash covers
 *   every column of the row, and identical rows are told apart by their occurrence number, so re-loading the same
 *   file always yields the same keys.
 */
export type KeySpec =
  | { readonly kind: 'columns'; readonly columns: ReadonlyArray<string> }
  | { readonly kind: 'derived'; readonly columns: ReadonlyArray<string> | 'all' };

export interface TableSpec {
  /** Table name in schema `dialpad` (= the stream name). */
  readonly table: string;
  readonly columns: ReadonlyArray<TableColumn>;
  readonly key: KeySpec;
  /**
   * Column that places a row in a window (a date or local timestamp). Used to check that an export holds only the
   * dates it was asked for, and, with `replaceWindow`, to delete rows of the window the new export no longer has.
   */
  readonly dateColumn?: string;
  /** Derived-key tables: the export is authoritative for its window, so rows it no longer contains are removed. */
  readonly replaceWindow?: boolean;
  /** Rows carry `_target_id` (the call center an export was requested for). */
  readonly perTarget?: boolean;
}

export const DATA_SCHEMA = 'dialpad';
export const ETL_SCHEMA = 'dialpad_etl';

export function qualified(spec: Pick<TableSpec, 'table'>): string {
  return `${quoteIdent(DATA_SCHEMA)}.${quoteIdent(spec.table)}`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function keyColumns(spec: TableSpec): ReadonlyArray<string> {
  return spec.key.kind === 'columns' ? spec.key.columns : ['_row_key'];
}
