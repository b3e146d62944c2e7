import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../jobs/progress.js';
import type { StreamPlan } from '../../src/streams/run-pass.js';
import { calls } from '../../src/streams/stats/calls.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const w = (d: string) => ({ kind: 'export' as const, stream: calls, window: { start: d, end: d, timezone: 'UTC' }, target: '' });

describe('progress without a terminal', () => {
  it('logs a line on every interval and when a stream finishes, with totals and an ETA', async () => {
    const { logger, lines } = capture();
    const p = createProgress({ interactive: false, logger, stream: new Writable({ write: (_c, _e, cb) => cb() }), intervalMs: 40 });
    const plan: StreamPlan = { stream: calls, windows: [w('2026-11-01'), w('2026-11-02')], alreadyLoaded: 0, unavailable: null, end: '2026-11-03' };
    p.onPlans([plan]);
    const result = { stream: 'calls', window: plan.windows[0]!.kind === 'export' ? (plan.windows[0] as ReturnType<typeof w>).window : { start: '', end: '', timezone: '' }, target: '', status: 'loaded' as const, exportId: '1', posts: 1, rows: null, error: null };
    p.onWindowDone(result);
    await sleep(120);
    p.onWindowDone(result);
    p.stop();
    const progress = lines.filter((l) => l['msg'] === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toMatchObject({ windowsDone: 1, windowsTotal: 2, etaSeconds: expect.any(Number) });
    expect(lines.some((l) => l['msg'] === 'stream windows done' && l['stream'] === 'calls' && l['windows'] === 2)).toBe(true);
    const before = lines.length;
    await sleep(100);
    expect(lines.length).toBe(before); // stopped: no more lines
  });
});
