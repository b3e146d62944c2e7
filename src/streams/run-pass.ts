/**
 * Runs a planned set of export windows: in parallel up to a concurrency limit (Dialpad works on several exports at
 * once; the POST budget is enforced separately), each window under a cross-process advisory lock so that two
 * processes never work the same window, one stream's failure never stopping the others.
 */
import pLimit from 'p-limit';
import { coerceError } from '../errors.js';
import * as ledger from '../load/ledger.js';
import { withTryLock } from '../load/locks.js';
import { recordStreamFailure, recordStreamSuccess } from '../load/runs.js';
import { splitDateRange, type DateWindow, type LocalDate } from '../windows.js';
import type { StreamDefinition } from './define-stream.js';
import { runExportWindow, type ExportRunDeps, type WindowResult } from './run-export.js';

export interface PlannedWindow {
  readonly stream: StreamDefinition;
  readonly window: DateWindow;
  readonly target: string;
}

export interface StreamPlan {
  readonly stream: StreamDefinition;
  readonly windows: ReadonlyArray<PlannedWindow>;
  /** Windows left out because the ledger shows them loaded (backfill without --force). */
  readonly alreadyLoaded: number;
  /** Why the stream cannot run at all (e.g. csat with no call center configured). */
  readonly unavailable: string | null;
  /** Exclusive end of the planned range: the watermark a fully successful sync moves to. */
  readonly end: LocalDate;
}

export interface StreamOutcome {
  readonly stream: string;
  readonly status: 'succeeded' | 'failed' | 'skipped';
  readonly windows: ReadonlyArray<WindowResult>;
  readonly rows: number;
  readonly quarantined: number;
  readonly posts: number;
  readonly error: string | null;
}

export interface PlanOptions {
  readonly from: LocalDate;
  readonly toInclusive: LocalDate;
  readonly timezone: string;
  readonly maxDays: number;
  readonly callCenterIds: ReadonlyArray<string>;
  /** Leave out windows the ledger shows loaded. */
  readonly skipLoaded: boolean;
}

export async function planStream(deps: Pick<ExportRunDeps, 'db'>, stream: StreamDefinition, o: PlanOptions): Promise<StreamPlan> {
  const end = splitDateRange(o.from, o.toInclusive, o.timezone, 1).at(-1)!.end;
  const targets = stream.targets === 'call_centers' ? o.callCenterIds : [''];
  if (targets.length === 0) {
    return { stream, windows: [], alreadyLoaded: 0, unavailable: `${stream.name} exports need a call center target: set DIALPAD_CALL_CENTER_IDS`, end };
  }
  const loaded = o.skipLoaded ? await ledger.loadedWindows(deps.db, stream.name) : new Set<string>();
  const windows: PlannedWindow[] = [];
  let alreadyLoaded = 0;
  for (const window of splitDateRange(o.from, o.toInclusive, o.timezone, o.maxDays)) {
    for (const target of targets) {
      if (loaded.has(`${window.start}|${window.end}|${target}`)) alreadyLoaded++;
      else windows.push({ stream, window, target });
    }
  }
  return { stream, windows, alreadyLoaded, unavailable: null, end };
}

export interface PassOptions {
  readonly concurrency: number;
  /** 'sync' moves each stream's watermark to its plan's end when every window loaded; 'backfill' never does. */
  readonly mode: 'sync' | 'backfill';
  readonly onWindowDone?: (r: WindowResult) => void;
}

export async function runPass(deps: ExportRunDeps, plans: ReadonlyArray<StreamPlan>, opts: PassOptions): Promise<ReadonlyArray<StreamOutcome>> {
  const limit = pLimit(opts.concurrency);
  const perStream = plans.map((plan) =>
    Promise.all(
      plan.windows.map((w) =>
        limit(async (): Promise<WindowResult> => {
          if (deps.signal?.aborted) return failed(w, 'interrupted before it started');
          try {
            const lockName = `export|${w.stream.name}|${w.window.start}|${w.window.end}|${w.target}`;
            const r = await withTryLock(deps.pool, lockName, () => runExportWindow(deps, w.stream, w.window, w.target));
            const result: WindowResult = r.locked ? { ...failed(w, 'another dialpad-etl process is working on this window'), status: 'skipped' } : r.value;
            opts.onWindowDone?.(result);
            return result;
          } catch (err) {
            const e = coerceError(err);
            deps.logger.error({ stream: w.stream.name, window: `${w.window.start}..${w.window.end}`, err: e }, 'window failed');
            const result = failed(w, e.message);
            opts.onWindowDone?.(result);
            return result;
          }
        }),
      ),
    ),
  );
  const outcomes: StreamOutcome[] = [];
  for (const [i, plan] of plans.entries()) {
    const windows = await perStream[i]!;
    const rows = windows.reduce((n, w) => n + (w.rows ? w.rows.inserted + w.rows.updated : 0), 0);
    const quarantined = windows.reduce((n, w) => n + (w.rows?.quarantinedTotal ?? 0), 0);
    const posts = windows.reduce((n, w) => n + w.posts, 0);
    const failures = windows.filter((w) => w.status === 'failed');
    const skipped = windows.filter((w) => w.status === 'skipped');
    let status: StreamOutcome['status'];
    let error: string | null = null;
    if (plan.unavailable !== null) {
      status = 'skipped';
      error = plan.unavailable;
    } else if (failures.length > 0) {
      status = 'failed';
      error = `${failures.length} of ${windows.length} window(s) failed; first: ${failures[0]!.window.start}..${failures[0]!.window.end}: ${failures[0]!.error}`;
    } else status = skipped.length > 0 && skipped.length === windows.length ? 'skipped' : 'succeeded';
    if (status === 'failed') await recordStreamFailure(deps.db, plan.stream.name, deps.runId, error!);
    else if (status === 'succeeded' || plan.windows.length === 0) {
      const watermark = opts.mode === 'sync' && skipped.length === 0 && plan.unavailable === null ? plan.end : null;
      await recordStreamSuccess(deps.db, plan.stream.name, deps.runId, rows, watermark);
    }
    outcomes.push({ stream: plan.stream.name, status, windows, rows, quarantined, posts, error });
  }
  return outcomes;
}

function failed(w: PlannedWindow, error: string): WindowResult {
  return { stream: w.stream.name, window: w.window, target: w.target, status: 'failed', exportId: null, posts: 0, rows: null, error };
}
