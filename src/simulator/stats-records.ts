/**
 * Row generators for stats exports with export_type=records. Column lists follow the
 * third-party evidence in docs/dialpad-api.md §3.4; calls records carry one extra column
 * (`mos_score`) that no list mentions, so a client must keep unknown columns.
 *
 * Conventions (3rd-party evidence): timestamps 'YYYY-MM-DD HH:MM:SS' local to the requested
 * timezone without offset, durations in minutes with decimals, booleans 'true'/'false', ids
 * as ~16-digit strings, empty strings for absent values.
 */
import { callsOverlapping, type CallLeg, type GenContext, type SimCall } from './calls.js';
import type { CsvRow } from './csv.js';
import type { User } from './directory.js';
import { rngFor, structuredId } from './prng.js';
import { inRange, inScope, type ExportScope, type ScopeAttrs } from './scope.js';
import { DAY_MS, LocalFormatter, minutes, utcDay } from './time.js';

export const CALLS_RECORDS_HEADER: ReadonlyArray<string> = [
  'date_started', 'call_id', 'master_call_id', 'entry_point_call_id', 'target_kind', 'target_id', 'target_type',
  'name', 'email', 'category', 'direction', 'categories', 'is_internal', 'external_number', 'internal_number',
  'date_queued', 'date_rang', 'date_first_rang', 'date_connected', 'date_callback_connected', 'date_callback_ended',
  'date_ended', 'date_anonymized', 'time_to_answer', 'talk_duration', 'voicemail', 'callback_type',
  'entry_point_target_id', 'entry_point_target_kind', 'proxy_target_id', 'was_recorded', 'recording_url',
  'transferred_to', 'transferred_to_contact_id', 'transferred_from_target_id', 'office_id', 'company_id', 'device',
  'timezone', 'availability', 'salesforce_activity_id', 'time_in_system', 'ringing_duration', 'ringing_occurrences',
  'hold_duration', 'hold_occurrences', 'queued_duration', 'queued_occurrences', 'wrapup_duration', 'participant_type',
  'percent_ai_talk_time', 'percent_ai_listen_time', 'percent_ai_silent_time', 'callback_id', 'campaign_id',
  'mos_score',
];

/** Free-text values with every CSV hazard: commas, doubled quotes, LF and CRLF inside fields, non-ASCII, emptiness. */
export const NASTY_TEXTS: ReadonlyArray<string> = [
  'Hi, can you call me back?',
  'He said "maybe tomorrow", then hung up',
  'Line one\nline two',
  'Ñandú ファージー über straße — ok',
  'multi\r\nline, with "quotes" and, commas',
  '',
  'Plain note',
  '"Quoted at start',
  'trailing comma,',
];

export function legAttrs(leg: CallLeg): ScopeAttrs {
  return {
    userId: leg.user?.id ?? null,
    callCenterIds: leg.callCenter ? [leg.callCenter.id] : [],
    departmentId: leg.departmentId,
    officeId: leg.officeId,
  };
}

function userAttrs(u: User, extraCc: ReadonlyArray<string> = []): ScopeAttrs {
  return { userId: u.id, callCenterIds: [...u.callCenterIds, ...extraCc], departmentId: u.departmentId, officeId: u.officeId };
}

/** Legs of calls/records in scope, in export order. */
export function* scopedLegs(ctx: GenContext, scope: ExportScope): Generator<CallLeg> {
  for (const call of callsOverlapping(ctx, scope.fromMs, scope.toMs)) {
    for (const leg of call.legs) {
      if (!inRange(scope, leg.startMs)) continue;
      if (scope.asOfMs !== null && leg.endedMs > scope.asOfMs) continue;
      if (!inScope(scope, legAttrs(leg))) continue;
      yield leg;
    }
  }
}

/** Calls with their legs, for record types derived from calls (voicemails, recordings, csat, dispositions). */
function* scopedCalls(ctx: GenContext, scope: ExportScope): Generator<SimCall> {
  yield* callsOverlapping(ctx, scope.fromMs - DAY_MS / 24, scope.toMs);
}

function ts(fmt: LocalFormatter, ms: number | null): string {
  return ms === null ? '' : fmt.dateTime(ms);
}

function bool(b: boolean): string {
  return b ? 'true' : 'false';
}

