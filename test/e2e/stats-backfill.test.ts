/**
 * End to end: the real CLI against the Dialpad simulator (real HTTP on 127.0.0.1, separate download origin) and a
 * real PostgreSQL. Every stats table must equal what the simulator holds: no missing, extra or duplicate rows.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { etlEnv, query, runCli, tableFingerprint } from '../helpers/etl.js';

const TZ = 'America/New_York';
const today = DateTime.now().setZone(TZ).startOf('day');
const FROM = today.minus({ days: 5 }).toISODate()!;
const TO = today.minus({ days: 2 }).toISODate()!;

type Expect = { statType: 'calls' | 'csat' | 'dispositions' | 'onduty' | 'recordings' | 'screenshare' | 'texts' | 'voicemails'; exportType: 'records' | 'stats'; groupBy?: 'date' | 'user' | 'group'; perTarget?: boolean };
const STREAMS: Record<string, Expect> = {
  calls: { statType: 'calls', exportType: 'records' },
  texts: { statType: 'texts', exportType: 'records' },
  voicemails: { statType: 'voicemails', exportType: 'records' },
  recordings: { statType: 'recordings', exportType: 'records' },
  onduty: { statType: 'onduty', exportType: 'records' },
  screenshare: { statType: 'screenshare', exportType: 'records' },
  csat: { statType: 'csat', exportType: 'records', perTarget: true },
  dispositions: { statType: 'dispositions', exportType: 'records', perTarget: true },
  call_stats_by_date: { statType: 'calls', exportType: 'stats', groupBy: 'date' },
  call_stats_by_user: { statType: 'calls', exportType: 'stats', groupBy: 'user' },
  call_stats_by_group: { statType: 'calls', exportType: 'stats', groupBy: 'group' },
};

function callCenterIds(sim: Simulator): string[] {
  return (sim.directory().callCenters as Array<{ id: string }>).map((c) => String(c.id));
}

function expectedRows(sim: Simulator, stream: string): Array<Readonly<Record<string, string>>> {
  const e = STREAMS[stream]!;
  const base = { statType: e.statType, exportType: e.exportType, fromDate: FROM, toDate: TO, timezone: TZ, ...(e.groupBy ? { groupBy: e.groupBy } : {}) };
  if (!e.perTarget) return [...sim.expectedStatsRows(base)];
  return callCenterIds(sim).flatMap((targetId) => [...sim.expectedStatsRows({ ...base, targetId })]);
}

/** Compares one table with the simulator: same row count, and the same multiset of (a few typed) values. */
async function assertTableMatches(url: string, sim: Simulator, stream: string): Promise<void> {
  const expected = expectedRows(sim, stream);
  const n = (await query<{ n: string }>(url, `select count(*) as n from dialpad.${stream}`))[0]!.n;
  expect(Number(n), `${stream} row count`).toBe(expected.length);
  if (stream === 'calls') {
    const rows = await query<{ call_id: string; started: string; talk_duration: string | null; name: string | null; mos: string | null }>(
      url,
      `select call_id, to_char(date_started at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as started, talk_duration::text, name, _extra->>'mos_score' as mos from dialpad.calls`,
    );
    const byId = new Map(rows.map((r) => [r.call_id, r]));
    expect(byId.size).toBe(expected.length);
    for (const e of expected) {
      const r = byId.get(e['call_id']!);
      expect(r, `call ${e['call_id']}`).toBeDefined();
      const instant = DateTime.fromSQL(e['date_started']!, { zone: TZ }).toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss");
      expect(r!.started).toBe(instant);
      expect(r!.name ?? '').toBe(e['name'] ?? '');
      const want = e['talk_duration'] ? Number(e['talk_duration']) : null;
      expect(r!.talk_duration === null ? null : Number(r!.talk_duration)).toBe(want);
      expect(r!.mos ?? '').toBe(e['mos_score'] ?? '');
    }
  } else {
    // Every expected row must be in the table: compare the multiset of one text column plus _extra size.
    const col = 'email' in (expected[0] ?? {}) ? 'email' : 'date';
    const rows = await query<{ v: string | null }>(url, `select ${col}::text as v from dialpad.${stream}`);
    const norm = (v: string | null | undefined) => (v ?? '').slice(0, 10);
    const got = rows.map((r) => norm(r.v)).sort();
    const want = expected.map((e) => norm(e[col])).sort();
    expect(got).toEqual(want);
  }
}

