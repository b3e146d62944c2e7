/**
 * Digital session items → rows. Units differ per field (dialpad-api.md §6.2): duration, bot_time and queue_time are
 * milliseconds (the last two sent as strings), wrap_up_time is seconds; column names carry the unit. Nested objects
 * become prefixed columns, lists become text[].
 */
import type { Row } from './columns.js';
import { toBool, toNumber, toText } from './columns.js';

type Obj = Readonly<Record<string, unknown>>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): ReadonlyArray<string> | null => (Array.isArray(v) ? v.map((x) => toText(x) ?? '') : v === null || v === undefined ? null : [toText(v) ?? '']);

function nested(prefix: string, v: unknown, fields: ReadonlyArray<string>): Row {
  const o = obj(v);
  return Object.fromEntries(fields.map((f) => [`${prefix}_${f}`, toText(o[f])]));
}

export function toDigitalSessionRow(raw: unknown): Row {
  const s = obj(raw);
  return {
    session_id: toText(s['session_id']),
    customer_session_id: toText(s['customer_session_id']),
    created_at: toText(s['created_at']),
    ended_at: toText(s['ended_at']),
    direction: toText(s['direction']),
    session_channel: toText(s['session_channel']),
    chat_type: toText(s['chat_type']),
    cause: toText(s['cause']),
    duration_ms: toNumber(s['duration']),
    bot_time_ms: toNumber(s['bot_time']),
    queue_time_ms: toNumber(s['queue_time']),
    wrap_up_time_seconds: toNumber(s['wrap_up_time']),
    queued_status: toText(s['queued_status']),
    agent_handled: toBool(s['agent_handled']),
    agent_transfer: toBool(s['agent_transfer']),
    agent_message_count: toNumber(s['agent_message_count']),
    agent_group_ids: list(s['agent_group_id']),
    agent_group_names: list(s['agent_group_name']),
    skill: toText(s['skill']),
    dispositions: list(s['disposition']),
    aicsat_score: toNumber(s['aicsat_score']),
    customer_csat_score: toNumber(s['customer_csat_score']),
    survey_status: toText(s['survey_status']),
    email_subject: toText(s['email_subject']),
    ...nested('user', s['user'], ['id', 'display_name', 'primary_email']),
    ...nested('customer', s['customer'], ['id', 'name', 'email', 'phone']),
    ...nested('customer_channel', s['customer_channel_info'], ['id', 'name', 'email', 'phone']),
    ...nested('session_account', s['session_account'], ['id', 'name', 'email', 'phone']),
    ...nested('target', s['target'], ['id', 'name', 'type']),
    ...nested('office', s['office'], ['id', 'name']),
  };
}
