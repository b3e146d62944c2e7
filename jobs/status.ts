/**
 * `dialpad-etl status`: per stream, the newest complete day loaded, last run's rows, last success and failure,
 * open exports in the ledger, quarantined rows; and the rate budget used in the current window. The same facts are
 * in the view dialpad_etl.stream_status for BI tools.
 */
import type { App } from '../src/app.js';
import { OPERATIONS } from '../src/extract/endpoints.js';
import { STREAM_NAMES } from '../src/streams/index.js';
import { addDays } from '../src/windows.js';

export interface StreamStatus {
  readonly stream: string;
  /** Newest complete local date loaded by incremental syncs (watermark - 1 day), or null. */
  readonly newest_complete_day: string | null;
  readonly rows_last_run: number | null;
  readonly last_success_at: string | null;
  readonly last_failure_at: string | null;
  readonly last_error: string | null;
  readonly open_exports: number;
  readonly quarantined_rows: number;
}

export interface StatusReport {
  readonly streams: ReadonlyArray<StreamStatus>;
  readonly rate_budget: ReadonlyArray<{ readonly operation_id: string; readonly used: number; readonly limit: number; readonly window_seconds: number }>;
}

export async function collectStatus(app: App): Promise<StatusReport> {
  const { db } = app.database;
  const state = await db.selectFrom('dialpad_etl.stream_state').selectAll().execute();
  const open = await db
    .selectFrom('dialpad_etl.export_requests')
    .select(['stream', (eb) => eb.fn.countAll<string>().as('n')])
    .where('status', 'in', ['requesting', 'processing', 'complete', 'downloading'])
    .groupBy('stream')
    .execute();
  const quarantined = await db.selectFrom('dialpad_etl.quarantine').select(['stream', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('stream').execute();
  const byName = new Map(state.map((s) => [s.stream, s]));
  const streams = STREAM_NAMES.map((name): StreamStatus => {
    const s = byName.get(name);
    return {
      stream: name,
      newest_complete_day: s?.watermark ? addDays(s.watermark, -1) : null,
      rows_last_run: s?.rows_last_run == null ? null : Number(s.rows_last_run),
      last_success_at: s?.last_success_at ? new Date(s.last_success_at).toISOString() : null,
      last_failure_at: s?.last_failure_at ? new Date(s.last_failure_at).toISOString() : null,
      last_error: s?.last_error ?? null,
      open_exports: Number(open.find((o) => o.stream === name)?.n ?? 0),
      quarantined_rows: Number(quarantined.find((q) => q.stream === name)?.n ?? 0),
    };
  });
  const rate_budget = [];
  for (const op of [OPERATIONS.statsCreate.id, 'global']) {
    for (const u of await app.budget.usage(op)) rate_budget.push({ operation_id: op, used: u.used, limit: u.limit.count, window_seconds: u.limit.windowMs / 1000 });
  }
  return { streams, rate_budget };
}

export function formatStatus(r: StatusReport): string {
  const header = ['stream', 'newest day', 'rows last run', 'last success', 'last failure', 'open exports', 'quarantined'];
  const rows = r.streams.map((s) => [
    s.stream,
    s.newest_complete_day ?? '-',
    s.rows_last_run === null ? '-' : String(s.rows_last_run),
    s.last_success_at?.replace('T', ' ').slice(0, 19) ?? '-',
    s.last_failure_at ? `${s.last_failure_at.replace('T', ' ').slice(0, 19)} ${clip(s.last_error ?? '')}` : '-',
    String(s.open_exports),
    String(s.quarantined_rows),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const budget = r.rate_budget.map((b) => `${b.operation_id}: ${b.used}/${b.limit} in the last ${b.window_seconds} s`).join('; ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt), '', `rate budget: ${budget}`].join('\n');
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
