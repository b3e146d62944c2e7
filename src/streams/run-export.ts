/**
 * One export window, start to finish, recorded in the ledger at every step:
 *   resume an open request of this window if the ledger has one (a crashed or concurrent run left it), else
 *   record 'requesting' → POST (days_ago computed after the rate permit, out of the midnight edge) → 'processing'
 *   with the request_id → poll with backoff → download (no API key) → COPY + merge, and 'loaded' commits with the
 *   rows. Failed, expired (404), timed-out exports and bad downloads (truncated, expired URL, dates outside the
 *   window) are recorded and requested again, up to DIALPAD_EXPORT_MAX_ATTEMPTS.
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Config } from '../config.js';
import { EtlError, TerminalError, coerceError } from '../errors.js';
import type { DialpadClient } from '../extract/client.js';
import { createExportApi, isExpiredExportError, type ExportApi } from '../extract/exports.js';
import type { Logger } from '../logger.js';
import * as ledger from '../load/ledger.js';
import type { Database } from '../load/schema.js';
import type { MergeResult } from '../load/staging.js';
import { formatWindow, midnightGuardDelayMs, toDaysAgo, type DateWindow } from '../windows.js';
import type { ExportStreamDefinition } from './define-stream.js';
import { tableSpecOf } from './index.js';
import { loadCsv } from './load-csv.js';

export interface ExportRunDeps {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  readonly client: DialpadClient;
  readonly config: Config;
  readonly logger: Logger;
  readonly runId: string;
  readonly now?: () => Date;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal?: AbortSignal;
}

export interface WindowResult {
  readonly stream: string;
  readonly window: DateWindow;
  readonly target: string;
  /** 'skipped': another process holds this window (it is working on it). */
  readonly status: 'loaded' | 'failed' | 'skipped';
  readonly exportId: string | null;
  /** Exports POSTed by this call (0 when an open request was resumed). */
  readonly posts: number;
  readonly rows: (MergeResult & { readonly quarantinedTotal: number }) | null;
  readonly error: string | null;
}

type Outcome = { readonly kind: 'complete'; readonly url: string } | { readonly kind: 'failed' | 'expired' | 'timed_out'; readonly message: string };

export async function runExportWindow(deps: ExportRunDeps, stream: ExportStreamDefinition, window: DateWindow, target: string): Promise<WindowResult> {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number, signal?: AbortSignal) => sleepTimer(ms, undefined, signal ? { signal } : undefined));
  const api = createExportApi(deps.client, stream.family);
  const key: ledger.ExportKey = { stream: stream.name, windowStart: window.start, windowEnd: window.end, target };
  const log = deps.logger.child({ stream: stream.name, window: formatWindow(window), ...(target ? { target } : {}) });
  const spec = tableSpecOf(stream);
  let posts = 0;
  let lastError = 'no attempt made';
  let lastExportId: string | null = null;

  for (;;) {
    deps.signal?.throwIfAborted();
    let entry = await ledger.findOpenExport(deps.db, key);
    if (entry !== undefined && (entry.status === 'requesting' || entry.requestId === null)) {
      // A process died between recording the export and hearing Dialpad's answer: the request id is unknown.
      await ledger.markStatus(deps.db, entry.id, 'abandoned', 'process stopped before Dialpad answered the POST');
      entry = undefined;
    }
    let exportId: string;
    let requestId: string;
    let postedAt: Date;
    if (entry !== undefined) {
      exportId = entry.id;
      requestId = entry.requestId!;
      postedAt = entry.postedAt ?? now();
      log.info({ exportId, requestId, status: entry.status }, 'resuming export request from the ledger');
    } else {
      if (posts >= deps.config.exportMaxAttempts) break;
      const attempt = (await ledger.countAttempts(deps.db, key)) + 1;
      try {
        exportId = await ledger.insertRequesting(deps.db, { ...key, family: stream.family, timezone: window.timezone, attempt, runId: deps.runId });
      } catch (err) {
        if ((err as { code?: string }).code === '23505') continue; // another process just opened it: resume theirs
        throw err;
      }
      posts++;
      lastExportId = exportId;
      try {
        const created = await api.create(async () => {
          const wait = midnightGuardDelayMs(window.timezone, now(), deps.config.midnightGuardSeconds);
          if (wait > 0) {
            log.info({ waitMs: wait }, 'holding the export POST until the local midnight edge has passed');
            await sleep(wait, deps.signal);
          }
          const body = exportBody(stream, window, target, now());
          await ledger.recordBody(deps.db, exportId, body);
          return body;
        }, deps.signal);
        requestId = created.requestId;
        await ledger.markPosted(deps.db, exportId, requestId);
        postedAt = now();
        log.info({ exportId, requestId, alreadyStarted: created.alreadyStarted }, 'export requested');
      } catch (err) {
        const e = coerceError(err);
        await ledger.markStatus(deps.db, exportId, 'failed', e.message);
        if (deps.signal?.aborted || !isRetryableExportError(e)) throw e;
        lastError = e.message;
        log.warn({ exportId, err: e.message }, 'export request failed');
        continue;
      }
    }
    lastExportId = exportId;

    const outcome = await poll(deps, api, exportId, requestId, postedAt, entry?.status === 'complete' || entry?.status === 'downloading', now, sleep, log);
    if (outcome.kind !== 'complete') {
      await ledger.markStatus(deps.db, exportId, outcome.kind, outcome.message);
      lastError = outcome.message;
      log.warn({ exportId, requestId, outcome: outcome.kind }, `export ${outcome.kind}: ${outcome.message}`);
      continue;
    }

    await ledger.markStatus(deps.db, exportId, 'downloading');
    try {
      const body = await deps.client.download(outcome.url, deps.signal);
      const result = await loadCsv(
        { pool: deps.pool, logger: log, parallelism: deps.config.copyParallelism, spoolDir: deps.config.dataDir },
        {
          spec,
          stream: stream.name,
          exportId,
          runId: deps.runId,
          body,
          reopen: () => deps.client.download(outcome.url, deps.signal),
          timezone: window.timezone,
          window: { start: window.start, end: window.end, timezone: window.timezone },
          ...(target ? { target } : {}),
          ...(stream.family === 'scorecards' && stream.dayColumn !== undefined ? { constants: [{ name: stream.dayColumn, value: window.start }] } : {}),
          finalize: (client, r) => ledger.markLoaded(client, exportId, r.inserted + r.updated + r.unchanged, r.quarantined),
        },
      );
      log.info(
        { exportId, inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, deleted: result.deleted, quarantined: result.quarantinedTotal, duplicates: result.duplicates, unknownColumns: result.unknownColumns, bytes: result.bytes, path: result.path },
        'window loaded',
      );
      return { stream: stream.name, window, target, status: 'loaded', exportId, posts, rows: result, error: null };
    } catch (err) {
      const e = coerceError(err);
      await ledger.markStatus(deps.db, exportId, 'failed', e.message).catch(() => {});
      if (deps.signal?.aborted || !isRetryableExportError(e)) throw e;
      lastError = e.message;
      log.warn({ exportId, err: e.message }, 'download or load failed; requesting the export again');
    }
  }
  log.error({ attempts: posts, err: lastError }, 'window failed: export attempts exhausted');
  return { stream: stream.name, window, target, status: 'failed', exportId: lastExportId, posts, rows: null, error: `${posts} export attempt(s) failed; last: ${lastError}` };
}