/** One calls/records row, possibly malformed according to DataShape.malformedEvery. */
export function callLegRow(ctx: GenContext, leg: CallLeg, fmt: LocalFormatter): CsvRow {
  const dir = ctx.dir;
  const office = dir.officeById.get(leg.officeId);
  const isUser = leg.user !== null;
  const entryTarget = leg.callCenter ?? leg.user;
  const values = [
    ts(fmt, leg.startMs),
    leg.callId,
    leg.masterCallId,
    leg.entryPointCallId,
    isUser ? 'UserProfile' : 'CallCenter',
    isUser ? leg.user!.id : leg.callCenter!.id,
    isUser ? 'user' : 'callcenter',
    isUser ? leg.user!.displayName : leg.callCenter!.name,
    isUser ? leg.user!.email : '',
    leg.category,
    leg.direction,
    leg.categories,
    bool(leg.isInternal),
    leg.externalNumber,
    leg.internalNumber,
    ts(fmt, leg.queuedMs),
    ts(fmt, leg.rangMs),
    ts(fmt, leg.firstRangMs),
    ts(fmt, leg.connectedMs),
    '',
    '',
    ts(fmt, leg.endedMs),
    '',
    leg.ttaSec === null ? '' : minutes(leg.ttaSec),
    leg.talkSec === null ? '' : minutes(leg.talkSec),
    bool(leg.voicemail),
    '',
    entryTarget ? entryTarget.id : '',
    leg.callCenter ? 'CallCenter' : 'UserProfile',
    '',
    bool(leg.wasRecorded),
    leg.wasRecorded ? `https://dialpad.com/r/${leg.callId}?type=callrecording` : '',
    leg.transferredTo,
    '',
    leg.transferredFromTargetId,
    leg.officeId,
    dir.company.id,
    leg.device,
    office?.timezone ?? 'UTC',
    leg.availability,
    '',
    minutes((leg.endedMs - leg.startMs) / 1000),
    minutes(leg.ringSec),
    String(leg.ringOcc),
    minutes(leg.holdSec),
    String(leg.holdOcc),
    minutes(leg.queuedSec),
    String(leg.queuedOcc),
    minutes(leg.wrapupSec),
    leg.participantType,
    leg.aiPercents ? String(leg.aiPercents[0]) : '',
    leg.aiPercents ? String(leg.aiPercents[1]) : '',
    leg.aiPercents ? String(leg.aiPercents[2]) : '',
    '',
    leg.campaignId,
    leg.mosScore,
  ];
  const every = ctx.shape.malformedEvery;
  if (every > 0 && (leg.seqInDay + 1) % every === 0) {
    const nth = (leg.seqInDay + 1) / every;
    if (nth % 2 === 1) return { values: values.slice(0, -1), valid: false }; // wrong column count
    values[0] = 'not-a-date';
    return { values, valid: false };
  }
  return { values, valid: true };
}

export function* callsRecordRows(ctx: GenContext, scope: ExportScope): Generator<CsvRow> {
  const fmt = new LocalFormatter(scope.tz);
  for (const leg of scopedLegs(ctx, scope)) yield callLegRow(ctx, leg, fmt);
}

/** A record of a non-calls stat type before rendering. */
interface Rec {
  readonly ms: number;
  readonly endMs: number;
  readonly attrs: ScopeAttrs;
  readonly values: (fmt: LocalFormatter) => string[];
}

function* filtered(scope: ExportScope, recs: Iterable<Rec>): Generator<CsvRow> {
  const fmt = new LocalFormatter(scope.tz);
  for (const r of recs) {
    if (!inRange(scope, r.ms)) continue;
    if (scope.asOfMs !== null && r.endMs > scope.asOfMs) continue;
    if (!inScope(scope, r.attrs)) continue;
    yield { values: r.values(fmt), valid: true };
  }
}

