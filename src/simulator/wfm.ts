/**
 * WFM metrics (GET /api/v2/wfm/metrics/agent and /activity). Items are a pure function of
 * (seed, agent, UTC day/hour); the adherence fields are rendered in either spec shape
 * (2026: {percentage, seconds}; 2025-06: integer seconds).
 *
 * Granularity (undocumented by Dialpad, inferred from the spec examples): agent items cover one
 * UTC day, activity items one UTC hour of an agent's shift per activity. Weekends (UTC) are
 * unscheduled: agent items then carry zeros and nulls, and there are no activity items.
 */
import type { Directory, User } from './directory.js';
import { rngFor, type Rng } from './prng.js';
import { DAY_MS, HOUR_MS, isoSecondsZ } from './time.js';
import type { WfmShape } from './types.js';

export const WFM_MAX_WINDOW_MS = 7 * DAY_MS;

const ACTIVITIES: ReadonlyArray<{ name: string; type: 'task' | 'break' }> = [
  { name: 'Customer Support', type: 'task' },
  { name: 'Email, Chat & "Social"', type: 'task' },
  { name: 'Lunch ☕', type: 'break' },
];

function r2(x: number): number {
  return Math.round(x * 100) / 100;
}

function statusTime(shape: WfmShape, percentage: number, seconds: number): unknown {
  return shape === 'seconds' ? seconds : { percentage: r2(percentage), seconds };
}

function isWeekend(day: number): boolean {
  const dow = new Date(day * DAY_MS).getUTCDay();
  return dow === 0 || dow === 6;
}

/** First UTC hour of an agent's 8-hour shift. */
function shiftStartHour(agent: User): number {
  return 6 + ((agent.agentIndex * 3) % 10);
}

/** Agents selected by the ids/emails filters (union; emails compared case-insensitively). No filter = all agents. */
export function selectAgents(dir: Directory, ids: ReadonlyArray<string>, emails: ReadonlyArray<string>): User[] {
  if (ids.length === 0 && emails.length === 0) return [...dir.agents];
  const lower = new Set(emails.map((e) => e.trim().toLowerCase()));
  return dir.agents.filter((a) => ids.includes(a.id) || lower.has(a.email.toLowerCase()));
}

function agentItem(seed: number, agent: User, day: number, shape: WfmShape): Record<string, unknown> {
  const interval = { end: isoSecondsZ((day + 1) * DAY_MS), start: isoSecondsZ(day * DAY_MS) };
  const base = { agent: { email: agent.email, name: agent.displayName }, interval };
  if (isWeekend(day)) {
    return {
      ...base,
      actual_occupancy: null, adherence_score: null, conversations_closed_per_hour: null,
      conversations_closed_per_service_hour: null, dialpad_availability: null, dialpad_time_in_status: null,
      occupancy: null, planned_occupancy: null, scheduled_hours: 0, time_in_adherence: null, time_in_exception: null,
      time_on_task: null, time_out_of_adherence: null, total_conversations_closed: 0, utilisation: null,
    };
  }
  const rng = rngFor(seed, 'wfm-agent', agent.id, day);
  const scheduled = 8;
  const total = scheduled * 3600;
  const inAdh = rng.int(Math.floor(total * 0.8), Math.floor(total * 0.98));
  const exc = rng.int(0, Math.floor((total - inAdh) / 2));
  const outAdh = total - inAdh - exc;
  const closed = rng.int(10, 60);
  const occ = (r: Rng): { percentage: number; seconds_lost: number } => {
    const p = 0.5 + r.next() * 0.45;
    return { percentage: r2(p), seconds_lost: Math.round(total * (1 - p)) };
  };
  const status = (p: number): { percentage: number; seconds: number } => ({ percentage: r2(p), seconds: Math.round(total * p) });
  const avail = 0.1 + rng.next() * 0.2;
  const occupied = 0.3 + rng.next() * 0.2;
  const wrap = 0.05 + rng.next() * 0.1;
  return {
    ...base,
    actual_occupancy: occ(rng),
    adherence_score: Math.round((inAdh / total) * 1000) / 10,
    conversations_closed_per_hour: r2(closed / scheduled),
    conversations_closed_per_service_hour: r2(closed / (scheduled * 0.85)),
    dialpad_availability: occ(rng),
    dialpad_time_in_status: {
      available: status(avail),
      // The spec example has a status with a null percentage and no seconds key at all.
      busy: rng.chance(0.5) ? { percentage: null } : status(0.02),
      occupied: status(occupied),
      unavailable: status(Math.max(0, 1 - avail - occupied - wrap)),
      wrapup: status(wrap),
    },
    occupancy: r2(0.6 + rng.next() * 0.35),
    planned_occupancy: occ(rng),
    scheduled_hours: scheduled,
    time_in_adherence: statusTime(shape, inAdh / total, inAdh),
    time_in_exception: statusTime(shape, exc / total, exc),
    time_on_task: r2(0.6 + rng.next() * 0.35),
    time_out_of_adherence: statusTime(shape, outAdh / total, outAdh),
    total_conversations_closed: closed,
    utilisation: r2(0.6 + rng.next() * 0.35),
  };
}

