/**
 * `dialpad-etl schedule`: the long-running scheduler. node-cron fires one incremental pass per stream family on
 * its own cron expression, in DIALPAD_TIMEZONE:
 *   exports (stats + scorecards) hourly at a quiet minute, WFM + digital every 15 minutes, directory daily.
 * No overlap: node-cron's `noOverlap` skips a tick while the family's previous pass still runs in this process, and
 * each window is worked under a Postgres advisory lock, re-checked against the ledger after the lock is taken, so
 * two schedulers (or a scheduler and a backfill) never work or load the same window twice.
 * A failing stream is retried on later ticks with exponential backoff; the others carry on.
 * SIGTERM/SIGINT: no new ticks; polling in flight stops (its export stays open in the ledger and the next start
 * resumes it); resolves 0.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { App } from '../src/app.js';
import { coerceError } from '../src/errors.js';
import { streamsInBackoff } from '../src/load/runs.js';
import { STREAMS } from '../src/streams/index.js';
import type { StreamDefinition } from '../src/streams/define-stream.js';
import type { PassSummary } from './passes.js';
import { runSync } from './sync.js';

export type Family = 'exports' | 'api' | 'directory';

export const FAMILY_OF: Readonly<Record<StreamDefinition['kind'], Family>> = { export: 'exports', api: 'api', directory: 'directory' };

export interface ScheduleOptions {
  readonly signal: AbortSignal;
  /** Restricts the scheduler to these streams (default: all). */
  readonly streams?: ReadonlyArray<string>;
  /** Observes every finished pass (tests, metrics). */
  readonly onPass?: (family: Family, summary: PassSummary) => void;
}

export async function runSchedule(app: App, opts: ScheduleOptions): Promise<number> {
  const { config, logger } = app;
  const selected = STREAMS.filter((s) => opts.streams === undefined || opts.streams.includes(s.name));
  const inFlight = new Set<Promise<unknown>>();
  const tasks: ScheduledTask[] = [];

  const tick = async (family: Family): Promise<void> => {
    if (opts.signal.aborted) return;
    const backoff = await streamsInBackoff(app.database.db, config.schedule.backoffBaseMs, config.schedule.backoffMaxMs);
    const streams = selected.filter((s) => FAMILY_OF[s.kind] === family);
    const due = streams.filter((s) => !backoff.has(s.name));
    for (const s of streams.filter((x) => backoff.has(x.name))) {
      logger.info({ stream: s.name, until: backoff.get(s.name)!.toISOString() }, 'stream failed recently: backing off');
    }
    if (due.length === 0) return;
    const summary = await runSync(app, { streams: due.map((s) => s.name), signal: opts.signal });
    opts.onPass?.(family, summary);
  };

  const expressions: Readonly<Record<Family, string>> = { exports: config.schedule.exports, api: config.schedule.api, directory: config.schedule.directory };
  for (const family of ['directory', 'exports', 'api'] as const) {
    if (!selected.some((s) => FAMILY_OF[s.kind] === family)) continue;
    const task = cron.createTask(
      expressions[family],
      () => {
        const p = tick(family).catch((err: unknown) => logger.error({ family, err: coerceError(err) }, 'scheduled pass failed'));
        inFlight.add(p);
        return p.finally(() => inFlight.delete(p));
      },
      {
        timezone: config.timezone,
        noOverlap: true,
        name: `dialpad-etl ${family}`,
        // node-cron prints its own warnings to the console; send them through our logger instead.
        logger: {
          info: (m) => logger.debug({ family }, m),
          warn: (m) => logger.debug({ family }, m),
          error: (m, e) => logger.error({ family, err: e ?? m }, 'node-cron'),
          debug: (m) => logger.trace({ family }, String(m)),
        },
      },
    );
    task.on('execution:overlap', () => logger.warn({ family }, 'previous pass still running: tick skipped'));
    tasks.push(task);
    await task.start();
    logger.info({ family, cron: expressions[family], timezone: config.timezone, next: task.getNextRun()?.toISOString() }, 'scheduled');
  }

  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    else opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  logger.info({ inFlight: inFlight.size }, 'stopping: no new passes; waiting for the work in flight');
  for (const t of tasks) await t.stop();
  await Promise.allSettled([...inFlight]);
  for (const t of tasks) await t.destroy();
  logger.info('scheduler stopped');
  return 0;
}
