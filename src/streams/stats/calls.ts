import { col, cols } from '../../transform/columns.js';
import { defineExportStream } from '../define-stream.js';

/**
 * Call records: one row per call leg (an entry-point row plus one per agent leg, linked by entry_point_call_id).
 * Columns: third-party evidence of the export (dialpad-api.md §3.4); durations are minutes as exported.
 */
export const calls = defineExportStream({
  name: 'calls',
  family: 'stats',
  description: 'Call records (stat_type=calls, export_type=records), one row per call leg',
  request: { export_type: 'records', stat_type: 'calls' },
  columns: [
    col('call_id', 'id'),
    col('date_started', 'local_timestamp'),
    ...cols('id', 'master_call_id', 'entry_point_call_id'),
    ...cols('text', 'target_kind'),
    col('target_id', 'id'),
    ...cols('text', 'target_type', 'name', 'email', 'category', 'direction', 'categories'),
    col('is_internal', 'boolean'),
    ...cols('text', 'external_number', 'internal_number'),
    ...cols('local_timestamp', 'date_queued', 'date_rang', 'date_first_rang', 'date_connected', 'date_callback_connected', 'date_callback_ended', 'date_ended', 'date_anonymized'),
    ...cols('minutes', 'time_to_answer', 'talk_duration'),
    col('voicemail', 'boolean'),
    col('callback_type', 'text'),
    col('entry_point_target_id', 'id'),
    col('entry_point_target_kind', 'text'),
    col('proxy_target_id', 'id'),
    col('was_recorded', 'boolean'),
    ...cols('text', 'recording_url', 'transferred_to'),
    ...cols('id', 'transferred_to_contact_id', 'transferred_from_target_id', 'office_id', 'company_id'),
    ...cols('text', 'device', 'timezone', 'availability'),
    col('salesforce_activity_id', 'id'),
    col('time_in_system', 'minutes'),
    col('ringing_duration', 'minutes'),
    col('ringing_occurrences', 'integer'),
    col('hold_duration', 'minutes'),
    col('hold_occurrences', 'integer'),
    col('queued_duration', 'minutes'),
    col('queued_occurrences', 'integer'),
    col('wrapup_duration', 'minutes'),
    col('participant_type', 'text'),
    ...cols('numeric', 'percent_ai_talk_time', 'percent_ai_listen_time', 'percent_ai_silent_time'),
    ...cols('id', 'callback_id', 'campaign_id'),
  ],
  key: { kind: 'columns', columns: ['call_id'] },
  dateColumn: 'date_started',
});
