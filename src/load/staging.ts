/**
 * The bulk load path: COPY into unlogged staging tables, then one merge per window in one transaction.
 *
 * Why this shape (measured on PostgreSQL 15, 1M-row calls file, see bench/): parsing and typing every field in
 * JavaScript cannot keep up with `psql \copy`; letting Postgres parse CSV straight into typed columns (COPY's input
 * functions, with the session time zone set to the export's zone so local timestamps become the right instants)
 * can. Staging tables are regular UNLOGGED tables (not temp tables) so that other connections can read them: the
 * COPY streams and the merge are different backends. The merge that makes rows visible is still a single
 * transaction, so a window is loaded entirely or not at all.
 *
 * Two merges:
 * - beginAppendMerge, when the window's rows are new (a first load): its transaction is open during the COPY, and
 *   inserts each staging table ("chunk", openChunkedCopy) as soon as it is staged. Exact, and gives up for
 *   mergeStage at the first sign that the rows are not all new.
 * - mergeStage, after the COPY: window check, quarantine of rows without a key, UPDATE of changed rows, INSERT of
 *   new ones, window replacement for derived keys.
 */
import { from as copyFrom } from 'pg-copy-streams';
import type pg from 'pg';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { RetryableError, TerminalError } from '../errors.js';
import { ETL_SCHEMA, keyColumns, qualified, quoteIdent, quoteLiteral, type TableSpec } from './table-spec.js';

/** A column of the file as staged: its name (normalised header) and the type COPY converts it to. */
export interface StagedColumn {
  readonly name: string;
  readonly pgType: string;
  /** False for columns the table does not know: they go to `_extra`. */
  readonly known: boolean;
}

export interface Stage {
  readonly tables: ReadonlyArray<string>;
  readonly columns: ReadonlyArray<StagedColumn>;
}

/** Lays out the file's header against the table: known columns typed, unknown ones text. */
export function stagedColumns(spec: TableSpec, header: ReadonlyArray<string>): ReadonlyArray<StagedColumn> {
  const known = new Map(spec.columns.map((c) => [c.name, c.pgType]));
  return header.map((name) => {
    const pgType = known.get(name);
    return { name, pgType: pgType ?? 'text', known: pgType !== undefined };
  });
}

export function stageTableName(tag: string, part: number): string {
  return `stage_${tag.replace(/[^a-zA-Z0-9_]/g, '_')}_${part}`;
}

/** Creates `parts` empty staging tables for `tag` (dropping leftovers of a crashed attempt with the same tag). */
export async function createStage(pool: pg.Pool, tag: string, columns: ReadonlyArray<StagedColumn>, parts: number): Promise<Stage> {
  const tables: string[] = [];
  for (let i = 0; i < parts; i++) {
    const name = stageTable(tag, i);
    await pool.query(stageTableDdl(name, columns));
    tables.push(name);
  }
  return { tables, columns };
}

/** Schema-qualified, quoted name of staging table `part` of `tag`. */
export function stageTable(tag: string, part: number): string {
  return `${ETL_SCHEMA}.${quoteIdent(stageTableName(tag, part))}`;
}

function stageTableDdl(name: string, columns: ReadonlyArray<StagedColumn>): string {
  const defs = columns.map((c) => `${quoteIdent(c.name)} ${c.pgType}`).join(', ');
  return `drop table if exists ${name}; create unlogged table ${name} (${defs}) with (autovacuum_enabled = false)`;
}

export async function dropStage(pool: pg.Pool, stage: Stage): Promise<void> {
  // One statement (one commit) for all of them: a 1M-row load stages ~16 tables.
  if (stage.tables.length > 0) await pool.query(`drop table if exists ${stage.tables.join(', ')}`);
}

/**
 * Drops staging tables left by killed processes. A staging table is named after the ledger row that owns it
 * (`stage_<export id>_<n>`, `stage_api_<api load id>_<n>`); it is stale when that row is no longer open
 * ('downloading' / 'running'), or has not moved for `olderThanHours`. Tables of loads in flight in other processes
 * are left alone, so any command may run this at start.
 */
export async function dropStaleStages(pool: pg.Pool, olderThanHours = 24): Promise<number> {
  const { rows } = await pool.query<{ name: string }>(
    `with stages as (
       select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name,
              substring(c.relname from '^stage_api_([0-9]+)_[0-9]+$')::bigint as api_id,
              substring(c.relname from '^stage_([0-9]+)_[0-9]+$')::bigint as export_id
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relname like 'stage\\_%' and c.relkind = 'r'
     )
     select s.name from stages s
      where not exists (select 1 from ${ETL_SCHEMA}.export_requests e
                         where e.id = s.export_id and e.status = 'downloading' and e.updated_at > now() - make_interval(hours => $2))
        and not exists (select 1 from ${ETL_SCHEMA}.api_loads a
                         where a.id = s.api_id and a.status = 'running' and a.started_at > now() - make_interval(hours => $2))`,
    [ETL_SCHEMA, olderThanHours],
  );
  for (const r of rows) await pool.query(`drop table if exists ${r.name}`);
  return rows.length;
}

