/**
 * The scheduler, with per-second cron expressions, against the simulator and real PostgreSQL: two schedulers at
 * once load each window once; SIGTERM mid-run then a restart loses and duplicates nothing; a backfill beside a
 * scheduler stays inside one shared budget; --dry-run counts match what the real run requests.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { runSchedule } from '../../jobs/schedule.js';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { etlEnv, query, runCli } from '../helpers/etl.js';

const TZ = 'America/New_York';
const today = DateTime.now().setZone(TZ).startOf('day');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(name: string, simOpts: Parameters<typeof startSimulator>[0] = {}): Promise<{ db: TestDatabase; sim: Simulator }> {
  const db = await createTestDatabase(name);
  const sim = await startSimulator({ seed: 17, export: { processingPolls: 1 }, ...simOpts });
  cleanups.push(async () => {
    await sim.close();
    await db.drop();
  });
  return { db, sim };
}

const posts = (sim: Simulator) => sim.log.filter((l) => l.operationId === 'stats.create' && l.status === 200);

async function scheduler(env: Record<string, string>, streams: ReadonlyArray<string>) {
  const app = await createApp(loadConfig(env), silentLogger(), { requireApiKey: true });
  const controller = new AbortController();
  const done = runSchedule(app, { signal: controller.signal, streams });
  return {
    async stop() {
      controller.abort();
      const code = await done;
      await app.close();
      return code;
    },
  };
}

describe('dialpad-etl schedule', () => {
  it('two schedulers at once load each window exactly once', async () => {
    const { db, sim } = await setup('sched_two');
    const env = etlEnv(sim, db.url, { DIALPAD_SCHEDULE_EXPORTS: '* * * * * *', DIALPAD_SYNC_INITIAL_DAYS: '3', DIALPAD_SYNC_LOOKBACK_DAYS: '0', DIALPAD_EXPORT_MAX_DAYS: '1' });
    const streams = ['calls', 'call_stats_by_date'];
    const a = await scheduler(env, streams);
    const b = await scheduler(env, streams);
    const deadline = Date.now() + 30_000;
    const loaded = async () => Number((await query<{ n: string }>(db.url, `select count(*)::text as n from dialpad_etl.export_requests where status = 'loaded'`))[0]!.n);
    while ((await loaded()) < 6 && Date.now() < deadline) await sleep(200);
    await sleep(2500); // several more ticks of both schedulers: nothing left to do
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
    expect(await loaded()).toBe(6);
    expect(posts(sim).length).toBe(6);
    const bodies = posts(sim).map((l) => JSON.stringify(l.body));
    expect(new Set(bodies).size).toBe(6);
    const expected = sim.expectedStatsRows({ statType: 'calls', exportType: 'records', fromDate: today.minus({ days: 3 }).toISODate()!, toDate: today.minus({ days: 1 }).toISODate()!, timezone: TZ });
    const n = await query<{ n: string; d: string }>(db.url, 'select count(*)::text as n, count(distinct call_id)::text as d from dialpad.calls');
    expect(Number(n[0]!.n)).toBe(expected.length);
    const state = await query<{ watermark: string }>(db.url, `select watermark::text from dialpad_etl.stream_state where stream = 'calls'`);
    expect(state[0]!.watermark).toBe(today.toISODate());
  });

  it('SIGTERM mid-run exits 0 and a restart resumes: nothing lost, nothing POSTed twice', async () => {
    const { db, sim } = await setup('sched_sigterm');
    const base = { DIALPAD_SCHEDULE_EXPORTS: '* * * * * *', DIALPAD_SYNC_INITIAL_DAYS: '2', DIALPAD_SYNC_LOOKBACK_DAYS: '0', DIALPAD_EXPORT_MAX_DAYS: '1' };
    const env = etlEnv(sim, db.url, { ...base, DIALPAD_POLL_INITIAL_DELAY_MS: '60000' });
    const child = spawn(process.execPath, ['bin/dialpad-etl.js', 'schedule', '--streams', 'calls'], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let childErr = '';
    child.stderr!.on('data', (d: Buffer) => (childErr += d.toString()));
    const deadline = Date.now() + 30_000;
    while (posts(sim).length < 2 && Date.now() < deadline) await sleep(50);
    await sleep(300);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code, childErr + JSON.stringify(sim.log.slice(0, 3))).toBe(0);
    expect(posts(sim).length, childErr + JSON.stringify(sim.log.slice(0, 3))).toBe(2);
    const open = await query<{ n: string }>(db.url, `select count(*)::text as n from dialpad_etl.export_requests where status = 'processing'`);
    expect(open[0]!.n).toBe('2');

    const s = await scheduler(etlEnv(sim, db.url, base), ['calls']);
    const until = Date.now() + 30_000;
    const loaded = async () => Number((await query<{ n: string }>(db.url, `select count(*)::text as n from dialpad_etl.export_requests where status = 'loaded'`))[0]!.n);
    while ((await loaded()) < 2 && Date.now() < until) await sleep(200);
    expect(await s.stop()).toBe(0);
    expect(await loaded()).toBe(2);
    expect(posts(sim).length).toBe(2);
    const expected = sim.expectedStatsRows({ statType: 'calls', exportType: 'records', fromDate: today.minus({ days: 2 }).toISODate()!, toDate: today.minus({ days: 1 }).toISODate()!, timezone: TZ });
    const n = await query<{ n: string }>(db.url, 'select count(*)::text as n from dialpad.calls');
    expect(Number(n[0]!.n)).toBe(expected.length);
  });

  it('a backfill beside the scheduler stays within one shared stats.create budget', async () => {
    const { db, sim } = await setup('sched_budget', { rateLimits: { 'stats.create': [[3, 2]] } });
    const env = etlEnv(sim, db.url, { DIALPAD_RATE_LIMITS: '{"stats.create":[3,2]}', DIALPAD_SCHEDULE_EXPORTS: '* * * * * *', DIALPAD_SYNC_INITIAL_DAYS: '4', DIALPAD_SYNC_LOOKBACK_DAYS: '0', DIALPAD_EXPORT_MAX_DAYS: '1' });
    const s = await scheduler(env, ['calls']);
    const backfill = await runCli(['backfill', '--from', today.minus({ days: 12 }).toISODate()!, '--to', today.minus({ days: 8 }).toISODate()!, '--streams', 'onduty'], env);
    expect(backfill.code, backfill.stdout).toBe(0);
    const until = Date.now() + 30_000;
    while (posts(sim).length < 9 && Date.now() < until) await sleep(200);
    expect(await s.stop()).toBe(0);
    const at = posts(sim).map((l) => l.at);
    expect(at.length).toBe(9);
    expect(sim.rateLimitViolations).toBe(0);
    for (const t of at) expect(at.filter((u) => u >= t && u < t + 2000).length).toBeLessThanOrEqual(3);
  });
});

describe('backfill --dry-run', () => {
  it('prints the plan, requests nothing, and its counts match the real run', async () => {
    const { db, sim } = await setup('dry_run');
    const env = etlEnv(sim, db.url, { DIALPAD_EXPORT_MAX_DAYS: '3', DIALPAD_CALL_CENTER_IDS: (sim.directory().callCenters as Array<{ id: string }>).map((c) => c.id).join(',') });
    const args = ['backfill', '--from', today.minus({ days: 8 }).toISODate()!, '--to', today.minus({ days: 2 }).toISODate()!, '--streams', 'calls,csat,scorecard_agent_leaderboard,wfm_agent_metrics'];
    const dry = await runCli([...args, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(sim.log.filter((l) => l.host === 'api').length).toBe(0);
    const planned = (op: string) => Number(new RegExp(`${op.replace(/\./g, '\\.')}: (\\d+) request`).exec(dry.stdout)?.[1] ?? NaN);
    expect(dry.stdout).toMatch(/estimated duration/);
    const run = await runCli(args, env);
    expect(run.code, run.stdout).toBe(0);
    expect(posts(sim).length).toBe(planned('stats.create'));
    expect(sim.log.filter((l) => l.operationId === 'scorecards.export.create' && l.status === 200).length).toBe(planned('scorecards.export.create'));
    expect(planned('stats.create')).toBe(3 * (1 + 2)); // 3 windows of calls + 3 windows x 2 call centers of csat
    expect(planned('scorecards.export.create')).toBe(7); // leaderboards: one day per export
  });
});
