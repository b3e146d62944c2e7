/**
 * One window of a JSON source (WFM, digital sessions), or one full refresh of a directory table: page through the
 * API, type each item (transform), stage and merge (load), and record it in dialpad_etl.api_loads, whose 'loaded'
 * commits with the rows.
 */
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { coerceError } from '../errors.js';
import type { DialpadClient } from '../extract/client.js';
import type { Logger } from '../logger.js';
import { failApiLoad, finishApiLoad, startApiLoad } from '../load/api-loads.js';
import type { Database } from '../load/schema.js';
import { quoteIdent, qualified } from '../load/table-spec.js';
import type { InstantWindow } from '../windows.js';
import type { ApiFetchContext, ApiStreamDefinition, DirectoryStreamDefinition } from './define-stream.js';
import { tableSpecOf } from './index.js';
import { loadRows } from './load-rows.js';
import type { WindowResult } from './run-export.js';

export interface ApiRunDeps {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  readonly client: DialpadClient;
  readonly logger: Logger;
  readonly runId: string;
  readonly signal?: AbortSignal;
}

export function fetchContext(deps: ApiRunDeps): ApiFetchContext {
  return {
    client: deps.client,
    ...(deps.signal ? { signal: deps.signal } : {}),
    async agentEmails() {
      // Every user with an address, in every state: a deleted agent still has history in the window.
      const { rows } = await deps.pool.query<{ e: string }>(`select distinct lower(primary_email) as e from dialpad.users where primary_email is not null order by 1`);
      return rows.map((r) => r.e);
    },
  };
}

export async function runApiWindow(deps: ApiRunDeps, stream: ApiStreamDefinition, window: InstantWindow): Promise<WindowResult> {
  const log = deps.logger.child({ stream: stream.name, window: `${window.startUtc}..${window.endUtc}` });
  const loadId = await startApiLoad(deps.pool, stream.name, window, deps.runId);
  try {
    const result = await loadRows(deps, {
      spec: tableSpecOf(stream),
      stream: stream.name,
      loadId,
      runId: deps.runId,
      pages: stream.fetch(fetchContext(deps), window),
      finalize: (client, r) => finishApiLoad(client, loadId, r.inserted + r.updated + r.unchanged, r.quarantined, 0),
    });
    log.info({ loadId, inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, quarantined: result.quarantined, pages: result.pages }, 'window loaded');
    return { stream: stream.name, window: { start: window.startUtc, end: window.endUtc, timezone: 'UTC' }, target: '', status: 'loaded', exportId: loadId, posts: 0, rows: { ...result, quarantinedTotal: result.quarantined }, error: null };
  } catch (err) {
    const e = coerceError(err);
    await failApiLoad(deps.pool, loadId, e.message).catch(() => {});
    throw e;
  }
}

/** Full refresh: upsert every row the API lists; mark rows it no longer lists `_removed_at` (never delete). */
export async function runDirectory(deps: ApiRunDeps, stream: DirectoryStreamDefinition): Promise<WindowResult> {
  const log = deps.logger.child({ stream: stream.name });
  const loadId = await startApiLoad(deps.pool, stream.name, null, deps.runId);
  const spec = tableSpecOf(stream);
  const keys = spec.key.kind === 'columns' ? spec.key.columns.map(quoteIdent) : ['_row_key'];
  let removed = 0;
  try {
    const result = await loadRows(deps, {
      spec,
      stream: stream.name,
      loadId,
      runId: deps.runId,
      pages: stream.fetch(fetchContext(deps)),
      finalize: async (client, r, stage) => {
        const listed = stage.tables.map((t) => `select ${keys.join(', ')} from ${t}`).join(' union all ');
        const match = keys.map((k) => `s.${k} = t.${k}`).join(' and ');
        const gone = await client.query(`update ${qualified(spec)} t set _removed_at = now() where _removed_at is null and not exists (select 1 from (${listed}) s where ${match})`);
        removed = gone.rowCount ?? 0;
        await client.query(`update ${qualified(spec)} t set _removed_at = null where _removed_at is not null and exists (select 1 from (${listed}) s where ${match})`);
        await finishApiLoad(client, loadId, r.inserted + r.updated + r.unchanged, r.quarantined, 0);
      },
    });
    log.info({ loadId, inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, removed }, 'directory refreshed');
    return { stream: stream.name, window: { start: '', end: '', timezone: 'UTC' }, target: '', status: 'loaded', exportId: loadId, posts: 0, rows: { ...result, quarantinedTotal: result.quarantined }, error: null };
  } catch (err) {
    const e = coerceError(err);
    await failApiLoad(deps.pool, loadId, e.message).catch(() => {});
    throw e;
  }
}