/** One COPY into one staging table, on its own connection. */
export interface CopySink {
  write(chunk: Buffer): Promise<void>;
  /** Ends the COPY; resolves with the rows Postgres accepted. */
  end(): Promise<number>;
  /** Aborts the COPY (its rows are discarded) and releases the connection. */
  abort(err: Error): Promise<void>;
}

export async function openCopy(pool: pg.Pool, table: string, columns: ReadonlyArray<StagedColumn>, timezone: string): Promise<CopySink> {
  const conn = await copyConnection(pool, timezone);
  let copy: CopyStream;
  try {
    copy = startCopy(conn.client, table, columns);
  } catch (err) {
    conn.release(err as Error);
    throw err;
  }
  return {
    write: (chunk) => copy.write(chunk),
    async end() {
      try {
        const rows = await copy.finish();
        await conn.reset();
        return rows;
      } catch (err) {
        conn.release(err as Error);
        throw err;
      }
    },
    async abort(err) {
      if (!conn.released) {
        copy.destroy(err);
        // Destroying a COPY stream leaves the connection mid-protocol: discard it rather than reuse it.
        conn.release(err);
      }
    },
  };
}

export interface ChunkedCopyOptions {
  /** The COPY column list. */
  readonly columns: ReadonlyArray<StagedColumn>;
  /** Creates a staging table (default: the COPY columns, typed; see AppendLayout.ddl). */
  readonly ddl?: (table: string) => string;
  readonly timezone: string;
  /** CSV bytes per staging table: after that many, the table's COPY ends (commits) and the next one starts. */
  readonly chunkBytes: number;
  /** Name of the next staging table (schema-qualified, quoted); the caller lists them for dropStage. */
  readonly nextTable: () => string;
  /** A staging table is complete: its COPY committed `rows` rows, which other connections can now read. */
  readonly onChunk: (table: string, rows: number) => void;
}

/**
 * Like openCopy, but into a series of staging tables ("chunks") on the same connection, so that a merge can read
 * the first chunks (beginAppendMerge) while the rest of the file is still arriving. `end` resolves with the rows of
 * all chunks.
 *
 * While a chunk's COPY ends and the next table is created, writes are held in memory (up to ROTATION_BUFFER_BYTES)
 * instead of waiting: Postgres takes ~40 ms to finish the data the socket still holds, and the scanner would sit
 * idle meanwhile (~45 ms per rotation; end to end, 1M rows load ~0.15 s faster, for ~15 MB more RSS).
 */
export async function openChunkedCopy(pool: pg.Pool, opts: ChunkedCopyOptions): Promise<CopySink> {
  const conn = await copyConnection(pool, opts.timezone);
  let table = '';
  let copy: CopyStream | null = null;
  let bytes = 0;
  let rows = 0;
  // While a rotation runs: its promise, the writes it holds, and how it failed.
  let rotation: Promise<void> | null = null;
  let held: Buffer[] = [];
  let heldBytes = 0;
  let failure: unknown = null;
  const complete = async (): Promise<void> => {
    const c = copy!;
    copy = null;
    const n = await c.finish();
    rows += n;
    opts.onChunk(table, n);
  };
  const start = async (): Promise<void> => {
    table = opts.nextTable();
    await conn.client.query(opts.ddl ? opts.ddl(table) : stageTableDdl(table, opts.columns));
    const next = startCopy(conn.client, table, opts.columns);
    bytes = 0;
    // Writes that arrive while the held ones are flushed are held too, so the order is kept.
    while (held.length > 0) {
      const chunk = held.shift()!;
      heldBytes -= chunk.length;
      bytes += chunk.length;
      await next.write(chunk);
    }
    // No await between the last check of `held` and here: from now on writes go to the new COPY.
    copy = next;
    rotation = null;
  };
  try {
    await start();
  } catch (err) {
    conn.release(err as Error);
    throw err;
  }
  return {
    async write(chunk) {
      // On an error the caller calls abort, as with openCopy.
      if (failure !== null) throw failure;
      if (rotation !== null) {
        held.push(chunk);
        heldBytes += chunk.length;
        if (heldBytes >= ROTATION_BUFFER_BYTES) await rotation;
        return;
      }
      await copy!.write(chunk);
      bytes += chunk.length;
      if (bytes >= opts.chunkBytes) {
        rotation = complete()
          .then(start)
          .catch((err: unknown) => {
            failure = err;
            throw err;
          });
        rotation.catch(() => {}); // reported by the next write, or by end()
      }
    },
    async end() {
      try {
        if (rotation !== null) await rotation;
        if (failure !== null) throw failure;
        await complete();
        await conn.reset();
        return rows;
      } catch (err) {
        conn.release(err as Error);
        throw err;
      }
    },
    async abort(err) {
      if (!conn.released) {
        held = [];
        copy?.destroy(err);
        conn.release(err);
      }
    },
  };
}

