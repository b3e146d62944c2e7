/**
 * The API key and pre-signed download URLs never reach a log line, an error message or a stack trace: the real
 * executable runs at trace level through faults that put URLs and statuses into errors, and its whole output is
 * searched for them.
 */
import { spawn } from 'node:child_process';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { createTestDatabase } from '../helpers/db.js';
import { etlEnv } from '../helpers/etl.js';

const KEY = 'dpk_live_REDACTION_TEST_5f3a9c1e7b';

describe('secrets in logs', () => {
  it('redacts the API key and signed URLs everywhere', async () => {
    const db = await createTestDatabase('redaction');
    const sim = await startSimulator({ seed: 31, apiKey: KEY, export: { processingPolls: 1 } });
    try {
      sim.addFaults({ expireDownloads: 1, truncateDownloads: 1, inject5xx: [{ operationId: 'stats.get', status: 500 }], inject429: [{ operationId: 'stats.create', retryAfterSeconds: 0 }] });
      const day = DateTime.now().setZone('America/New_York').minus({ days: 2 }).toISODate()!;
      const env = etlEnv(sim, db.url, { DIALPAD_ETL_LOG_LEVEL: 'trace', DIALPAD_EXPORT_MAX_ATTEMPTS: '4' });
      const child = spawn(process.execPath, ['bin/dialpad-etl.js', 'backfill', '--from', day, '--to', day, '--streams', 'calls'], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      expect(code, out.slice(-2000)).toBe(0);
      expect(out).toContain('download'); // the faults were logged…
      expect(out).toContain('[redacted]'); // …with their URLs redacted
      expect(out).not.toContain(KEY);
      expect(out).not.toMatch(/X-Goog-Signature=[^\s"[]/);
      const downloads = sim.log.filter((l) => l.host === 'download');
      expect(downloads.length).toBeGreaterThanOrEqual(3);
      expect(downloads.every((l) => l.authorization === null)).toBe(true);
    } finally {
      await sim.close();
      await db.drop();
    }
  });
});
