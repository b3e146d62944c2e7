/**
 * Aggregated stats exports (export_type=stats). They are computed from exactly the records a
 * records export of the same scope would contain, grouped by the local date of each record,
 * so a test can cross-check the two.
 *
 * Definitions (for calls; Dialpad's own are undocumented):
 * - conversation counts use the entry leg of each call (the CallCenter leg or the single user leg);
 * - abandoned includes short_abandoned (caller left the queue in under 10 s), which is also counted alone;
 * - service_level = % of answered within 20 s of queueing over (answered + abandoned - short_abandoned), '' when undefined;
 * - asa = average time to answer of answered conversations, minutes, '' when none.
 * Malformed rows (DataShape.malformedEvery) are an encoding fault of records files only; aggregates count every call.
 */
import type { GenContext } from './calls.js';
import type { CsvRow } from './csv.js';
import type { User } from './directory.js';
import { scopeDates, type ExportScope } from './scope.js';
import {
  ondutyRecords, recordingRecords, scopedLegs, scopedRecs, screenshareRecords, textRecords, voicemailRecords,
} from './stats-records.js';
import { LocalFormatter, minutes } from './time.js';

export const CALLS_BY_DATE_HEADER = [
  'date', 'inbound_calls', 'outbound_calls', 'answered', 'abandoned', 'short_abandoned', 'missed', 'cancelled',
  'spam', 'voicemails', 'service_level', 'asa',
];
export const CALLS_BY_USER_HEADER = [
  'date', 'email', 'name', 'type', 'all_calls', 'inbound_calls', 'outbound_calls', 'answered', 'missed', 'abandoned',
  'ring_no_answer', 'talk_duration', 'hold_duration', 'wrapup_duration',
];
export const CALLS_BY_GROUP_HEADER = [
  'date', 'group_id', 'group_name', 'group_type', 'office_id', 'inbound_calls', 'answered', 'missed', 'abandoned',
  'talk_duration',
];

/** Accumulates counters per key without keeping legs (aggregates must stay cheap for huge exports). */
class Counters {
  private readonly m = new Map<string, number[]>();
  constructor(private readonly width: number) {}
  add(key: string, idx: number, v = 1): void {
    let a = this.m.get(key);
    if (!a) this.m.set(key, (a = new Array<number>(this.width).fill(0)));
    a[idx] = (a[idx] ?? 0) + v;
  }
  get(key: string): number[] | undefined {
    return this.m.get(key);
  }
}

function pct(n: number, d: number): string {
  return d === 0 ? '' : (Math.round((n / d) * 10_000) / 100).toFixed(2);
}

const enum D { Inbound, Outbound, Answered, Abandoned, Short, Missed, Cancelled, Spam, Vms, WithinSl, TtaSum, Width }

/** calls + stats + group_by=date: one row per local date of the range, zeros included. */
export function* callsByDateRows(ctx: GenContext, scope: ExportScope): Generator<CsvRow> {
  const fmt = new LocalFormatter(scope.tz);
  const c = new Counters(D.Width);
  for (const l of scopedLegs(ctx, scope)) {
    if (!l.isEntry) continue;
    const k = fmt.date(l.startMs);
    c.add(k, l.direction === 'inbound' ? D.Inbound : D.Outbound);
    if (l.outcome === 'answered') {
      c.add(k, D.Answered);
      c.add(k, D.TtaSum, l.ttaSec ?? 0);
      // Service level counts the wait in queue (the call center's 20 s threshold), not the IVR.
      const waitSec = l.queuedMs !== null && l.connectedMs !== null ? (l.connectedMs - l.queuedMs) / 1000 : (l.ttaSec ?? 0);
      if (waitSec <= 20) c.add(k, D.WithinSl);
    }
    if (l.outcome === 'abandoned') c.add(k, D.Abandoned);
    if (l.categories.includes('short_abandoned')) c.add(k, D.Short);
    if (l.outcome === 'missed') c.add(k, D.Missed);
    if (l.outcome === 'cancelled') c.add(k, D.Cancelled);
    if (l.outcome === 'spam') c.add(k, D.Spam);
    if (l.voicemail) c.add(k, D.Vms);
  }
  for (const date of scopeDates(scope)) {
    const a = c.get(date) ?? new Array<number>(D.Width).fill(0);
    const n = (i: D): number => a[i] ?? 0;
    yield {
      valid: true,
      values: [
        date, ...[D.Inbound, D.Outbound, D.Answered, D.Abandoned, D.Short, D.Missed, D.Cancelled, D.Spam, D.Vms].map((i) => String(n(i))),
        pct(n(D.WithinSl), n(D.Answered) + n(D.Abandoned) - n(D.Short)),
        n(D.Answered) === 0 ? '' : minutes(n(D.TtaSum) / n(D.Answered)),
      ],
    };
  }
}

