/**
 * `dialpad-etl sync`: one incremental pass. Per stream: from the watermark minus the lookback (or the initial
 * days, first time) up to yesterday in DIALPAD_TIMEZONE; the watermark moves only when every window loaded.
 */
import type { App } from '../src/app.js';
import { getWatermark } from '../src/load/runs.js';
import type { StreamDefinition } from '../src/streams/define-stream.js';
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
  const now = opts.now ?? new Date();
  const today = todayIn(config.timezone, now);
  const yesterday = addDays(today, -1);
  const plan = async (stream: StreamDefinition): Promise<StreamPlan> => {
    const watermark = await getWatermark(app.database.db, stream.name);
    const from = watermark === null ? addDays(today, -config.initialDays) : addDays(watermark, -config.lookbackDays);
    // Exports end yesterday: with no lookback and a watermark at today there is nothing to read yet.
    if (from > yesterday && stream.kind === 'export') return { stream, windows: [], alreadyLoaded: 0, unavailable: null, end: today };
    return planStream(app.database, stream, {
      from: from > yesterday ? yesterday : from,
      toInclusive: yesterday,
      timezone: config.timezone,
      maxDays: config.exportMaxDays,
      callCenterIds: config.callCenterIds,
      skipLoaded: false,
      // JSON sources are live: read today so far too (exports cannot: their history ends yesterday).
      apiEndUtc: isoMinute(now),
    });
  };
  return executePlans(app, 'sync', selectStreams(opts.streams), plan, { streams: opts.streams ?? null, through: yesterday }, opts.signal);
}

function isoMinute(d: Date): string {
  return new Date(Math.floor(d.getTime() / 60_000) * 60_000).toISOString().replace('.000Z', 'Z');
}
