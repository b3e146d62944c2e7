/**
 * Scorecards, WFM, digital sessions and the directory, end to end against the simulator and real PostgreSQL:
 * every row the simulator holds arrives exactly once; re-runs change nothing.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { etlEnv, query, runCli, tableFingerprint } from '../helpers/etl.js';

const TZ = 'America/New_York';
const today = DateTime.now().setZone(TZ).startOf('day');
const FROM = today.minus({ days: 9 }).toISODate()!;
const TO = today.minus({ days: 2 }).toISODate()!;
const START = DateTime.fromISO(FROM, { zone: TZ }).toUTC().toISO({ suppressMilliseconds: true })!;
const END = DateTime.fromISO(TO, { zone: TZ }).plus({ days: 1 }).toUTC().toISO({ suppressMilliseconds: true })!;
const OTHER = ['offices', 'call_centers', 'departments', 'users', 'company', 'wfm_agent_metrics', 'wfm_activity_metrics', 'digital_sessions', 'scorecard_calls', 'scorecard_calls_questions', 'scorecard_agent_leaderboard', 'scorecard_leaderboard', 'scorecard_teamgroup_leaderboard'];

async function count(url: string, table: string): Promise<number> {
  return Number((await query<{ n: string }>(url, `select count(*)::text as n from ${table}`))[0]!.n);
}

describe('scorecards, WFM, digital sessions and directory', () => {
  let db: TestDatabase;
  let sim: Simulator;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDatabase('e2e_other');
    sim = await startSimulator({ seed: 13, export: { processingPolls: 1 } });
    env = etlEnv(sim, db.url, { DIALPAD_EXPORT_MAX_DAYS: '7' });
  });
  afterAll(async () => {
    await sim?.close();
    await db?.drop();
  });

  it('backfills every table exactly, with no 429, using 7-day-or-less windows', async () => {
    const run = await runCli(['backfill', '--from', FROM, '--to', TO, '--streams', OTHER.join(',')], env);
    expect(run.code, run.stdout).toBe(0);
    expect(sim.rateLimitViolations).toBe(0);

    // Directory: every state kept.
    const dir = sim.directory();
    expect(await count(db.url, 'dialpad.users')).toBe(dir.users.length);
    expect(await count(db.url, 'dialpad.offices')).toBe(dir.offices.length);
    expect(await count(db.url, 'dialpad.call_centers')).toBe(dir.callCenters.length);
    expect(await count(db.url, 'dialpad.departments')).toBe(dir.departments.length);
    expect(await count(db.url, 'dialpad.company')).toBe(1);
    const states = await query<{ state: string }>(db.url, 'select distinct state from dialpad.users order by 1');
    expect(states.map((s) => s.state)).toEqual(expect.arrayContaining(['active', 'deleted']));

    // WFM agent: one row per item the simulator holds, typed from either shape.
    const agentItems = sim.expectedWfmAgentItems({ startUtc: START, endUtc: END });
    expect(await count(db.url, 'dialpad.wfm_agent_metrics')).toBe(agentItems.length);
    const noEmail = await query<{ n: string }>(db.url, `select count(*)::text as n from dialpad.wfm_agent_metrics where time_in_adherence_seconds is null and _extra ? 'time_in_adherence' and _extra->'time_in_adherence' <> 'null'::jsonb`);
    expect(noEmail[0]!.n).toBe('0');

    // WFM activity: asked per agent (every user with an e-mail), attributed to that agent.
    const emails = (dir.users as Array<{ emails?: string[] }>).map((u) => u.emails?.[0]?.toLowerCase()).filter((e): e is string => !!e);
    const activity = emails.flatMap((agentEmail) => [...sim.expectedWfmActivityItems({ startUtc: START, endUtc: END, agentEmail })]);
    expect(await count(db.url, 'dialpad.wfm_activity_metrics')).toBe(activity.length);
    const activityCalls = sim.log.filter((l) => l.operationId === 'wfm-metrics-activity.get');
    expect(activityCalls.every((l) => typeof l.query?.['emails'] === 'string' && l.query['emails'] !== '')).toBe(true);

    // Digital sessions: straddling sessions come back in two windows but land once.
    const sessions = sim.expectedDigitalSessions({ startUtc: START, endUtc: END }) as Array<{ session_id: string }>;
    const distinct = new Set(sessions.map((s) => s.session_id));
    expect(await count(db.url, 'dialpad.digital_sessions')).toBe(distinct.size);
    const digitalCalls = sim.log.filter((l) => l.operationId === 'digital.sessionsdata.list');
    for (const c of digitalCalls) {
      const span = Date.parse(c.query!['end_date']!) - Date.parse(c.query!['start_date']!);
      expect(span).toBeLessThan(7 * 24 * 3600 * 1000);
    }
    const units = await query<{ d: string | null; w: string | null }>(db.url, `select duration_ms::text as d, wrap_up_time_seconds::text as w from dialpad.digital_sessions where duration_ms is not null limit 1`);
    expect(units.length).toBe(1);

    // Scorecards: calls/questions by range, leaderboards day by day with the day in the row.
    for (const [stream, type] of [
      ['scorecard_calls', 'scorecard_export_calls'],
      ['scorecard_calls_questions', 'scorecard_export_calls_questions'],
    ] as const) {
      expect(await count(db.url, `dialpad.${stream}`), stream).toBe(sim.expectedScorecardRows({ scorecardsType: type, fromDate: FROM, toDate: TO, timezone: TZ }).length);
    }
    let leaderboardRows = 0;
    for (let d = DateTime.fromISO(FROM); d <= DateTime.fromISO(TO); d = d.plus({ days: 1 })) {
      leaderboardRows += sim.expectedScorecardRows({ scorecardsType: 'scorecard_export_agent_leaderboard', fromDate: d.toISODate()!, toDate: d.toISODate()!, timezone: TZ }).length;
    }
    expect(await count(db.url, 'dialpad.scorecard_agent_leaderboard')).toBe(leaderboardRows);
    const days = await query<{ n: string }>(db.url, 'select count(distinct day)::text as n from dialpad.scorecard_agent_leaderboard');
    expect(Number(days[0]!.n)).toBeGreaterThan(1);
    const scorecardPosts = sim.log.filter((l) => l.operationId === 'scorecards.export.create' && l.status === 200);
    const ledger = await query<{ n: string }>(db.url, `select count(*)::text as n from dialpad_etl.export_requests where family = 'scorecards' and status = 'loaded'`);
    expect(Number(ledger[0]!.n)).toBe(scorecardPosts.length);
  });

  it('re-running everything (--force) changes nothing', async () => {
    const before = await Promise.all(OTHER.map((t) => tableFingerprint(db.url, `dialpad.${t}`)));
    const run = await runCli(['backfill', '--from', FROM, '--to', TO, '--streams', OTHER.join(','), '--force'], env);
    expect(run.code, run.stdout).toBe(0);
    const after = await Promise.all(OTHER.map((t) => tableFingerprint(db.url, `dialpad.${t}`)));
    expect(after).toEqual(before);
  });

  it('csat targets the call centers found in the directory when none are configured', async () => {
    const run = await runCli(['backfill', '--from', TO, '--to', TO, '--streams', 'csat'], env);
    expect(run.code, run.stdout).toBe(0);
    const targets = sim.log.filter((l) => l.operationId === 'stats.create' && (l.body as { stat_type?: string }).stat_type === 'csat').map((l) => String((l.body as { target_id: unknown }).target_id));
    const ids = (sim.directory().callCenters as Array<{ id: string }>).map((c) => String(c.id));
    expect(new Set(targets)).toEqual(new Set(ids));
  });

  it('uses the primary office time zone when DIALPAD_TIMEZONE is unset', async () => {
    const { DIALPAD_TIMEZONE: _unset, ...noTz } = env;
    const run = await runCli(['backfill', '--from', TO, '--to', TO, '--streams', 'call_stats_by_date', '--force'], noTz);
    expect(run.code, run.stdout).toBe(0);
    const last = sim.log.filter((l) => l.operationId === 'stats.create').at(-1)!;
    expect((last.body as { timezone: string }).timezone).toBe('America/New_York');
  });
});

describe('a key without the digital_sessions scope', () => {
  it('fails digital_sessions with a clear message and keeps syncing the others', async () => {
    const db = await createTestDatabase('e2e_scope');
    const sim = await startSimulator({ seed: 2, digitalScope: false, export: { processingPolls: 0 } });
    try {
      const run = await runCli(['backfill', '--from', TO, '--to', TO, '--streams', 'digital_sessions,wfm_agent_metrics,users'], etlEnv(sim, db.url));
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/digital_sessions\s+failed.*digital_sessions/);
      expect(run.stdout).toMatch(/wfm_agent_metrics\s+succeeded/);
      expect(await count(db.url, 'dialpad.wfm_agent_metrics')).toBeGreaterThan(0);
    } finally {
      await sim.close();
      await db.drop();
    }
  });
});

describe('WFM 2025 shape (adherence as plain seconds)', () => {
  it('flattens both shapes into the same columns', async () => {
    const db = await createTestDatabase('e2e_wfm_shape');
    const sim = await startSimulator({ seed: 8, data: { wfmShape: 'seconds' } });
    try {
      const run = await runCli(['backfill', '--from', TO, '--to', TO, '--streams', 'wfm_agent_metrics'], etlEnv(sim, db.url));
      expect(run.code, run.stdout).toBe(0);
      const rows = await query<{ s: string | null; p: string | null; raw: string }>(db.url, `select time_in_adherence_seconds::text as s, time_in_adherence_pct::text as p, (_extra->'time_in_adherence')::text as raw from dialpad.wfm_agent_metrics where _extra->'time_in_adherence' <> 'null'::jsonb limit 5`);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) {
        expect(r.s).toBe(r.raw);
        expect(r.p).toBeNull();
      }
    } finally {
      await sim.close();
      await db.drop();
    }
  });
});
