/**
 * WFM metrics items → rows. `time_in_adherence`, `time_out_of_adherence` and `time_in_exception` are
 * `{percentage, seconds}` objects in the 2026 spec and plain integer seconds in the 2025 spec (dialpad-api.md §5.4):
 * both are accepted and flattened into `<name>_seconds` and `<name>_pct`.
 */
import type { Row } from './columns.js';
import { toNumber, toText } from './columns.js';

type Obj = Readonly<Record<string, unknown>>;

const obj = (v: unknown): Obj | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);

/** `{percentage, seconds}` | seconds | null → [seconds, ratio]. */
export function splitStatusTime(v: unknown): readonly [number | null, number | null] {
  if (typeof v === 'number' || typeof v === 'string') return [toNumber(v), null];
  const o = obj(v);
  return o === null ? [null, null] : [toNumber(o['seconds']), toNumber(o['percentage'])];
}

function statusTimes(item: Obj, names: ReadonlyArray<string>): Row {
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const [seconds, pct] = splitStatusTime(item[n]);
    out[`${n}_seconds`] = seconds;
    out[`${n}_pct`] = pct;
  }
  return out;
}

function occupancy(item: Obj, names: ReadonlyArray<string>): Row {
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const o = obj(item[n]);
    out[`${n}_pct`] = o === null ? null : toNumber(o['percentage']);
    out[`${n}_seconds_lost`] = o === null ? null : toNumber(o['seconds_lost']);
  }
  return out;
}

function interval(item: Obj): { interval_start: string | null; interval_end: string | null } {
  const i = obj(item['interval']);
  return { interval_start: toText(i?.['start']), interval_end: toText(i?.['end']) };
}

const ADHERENCE = ['time_in_adherence', 'time_out_of_adherence', 'time_in_exception'] as const;

export function toWfmAgentRow(raw: unknown): Row {
  const item = obj(raw) ?? {};
  const agent = obj(item['agent']);
  const status = obj(item['dialpad_time_in_status']) ?? {};
  const statusCols: Record<string, unknown> = {};
  for (const s of ['available', 'busy', 'occupied', 'unavailable', 'wrapup']) {
    const [seconds, pct] = splitStatusTime(status[s]);
    statusCols[`status_${s}_seconds`] = seconds;
    statusCols[`status_${s}_pct`] = pct;
  }
  return {
    agent_email: normalizeEmail(agent?.['email']),
    agent_name: toText(agent?.['name']),
    ...interval(item),
    scheduled_hours: toNumber(item['scheduled_hours']),
    occupancy: toNumber(item['occupancy']),
    utilisation: toNumber(item['utilisation']),
    adherence_score: toNumber(item['adherence_score']),
    time_on_task: toNumber(item['time_on_task']),
    conversations_closed_per_hour: toNumber(item['conversations_closed_per_hour']),
    conversations_closed_per_service_hour: toNumber(item['conversations_closed_per_service_hour']),
    total_conversations_closed: toNumber(item['total_conversations_closed']),
    ...occupancy(item, ['actual_occupancy', 'planned_occupancy', 'dialpad_availability']),
    ...statusTimes(item, ADHERENCE),
    ...statusCols,
  };
}

/** Activity items carry no agent (the API answers for the agents asked): the caller says whose they are. */
export function toWfmActivityRow(raw: unknown, agentEmail: string): Row {
  const item = obj(raw) ?? {};
  const activity = obj(item['activity']);
  return {
    agent_email: normalizeEmail(agentEmail),
    activity_name: toText(activity?.['name']),
    activity_type: toText(activity?.['type']),
    ...interval(item),
    scheduled_hours: toNumber(item['scheduled_hours']),
    adherence_score: toNumber(item['adherence_score']),
    time_on_task: toNumber(item['time_on_task']),
    average_conversation_time: toNumber(item['average_conversation_time']),
    average_interaction_time: toNumber(item['average_interaction_time']),
    conversations_opened: toNumber(item['conversations_opened']),
    conversations_closed: toNumber(item['conversations_closed']),
    conversations_commented_on: toNumber(item['conversations_commented_on']),
    conversations_on_hold: toNumber(item['conversations_on_hold']),
    wrong_task_snapshots: toNumber(item['wrong_task_snapshots']),
    conversations_closed_per_hour: toNumber(item['conversations_closed_per_hour']),
    ...statusTimes(item, ADHERENCE),
  };
}

/** E-mail addresses are keys: compare case-insensitively. */
export function normalizeEmail(v: unknown): string | null {
  const t = toText(v);
  return t === null ? null : t.trim().toLowerCase();
}