const enum U { All, Inbound, Outbound, Answered, Missed, Abandoned, Rna, Talk, Hold, Wrapup, Width }

/** calls + stats + group_by=user: one row per local date and user with at least one leg. */
export function* callsByUserRows(ctx: GenContext, scope: ExportScope): Generator<CsvRow> {
  const fmt = new LocalFormatter(scope.tz);
  const c = new Counters(U.Width);
  for (const l of scopedLegs(ctx, scope)) {
    if (!l.user) continue;
    const k = `${fmt.date(l.startMs)}|${l.user.id}`;
    c.add(k, U.All);
    c.add(k, l.direction === 'inbound' ? U.Inbound : U.Outbound);
    if (l.outcome === 'answered') c.add(k, U.Answered);
    if (l.outcome === 'missed' || l.outcome === 'ring_no_answer') c.add(k, U.Missed);
    if (l.outcome === 'abandoned') c.add(k, U.Abandoned);
    if (l.outcome === 'ring_no_answer') c.add(k, U.Rna);
    c.add(k, U.Talk, l.talkSec ?? 0);
    c.add(k, U.Hold, l.holdSec);
    c.add(k, U.Wrapup, l.wrapupSec);
  }
  for (const date of scopeDates(scope)) {
    for (const user of ctx.dir.agents) {
      const a = c.get(`${date}|${user.id}`);
      if (!a) continue;
      const n = (i: U): number => a[i] ?? 0;
      yield {
        valid: true,
        values: [
          date, user.email, user.displayName, 'user',
          ...[U.All, U.Inbound, U.Outbound, U.Answered, U.Missed, U.Abandoned, U.Rna].map((i) => String(n(i))),
          minutes(n(U.Talk)), minutes(n(U.Hold)), minutes(n(U.Wrapup)),
        ],
      };
    }
  }
}

const enum G { Inbound, Answered, Missed, Abandoned, Talk, Width }

/** calls + stats + group_by=group: call centers (entry legs) and departments (direct inbound legs). */
export function* callsByGroupRows(ctx: GenContext, scope: ExportScope): Generator<CsvRow> {
  const fmt = new LocalFormatter(scope.tz);
  const c = new Counters(G.Width);
  for (const l of scopedLegs(ctx, scope)) {
    if (!l.isEntry || l.direction !== 'inbound') continue;
    const groupId = l.callCenter ? l.callCenter.id : l.departmentId;
    if (!groupId) continue;
    const k = `${fmt.date(l.startMs)}|${groupId}`;
    c.add(k, G.Inbound);
    if (l.outcome === 'answered') c.add(k, G.Answered);
    if (l.outcome === 'missed') c.add(k, G.Missed);
    if (l.outcome === 'abandoned') c.add(k, G.Abandoned);
    c.add(k, G.Talk, l.talkSec ?? 0);
  }
  const groups = [
    ...ctx.dir.callCenters.map((g) => ({ id: g.id, name: g.name, type: 'callcenter', officeId: g.officeId })),
    ...ctx.dir.departments.map((g) => ({ id: g.id, name: g.name, type: 'department', officeId: g.officeId })),
  ];
  for (const date of scopeDates(scope)) {
    for (const g of groups) {
      const a = c.get(`${date}|${g.id}`);
      if (!a) continue;
      const n = (i: G): number => a[i] ?? 0;
      yield {
        valid: true,
        values: [
          date, g.id, g.name, g.type, g.officeId,
          ...[G.Inbound, G.Answered, G.Missed, G.Abandoned].map((i) => String(n(i))),
          minutes(n(G.Talk)),
        ],
      };
    }
  }
}