/** Writes held during a rotation: ~15 ms of scanning. */
const ROTATION_BUFFER_BYTES = 8 * 1024 * 1024;

/** A pooled connection with the session settings COPY needs, and a way back to the pool without them. */
async function copyConnection(pool: pg.Pool, timezone: string) {
  const client = await pool.connect();
  const conn = {
    client,
    released: false,
    /** Releases the connection; with an error, pg discards it instead of reusing it. */
    release(err?: Error) {
      if (!conn.released) {
        conn.released = true;
        client.release(err);
      }
    },
    async reset() {
      await client.query('reset timezone; reset datestyle');
      conn.release();
    },
  };
  try {
    // Local timestamps in the file are wall-clock times of the export's zone: make COPY read them so.
    await client.query(`set timezone = ${quoteLiteral(timezone)}; set datestyle = 'ISO, YMD'`);
  } catch (err) {
    conn.release(err as Error);
    throw err;
  }
  return conn;
}

interface CopyStream {
  /** Resolves when the stream can take more (backpressure); rejects with the COPY's error. */
  write(chunk: Buffer): Promise<void>;
  /** Ends the COPY; resolves with the rows Postgres accepted. */
  finish(): Promise<number>;
  destroy(err: Error): void;
}

function startCopy(client: pg.PoolClient, table: string, columns: ReadonlyArray<StagedColumn>): CopyStream {
  const names = columns.map((c) => quoteIdent(c.name)).join(', ');
  // FORCE_NULL: a quoted empty string is NULL too ("empty → NULL" for every column).
  const stream: Writable = client.query(copyFrom(`copy ${table} (${names}) from stdin with (format csv, force_null (${names}))`));
  let failure: Error | null = null;
  stream.on('error', (err: Error) => {
    failure ??= err;
  });
  return {
    async write(chunk) {
      if (failure) throw failure;
      if (!stream.write(chunk)) {
        // 'drain' never comes after an error: wait for whichever happens first, without piling up listeners.
        await new Promise<void>((resolve) => {
          const done = () => {
            stream.off('drain', done);
            stream.off('error', done);
            resolve();
          };
          stream.on('drain', done);
          stream.on('error', done);
        });
        if (failure) throw failure;
      }
    },
    async finish() {
      if (failure) throw failure;
      stream.end();
      await Promise.race([once(stream, 'finish'), once(stream, 'error').then(([e]) => Promise.reject(e as Error))]);
      if (failure) throw failure;
      return (stream as unknown as { rowCount?: number }).rowCount ?? 0;
    },
    destroy(err) {
      stream.destroy(err);
    },
  };
}

/** SQLSTATE class 22 (data exception) and 23502 (not null): a value did not fit its column. */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '23502');
}