async function poll(
  deps: ExportRunDeps,
  api: ExportApi,
  exportId: string,
  requestId: string,
  postedAt: Date,
  skipDelay: boolean,
  now: () => Date,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  log: Logger,
): Promise<Outcome> {
  const { poll: p } = deps.config;
  const deadline = postedAt.getTime() + p.timeoutMs;
  if (!skipDelay) {
    const wait = postedAt.getTime() + p.initialDelayMs - now().getTime();
    if (wait > 0) await sleep(wait, deps.signal);
  }
  let interval = p.intervalMs;
  for (;;) {
    let status;
    try {
      status = await api.get(requestId, deps.signal);
    } catch (err) {
      if (isExpiredExportError(err)) return { kind: 'expired', message: (err as Error).message };
      throw err;
    }
    await ledger.recordPoll(deps.db, exportId, status.status, status.reason);
    if (status.status === 'complete') {
      if (status.downloadUrl === null) return { kind: 'failed', message: 'export complete without a download_url' };
      if (status.fileType !== null && status.fileType.toLowerCase() !== 'csv') {
        return { kind: 'failed', message: `export file_type "${status.fileType}" is not csv` };
      }
      return { kind: 'complete', url: status.downloadUrl };
    }
    if (status.status === 'failed') return { kind: 'failed', message: `Dialpad reported the export failed${status.reason ? `: ${status.reason}` : ''}` };
    if (now().getTime() + interval > deadline) return { kind: 'timed_out', message: `still processing after ${Math.round((now().getTime() - postedAt.getTime()) / 1000)} s` };
    log.debug({ exportId, requestId, nextPollMs: interval }, 'export processing');
    await sleep(interval, deps.signal);
    interval = Math.min(p.maxIntervalMs, Math.ceil(interval * 1.5));
  }
}

/**
 * The POST body for a window (POST /api/v2/stats or /api/v2/scorecards/export), with days_ago relative to `now` in
 * the window's zone.
 */
export function exportBody(stream: ExportStreamDefinition, window: DateWindow, target: string, now: Date): Readonly<Record<string, unknown>> {
  const { days_ago_start, days_ago_end } = toDaysAgo(window, now);
  return {
    ...stream.request,
    days_ago_start,
    days_ago_end,
    timezone: window.timezone,
    ...(target ? { target_id: idForJson(target), target_type: 'callcenter' } : {}),
  };
}

/** Ids travel as JSON numbers (the spec's int64) when they are exact in a double, else as strings. */
function idForJson(id: string): number | string {
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : id;
}

function isRetryableExportError(err: Error): boolean {
  if (err instanceof EtlError) return err.retryable;
  // Postgres or stream errors not wrapped by us: a data error would repeat, anything else may not.
  return !(err instanceof TerminalError) && !(err instanceof RangeError);
}

