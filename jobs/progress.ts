/**
 * Progress of a pass: in a terminal, one bar per stream (windows done / total, rows, ETA) on stderr; without a
 * terminal, a log line at least every 30 s (and one per stream when it finishes), so a CI log or a process manager
 * shows the run is alive.
 */
import cliProgress from 'cli-progress';
import type { Logger } from '../src/logger.js';
import type { WindowResult } from '../src/streams/run-export.js';
import type { StreamPlan } from '../src/streams/run-pass.js';

export interface Progress {
  onPlans(plans: ReadonlyArray<StreamPlan>): void;
  onWindowDone(r: WindowResult): void;
  stop(): void;
}

interface Counter {
  total: number;
  done: number;
  failed: number;
  rows: number;
}

/** Counts one finished window; returns its stream's counter (undefined for a stream not planned). */
function tally(counters: Map<string, Counter>, r: WindowResult): Counter | undefined {
  const c = counters.get(r.stream);
  if (!c) return undefined;
  c.done++;
  if (r.status === 'failed') c.failed++;
  c.rows += r.rows ? r.rows.inserted + r.rows.updated : 0;
  return c;
}

export function createProgress(opts: { readonly interactive: boolean; readonly logger: Logger; readonly stream: NodeJS.WritableStream; readonly intervalMs?: number }): Progress {
  const counters = new Map<string, Counter>();
  const startedAt = Date.now();
  if (opts.interactive) {
    const multi = new cliProgress.MultiBar(
      {
        stream: opts.stream as NodeJS.WriteStream,
        format: ' {stream} |{bar}| {value}/{total} windows | {rows} rows | {failed} failed | ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    const bars = new Map<string, cliProgress.SingleBar>();
    return {
      onPlans(plans) {
        for (const p of plans) {
          if (p.windows.length === 0) continue;
          counters.set(p.stream.name, { total: p.windows.length, done: 0, failed: 0, rows: 0 });
          bars.set(p.stream.name, multi.create(p.windows.length, 0, { stream: p.stream.name.padEnd(32), rows: 0, failed: 0 }));
        }
      },
      onWindowDone(r) {
        const c = tally(counters, r);
        if (c) bars.get(r.stream)?.update(c.done, { rows: c.rows, failed: c.failed });
      },
      stop() {
        multi.stop();
      },
    };
  }
  const report = () => {
    const all = [...counters.values()];
    const total = all.reduce((n, c) => n + c.total, 0);
    const done = all.reduce((n, c) => n + c.done, 0);
    const elapsed = Date.now() - startedAt;
    const etaSeconds = done > 0 ? Math.round(((total - done) * elapsed) / done / 1000) : null;
    opts.logger.info(
      { windowsDone: done, windowsTotal: total, rows: all.reduce((n, c) => n + c.rows, 0), failed: all.reduce((n, c) => n + c.failed, 0), etaSeconds },
      'progress',
    );
  };
  const timer = setInterval(report, opts.intervalMs ?? 30_000);
  timer.unref();
  return {
    onPlans(plans) {
      for (const p of plans) if (p.windows.length > 0) counters.set(p.stream.name, { total: p.windows.length, done: 0, failed: 0, rows: 0 });
      report();
    },
    onWindowDone(r) {
      const c = tally(counters, r);
      if (c && c.done === c.total) opts.logger.info({ stream: r.stream, windows: c.total, rows: c.rows, failed: c.failed }, 'stream windows done');
    },
    stop() {
      clearInterval(timer);
    },
  };
}