export interface MergeRequest {
  readonly spec: TableSpec;
  readonly stage: Stage;
  readonly exportId: string;
  readonly stream: string;
  readonly runId: string | null;
  /** Local dates `[start, end)` the file must cover; rows outside make the export misaligned (re-request it). */
  readonly window?: { readonly start: string; readonly end: string; readonly timezone: string };
  readonly target?: string;
  /** Bookkeeping that must commit atomically with the rows (the ledger's 'loaded'). */
  readonly finalize?: (client: pg.PoolClient, result: MergeResult) => Promise<void>;
  /** Rows in the stage, when the caller knows (COPY's counts); saves a scan. */
  readonly stagedRows?: number;
  /** A staged jsonb column that IS the row's `_extra` (JSON sources stage the raw item). */
  readonly extraColumn?: string;
  /** Known columns absent from the file, with one value for every row (a leaderboard's day). */
  readonly constants?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

export interface MergeResult {
  readonly staged: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly deleted: number;
  /** Rows without a usable key, moved to the quarantine. */
  readonly quarantined: number;
  /** Rows sharing a natural key with another row of the same file (one of them is kept, the same on every load). */
  readonly duplicates: number;
  readonly unknownColumns: ReadonlyArray<string>;
}

const TABLE_LOCK_NAMESPACE = 0x44504d47; // 'DPMG'

/**
 * Merges the staged rows into `dialpad.<table>` in ONE transaction: checks the window, quarantines rows without a
 * key, upserts (skipping rows that did not change, so a re-run changes nothing at all), replaces the window for
 * derived-key tables, runs `finalize`, commits.
 */
export async function mergeStage(pool: pg.Pool, req: MergeRequest): Promise<MergeResult> {
  const { spec, stage } = req;
  const { present, knownCols, unknownCols, constantSql } = mergeShape(req, stage.columns);
  // The staged columns by name: staging tables in the table's layout (beginAppendMerge) hold bookkeeping columns too.
  const stagedList = stage.columns.map((c) => quoteIdent(c.name)).join(', ');
  const union = stage.tables.map((t) => `select ${stagedList}${constantSql} from ${t}`).join(' union all ');

  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1, hashtext($2))', [TABLE_LOCK_NAMESPACE, spec.table]);
    // The anti-join below hashes the table's keys: 4 MB (the default) spills them to disk in batches. Re-loading
    // 1M calls rows: 2.1 s → 1.0 s for the INSERT's anti-join. Costs at most 64 MB x hash_mem_multiplier per hash
    // table and process (parallel workers included), for this transaction only.
    await client.query(`set local work_mem = '64MB'`);
    const extra = req.extraColumn !== undefined ? `coalesce(${quoteIdent(req.extraColumn)}, '{}'::jsonb)` : jsonbOf(unknownCols);
    const target = req.target ?? '';
    let keyExpr: string;
    let keyNull: string;
    let quarantineReason: string;
    // Reported after the window check, which comes first.
    const missingKeys = spec.key.kind === 'columns' ? spec.key.columns.filter((k) => !present.has(k)) : [];
    if (spec.key.kind === 'columns') {
      keyExpr = '';
      keyNull = spec.key.columns.map((k) => `${quoteIdent(k)} is null`).join(' or ');
      quarantineReason = `empty ${spec.key.columns.join('/')}`;
    } else {
      const wanted = spec.key.columns;
      const basis = wanted !== 'all' && wanted.every((k) => present.has(k)) ? wanted : [...present.keys()].sort();
      const parts = basis.map((k) => `coalesce(${quoteIdent(k)}::text, E'\\x1e')`);
      const hash = `md5(concat_ws(E'\\x1f', ${[quoteLiteral(target), ...parts].join(', ')}))`;
      const rowText = `md5(concat_ws(E'\\x1f', ${[...present.keys()].map((k) => `coalesce(${quoteIdent(k)}::text, E'\\x1e')`).join(', ')}))`;
      keyExpr = `${hash} || ':' || row_number() over (partition by ${hash} order by ${rowText})`;
      keyNull = 'false';
      quarantineReason = '';
    }

    // One scan for what must be counted before merging: the rows (unless known), those dated outside the window (the
    // export is misaligned: nothing is merged), those without a key (quarantined; usually none, and then no scan).
    let outsideSql = 'false';
    if (req.window && spec.dateColumn && present.has(spec.dateColumn)) {
      const [lo, hi] = windowBounds(present.get(spec.dateColumn)!.pgType, req.window);
      outsideSql = `${quoteIdent(spec.dateColumn)} < ${lo} or ${quoteIdent(spec.dateColumn)} >= ${hi}`;
    }
    let staged = req.stagedRows ?? 0;
    let keyless = 0;
    const keylessSql = missingKeys.length > 0 ? 'false' : keyNull;
    if (req.stagedRows === undefined || outsideSql !== 'false' || keylessSql !== 'false') {
      const { rows } = await client.query<{ n: string; outside: string; keyless: string }>(
        `select count(*) as n, count(*) filter (where ${outsideSql}) as outside, count(*) filter (where ${keylessSql}) as keyless from (${union}) s`,
      );
      const outside = Number(rows[0]!.outside);
      if (outside > 0) {
        throw new RetryableError(
          `export holds ${outside} row(s) dated outside ${req.window!.start}..${req.window!.end} (${req.window!.timezone}); it was probably computed across midnight`,
          { context: { stream: req.stream, reason: 'misaligned' } },
        );
      }
      staged = req.stagedRows ?? Number(rows[0]!.n);
      keyless = Number(rows[0]!.keyless);
    }
    if (missingKeys.length > 0) {
      throw new TerminalError(`export for ${spec.table} has no ${missingKeys.join(', ')} column (its natural key); header: ${[...present.keys()].join(', ')}`, {
        context: { stream: req.stream },
      });
    }

    let quarantined = 0;
    if (keyless > 0) {
      const q = await client.query(
        `insert into ${ETL_SCHEMA}.quarantine (stream, export_id, run_id, reason, raw)
         select $1, $2, $3, $4, row_to_json(s)::text from (${union}) s where ${keyNull}`,
        [req.stream, req.exportId, req.runId, quarantineReason],
      );
      quarantined = q.rowCount ?? 0;
    }

