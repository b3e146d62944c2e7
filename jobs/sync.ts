/**
 * `dialpad-etl sync`: one incremental pass. Per stream: from the watermark minus the lookback (or the initial
 * days, first time) up to yesterday in DIALPAD_TIMEZONE; the watermark moves only when every window loaded.
 */
import type { App } from '../src/app.js';
import { getWatermark } from '../src/load/runs.js';
import { planStream, type StreamPlan } from '../src/streams/run-pass.js';
import { addDays, todayIn } from '../src/windows.js';
import { executePlans, selectStreams, type PassSummary } from './passes.js';

export interface SyncOptions {
  readonly streams?: ReadonlyArray<string>;
  readonly now?: Date;
  readonly signal?: AbortSignal;
}

export async function runSync(app: App, opts: SyncOptions): Promise<PassSummary> {
  const { config } = app;
  const today = todayIn(config.timezone, opts.now ?? new Date());
  const yesterday = addDays(today, -1);
  const plans: StreamPlan[] = [];
  for (const stream of selectStreams(opts.streams)) {
    const watermark = await getWatermark(app.database.db, stream.name);
    const from = watermark === null ? addDays(today, -config.initialDays) : addDays(watermark, -config.lookbackDays);
    plans.push(
      await planStream(app.database, stream, {
        from: from > yesterday ? yesterday : from,
        toInclusive: yesterday,
        timezone: config.timezone,
        maxDays: config.exportMaxDays,
        callCenterIds: config.callCenterIds,
        skipLoaded: false,
      }),
    );
  }
  return executePlans(app, 'sync', plans, { streams: opts.streams ?? null, through: yesterday }, opts.signal);
}
