/**
 * Validation of POST /api/v2/stats (ProcessStatsMessage) and POST /api/v2/scorecards/export
 * (ProcessScorecardsMessage) bodies, and the days_ago → local dates rule.
 *
 * days_ago semantics (docs §2.1, partly inferred there, fixed here):
 * - days_ago_start (default 1) is the RECENT bound, days_ago_end (default 30) the OLDER one, both inclusive;
 * - dates are computed at POST time from the simulator clock in the request's timezone;
 * - historical exports never contain today: days_ago 0 contributes nothing; is_today:true exports today only.
 */
import type { Directory } from './directory.js';
import { badRequest, type ApiResponse } from './http-util.js';
import { SCORECARDS_TYPES, type ScorecardSpec } from './scorecards.js';
import { makeScope, type TargetKind } from './scope.js';
import { STAT_TYPES, type StatsSpec } from './stats.js';
import { addDays, isValidZone, localDateOf, localRangeUtc } from './time.js';
import type { ExportType, GroupBy, ScorecardsType, StatType } from './types.js';

const STATS_TARGET_TYPES = ['callcenter', 'coachinggroup', 'coachingteam', 'department', 'office', 'room', 'staffgroup', 'unknown', 'user'];
const SCORECARD_TARGET_TYPES = ['callcenter', 'coachingteam', 'office', 'unknown', 'user'];

class Invalid extends Error {}

type Body = Record<string, unknown>;

/** Non-negative int64 given as a JSON number or a numeric string; undefined when absent/null. */
function intField(body: Body, name: string): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,16}$/.test(v.trim())) return Number(v.trim());
  throw new Invalid(`Invalid value for ${name}: expected a non-negative integer.`);
}

/** Id field (int64) kept as a decimal string. */
function idField(body: Body, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === 'string' && /^\d{1,19}$/.test(v.trim())) return v.trim();
  throw new Invalid(`Invalid value for ${name}: expected an integer id.`);
}

function boolField(body: Body, name: string): boolean | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new Invalid(`Invalid value for ${name}: expected a boolean.`);
}

function enumField<T extends string>(body: Body, name: string, allowed: ReadonlyArray<string>): T | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new Invalid(`Invalid value for ${name}: must be one of ${allowed.join(', ')}.`);
  }
  return v as T;
}

function tzField(body: Body): string {
  const v = body['timezone'];
  if (v === undefined || v === null || v === '') return 'UTC';
  if (typeof v !== 'string' || !isValidZone(v)) throw new Invalid(`Invalid timezone: ${String(v)}.`);
  return v;
}

function asBody(raw: unknown): Body {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Invalid('Request body must be a JSON object.');
  return raw as Body;
}

/** Inclusive local dates covered by days_ago_* at `nowMs`; from > to means "nothing" (e.g. start=end=0). */
export function daysAgoDates(nowMs: number, tz: string, start: number, end: number): { fromDate: string; toDate: string } {
  const today = localDateOf(nowMs, tz);
  const fromDate = addDays(today, -end);
  // Historical tables never contain today: a days_ago of 0 contributes nothing.
  const toDate = addDays(today, -Math.max(1, start));
  return { fromDate, toDate };
}

function daysAgo(body: Body, prefix: '' | 'graded_', maxDays: number, defaults: [number, number] | null): [number, number] | null {
  const s = intField(body, `${prefix}days_ago_start`);
  const e = intField(body, `${prefix}days_ago_end`);
  if (defaults === null && s === undefined && e === undefined) return null;
  if (defaults === null && (s === undefined || e === undefined)) {
    throw new Invalid(`${prefix}days_ago_start and ${prefix}days_ago_end must be given together.`);
  }
  const start = s ?? defaults![0];
  const end = e ?? defaults![1];
  if (start > end) throw new Invalid(`${prefix}days_ago_start (${start}) must not be greater than ${prefix}days_ago_end (${end}).`);
  if (end - start + 1 > maxDays) {
    throw new Invalid(`The requested range of ${end - start + 1} days exceeds the maximum of ${maxDays} days.`);
  }
  return [start, end];
}

function resolveTarget(dir: Directory, id: string | undefined, type: string | undefined, required: boolean): { id: string; kind: TargetKind } | null {
  if (id === undefined && type === undefined) {
    if (required) throw new Invalid('target_id and target_type are required for this stat_type.');
    return null;
  }
  if (id === undefined || type === undefined) throw new Invalid('target_id and target_type must be given together.');
  const modelled = type === 'office' || type === 'callcenter' || type === 'department' || type === 'user';
  if (!modelled) return { id, kind: 'other' };
  if (dir.byId.get(id)?.kind !== type) throw new Invalid(`Invalid target: no ${type} with id ${id}.`);
  return { id, kind: type };
}

export interface ParsedStats {
  readonly spec: StatsSpec;
  /** Identical requests (same normalised parameters and covered dates) share this key. */
  readonly dedupeKey: string;
}