/** Agent items: one per selected agent per UTC day whose midnight lies in [startMs, endMs); ordered by day then agent. */
export function wfmAgentItems(seed: number, agents: ReadonlyArray<User>, startMs: number, endMs: number, shape: WfmShape): unknown[] {
  const out: unknown[] = [];
  for (let day = Math.ceil(startMs / DAY_MS); day * DAY_MS < endMs; day++) {
    for (const agent of agents) out.push(agentItem(seed, agent, day, shape));
  }
  return out;
}

/** The 2-3 activities an agent works on. */
function agentActivities(seed: number, agent: User): ReadonlyArray<{ name: string; type: 'task' | 'break' }> {
  const n = rngFor(seed, 'wfm-activities', agent.id).int(2, 3);
  return n === 3 ? ACTIVITIES : [ACTIVITIES[0]!, ACTIVITIES[2]!];
}

function activityItem(seed: number, agent: User, hour: number, act: { name: string; type: 'task' | 'break' }, shape: WfmShape): Record<string, unknown> {
  const rng = rngFor(seed, 'wfm-activity', agent.id, hour, act.name);
  const scheduledSec = act.type === 'break' ? rng.int(0, 2) * 900 : rng.int(1, 4) * 900;
  const inAdh = Math.round(scheduledSec * (0.85 + rng.next() * 0.15));
  const exc = Math.round((scheduledSec - inAdh) / 3);
  const outAdh = scheduledSec - inAdh - exc;
  const isTask = act.type === 'task';
  const closed = isTask ? rng.int(0, 8) : 0;
  return {
    activity: { name: act.name, type: act.type },
    adherence_score: scheduledSec === 0 ? 100 : Math.round((inAdh / scheduledSec) * 1000) / 10,
    average_conversation_time: isTask ? r2(2 + rng.next() * 10) : 0,
    average_interaction_time: isTask ? r2(1 + rng.next() * 5) : 0,
    conversations_closed: closed,
    conversations_closed_per_hour: closed,
    conversations_commented_on: isTask ? rng.int(0, 12) : 0,
    conversations_on_hold: isTask ? rng.int(0, 3) : 0,
    conversations_opened: isTask ? closed + rng.int(0, 3) : 0,
    interval: { end: isoSecondsZ((hour + 1) * HOUR_MS), start: isoSecondsZ(hour * HOUR_MS) },
    scheduled_hours: scheduledSec / 3600,
    time_in_adherence: statusTime(shape, scheduledSec === 0 ? 0 : inAdh / scheduledSec, inAdh),
    time_in_exception: statusTime(shape, scheduledSec === 0 ? 0 : exc / scheduledSec, exc),
    time_on_task: isTask ? r2(0.6 + rng.next() * 0.4) : 0,
    time_out_of_adherence: statusTime(shape, scheduledSec === 0 ? 0 : outAdh / scheduledSec, outAdh),
    wrong_task_snapshots: rng.int(0, 2),
  };
}

/**
 * Activity items (no agent field, as in the spec): for each selected agent (directory order),
 * each shift hour whose start lies in [startMs, endMs), each of the agent's activities.
 */
export function wfmActivityItems(seed: number, agents: ReadonlyArray<User>, startMs: number, endMs: number, shape: WfmShape): unknown[] {
  const out: unknown[] = [];
  for (const agent of agents) {
    const acts = agentActivities(seed, agent);
    const h0 = shiftStartHour(agent);
    for (let hour = Math.ceil(startMs / HOUR_MS); hour * HOUR_MS < endMs; hour++) {
      const day = Math.floor(hour / 24);
      const hod = hour - day * 24;
      if (isWeekend(day) || hod < h0 || hod >= h0 + 8) continue;
      for (const act of acts) out.push(activityItem(seed, agent, hour, act, shape));
    }
  }
  return out;
}
