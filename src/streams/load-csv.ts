/**
 * CSV body → `dialpad.<table>`: the record splitter (transform) feeds COPY streams into staging tables (load), and
 * one merge commits the window; when its rows are new, the merge runs while the file is still arriving
 * (beginAppendMerge), and the scanner folds the unknown columns into `_extra` for it. When Postgres rejects a value
 * (a malformed timestamp, a word in a number column) the file is read again through the validating path: it parses
 * every field in JavaScript, sends rows that fit to COPY and rows that do not to the quarantine, with the reason and
 * the raw line. The second read comes from `reopen` (download again) when the caller can, else from a spool file
 * written during the first pass. Memory stays flat either way.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type pg from 'pg';
import { RetryableError, TerminalError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  beginAppendMerge,
  createStage,
  dropStage,
  insertQuarantine,
  isDataError,
  mergeStage,
  openChunkedCopy,
  openCopy,
  stagedColumns,
  stageTable,
  type AppendMerge,
  type CopySink,
  type MergeRequest,
  type MergeResult,
  type Stage,
  type StagedColumn,
} from '../load/staging.js';
import type { TableSpec } from '../load/table-spec.js';
import { checkText, type PgType } from '../transform/columns.js';
import { TruncatedCsvError, scanCsv, type BadRecord } from '../transform/csv-records.js';
import { normalizeHeaders } from '../transform/header.js';

export interface CsvLoadDeps {
  readonly pool: pg.Pool;
  readonly logger: Logger;
  readonly parallelism: number;
  /** Directory for the spool file (default: the OS temp dir). */
  readonly spoolDir?: string;
  /** CSV bytes per staging table (default 32 MiB): the merge starts on each one as soon as it is staged. */
  readonly chunkBytes?: number;
}

export interface CsvLoadRequest {
  readonly spec: TableSpec;
  readonly stream: string;
  /** Lineage id stamped on every row (the ledger id) and used to name staging tables. */
  readonly exportId: string;
  readonly runId: string | null;
  readonly body: Readable | AsyncIterable<Buffer>;
  /** Opens the same body again (for the validating pass). Without it the first pass spools the body to disk. */
  readonly reopen?: () => Promise<Readable | AsyncIterable<Buffer>>;
  /** Zone of the file's local timestamps. */
  readonly timezone: string;
  readonly window?: MergeRequest['window'];
  readonly target?: string;
  readonly finalize?: MergeRequest['finalize'];
  /** Known columns absent from the file, one value for every row (a leaderboard's day). */
  readonly constants?: MergeRequest['constants'];
}

export interface CsvLoadResult extends MergeResult {
  readonly bytes: number;
  readonly records: number;
  /** Records quarantined before the merge (unsplittable or untypable), plus the merge's own. */
  readonly quarantinedTotal: number;
  readonly path: 'copy' | 'validated';
  /**
   * Wall time of the download+COPY phase, and what the merge took after it (when the rows are new, most of the
   * merge overlaps the COPY phase: see beginAppendMerge).
   */
  readonly copyMs: number;
  readonly mergeMs: number;
}

const QUARANTINE_BATCH = 500;
/**
 * 32 MiB of CSV (~65k calls rows) per staging table: the merge starts ~0.45 s into a 1M-row file and its tail after
 * the last COPY is ~0.2 s; 8 and 16 MiB measured the same, 64 MiB slower (the merge starts later, longer tail).
 */
const CHUNK_BYTES = 32 * 1024 * 1024;

