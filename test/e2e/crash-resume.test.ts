/**
 * kill -9 in the middle of a backfill, then run it again: the ledger's open requests are resumed, nothing is
 * POSTed twice, and the tables end up exact. The first run is a real child process (bin/dialpad-etl.js).
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { etlEnv, query, runCli } from '../helpers/etl.js';

const TZ = 'America/New_York';
const today = DateTime.now().setZone(TZ).startOf('day');
const FROM = today.minus({ days: 7 }).toISODate()!;
const TO = today.minus({ days: 2 }).toISODate()!;

describe('crash and resume', () => {
  let db: TestDatabase;
  let sim: Simulator;
  beforeAll(async () => {
    db = await createTestDatabase('e2e_crash');
    sim = await startSimulator({ seed: 21, export: { processingPolls: 1 } });
  });
  afterAll(async () => {
    await sim?.close();
    await db?.drop();
  });

  it('resumes the open exports after kill -9 without POSTing them again', async () => {
    // First run: POSTs every window, then waits a minute before polling; we kill it while it waits.
    const env = etlEnv(sim, db.url, { DIALPAD_POLL_INITIAL_DELAY_MS: '60000', DIALPAD_EXPORT_MAX_DAYS: '2', DIALPAD_ETL_CONCURRENCY: '6' });
    const child = spawn(process.execPath, ['bin/dialpad-etl.js', 'backfill', '--from', FROM, '--to', TO, '--streams', 'calls,onduty'], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: 'ignore',
    });
    const windows = 6; // 3 windows of 2 days x 2 streams
    const deadline = Date.now() + 30_000;
    while (sim.log.filter((l) => l.operationId === 'stats.create').length < windows && Date.now() < deadline) await sleep(50);
    // Let the ledger writes that follow the last POST land.
    const ledgerDeadline = Date.now() + 10_000;
    while (Date.now() < ledgerDeadline) {
      const r = await query<{ n: string }>(db.url, `select count(*)::text as n from dialpad_etl.export_requests where status = 'processing'`);
      if (Number(r[0]!.n) === windows) break;
      await sleep(50);
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const postsBefore = sim.log.filter((l) => l.operationId === 'stats.create').length;
    expect(postsBefore).toBe(windows);
    const open = await query<{ n: string }>(db.url, `select count(*)::text as n from dialpad_etl.export_requests where status = 'processing' and request_id is not null`);
    expect(Number(open[0]!.n)).toBe(windows);

    const again = await runCli(['backfill', '--from', FROM, '--to', TO, '--streams', 'calls,onduty'], etlEnv(sim, db.url, { DIALPAD_EXPORT_MAX_DAYS: '2' }));
    expect(again.code, again.stdout).toBe(0);
    expect(sim.log.filter((l) => l.operationId === 'stats.create').length).toBe(postsBefore);
    const expected = sim.expectedStatsRows({ statType: 'calls', exportType: 'records', fromDate: FROM, toDate: TO, timezone: TZ });
    const rows = await query<{ n: string; d: string }>(db.url, 'select count(*)::text as n, count(distinct call_id)::text as d from dialpad.calls');
    expect(Number(rows[0]!.n)).toBe(expected.length);
    expect(Number(rows[0]!.d)).toBe(expected.length);
    const ledger = await query<{ status: string; n: string }>(db.url, `select status, count(*)::text as n from dialpad_etl.export_requests group by status`);
    expect(ledger).toEqual([{ status: 'loaded', n: String(windows) }]);
  });
});
