/**
 * Runs a planned set of windows for any mix of streams: in parallel up to a concurrency limit (Dialpad works on
 * several exports at once; rate budgets are enforced separately), each window under a cross-process advisory lock
 * so that two processes never work the same window, and one stream's failure never stopping the others. Directory
 * streams run first: csat/dispositions target the call centers they list, and WFM activity asks per user.
 */
import pLimit from 'p-limit';
import { coerceError } from '../errors.js';
import { apiLoadedSince, loadedApiWindows } from '../load/api-loads.js';
import * as ledger from '../load/ledger.js';
import { withLock } from '../load/locks.js';
import { lastSuccesses, recordStreamFailure, recordStreamSuccess } from '../load/runs.js';
import { dateWindowToInstants, splitDateRange, splitInstantRange, type DateWindow, type InstantWindow, type LocalDate } from '../windows.js';
import type { ApiStreamDefinition, DirectoryStreamDefinition, ExportStreamDefinition, StreamDefinition } from './define-stream.js';
import { runApiWindow, runDirectory } from './run-api.js';
import { runExportWindow, type ExportRunDeps, type WindowResult } from './run-export.js';

export type PlannedWindow =
  | { readonly kind: 'export'; readonly stream: ExportStreamDefinition; readonly window: DateWindow; readonly target: string }
  | { readonly kind: 'api'; readonly stream: ApiStreamDefinition; readonly window: InstantWindow }
  | { readonly kind: 'directory'; readonly stream: DirectoryStreamDefinition };

export interface StreamPlan {
  readonly stream: StreamDefinition;
  readonly windows: ReadonlyArray<PlannedWindow>;
  /** Windows left out because they are recorded as loaded (backfill without --force). */
  readonly alreadyLoaded: number;
  /** Why the stream cannot run at all (e.g. csat with no call center known). */
  readonly unavailable: string | null;
  /** Exclusive end date of the planned range: the watermark a fully successful sync moves to. */
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
  /** Export windows: longest span in days. */
  readonly maxDays: number;
  /** For per-target exports; empty → the call centers in dialpad.call_centers. */
  readonly callCenterIds: ReadonlyArray<string>;
  /** Leave out windows recorded as loaded. */
  readonly skipLoaded: boolean;
  /** API windows end here instead of at `toInclusive + 1 day` 00:00 (a sync reads today so far). */
  readonly apiEndUtc?: string;
}

export async function planStream(deps: Pick<ExportRunDeps, 'db' | 'pool'>, stream: StreamDefinition, o: PlanOptions): Promise<StreamPlan> {
  const days = splitDateRange(o.from, o.toInclusive, o.timezone, 1);
  const end = days.at(-1)!.end;
  const base = { stream, alreadyLoaded: 0, unavailable: null, end };
  if (stream.kind === 'directory') return { ...base, windows: [{ kind: 'directory', stream }] };
  if (stream.kind === 'api') {
    const range = dateWindowToInstants({ start: o.from, end, timezone: o.timezone });
    const whole = o.apiEndUtc === undefined ? range : { startUtc: range.startUtc, endUtc: o.apiEndUtc };
    const loaded = o.skipLoaded ? await loadedApiWindows(deps.pool, stream.name) : new Set<string>();
    const windows: PlannedWindow[] = [];
    let alreadyLoaded = 0;
    for (const w of splitInstantRange(whole, stream.maxWindowMs)) {
      if (loaded.has(`${w.startUtc}|${w.endUtc}`)) alreadyLoaded++;
      else windows.push({ kind: 'api', stream, window: w });
    }
    return { ...base, windows, alreadyLoaded };
  }
  let targets: ReadonlyArray<string> = [''];
  if (stream.family === 'stats' && stream.targets === 'call_centers') {
    targets = o.callCenterIds.length > 0 ? o.callCenterIds : await knownCallCenters(deps);
    if (targets.length === 0) {
      return { ...base, windows: [], unavailable: `${stream.name} exports need a call center: none in dialpad.call_centers (sync the call_centers stream) and DIALPAD_CALL_CENTER_IDS is not set` };
    }
  }
  // Leaderboards aggregate over the range they are asked for: one day per export keeps them day-grain facts.
  const maxDays = stream.family === 'scorecards' && stream.dayColumn !== undefined ? 1 : o.maxDays;
  const loaded = o.skipLoaded ? await ledger.loadedWindows(deps.db, stream.name) : new Set<string>();
  const windows: PlannedWindow[] = [];
  let alreadyLoaded = 0;
  for (const window of splitDateRange(o.from, o.toInclusive, o.timezone, maxDays)) {
    for (const target of targets) {
      if (loaded.has(`${window.start}|${window.end}|${target}`)) alreadyLoaded++;
      else windows.push({ kind: 'export', stream, window, target });
    }
  }
  return { ...base, windows, alreadyLoaded };
}

async function knownCallCenters(deps: Pick<ExportRunDeps, 'pool'>): Promise<ReadonlyArray<string>> {
  const { rows } = await deps.pool.query<{ id: string }>(`select id from dialpad.call_centers where _removed_at is null and coalesce(state, 'active') <> 'deleted' order by id`);
  return rows.map((r) => r.id);
}

export interface PassOptions {
  readonly concurrency: number;
  /** 'sync' moves each stream's watermark to its plan's end when every window loaded; 'backfill' never does. */
  readonly mode: 'sync' | 'backfill';
  readonly onWindowDone?: (r: WindowResult) => void;
  /** Called with each phase's plans before they run (progress totals). */
  readonly onPlans?: (plans: ReadonlyArray<StreamPlan>) => void;
}

/**
 * Plans are built lazily per phase: directory streams are planned and run before the others, so a first pass can
 * discover the call centers csat/dispositions target.
 */