    const cols = knownCols.map(quoteIdent);
    const keyCols = keyColumns(spec).map(quoteIdent);
    const insertCols = [...(spec.key.kind === 'derived' ? ['_row_key'] : []), ...cols, ...(spec.perTarget ? ['_target_id'] : []), '_extra', '_export_id', '_loaded_at'];
    // The source is read by CREATE TABLE AS statements (which take no parameters): inline the id.
    const exportIdSql = `${BigInt(req.exportId).toString()}::bigint`;
    const selectList = [
      ...(spec.key.kind === 'derived' ? [`${keyExpr} as _row_key`] : []),
      ...cols,
      ...(spec.perTarget ? [`${quoteLiteral(target)}::text as _target_id`] : []),
      `${extra} as _extra`,
      `${exportIdSql} as _export_id`,
      'now() as _loaded_at',
    ];
    const compared = [...cols, ...(spec.perTarget ? ['_target_id'] : []), '_extra'];
    const distinct = `(${compared.map((c) => `t.${c}`).join(', ')}) is distinct from (${compared.map((c) => `excluded.${c}`).join(', ')})`;
    const updates = [...compared, '_export_id', '_loaded_at'].filter((c) => !keyCols.includes(c)).map((c) => `${c} = excluded.${c}`);

    let source = `select ${selectList.join(', ')} from (${union}) s where not (${keyNull})`;
    let deleted = 0;
    if (spec.key.kind === 'derived') {
      // Materialise the keyed rows once: the window replacement and the upsert both read them.
      await client.query(`create temp table _keyed on commit drop as ${source}`);
      source = `select ${insertCols.join(', ')} from _keyed`;
      if (spec.replaceWindow && req.window && spec.dateColumn && present.has(spec.dateColumn)) {
        const [lo, hi] = windowBounds(present.get(spec.dateColumn)!.pgType, req.window);
        const del = await client.query(
          `delete from ${qualified(spec)} t
            where t.${quoteIdent(spec.dateColumn)} >= ${lo} and t.${quoteIdent(spec.dateColumn)} < ${hi}
              ${spec.perTarget ? `and t._target_id is not distinct from ${quoteLiteral(target)}` : ''}
              and not exists (select 1 from _keyed k where k._row_key = t._row_key)`,
        );
        deleted = del.rowCount ?? 0;
      }
    }