/** Validates a ProcessStatsMessage at simulator time nowMs. */
export function parseStatsRequest(raw: unknown, dir: Directory, nowMs: number, maxDays: number): ParsedStats | ApiResponse {
  try {
    const body = asBody(raw);
    const exportType = enumField<ExportType>(body, 'export_type', ['records', 'stats']);
    if (!exportType) throw new Invalid('export_type is required.');
    const statType = enumField<StatType>(body, 'stat_type', STAT_TYPES);
    if (!statType) throw new Invalid('stat_type is required.');
    const needsTarget = statType === 'csat' || statType === 'dispositions';
    if (needsTarget && exportType !== 'records') throw new Invalid(`stat_type ${statType} only supports export_type records.`);
    const groupBy = enumField<GroupBy>(body, 'group_by', ['date', 'group', 'user']);
    if (groupBy && !(statType === 'calls' && exportType === 'stats')) {
      throw new Invalid('group_by only applies to stat_type calls with export_type stats.');
    }
    const tz = tzField(body);
    const isToday = boolField(body, 'is_today') ?? false;
    // With is_today the days_ago_* fields are ignored (spec), so only their types are checked.
    let range: [number, number] = [1, 30];
    if (isToday) {
      intField(body, 'days_ago_start');
      intField(body, 'days_ago_end');
    } else {
      range = daysAgo(body, '', maxDays, [1, 30])!;
    }
    boolField(body, 'coaching_group');
    boolField(body, 'coaching_team');
    const target = resolveTarget(dir, idField(body, 'target_id'), enumField(body, 'target_type', STATS_TARGET_TYPES), needsTarget);
    const officeId = idField(body, 'office_id');
    if (officeId !== undefined && dir.byId.get(officeId)?.kind !== 'office') throw new Invalid(`Invalid office_id: ${officeId}.`);

    const today = localDateOf(nowMs, tz);
    const { fromDate, toDate } = isToday ? { fromDate: today, toDate: today } : daysAgoDates(nowMs, tz, range[0], range[1]);
    const scope = makeScope({ fromDate, toDate, tz, target, officeId: officeId ?? null, asOfMs: isToday ? nowMs : null });
    const spec: StatsSpec = {
      statType,
      exportType,
      groupBy: statType === 'calls' && exportType === 'stats' ? (groupBy ?? 'user') : null,
      scope,
    };
    const dedupeKey = JSON.stringify([statType, exportType, spec.groupBy, tz, fromDate, toDate, isToday, target, target ? null : (officeId ?? null)]);
    return { spec, dedupeKey };
  } catch (e) {
    if (e instanceof Invalid) return badRequest(e.message);
    throw e;
  }
}

/** Validates a ProcessScorecardsMessage at simulator time nowMs. */
export function parseScorecardsRequest(raw: unknown, dir: Directory, nowMs: number, maxDays: number): ScorecardSpec | ApiResponse {
  try {
    const body = asBody(raw);
    const type = enumField<ScorecardsType>(body, 'scorecards_type', SCORECARDS_TYPES);
    if (!type) throw new Invalid('scorecards_type is required.');
    const tz = tzField(body);
    const explicitCallRange = body['days_ago_start'] != null || body['days_ago_end'] != null;
    const range = daysAgo(body, '', maxDays, [1, 30])!;
    const gradedRange = daysAgo(body, 'graded_', maxDays, null);
    const target = resolveTarget(dir, idField(body, 'target_id'), enumField(body, 'target_type', SCORECARD_TARGET_TYPES), false);
    const ids = body['scorecard_ids'];
    let scorecardIds: string[] | null = null;
    if (ids !== undefined && ids !== null) {
      if (!Array.isArray(ids)) throw new Invalid('scorecard_ids must be an array of ids.');
      scorecardIds = ids.map((v, i) => idField({ [`scorecard_ids[${i}]`]: v }, `scorecard_ids[${i}]`)!);
    }
    const graderId = idField(body, 'scorecard_grader_id') ?? null;
    const sendTo = body['send_to'];
    if (sendTo !== undefined && sendTo !== null && typeof sendTo !== 'string') throw new Invalid('send_to must be a string.');

    const { fromDate, toDate } = daysAgoDates(nowMs, tz, range[0], range[1]);
    const scope = makeScope({ fromDate, toDate, tz, target });
    let graded: { fromMs: number; toMs: number } | null = null;
    if (gradedRange) {
      const g = daysAgoDates(nowMs, tz, gradedRange[0], gradedRange[1]);
      graded = localRangeUtc(g.fromDate, g.toDate, tz);
    }
    return { type, scope, filterCallDate: explicitCallRange || graded === null, graded, scorecardIds, graderId };
  } catch (e) {
    if (e instanceof Invalid) return badRequest(e.message);
    throw e;
  }
}
