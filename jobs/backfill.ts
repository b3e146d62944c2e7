/**
 * `dialpad-etl backfill --from --to`: loads an explicit range of calendar dates. Stateless (dlt's rule): it never
 * moves the incremental watermark. Windows the ledger shows loaded are skipped unless --force.
 */
import type { App } from '../src/app.js';
import { ConfigError } from '../src/errors.js';
import { OPERATIONS } from '../src/extract/endpoints.js';
import { planStream, type PlanOptions, type StreamPlan } from '../src/streams/run-pass.js';
import { parseLocalDate, todayIn } from '../src/windows.js';
import { executePlans, selectStreams, type PassSummary } from './passes.js';
import type { Progress } from './progress.js';

export interface BackfillOptions {
  readonly from: string;
  readonly to: string;
  readonly streams?: ReadonlyArray<string>;
  readonly force?: boolean;
  readonly now?: Date;
  readonly signal?: AbortSignal;
  readonly progress?: Progress;
}

function planOptions(app: App, opts: BackfillOptions): PlanOptions {
  const { config } = app;
  let from: string;
  let to: string;
  try {
    from = parseLocalDate(opts.from, '--from');
    to = parseLocalDate(opts.to, '--to');
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (from > to) throw new ConfigError(`--from ${from} is after --to ${to}`);
  const today = todayIn(config.timezone, opts.now ?? new Date());
  if (to >= today) throw new ConfigError(`--to ${to} must be before today (${today} in ${config.timezone}): Dialpad's historical exports end yesterday`);
  return { from, toInclusive: to, timezone: config.timezone, maxDays: config.exportMaxDays, callCenterIds: config.callCenterIds, skipLoaded: opts.force !== true };
}

/** The plan of every selected stream (for --dry-run; a real run plans phase by phase). */
export async function planBackfill(app: App, opts: BackfillOptions): Promise<ReadonlyArray<StreamPlan>> {
  const o = planOptions(app, opts);
  const plans: StreamPlan[] = [];
  for (const stream of selectStreams(opts.streams)) plans.push(await planStream(app.database, stream, o));
  return plans;
}

export async function runBackfill(app: App, opts: BackfillOptions): Promise<PassSummary> {
  const o = planOptions(app, opts);
  return executePlans(app, 'backfill', selectStreams(opts.streams), (s) => planStream(app.database, s, o), { from: opts.from, to: opts.to, streams: opts.streams ?? null, force: opts.force === true }, opts.signal, opts.progress);
}

/** The --dry-run report: windows per stream, requests per rate-limited operation, time under the current budget. */
export function describePlan(app: App, plans: ReadonlyArray<StreamPlan>): string {
  const lines: string[] = [];
  const requests = new Map<string, number>();
  const add = (op: string, n: number) => requests.set(op, (requests.get(op) ?? 0) + n);
  for (const p of plans) {
    const note = p.unavailable ?? (p.alreadyLoaded > 0 ? `${p.alreadyLoaded} window(s) already loaded, skipped (use --force to re-read)` : '');
    lines.push(`${p.stream.name.padEnd(32)} windows ${String(p.windows.length).padStart(4)}  ${note}`);
    const s = p.stream;
    if (s.kind === 'export') add(s.family === 'stats' ? OPERATIONS.statsCreate.id : OPERATIONS.scorecardsExportCreate.id, p.windows.length);
    else add(s.operationId, p.windows.length); // at least one request per window (more when it pages)
  }
  lines.push('');
  let slowest = 0;
  for (const [op, n] of requests) {
    const limits = app.config.rateLimits[op as keyof typeof app.config.rateLimits] ?? [];
    const hours = estimateHours(n, limits);
    slowest = Math.max(slowest, hours);
    lines.push(`${op}: ${n} request(s)${limits.length ? `, budget ${limits.map((l) => `${l.count} per ${l.windowMs / 1000} s`).join(' and ')}` : ''}, at least ${formatHours(hours)}`);
  }
  lines.push(`estimated duration under the current budget: ${formatHours(slowest)} (plus Dialpad's processing time)`);
  return lines.join('\n');
}

function formatHours(hours: number): string {
  return hours < 1 / 60 ? 'under a minute' : hours < 1 ? `${Math.ceil(hours * 60)} min` : `${hours.toFixed(1)} h`;
}

function estimateHours(requests: number, limits: ReadonlyArray<{ readonly count: number; readonly windowMs: number }>): number {
  if (requests === 0 || limits.length === 0) return 0;
  // The first `count` go at once; each further batch waits one window.
  const ms = Math.max(...limits.map((l) => Math.max(0, Math.ceil(requests / l.count) - 1) * l.windowMs));
  return ms / 3_600_000;
}