describe('backfill of every stats stream', () => {
  let db: TestDatabase;
  let sim: Simulator;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('e2e_stats');
    sim = await startSimulator({ seed: 7, export: { processingPolls: 2 } });
    env = etlEnv(sim, db.url, { DIALPAD_CALL_CENTER_IDS: callCenterIds(sim).join(',') });
  });
  afterAll(async () => {
    await sim?.close();
    await db?.drop();
  });

  it('fills every table exactly, never sends the key to the download host, and trips no rate limit', async () => {
    const run = await runCli(['backfill', '--from', FROM, '--to', TO], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const stream of Object.keys(STREAMS)) await assertTableMatches(db.url, sim, stream);
    expect(sim.rateLimitViolations).toBe(0);
    const downloads = sim.log.filter((l) => l.host === 'download');
    expect(downloads.length).toBeGreaterThan(0);
    expect(downloads.every((l) => l.authorization === null)).toBe(true);
    const posts = sim.log.filter((l) => (l.operationId === 'stats.create' || l.operationId === 'scorecards.export.create') && l.status === 200);
    const ledger = await query<{ status: string; n: string }>(db.url, `select status, count(*) as n from dialpad_etl.export_requests group by status`);
    expect(ledger).toEqual([{ status: 'loaded', n: String(posts.length) }]);
    // Lineage: every row points at a loaded export of its stream.
    const orphans = await query<{ n: string }>(db.url, `select count(*) as n from dialpad.calls c left join dialpad_etl.export_requests e on e.id = c._export_id and e.stream = 'calls' and e.status = 'loaded' where e.id is null`);
    expect(orphans[0]!.n).toBe('0');
  });

  it('re-running the same windows changes nothing, not even lineage or load times', async () => {
    const before = await Promise.all(Object.keys(STREAMS).map((s) => tableFingerprint(db.url, `dialpad.${s}`)));
    const skipped = await runCli(['backfill', '--from', FROM, '--to', TO], env);
    expect(skipped.code).toBe(0);
    const postsBefore = sim.log.filter((l) => l.operationId === 'stats.create').length;
    const forced = await runCli(['backfill', '--from', FROM, '--to', TO, '--force'], env);
    expect(forced.code).toBe(0);
    expect(sim.log.filter((l) => l.operationId === 'stats.create').length).toBeGreaterThan(postsBefore);
    const after = await Promise.all(Object.keys(STREAMS).map((s) => tableFingerprint(db.url, `dialpad.${s}`)));
    expect(after).toEqual(before);
  });

  it('--streams selects a subset and unknown names exit 2', async () => {
    const bad = await runCli(['backfill', '--from', FROM, '--to', TO, '--streams', 'calls,nope'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('nope');
    const future = await runCli(['backfill', '--from', FROM, '--to', today.toISODate()!], env);
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('before today');
  });
});

