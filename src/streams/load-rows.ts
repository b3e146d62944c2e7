/**
 * Rows from a JSON source (already typed in JavaScript by transform/) → `dialpad.<table>`, through the same staging
 * + merge machinery as the CSV exports: the rows are written as CSV into one COPY, the raw item rides along as a
 * jsonb column that becomes `_extra` (nothing the API sent is dropped), and one transaction merges them.
 */
import type pg from 'pg';
import type { Logger } from '../logger.js';
import { createStage, dropStage, mergeStage, openCopy, type MergeRequest, type MergeResult, type Stage, type StagedColumn } from '../load/staging.js';
import type { TableSpec } from '../load/table-spec.js';
import type { RowWithRaw } from './define-stream.js';

export interface RowLoadRequest {
  readonly spec: TableSpec;
  readonly stream: string;
  /** Lineage id stamped on every row (dialpad_etl.api_loads.id). */
  readonly loadId: string;
  readonly runId: string | null;
  readonly pages: AsyncIterable<ReadonlyArray<RowWithRaw>>;
  readonly finalize?: (client: pg.PoolClient, result: MergeResult, stage: Stage) => Promise<void>;
  /** Called after each page (progress). */
  readonly onPage?: (rows: number) => void;
}

const RAW = '_raw';

export async function loadRows(deps: { readonly pool: pg.Pool; readonly logger: Logger }, req: RowLoadRequest): Promise<MergeResult & { readonly pages: number }> {
  const columns: ReadonlyArray<StagedColumn> = [...req.spec.columns.map((c) => ({ name: c.name, pgType: c.pgType, known: true })), { name: RAW, pgType: 'jsonb', known: false }];
  const stage = await createStage(deps.pool, `api_${req.loadId}`, columns, 1);
  let pages = 0;
  try {
    // API timestamps without an offset (users.date_added) are UTC.
    const sink = await openCopy(deps.pool, stage.tables[0]!, columns, 'UTC');
    let staged = 0;
    try {
      for await (const page of req.pages) {
        pages++;
        if (page.length === 0) continue;
        const lines = page.map(({ row, raw }) => [...req.spec.columns.map((c) => csvValue(row[c.name])), csvValue(raw)].join(','));
        await sink.write(Buffer.from(lines.join('\n') + '\n'));
        staged += page.length;
        req.onPage?.(staged);
      }
      await sink.end();
    } catch (err) {
      await sink.abort(err as Error);
      throw err;
    }
    const merge: MergeRequest = {
      spec: req.spec,
      stage,
      exportId: req.loadId,
      stream: req.stream,
      runId: req.runId,
      stagedRows: staged,
      extraColumn: RAW,
      ...(req.finalize ? { finalize: (client: pg.PoolClient, result: MergeResult) => req.finalize!(client, result, stage) } : {}),
    };
    return { ...(await mergeStage(deps.pool, merge)), pages };
  } finally {
    await dropStage(deps.pool, stage).catch((e: unknown) => deps.logger.warn({ err: e }, 'could not drop staging tables'));
  }
}

/** One value as a CSV field Postgres reads back as the column's type. */
export function csvValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return quote(`{${v.map((x) => (x === null ? 'NULL' : `"${String(x).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(',')}}`);
  if (typeof v === 'object') return quote(JSON.stringify(v));
  return quote(String(v));
}

function quote(s: string): string {
  // NUL cannot be stored in text; drop it rather than fail the window.
  return `"${s.replace(/\u0000/g, '').replace(/"/g, '""')}"`;
}
