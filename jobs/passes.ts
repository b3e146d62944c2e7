/**
 * Shared by the sync and backfill commands: choosing streams by name, running the planned windows in a run row,
 * and summarising the outcome.
 */
import { ConfigError, coerceError } from '../src/errors.js';
import type { App } from '../src/app.js';
import { finishRun, startRun } from '../src/load/runs.js';
import { STREAMS, STREAM_NAMES } from '../src/streams/index.js';
import type { StreamDefinition } from '../src/streams/define-stream.js';
import type { WindowResult } from '../src/streams/run-export.js';
import { runPass, type StreamOutcome, type StreamPlan } from '../src/streams/run-pass.js';
import type { Progress } from './progress.js';

export function selectStreams(names: ReadonlyArray<string> | undefined): ReadonlyArray<StreamDefinition> {
  if (names === undefined || names.length === 0) return STREAMS;
  const unknown = names.filter((n) => !STREAM_NAMES.includes(n));
  if (unknown.length > 0) throw new ConfigError(`unknown stream(s): ${unknown.join(', ')} (known: ${STREAM_NAMES.join(', ')})`);
  return STREAMS.filter((s) => names.includes(s.name));
}

export function parseStreamList(value: string | undefined): ReadonlyArray<string> | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new ConfigError('--streams needs at least one stream name');
  return names;
}

export interface PassSummary {
  readonly runId: string;
  readonly outcomes: ReadonlyArray<StreamOutcome>;
  readonly ok: boolean;
}

/** Directory streams first (others depend on them), then everything else. */
export function phasesOf(streams: ReadonlyArray<StreamDefinition>): ReadonlyArray<ReadonlyArray<StreamDefinition>> {
  const dir = streams.filter((s) => s.kind === 'directory');
  const rest = streams.filter((s) => s.kind !== 'directory');
  return [dir, rest].filter((p) => p.length > 0);
}

export async function executePlans(
  app: App,
  command: 'sync' | 'backfill',
  streams: ReadonlyArray<StreamDefinition>,
  plan: (stream: StreamDefinition) => Promise<StreamPlan>,
  args: unknown,
  signal?: AbortSignal,
  progress?: Progress,
): Promise<PassSummary> {
  const { db } = app.database;
  const runId = await startRun(db, command, streams.map((s) => s.name), args);
  const log = app.logger.child({ runId });
  log.info({ streams: streams.map((s) => s.name) }, `${command} started`);
  try {
    const phases = phasesOf(streams).map((phase) => async () => {
      const plans: StreamPlan[] = [];
      for (const s of phase) plans.push(await plan(s));
      return plans;
    });
    const outcomes = await runPass(
      { db, pool: app.database.pool, client: app.client!, config: app.config, logger: log, runId, ...(signal ? { signal } : {}) },
      phases,
      {
        concurrency: app.config.concurrency,
        mode: command,
        ...(progress ? { onPlans: (p: ReadonlyArray<StreamPlan>) => progress.onPlans(p), onWindowDone: (r: WindowResult) => progress.onWindowDone(r) } : {}),
      },
    );
    const rows = outcomes.reduce((n, o) => n + o.rows, 0);
    const failed = outcomes.filter((o) => o.status === 'failed');
    const interrupted = signal?.aborted === true;
    const error = failed.length > 0 ? failed.map((o) => `${o.stream}: ${o.error}`).join('; ') : interrupted ? 'interrupted' : null;
    await finishRun(db, runId, interrupted ? 'interrupted' : failed.length > 0 ? 'failed' : 'succeeded', rows, error);
    for (const o of outcomes) {
      const fields = { stream: o.stream, status: o.status, windows: o.windows.length, rows: o.rows, quarantined: o.quarantined, posts: o.posts };
      if (o.status === 'failed') log.error({ ...fields, err: o.error }, 'stream failed');
      else if (o.status === 'skipped') log.warn({ ...fields, reason: o.error }, 'stream skipped');
      else log.info(fields, 'stream done');
    }
    log.info({ rows, failed: failed.map((o) => o.stream) }, `${command} finished`);
    return { runId, outcomes, ok: failed.length === 0 && !interrupted };
  } catch (err) {
    await finishRun(db, runId, 'failed', 0, coerceError(err).message).catch(() => {});
    throw err;
  } finally {
    progress?.stop();
  }
}

export function printSummary(out: NodeJS.WritableStream, summary: PassSummary): void {
  for (const o of summary.outcomes) {
    const extra = o.error ? `  ${o.error}` : '';
    out.write(`${o.stream.padEnd(22)} ${o.status.padEnd(9)} windows ${String(o.windows.length).padStart(4)}  rows ${String(o.rows).padStart(9)}  quarantined ${o.quarantined}${extra}\n`);
  }
}