function daysOf(scope: ExportScope): number[] {
  const out: number[] = [];
  for (let d = utcDay(scope.fromMs - DAY_MS); d <= utcDay(scope.toMs - 1); d++) out.push(d);
  return out;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

export const ONDUTY_HEADER = ['date', 'record_id', 'email', 'name', 'on_duty_status', 'duration'];

/** On-duty status changes: per agent per UTC day, a random walk over an ~8.5 h shift. */
export function* ondutyRecords(ctx: GenContext, scope: ExportScope): Generator<Rec & { status: string; durSec: number; user: User }> {
  for (const day of daysOf(scope)) {
    for (const agent of ctx.dir.agents) {
      const rng = rngFor(ctx.seed, 'onduty', day, agent.id);
      let t = day * DAY_MS + (6 + ((agent.agentIndex * 3) % 10)) * 3_600_000 + rng.int(0, 1800) * 1000;
      const end = t + 8.5 * 3_600_000;
      let k = 0;
      while (t < end) {
        const status = rng.pick(['available', 'available', 'occupied', 'unavailable']);
        const durSec = Math.min(rng.int(5, 90) * 60 + rng.int(0, 59), Math.ceil((end - t) / 1000));
        const startMs = t;
        const recordId = structuredId(2, ctx.seed, `${pad(day, 5)}${pad(agent.agentIndex, 3)}${pad(k, 5)}`);
        yield {
          ms: startMs,
          endMs: startMs + durSec * 1000,
          attrs: userAttrs(agent),
          status,
          durSec,
          user: agent,
          values: (fmt) => [fmt.dateTime(startMs), recordId, agent.email, agent.displayName, status, minutes(durSec)],
        };
        t += durSec * 1000;
        k++;
      }
    }
  }
}

export const TEXTS_HEADER = ['date', 'message_id', 'direction', 'from_number', 'to_number', 'email', 'name', 'target_id', 'target_type', 'text'];

export function* textRecords(ctx: GenContext, scope: ExportScope): Generator<Rec & { direction: string; user: User }> {
  const perDay = Math.ceil(Math.max(0, ctx.shape.callsPerDay) / 2);
  for (const day of daysOf(scope)) {
    for (let i = 0; i < perDay; i++) {
      const rng = rngFor(ctx.seed, 'text', day, i);
      const ms = day * DAY_MS + Math.floor(((i + rng.next()) * DAY_MS) / perDay / 1000) * 1000;
      const agent = rng.pick(ctx.dir.agents);
      const inbound = rng.chance(0.55);
      const customer = `+1${rng.int(201, 989)}${rng.int(2000000, 9999999)}`;
      const viaCc = agent.callCenterIds.length > 0 && rng.chance(0.3);
      const targetId = viaCc ? agent.callCenterIds[0]! : agent.id;
      const text = rng.pick(NASTY_TEXTS);
      const id = structuredId(3, ctx.seed, `${pad(day, 5)}${pad(i, 7)}0`);
      yield {
        ms,
        endMs: ms,
        attrs: userAttrs(agent),
        direction: inbound ? 'inbound' : 'outbound',
        user: agent,
        values: (fmt) => [
          fmt.dateTime(ms), id, inbound ? 'inbound' : 'outbound',
          inbound ? customer : agent.phone, inbound ? agent.phone : customer,
          agent.email, agent.displayName, targetId, viaCc ? 'callcenter' : 'user', text,
        ],
      };
    }
  }
}

export const VOICEMAILS_HEADER = ['date', 'call_id', 'email', 'name', 'external_number', 'duration', 'transcription'];

export function* voicemailRecords(ctx: GenContext, scope: ExportScope): Generator<Rec & { durSec: number; key: { id: string; email: string; name: string } }> {
  for (const call of scopedCalls(ctx, scope)) {
    if (!call.voicemail) continue;
    const leg = call.legs.find((l) => l.voicemail);
    if (!leg) continue;
    const ms = leg.endedMs - call.voicemailSec * 1000;
    const rng = rngFor(ctx.seed, 'vm', leg.callId);
    const transcription = rng.chance(0.2) ? '' : rng.pick(NASTY_TEXTS);
    const key = leg.user
      ? { id: leg.user.id, email: leg.user.email, name: leg.user.displayName }
      : { id: leg.callCenter!.id, email: '', name: leg.callCenter!.name };
    yield {
      ms,
      endMs: leg.endedMs,
      attrs: legAttrs(leg),
      durSec: call.voicemailSec,
      key,
      values: (fmt) => [fmt.dateTime(ms), leg.callId, key.email, key.name, leg.externalNumber, minutes(call.voicemailSec), transcription],
    };
  }
}

export const RECORDINGS_HEADER = ['date', 'call_id', 'recording_id', 'email', 'name', 'duration', 'recording_type'];

export function* recordingRecords(ctx: GenContext, scope: ExportScope): Generator<Rec & { durSec: number; user: User }> {
  for (const call of scopedCalls(ctx, scope)) {
    for (const leg of call.legs) {
      if (!leg.wasRecorded || leg.user === null || leg.connectedMs === null) continue;
      const user = leg.user;
      const ms = leg.connectedMs;
      const durSec = leg.talkSec ?? 0;
      const recId = structuredId(4, ctx.seed, leg.callId.slice(3));
      const type = leg.callCenter ? 'admincallrecording' : 'callrecording';
      yield {
        ms,
        endMs: leg.endedMs,
        attrs: legAttrs(leg),
        durSec,
        user,
        values: (fmt) => [fmt.dateTime(ms), leg.callId, recId, user.email, user.displayName, minutes(durSec), type],
      };
    }
  }
}

export const SCREENSHARE_HEADER = ['date', 'email', 'name', 'duration', 'participants'];

export function* screenshareRecords(ctx: GenContext, scope: ExportScope): Generator<Rec & { durSec: number; user: User }> {
  const perDay = Math.max(1, Math.ceil(Math.max(0, ctx.shape.callsPerDay) / 20));
  for (const day of daysOf(scope)) {
    for (let i = 0; i < perDay; i++) {
      const rng = rngFor(ctx.seed, 'screenshare', day, i);
      const ms = day * DAY_MS + Math.floor(((i + rng.next()) * DAY_MS) / perDay / 1000) * 1000;
      const user = rng.pick(ctx.dir.agents);
      const durSec = rng.int(60, 3600);
      const participants = String(rng.int(2, 6));
      yield {
        ms,
        endMs: ms + durSec * 1000,
        attrs: userAttrs(user),
        durSec,
        user,
        values: (fmt) => [fmt.dateTime(ms), user.email, user.displayName, minutes(durSec), participants],
      };
    }
  }
}

export const CSAT_HEADER = ['date', 'call_id', 'email', 'name', 'target_id', 'score', 'survey_question', 'comment'];
const SURVEY_QUESTIONS = ['How satisfied were you, overall?', 'Would you recommend "ファージー" to a friend?'];

export function* csatRecords(ctx: GenContext, scope: ExportScope): Generator<Rec> {
  for (const call of scopedCalls(ctx, scope)) {
    const leg = call.handledLeg;
    if (!call.callCenter || !leg || !leg.user) continue;
    const rng = rngFor(ctx.seed, 'csat', leg.callId);
    if (!rng.chance(0.4)) continue;
    const ms = call.legs.reduce((m, l) => Math.max(m, l.endedMs), 0) + 60_000;
    const user = leg.user;
    const cc = call.callCenter;
    const score = String(rng.int(1, 5));
    const question = rng.pick(SURVEY_QUESTIONS);
    const comment = rng.chance(0.3) ? '' : rng.pick(NASTY_TEXTS);
    yield {
      ms,
      endMs: ms,
      attrs: { ...legAttrs(leg), callCenterIds: [cc.id] },
      values: (fmt) => [fmt.dateTime(ms), leg.callId, user.email, user.displayName, cc.id, score, question, comment],
    };
  }
}

export const DISPOSITIONS_HEADER = ['date', 'call_id', 'email', 'name', 'target_id', 'disposition', 'notes'];
const DISPOSITIONS = ['Sale', 'Follow-up, needed', 'No "answer"', 'Résolu', 'Wrong number'];

export function* dispositionRecords(ctx: GenContext, scope: ExportScope): Generator<Rec> {
  for (const call of scopedCalls(ctx, scope)) {
    const leg = call.handledLeg;
    if (!leg || !leg.user) continue;
    const rng = rngFor(ctx.seed, 'disposition', leg.callId);
    if (!rng.chance(0.6)) continue;
    const ms = leg.endedMs + leg.wrapupSec * 1000;
    const user = leg.user;
    const targetId = call.callCenter ? call.callCenter.id : user.id;
    const disposition = rng.pick(DISPOSITIONS);
    const notes = rng.pick(NASTY_TEXTS);
    yield {
      ms,
      endMs: ms,
      attrs: legAttrs(leg),
      values: (fmt) => [fmt.dateTime(ms), leg.callId, user.email, user.displayName, targetId, disposition, notes],
    };
  }
}

/** Rows of a non-calls records export. */
export function* otherRecordRows(recs: Iterable<Rec>, scope: ExportScope): Generator<CsvRow> {
  yield* filtered(scope, recs);
}

/** Records of a non-calls type that pass the scope, for aggregation. */
export function* scopedRecs<R extends Rec>(recs: Iterable<R>, scope: ExportScope): Generator<R> {
  for (const r of recs) {
    if (!inRange(scope, r.ms)) continue;
    if (scope.asOfMs !== null && r.endMs > scope.asOfMs) continue;
    if (!inScope(scope, r.attrs)) continue;
    yield r;
  }
}
