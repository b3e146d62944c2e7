/**
 * `sync`: first pass reads the initial days up to yesterday and sets the watermark; a second pass re-reads only the
 * lookback; status reports it. Backfill never moves the watermark.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { etlEnv, query, runCli } from '../helpers/etl.js';

const TZ = 'America/New_York';
const today = DateTime.now().setZone(TZ).startOf('day');

describe('incremental sync', () => {
  let db: TestDatabase;
  let sim: Simulator;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDatabase('e2e_sync');
    sim = await startSimulator({ seed: 4, export: { processingPolls: 0 } });
    env = etlEnv(sim, db.url, { DIALPAD_SYNC_INITIAL_DAYS: '4', DIALPAD_SYNC_LOOKBACK_DAYS: '1', DIALPAD_EXPORT_MAX_DAYS: '7' });
  });
  afterAll(async () => {
    await sim?.close();
    await db?.drop();
  });

  it('loads up to yesterday, sets the watermark, and re-reads only the lookback next time', async () => {
    const backfill = await runCli(['backfill', '--from', today.minus({ days: 10 }).toISODate()!, '--to', today.minus({ days: 9 }).toISODate()!, '--streams', 'calls'], env);
    expect(backfill.code, backfill.stdout).toBe(0);
    const noWatermark = await query<{ n: string }>(db.url, `select count(*)::text as n from dialpad_etl.stream_state where watermark is not null`);
    expect(noWatermark[0]!.n).toBe('0');

    const first = await runCli(['sync', '--streams', 'calls,call_stats_by_date'], env);
    expect(first.code, first.stdout).toBe(0);
    const state = await query<{ stream: string; watermark: string }>(db.url, `select stream, watermark::text from dialpad_etl.stream_state where watermark is not null order by stream`);
    expect(state).toEqual([
      { stream: 'call_stats_by_date', watermark: today.toISODate()! },
      { stream: 'calls', watermark: today.toISODate()! },
    ]);
    const firstBody = sim.log.filter((l) => l.operationId === 'stats.create').at(-1)!.body as { days_ago_start: number; days_ago_end: number };
    expect(firstBody.days_ago_start).toBe(1);
    expect(firstBody.days_ago_end).toBe(4);

    const posts = sim.log.filter((l) => l.operationId === 'stats.create').length;
    const second = await runCli(['sync', '--streams', 'calls'], env);
    expect(second.code).toBe(0);
    const bodies = sim.log.filter((l) => l.operationId === 'stats.create').slice(posts).map((l) => l.body as { days_ago_start: number; days_ago_end: number });
    expect(bodies).toEqual([expect.objectContaining({ days_ago_start: 1, days_ago_end: 1 })]);

    const status = await runCli(['status', '--json'], env);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as { streams: Array<{ stream: string; newest_complete_day: string | null }> };
    expect(report.streams.find((s) => s.stream === 'calls')!.newest_complete_day).toBe(today.minus({ days: 1 }).toISODate());
    expect(report.streams.map((s) => s.stream)).toContain('call_stats_by_group');
  });
});