    // UPDATE the rows that exist and changed, then INSERT the ones that do not exist (safe because every writer of
    // this table holds the advisory lock taken above). The changed rows are found first by a read-only join, which
    // Postgres can run in parallel and an UPDATE … FROM cannot: re-loading 1M unchanged calls rows took 5-7 s as one
    // UPDATE … FROM (source), and takes 2.2-2.7 s as CREATE TABLE AS + an UPDATE with nothing to do (whole merge:
    // 9.3 s → 4.1 s with the work_mem above). INSERT … ON CONFLICT DO UPDATE … WHERE is slower still for a re-load,
    // 6-7 s: it locks every existing row.
    const keyMatch = keyCols.map((k) => `t.${k} = s.${k}`).join(' and ');
    const keyList = keyCols.join(', ');
    const update = async (src: string, deduped: boolean): Promise<number> => {
      const changed = await client.query(`create temp table _changed on commit drop as
        select s.* from (${src}) s join ${qualified(spec)} t on ${keyMatch} where ${distinct.replace(/excluded\./g, 's.')}`);
      if (!deduped && (changed.rowCount ?? 0) > 0 && spec.key.kind === 'columns') {
        // A changed key that the file holds twice: the UPDATE would take either row, and a re-load the other one.
        const repeated = await client.query(`select 1 from (${src}) s where (${keyList}) in (select ${keyList} from _changed) group by ${keyList} having count(*) > 1 limit 1`);
        if ((repeated.rowCount ?? 0) > 0) throw new RepeatedKeys();
      }
      const u = await client.query(`update ${qualified(spec)} t set ${updates.map((u) => u.replace(/excluded\./g, 's.')).join(', ')} from _changed s where ${keyMatch}`);
      return u.rowCount ?? 0;
    };
    const insert = async (src: string): Promise<number> => {
      const i = await client.query(`
        insert into ${qualified(spec)} (${insertCols.join(', ')})
        select ${insertCols.join(', ')} from (${src}) s
         where not exists (select 1 from ${qualified(spec)} t where ${keyMatch})`);
      return i.rowCount ?? 0;
    };
    let duplicates = 0;
    let counts: { inserted: number; updated: number };
    await client.query('savepoint merge');
    try {
      counts = { updated: await update(source, false), inserted: await insert(source) };
    } catch (err) {
      // The same natural key twice in one file: a new one (23505), or a changed one. Keep one row per key, the same
      // one whenever the file is loaded (the greatest by content), so that a re-load changes nothing; the others are
      // counted below. (Repeats of an unchanged key change no row, so they are not looked for: counted unchanged.)
      if (!(err instanceof RepeatedKeys || (err as { code?: string }).code === '23505') || spec.key.kind !== 'columns') throw err;
      await client.query('rollback to savepoint merge');
      const content = `row(${compared.map((c) => `d.${c}`).join(', ')})::text`;
      const deduped = `select distinct on (${keyList}) * from (${source}) d order by ${keyList}, ${content} desc`;
      counts = { updated: await update(deduped, true), inserted: await insert(deduped) };
      const distinctKeys = Number((await client.query<{ n: string }>(`select count(*) as n from (select distinct ${keyCols.join(', ')} from (${union}) s where not (${keyNull})) k`)).rows[0]!.n);
      duplicates = staged - quarantined - distinctKeys;
    }
    const { inserted, updated } = counts;
    const result: MergeResult = {
      staged,
      inserted,
      updated,
      unchanged: staged - quarantined - duplicates - inserted - updated,
      deleted,
      quarantined,
      duplicates,
      unknownColumns: unknownCols,
    };
    await req.finalize?.(client, result);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Thrown inside mergeStage's savepoint: the file repeats a key whose row changed (handled like 23505). */
class RepeatedKeys extends Error {}

/** The staged columns against the table: which are typed columns, which go to `_extra`, the constants. */
function mergeShape(req: Pick<MergeRequest, 'spec' | 'extraColumn' | 'constants'>, stageColumns: ReadonlyArray<StagedColumn>) {
  const { spec } = req;
  const constants = (req.constants ?? []).map((k) => ({ ...k, pgType: spec.columns.find((c) => c.name === k.name)?.pgType ?? 'text' }));
  const present = new Map<string, StagedColumn>([
    ...stageColumns.filter((c) => c.name !== req.extraColumn).map((c) => [c.name, c] as const),
    ...constants.map((k) => [k.name, { name: k.name, pgType: k.pgType, known: true }] as const),
  ]);
  const knownCols = spec.columns.filter((c) => present.has(c.name)).map((c) => c.name);
  const unknownCols = [...present.values()].filter((c) => !c.known).map((c) => c.name);
  const constantSql = constants.map((k) => `, ${quoteLiteral(k.value)}::${k.pgType} as ${quoteIdent(k.name)}`).join('');
  return { present, knownCols, unknownCols, constantSql };
}

/**
 * The merge of a window whose rows are all new, done while the file is still being staged: the merge transaction
 * opens when the header is known, and each staging table is INSERTed as soon as its COPY commits (openChunkedCopy).
 * The rows still become visible in ONE transaction, with `finalize`, and under the same advisory lock.
 *
 * Why (1M-row calls file, 2 cores, measured): writing the rows into dialpad.calls (heap, WAL, 3 indexes) takes one
 * backend ~5 s of CPU, and typing them in COPY another ~4.5 s. One after the other that was copy 4.6 s + merge
 * 8.1 s; overlapped, the merge backend works while the file is still arriving.
 *
 * The staging tables of this path have the table's own layout (its columns, in its order, with `_export_id`,
 * `_loaded_at` — this transaction's now() — and the export's constants as column defaults, and the unknown columns
 * folded into `_extra` by the scanner; see `layout`), so that a chunk is merged with `insert … select <all columns>`,
 * which Postgres runs without projecting the rows: 3.2 s of CPU for 1M rows instead of 5.0 s.
 *
 * It is optimistic and exact: a chunk is one plain INSERT (no UPDATE, no anti-join) that must take every staged
 * row. A key that already exists or repeats (23505), a null key (filtered, so the count falls short), a row outside
 * the window, or any other failure rolls the transaction back at once and `finish` returns null: the caller then
 * runs mergeStage over all the staging tables (`layout.stageColumns`, `_extra` as the extra column), which handles
 * those cases as before. So the rows and counts are always what mergeStage would produce; only the work differs.
 *
 * Not used (null) for derived keys (their keys number rows across the whole file), when the lock is taken
 * (another merge of the table is running: wait for it in mergeStage rather than hold up this download), when the
 * window already has rows (a re-load: it would fail on the first row), or when the pool is short: this holds a
 * connection for the whole load besides `otherConnections`, and one must stay free for quarantine writes.
 */
export interface AppendMerge {
  /** How this path stages the file. */
  readonly layout: AppendLayout;
  /** Queues a staging table whose COPY committed `rows` rows; it is inserted in the background, in order. */
  append(table: string, rows: number): void;
  /** Why the optimistic path was given up, or null. */
  readonly abandoned: string | null;
  /** Waits for the queued tables, then runs `finalize` and commits; null when abandoned (nothing was written). */
  finish(): Promise<MergeResult | null>;
  /** Rolls back (the load failed). */
  abort(): Promise<void>;
}

interface TableColumnInfo {
  readonly name: string;
  readonly type: string;
  readonly def: string | null;
  /** Generated or identity: not insertable as is. */
  readonly computed: boolean;
}

export interface AppendLayout {
  /** The table's columns, in its order (= the staging tables'). */
  readonly tableColumns: ReadonlyArray<string>;
  /** The COPY column list, in the order of the fields as sent: the file's known columns, then `_extra` if folded. */
  readonly copyColumns: ReadonlyArray<StagedColumn>;
  /** The file's fields (0-based) that the scanner must fold into a trailing JSON field for `_extra`, or null. */
  readonly fold: { readonly fields: ReadonlyArray<number>; readonly keys: ReadonlyArray<string> } | null;
  /** Creates (or re-creates) a staging table in the table's layout. */
  ddl(table: string): string;
  /** The staged columns for mergeStage (with `extraColumn: '_extra'` and no `constants`) if the path is abandoned. */
  readonly stageColumns: ReadonlyArray<StagedColumn>;
}

export async function beginAppendMerge(
  pool: pg.Pool,
  req: Omit<MergeRequest, 'stage' | 'stagedRows'> & { readonly columns: ReadonlyArray<StagedColumn> },
  /** Connections the caller will still take from the pool for the same load (its COPY streams). */
  otherConnections = 0,
): Promise<AppendMerge | null> {
  const { spec } = req;
  if (spec.key.kind !== 'columns' || req.extraColumn !== undefined) return null;
  const { present, unknownCols } = mergeShape(req, req.columns);
  if (!spec.key.columns.every((k) => present.has(k))) return null; // mergeStage reports it
  const free = ((pool as { options?: { max?: number } }).options?.max ?? 10) - pool.totalCount + pool.idleCount;
  if (free < otherConnections + 2) return null;

  const target = req.target ?? '';
  const conditions = spec.key.columns.map((k) => `${quoteIdent(k)} is not null`);
  // Rows already in the window: a re-load, which would fail on its first row.
  let windowUsed = 'false';
  if (req.window && spec.dateColumn && present.has(spec.dateColumn)) {
    const [lo, hi] = windowBounds(present.get(spec.dateColumn)!.pgType, req.window);
    const c = quoteIdent(spec.dateColumn);
    conditions.push(`not coalesce(${c} < ${lo} or ${c} >= ${hi}, false)`); // a null date is not outside (as in mergeStage)
    const sameTarget = spec.perTarget ? ` and t._target_id is not distinct from ${quoteLiteral(target)}` : '';
    windowUsed = `exists (select 1 from ${qualified(spec)} t where t.${c} >= ${lo} and t.${c} < ${hi}${sameTarget})`;
  }

  const client = await pool.connect();
  let released = false;
  const rollback = async () => {
    if (released) return;
    released = true;
    // A connection that cannot even roll back is discarded rather than returned to the pool.
    const broken = await client.query('rollback').then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    client.release(broken);
  };
  let layout: AppendLayout | null;
  try {
    await client.query('begin');
    const { rows } = await client.query<{ ok: boolean; used: boolean; now: string }>(
      `select pg_try_advisory_xact_lock($1, hashtext($2)) as ok, ${windowUsed} as used,
              to_char(now() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' as now`,
      [TABLE_LOCK_NAMESPACE, spec.table],
    );
    if (!rows[0]!.ok || rows[0]!.used) {
      await rollback();
      return null;
    }
    // The table's columns, in its order: the staging tables copy them so a chunk is inserted row for row.
    const tableColumns = await client.query<TableColumnInfo>(
      `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, pg_get_expr(d.adbin, d.adrelid) as def,
              a.attgenerated <> '' or a.attidentity <> '' as computed
         from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`,
      [qualified(spec)],
    );
    // This transaction's now() becomes `_loaded_at`, as in mergeStage.
    layout = appendLayout(req, tableColumns.rows, rows[0]!.now);
    if (layout === null) {
      await rollback();
      return null;
    }
  } catch {
    await rollback();
    return null;
  }
  const names = layout.tableColumns.map(quoteIdent).join(', ');
  const insert = (table: string) => `insert into ${qualified(spec)} (${names}) select ${names} from ${table} where ${conditions.join(' and ')}`;

  let queue: Promise<void> = Promise.resolve();
  let abandoned: string | null = null;
  let staged = 0;
  const giveUp = async (why: string) => {
    abandoned ??= why;
    await rollback();
  };
  return {
    layout,
    append(table, rows) {
      staged += rows;
      queue = queue.then(async () => {
        if (abandoned !== null) return;
        try {
          const r = await client.query(insert(table));
          if (r.rowCount !== rows) await giveUp(`${table}: ${rows - (r.rowCount ?? 0)} row(s) with a null key or outside the window`);
        } catch (err) {
          await giveUp(`${table}: ${(err as Error).message}`);
        }
      });
    },
    get abandoned() {
      return abandoned;
    },
    async finish() {
      await queue;
      if (abandoned !== null) return null;
      const result: MergeResult = { staged, inserted: staged, updated: 0, unchanged: 0, deleted: 0, quarantined: 0, duplicates: 0, unknownColumns: unknownCols };
      try {
        await req.finalize?.(client, result);
        await client.query('commit');
      } catch (err) {
        await rollback();
        throw err;
      }
      released = true;
      client.release();
      return result;
    },
    async abort() {
      abandoned ??= 'aborted';
      await queue;
      await rollback();
    },
  };
}

/** The staging layout for a table, or null when the table has a column it cannot reproduce (then: mergeStage). */
function appendLayout(
  req: Omit<MergeRequest, 'stage' | 'stagedRows'> & { readonly columns: ReadonlyArray<StagedColumn> },
  tableColumns: ReadonlyArray<TableColumnInfo>,
  loadedAt: string,
): AppendLayout | null {
  const known = req.columns.filter((c) => c.known);
  const inTable = new Set(tableColumns.map((c) => c.name));
  const needed = ['_extra', '_export_id', '_loaded_at', ...known.map((c) => c.name), ...(req.constants ?? []).map((k) => k.name), ...(req.spec.perTarget ? ['_target_id'] : [])];
  if (tableColumns.some((c) => c.computed) || !needed.every((n) => inTable.has(n))) return null;
  const fold = req.columns.flatMap((c, i) => (c.known ? [] : [{ field: i, key: c.name }]));
  const extra: StagedColumn = { name: '_extra', pgType: 'jsonb', known: false };
  const defaults = new Map<string, string>([
    ['_export_id', `${BigInt(req.exportId).toString()}::bigint`],
    ['_loaded_at', `${quoteLiteral(loadedAt)}::timestamptz`],
    ['_extra', `'{}'::jsonb`],
    ...(req.spec.perTarget ? [['_target_id', `${quoteLiteral(req.target ?? '')}::text`] as const] : []),
    ...(req.constants ?? []).map((k) => [k.name, quoteLiteral(k.value)] as const),
  ]);
  const defs = tableColumns
    .map((c) => {
      const def = defaults.get(c.name) ?? c.def;
      return `${quoteIdent(c.name)} ${c.type}${def === null ? '' : ` default ${def}`}`;
    })
    .join(', ');
  const constants = (req.constants ?? []).map((k) => ({ name: k.name, pgType: req.spec.columns.find((c) => c.name === k.name)?.pgType ?? 'text', known: true }));
  return {
    tableColumns: tableColumns.map((c) => c.name),
    copyColumns: fold.length > 0 ? [...known, extra] : known,
    fold: fold.length > 0 ? { fields: fold.map((f) => f.field), keys: fold.map((f) => f.key) } : null,
    ddl: (table) => `drop table if exists ${table}; create unlogged table ${table} (${defs}) with (autovacuum_enabled = false)`,
    stageColumns: [...known, ...constants, extra],
  };
}

/** Writes rows to the quarantine outside any merge (records the scanner could not split into fields). */
export async function insertQuarantine(
  pool: pg.Pool,
  rows: ReadonlyArray<{ readonly stream: string; readonly exportId: string | null; readonly runId: string | null; readonly recordNo: number | null; readonly reason: string; readonly raw: string }>,
): Promise<void> {
  if (rows.length === 0) return;
  await pool.query(
    `insert into ${ETL_SCHEMA}.quarantine (stream, export_id, run_id, record_no, reason, raw)
     select * from unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[])`,
    [rows.map((r) => r.stream), rows.map((r) => r.exportId), rows.map((r) => r.runId), rows.map((r) => r.recordNo), rows.map((r) => r.reason), rows.map((r) => r.raw)],
  );
}

function windowBounds(pgType: string, w: NonNullable<MergeRequest['window']>): readonly [string, string] {
  if (pgType === 'date') return [`${quoteLiteral(w.start)}::date`, `${quoteLiteral(w.end)}::date`];
  const tz = quoteLiteral(w.timezone);
  return [`(${quoteLiteral(w.start)}::timestamp at time zone ${tz})`, `(${quoteLiteral(w.end)}::timestamp at time zone ${tz})`];
}

/** `jsonb_build_object` takes at most 100 arguments: build it from chunks of 50 pairs. Empty values are dropped. */
function jsonbOf(columns: ReadonlyArray<string>): string {
  if (columns.length === 0) return `'{}'::jsonb`;
  const chunks: string[] = [];
  for (let i = 0; i < columns.length; i += 50) {
    const pairs = columns.slice(i, i + 50).map((c) => `${quoteLiteral(c)}, ${quoteIdent(c)}`);
    chunks.push(`jsonb_build_object(${pairs.join(', ')})`);
  }
  return `jsonb_strip_nulls(${chunks.join(' || ')})`;
}