export async function loadCsv(deps: CsvLoadDeps, req: CsvLoadRequest): Promise<CsvLoadResult> {
  // A spool file only when the body cannot be opened again.
  let spoolRoot: string | null = null;
  if (req.reopen === undefined) {
    const dir = deps.spoolDir ?? os.tmpdir();
    await mkdir(dir, { recursive: true });
    spoolRoot = await mkdtemp(path.join(dir, 'spool-'));
  }
  const spoolFile = path.join(spoolRoot ?? '', 'export.csv');
  const quarantine = createQuarantineWriter(deps.pool, req);
  let stage: Stage | null = null;
  let appender: AppendMerge | null = null;
  // The file's columns the table does not know (reported even when they were staged folded into `_extra`).
  let unknownColumns: ReadonlyArray<string> = [];
  /** The merge; `folded`: the staging tables are in the table's layout (beginAppendMerge), `_extra` staged. */
  const mergeRequest = (folded = false): Omit<MergeRequest, 'stage'> => ({
    spec: req.spec,
    exportId: req.exportId,
    stream: req.stream,
    runId: req.runId,
    ...(req.window ? { window: req.window } : {}),
    ...(req.target !== undefined ? { target: req.target } : {}),
    ...(folded ? { extraColumn: '_extra' } : req.constants !== undefined ? { constants: req.constants } : {}),
    finalize: async (client, result) => {
      await req.finalize?.(client, { ...result, unknownColumns, quarantined: result.quarantined + quarantine.count });
    },
  });
  try {
    // Pass 1: fast path.
    const t0 = performance.now();
    const spool = req.reopen === undefined ? createWriteStream(spoolFile) : null;
    let columns: ReadonlyArray<StagedColumn> = [];
    let sinks: CopySink[] = [];
    let next = 0;
    let copyError: unknown = null;
    let stagedRows: number | undefined;
    const tee = async function* (): AsyncGenerator<Buffer> {
      for await (const chunk of req.body as AsyncIterable<Buffer>) {
        if (spool !== null && !spool.write(chunk)) await once(spool, 'drain');
        yield chunk;
      }
    };
    let scan;
    try {
      scan = await scanCsv(tee(), {
        onHeader: async (fields) => {
          columns = stagedColumns(req.spec, normalizeHeaders(fields));
          unknownColumns = columns.filter((c) => !c.known).map((c) => c.name);
          // Staging tables are numbered as the COPY streams fill them; `tables` lists them for the merge and dropStage.
          const tables: string[] = [];
          stage = { tables, columns };
          const nextTable = () => {
            const t = stageTable(req.exportId, tables.length);
            tables.push(t);
            return t;
          };
          const onChunk = (table: string, rows: number) => appender?.append(table, rows);
          const chunkBytes = deps.chunkBytes ?? CHUNK_BYTES;
          // The merge backend is one of the load's `parallelism` workers when it runs alongside the COPY streams
          // (2 cores, 1M rows: 1 COPY stream + the merge 6.5-6.9 s; 2 + the merge 7.3-7.8 s, the merge starved).
          const copyStreams = Math.max(1, deps.parallelism - 1);
          appender = await beginAppendMerge(deps.pool, { ...mergeRequest(), columns }, copyStreams);
          const layout = (appender as AppendMerge | null)?.layout;
          const streams = layout === undefined ? deps.parallelism : copyStreams;
          const copy = layout === undefined ? { columns } : { columns: layout.copyColumns, ddl: layout.ddl };
          if (layout !== undefined) stage = { tables, columns: layout.stageColumns };
          sinks = await Promise.all(Array.from({ length: streams }, () => openChunkedCopy(deps.pool, { ...copy, timezone: req.timezone, chunkBytes, nextTable, onChunk })));
          // The scanner moves the unknown columns into `_extra`'s JSON.
          return layout?.fold ?? undefined;
        },
        onRecords: async (slice) => {
          if (copyError !== null) return; // keep reading: the spool must hold the whole file for pass 2
          const sink = sinks[next++ % sinks.length]!;
          try {
            await sink.write(slice);
          } catch (err) {
            copyError = err;
          }
        },
        onBadRecord: (bad) => quarantine.add(bad),
      });
      if (spool !== null) {
        spool.end();
        await once(spool, 'close');
      }
      if (copyError === null) {
        try {
          stagedRows = (await Promise.all(sinks.map((s) => s.end()))).reduce((a, b) => a + b, 0);
        } catch (err) {
          copyError = err;
        }
      }
    } catch (err) {
      spool?.destroy();
      await Promise.all(sinks.map((s) => s.abort(err as Error)));
      if (err instanceof TruncatedCsvError) throw new RetryableError(err.message, { context: { stream: req.stream, reason: 'truncated' }, cause: err });
      throw err;
    }

    let pathTaken: CsvLoadResult['path'] = 'copy';
    if (copyError !== null) {
      await Promise.all(sinks.map((s) => s.abort(copyError as Error)));
      await (appender as AppendMerge | null)?.abort();
      appender = null;
      if (!isDataError(copyError)) throw copyError;
      deps.logger.warn({ stream: req.stream, exportId: req.exportId, err: (copyError as Error).message }, 'a value did not fit its column; re-reading the file through the validating path');
      pathTaken = 'validated';
      await quarantine.discard();
      await dropStage(deps.pool, stage!);
      stage = null; // (not dropped twice if the next line fails)
      stage = await createStage(deps.pool, req.exportId, columns, 1);
      stagedRows = undefined;
      const again = req.reopen === undefined ? createReadStream(spoolFile) : await req.reopen();
      await validatedPass(deps, req, again, stage, columns, quarantine);
    }
    await quarantine.flush();
    const t1 = performance.now();
    // The rows are new: most of them are already in the open merge transaction; else the full merge.
    const folded = appender !== null;
    let merged = appender === null ? null : await (appender as AppendMerge).finish();
    if (appender !== null && merged === null) {
      deps.logger.debug({ stream: req.stream, exportId: req.exportId, reason: (appender as AppendMerge).abandoned }, 'rows are not all new: full merge');
    }
    appender = null;
    merged ??= await mergeStage(deps.pool, { ...mergeRequest(folded), stage: stage!, ...(stagedRows === undefined ? {} : { stagedRows }) });
    return {
      ...merged,
      unknownColumns,
      bytes: scan.bytes,
      records: scan.records,
      quarantinedTotal: merged.quarantined + quarantine.count,
      path: pathTaken,
      copyMs: Math.round(t1 - t0),
      mergeMs: Math.round(performance.now() - t1),
    };
  } catch (err) {
    await (appender as AppendMerge | null)?.abort();
    // The attempt failed: its quarantine rows would be written again by the next attempt.
    await quarantine.discard().catch(() => {});
    throw err;
  } finally {
    if (stage !== null) await dropStage(deps.pool, stage).catch((e: unknown) => deps.logger.warn({ err: e }, 'could not drop staging tables'));
    if (spoolRoot !== null) await rm(spoolRoot, { recursive: true, force: true });
  }
}