export async function runPass(
  deps: ExportRunDeps,
  phases: ReadonlyArray<() => Promise<ReadonlyArray<StreamPlan>>>,
  opts: PassOptions,
): Promise<ReadonlyArray<StreamOutcome>> {
  const outcomes: StreamOutcome[] = [];
  // Database time: a window another process loads after this instant is not loaded again by this pass.
  const startedAt = await ledger.databaseNow(deps.db);
  // Read before any plan reads a watermark: see the cutoff comment in runPlans.
  const lastSuccess = opts.mode === 'sync' ? await lastSuccesses(deps.db) : new Map<string, Date>();
  for (const phase of phases) {
    const plans = await phase();
    opts.onPlans?.(plans);
    const cutoffs = new Map(plans.map((p) => [p.stream.name, opts.mode === 'sync' ? (lastSuccess.get(p.stream.name) ?? new Date(0)) : startedAt]));
    outcomes.push(...(await runPlans(deps, plans, opts, cutoffs)));
  }
  return outcomes;
}

/**
 * `cutoffs`: a window another process loaded after its stream's cutoff is not loaded again. Backfill: since this
 * pass began. Sync: since the stream's last successful pass ended (read before the watermark was), so a concurrent
 * scheduler's pass, whose watermark is not recorded yet, is not repeated, while the lookback still re-reads windows
 * of earlier passes.
 */
async function runPlans(deps: ExportRunDeps, plans: ReadonlyArray<StreamPlan>, opts: PassOptions, cutoffs: ReadonlyMap<string, Date>): Promise<ReadonlyArray<StreamOutcome>> {
  const limit = pLimit(opts.concurrency);
  const perStream = plans.map((plan) =>
    Promise.all(
      plan.windows.map((w) =>
        limit(async (): Promise<WindowResult> => {
          if (deps.signal?.aborted) return failed(w, 'interrupted before it started');
          try {
            const r = await withLock(
              deps.pool,
              lockName(w),
              async () => ((await loadedSince(deps, w, cutoffs.get(w.stream.name)!)) ? null : runWindow(deps, w)),
              {
                ...(deps.signal ? { signal: deps.signal } : {}),
                onWait: () => deps.logger.info({ stream: w.stream.name, window: describe(w) }, 'another dialpad-etl process is working on this window: waiting for it'),
              },
            );
            // Loaded by another process during this pass: covered, so it counts as loaded (no rows of ours).
            const result: WindowResult = r ?? { ...failed(w, null), status: 'loaded' };
            opts.onWindowDone?.(result);
            return result;
          } catch (err) {
            const e = coerceError(err);
            deps.logger.error({ stream: w.stream.name, window: describe(w), err: e }, 'window failed');
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
      const f = failures[0]!;
      error = `${failures.length} of ${windows.length} window(s) failed; first${f.window.start ? ` ${f.window.start}..${f.window.end}` : ''}: ${f.error}`;
    } else status = skipped.length > 0 && skipped.length === windows.length ? 'skipped' : 'succeeded';
    // An interrupted pass (SIGTERM) is neither a failure to back off from nor a success that moves the watermark.
    if (deps.signal?.aborted === true) {
      /* not recorded */
    } else if (status === 'failed') await recordStreamFailure(deps.db, plan.stream.name, deps.runId, error!);
    else if (status === 'succeeded' || plan.windows.length === 0) {
      const watermark = opts.mode === 'sync' && skipped.length === 0 && plan.unavailable === null && plan.stream.kind !== 'directory' ? plan.end : null;
      await recordStreamSuccess(deps.db, plan.stream.name, deps.runId, rows, watermark);
    }
    outcomes.push({ stream: plan.stream.name, status, windows, rows, quarantined, posts, error });
  }
  return outcomes;
}

function loadedSince(deps: ExportRunDeps, w: PlannedWindow, since: Date): Promise<boolean> {
  switch (w.kind) {
    case 'export':
      return ledger.exportLoadedSince(deps.db, { stream: w.stream.name, windowStart: w.window.start, windowEnd: w.window.end, target: w.target }, since);
    case 'api':
      return apiLoadedSince(deps.pool, w.stream.name, w.window, since);
    case 'directory':
      return apiLoadedSince(deps.pool, w.stream.name, null, since);
  }
}

function runWindow(deps: ExportRunDeps, w: PlannedWindow): Promise<WindowResult> {
  switch (w.kind) {
    case 'export':
      return runExportWindow(deps, w.stream, w.window, w.target);
    case 'api':
      return runApiWindow(deps, w.stream, w.window);
    case 'directory':
      return runDirectory(deps, w.stream);
  }
}

function lockName(w: PlannedWindow): string {
  switch (w.kind) {
    case 'export':
      return `export|${w.stream.name}|${w.window.start}|${w.window.end}|${w.target}`;
    case 'api':
      return `api|${w.stream.name}|${w.window.startUtc}|${w.window.endUtc}`;
    case 'directory':
      return `directory|${w.stream.name}`;
  }
}

export function describe(w: PlannedWindow): string {
  switch (w.kind) {
    case 'export':
      return `${w.window.start}..${w.window.end}${w.target ? ` target ${w.target}` : ''}`;
    case 'api':
      return `${w.window.startUtc}..${w.window.endUtc}`;
    case 'directory':
      return 'full refresh';
  }
}

function failed(w: PlannedWindow, error: string | null): WindowResult {
  const window: DateWindow =
    w.kind === 'export' ? w.window : w.kind === 'api' ? { start: w.window.startUtc, end: w.window.endUtc, timezone: 'UTC' } : { start: '', end: '', timezone: 'UTC' };
  return { stream: w.stream.name, window, target: w.kind === 'export' ? w.target : '', status: 'failed', exportId: null, posts: 0, rows: null, error };
}