describe('faults: failed, expired and truncated exports, 429s and 5xx', () => {
  let db: TestDatabase;
  let sim: Simulator;

  beforeAll(async () => {
    db = await createTestDatabase('e2e_faults');
    sim = await startSimulator({ seed: 11, export: { processingPolls: 1 } });
  });
  afterAll(async () => {
    await sim?.close();
    await db?.drop();
  });

  it('recovers from every fault, loads exactly, and records every attempt in the ledger', async () => {
    sim.addFaults({
      failExports: 1,
      expireRequests: 1,
      truncateDownloads: 1,
      truncateChunked: 1,
      expireDownloads: 1,
      inject429: [
        { operationId: 'stats.get', retryAfterSeconds: 1 },
        { operationId: 'stats.create', retryAfterSeconds: null },
      ],
      inject5xx: [{ operationId: 'stats.get', status: 503 }],
    });
    const env = etlEnv(sim, db.url, { DIALPAD_EXPORT_MAX_ATTEMPTS: '6', DIALPAD_ETL_CONCURRENCY: '1' });
    const run = await runCli(['backfill', '--from', FROM, '--to', TO, '--streams', 'calls,call_stats_by_user'], env);
    expect(run.code, run.stdout).toBe(0);
    await assertTableMatches(db.url, sim, 'calls');
    await assertTableMatches(db.url, sim, 'call_stats_by_user');
    const ledger = await query<{ status: string; n: string }>(db.url, `select status, count(*)::text as n from dialpad_etl.export_requests group by status order by status`);
    const byStatus = Object.fromEntries(ledger.map((r) => [r.status, Number(r.n)]));
    expect(byStatus['failed']).toBeGreaterThanOrEqual(4); // failed export + truncated x2 + expired download
    expect(byStatus['expired']).toBe(1);
    expect(sim.rateLimitViolations).toBe(0);
  });

  it('quarantines malformed rows with reason and raw line, loads the rest, and counts them', async () => {
    const db2 = await createTestDatabase('e2e_quarantine');
    const sim2 = await startSimulator({ seed: 5, export: { processingPolls: 0 }, data: { malformedEvery: 9 } });
    try {
      const run = await runCli(['backfill', '--from', FROM, '--to', TO, '--streams', 'calls'], etlEnv(sim2, db2.url));
      expect(run.code, run.stdout).toBe(0);
      await assertTableMatches(db2.url, sim2, 'calls');
      const q = await query<{ reason: string; raw: string; record_no: string | null }>(db2.url, `select reason, raw, record_no::text from dialpad_etl.quarantine where stream = 'calls'`);
      expect(q.length).toBeGreaterThan(0);
      expect(q.some((r) => /fields/.test(r.reason))).toBe(true);
      expect(q.some((r) => /date_started/.test(r.reason))).toBe(true);
      expect(q.every((r) => r.raw.length > 0)).toBe(true);
      const ledgerCount = await query<{ n: string }>(db2.url, `select coalesce(sum(rows_quarantined), 0)::text as n from dialpad_etl.export_requests where status = 'loaded'`);
      expect(Number(ledgerCount[0]!.n)).toBe(q.length);
    } finally {
      await sim2.close();
      await db2.drop();
    }
  });
});

describe('rate budget', () => {
  it('keeps two concurrent backfills within one shared stats.create budget', async () => {
    const db = await createTestDatabase('e2e_budget');
    const sim = await startSimulator({ seed: 3, export: { processingPolls: 0 }, rateLimits: { 'stats.create': [[3, 2]] } });
    try {
      const env = etlEnv(sim, db.url, { DIALPAD_RATE_LIMITS: '{"stats.create":[3,2]}', DIALPAD_EXPORT_MAX_DAYS: '1' });
      const [a, b] = await Promise.all([
        runCli(['backfill', '--from', FROM, '--to', TO, '--streams', 'calls,texts'], env),
        runCli(['backfill', '--from', FROM, '--to', TO, '--streams', 'onduty,voicemails'], env),
      ]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      const posts = sim.log.filter((l) => l.operationId === 'stats.create' && !l.injected).map((l) => l.at);
      expect(posts.length).toBe(16);
      expect(sim.rateLimitViolations).toBe(0);
      for (const t of posts) expect(posts.filter((u) => u >= t && u < t + 2000).length).toBeLessThanOrEqual(3);
    } finally {
      await sim.close();
      await db.drop();
    }
  });
});

describe('the midnight edge', () => {
  it('refuses to load an export whose dates do not match the window (server clock a day ahead)', async () => {
    const db = await createTestDatabase('e2e_midnight');
    const sim = await startSimulator({ seed: 9, export: { processingPolls: 0 }, now: () => new Date(Date.now() + 24 * 3600 * 1000) });
    try {
      const run = await runCli(['backfill', '--from', FROM, '--to', TO, '--streams', 'calls'], etlEnv(sim, db.url, { DIALPAD_EXPORT_MAX_ATTEMPTS: '2' }));
      expect(run.code).toBe(1);
      const n = (await query<{ n: string }>(db.url, "select count(*) as n from dialpad.calls"))[0]!.n;
      expect(n).toBe('0');
      const errors = await query<{ error: string }>(db.url, `select error from dialpad_etl.export_requests where status = 'failed'`);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => /outside/.test(e.error))).toBe(true);
    } finally {
      await sim.close();
      await db.drop();
    }
  });
});
