/**
 * DDL helper for migrations that create `dialpad.<stream>` tables. Migrations are immutable once shipped, so they
 * carry their column lists as literal data and this helper's behaviour must never change: write a new helper
 * for a new shape. (A test compares the stream registry with the migrated tables, so drift is caught.)
 */
import { sql, type Kysely } from 'kysely';

export interface DataTableDdl {
  readonly table: string;
  readonly comment: string;
  /** Natural key columns, or '_row_key' for a derived key. */
  readonly key: ReadonlyArray<string> | '_row_key';
  readonly perTarget: boolean;
  readonly dateColumn: string | null;
  /** [name, pgType, comment?] */
  readonly columns: ReadonlyArray<readonly [string, string, string?]>;
}

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

export async function createDataTable(db: Kysely<unknown>, t: DataTableDdl): Promise<void> {
  const name = `dialpad.${q(t.table)}`;
  const defs: string[] = [];
  if (t.key === '_row_key') defs.push('_row_key text primary key');
  for (const [col, type] of t.columns) defs.push(`${q(col)} ${type}${t.key !== '_row_key' && t.key.includes(col) ? ' not null' : ''}`);
  if (t.perTarget) defs.push('_target_id text');
  defs.push(`_extra jsonb not null default '{}'::jsonb`);
  // No foreign key to the ledger: checking 1M references per export would halve bulk-load speed; lineage is by id.
  defs.push('_export_id bigint not null');
  defs.push('_loaded_at timestamptz not null default now()');
  if (t.key !== '_row_key') defs.push(`primary key (${t.key.map(q).join(', ')})`);
  const stmts = [`create table ${name} (\n  ${defs.join(',\n  ')}\n)`, `comment on table ${name} is ${lit(t.comment)}`];
  for (const [col, , comment] of t.columns) if (comment) stmts.push(`comment on column ${name}.${q(col)} is ${lit(comment)}`);
  stmts.push(`comment on column ${name}._extra is ${lit('source columns this table does not type (kept, never dropped)')}`);
  stmts.push(`comment on column ${name}._export_id is ${lit('lineage: dialpad_etl.export_requests.id of the export that last changed this row (or dialpad_etl.runs.id for API streams)')}`);
  stmts.push(`comment on column ${name}._loaded_at is ${lit('when this row last changed')}`);
  if (t.key === '_row_key') stmts.push(`comment on column ${name}._row_key is ${lit('deterministic key derived from the row (the source has no id)')}`);
  if (t.perTarget) stmts.push(`comment on column ${name}._target_id is ${lit('the call center the export was requested for')}`);
  if (t.dateColumn) stmts.push(`create index on ${name} (${q(t.dateColumn)})`);
  stmts.push(`create index on ${name} (_export_id)`);
  for (const s of stmts) await sql.raw(s).execute(db);
}