/** Pass 2: parse every field, check each typed value, COPY the rows that fit, quarantine the rest. */
async function validatedPass(
  deps: CsvLoadDeps,
  req: CsvLoadRequest,
  body: Readable | AsyncIterable<Buffer>,
  stage: Stage,
  columns: ReadonlyArray<StagedColumn>,
  quarantine: QuarantineWriter,
): Promise<void> {
  const sink = await openCopy(deps.pool, stage.tables[0]!, columns, req.timezone);
  const parser = Readable.from(body).pipe(parse({ bom: true, raw: true, relax_column_count: true, skip_empty_lines: true }));
  let recordNo = -1;
  let buffered: string[] = [];
  try {
    for await (const { record, raw } of parser as AsyncIterable<{ record: string[]; raw: string }>) {
      recordNo++;
      if (recordNo === 0) continue; // header
      const rawLine = raw.replace(/\r?\n$/, '');
      if (record.length !== columns.length) {
        await quarantine.add({ recordNo, raw: rawLine, reason: `expected ${columns.length} fields, found ${record.length}` });
        continue;
      }
      let reason: string | null = null;
      for (let i = 0; i < columns.length && reason === null; i++) {
        const why = checkText(columns[i]!.pgType as PgType, record[i]!);
        if (why !== null) reason = `${columns[i]!.name}: ${why}`;
      }
      if (reason !== null) {
        await quarantine.add({ recordNo, raw: rawLine, reason });
        continue;
      }
      buffered.push(record.map(csvField).join(','));
      if (buffered.length >= 1000) {
        await sink.write(Buffer.from(buffered.join('\n') + '\n'));
        buffered = [];
      }
    }
    if (buffered.length > 0) await sink.write(Buffer.from(buffered.join('\n') + '\n'));
    await sink.end();
  } catch (err) {
    await sink.abort(err as Error);
    if (isDataError(err)) {
      throw new TerminalError(`a value passed validation but Postgres rejected it: ${(err as Error).message}`, { context: { stream: req.stream }, cause: err });
    }
    throw err;
  }
}

function csvField(v: string): string {
  return `"${v.replace(/"/g, '""')}"`;
}

interface QuarantineWriter {
  add(bad: BadRecord): Promise<void>;
  flush(): Promise<void>;
  /** Removes what this attempt wrote (a retry or the validating pass writes it again). */
  discard(): Promise<void>;
  readonly count: number;
}

function createQuarantineWriter(pool: pg.Pool, req: CsvLoadRequest): QuarantineWriter {
  let pending: BadRecord[] = [];
  let count = 0;
  const flush = async () => {
    const rows = pending;
    pending = [];
    await insertQuarantine(
      pool,
      rows.map((b) => ({ stream: req.stream, exportId: req.exportId, runId: req.runId, recordNo: b.recordNo, reason: b.reason, raw: b.raw })),
    );
  };
  return {
    async add(bad) {
      pending.push(bad);
      count++;
      if (pending.length >= QUARANTINE_BATCH) await flush();
    },
    flush,
    async discard() {
      pending = [];
      count = 0;
      await pool.query('delete from dialpad_etl.quarantine where export_id = $1 and stream = $2', [req.exportId, req.stream]);
    },
    get count() {
      return count;
    },
  };
}