/** Generic per (local date, user) aggregation used by the non-calls stat types. */
function* perUserDay<R extends { ms: number }>(
  ctx: GenContext,
  scope: ExportScope,
  recs: Iterable<R>,
  userOf: (r: R) => { id: string; email: string; name: string },
  metrics: (rs: R[]) => string[],
): Generator<CsvRow> {
  const fmt = new LocalFormatter(scope.tz);
  const by = new Map<string, Map<string, { key: { id: string; email: string; name: string }; rs: R[] }>>();
  for (const r of recs) {
    const d = fmt.date(r.ms);
    const key = userOf(r);
    let m = by.get(d);
    if (!m) by.set(d, (m = new Map()));
    let e = m.get(key.id);
    if (!e) m.set(key.id, (e = { key, rs: [] }));
    e.rs.push(r);
  }
  for (const date of scopeDates(scope)) {
    const m = by.get(date);
    if (!m) continue;
    // Stable order: agents in directory order, then anything else (call centers) by id.
    const order = [...m.values()].sort((a, b) => rank(ctx, a.key.id) - rank(ctx, b.key.id) || a.key.id.localeCompare(b.key.id));
    for (const e of order) yield { valid: true, values: [date, e.key.email, e.key.name, ...metrics(e.rs)] };
  }
}

function rank(ctx: GenContext, id: string): number {
  const u = ctx.dir.usersById.get(id);
  return u && u.agentIndex >= 0 ? u.agentIndex : 1_000_000;
}

const userKey = (u: User): { id: string; email: string; name: string } => ({ id: u.id, email: u.email, name: u.displayName });

export const ONDUTY_STATS_HEADER = ['date', 'email', 'name', 'available_duration', 'occupied_duration', 'unavailable_duration'];
export const TEXTS_STATS_HEADER = ['date', 'email', 'name', 'inbound_texts', 'outbound_texts'];
export const VOICEMAILS_STATS_HEADER = ['date', 'email', 'name', 'voicemails', 'total_duration'];
export const RECORDINGS_STATS_HEADER = ['date', 'email', 'name', 'recordings', 'total_duration'];
export const SCREENSHARE_STATS_HEADER = ['date', 'email', 'name', 'sessions', 'total_duration'];

export function ondutyStatsRows(ctx: GenContext, scope: ExportScope): Iterable<CsvRow> {
  return perUserDay(ctx, scope, scopedRecs(ondutyRecords(ctx, scope), scope), (r) => userKey(r.user), (rs) =>
    ['available', 'occupied', 'unavailable'].map((s) => minutes(rs.filter((r) => r.status === s).reduce((a, r) => a + r.durSec, 0))));
}

export function textsStatsRows(ctx: GenContext, scope: ExportScope): Iterable<CsvRow> {
  return perUserDay(ctx, scope, scopedRecs(textRecords(ctx, scope), scope), (r) => userKey(r.user), (rs) =>
    [String(rs.filter((r) => r.direction === 'inbound').length), String(rs.filter((r) => r.direction === 'outbound').length)]);
}

export function voicemailsStatsRows(ctx: GenContext, scope: ExportScope): Iterable<CsvRow> {
  return perUserDay(ctx, scope, scopedRecs(voicemailRecords(ctx, scope), scope), (r) => r.key, (rs) =>
    [String(rs.length), minutes(rs.reduce((a, r) => a + r.durSec, 0))]);
}

export function recordingsStatsRows(ctx: GenContext, scope: ExportScope): Iterable<CsvRow> {
  return perUserDay(ctx, scope, scopedRecs(recordingRecords(ctx, scope), scope), (r) => userKey(r.user), (rs) =>
    [String(rs.length), minutes(rs.reduce((a, r) => a + r.durSec, 0))]);
}

export function screenshareStatsRows(ctx: GenContext, scope: ExportScope): Iterable<CsvRow> {
  return perUserDay(ctx, scope, scopedRecs(screenshareRecords(ctx, scope), scope), (r) => userKey(r.user), (rs) =>
    [String(rs.length), minutes(rs.reduce((a, r) => a + r.durSec, 0))]);
}
