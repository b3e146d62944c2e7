import { col, cols } from '../../transform/columns.js';
import { defineExportStream } from '../define-stream.js';

// Aggregated call statistics (stat_type=calls, export_type=stats), one stream per group_by. Each row is a day-grain
// fact; the export is authoritative for its window, so a re-read replaces the window's rows.

export const callStatsByDate = defineExportStream({
  name: 'call_stats_by_date',
  family: 'stats',
  description: 'Daily call totals (export_type=stats, group_by=date)',
  request: { export_type: 'stats', stat_type: 'calls', group_by: 'date' },
  columns: [
    col('date', 'date'),
    ...cols('integer', 'inbound_calls', 'outbound_calls', 'answered', 'abandoned', 'short_abandoned', 'missed', 'cancelled', 'spam', 'voicemails'),
    col('service_level', 'numeric', 'service level as exported (percent)'),
    col('asa', 'minutes', 'average speed of answer; unit: minutes (as exported by Dialpad)'),
  ],
  key: { kind: 'derived', columns: ['date'] },
  dateColumn: 'date',
  replaceWindow: true,
});

export const callStatsByUser = defineExportStream({
  name: 'call_stats_by_user',
  family: 'stats',
  description: 'Daily call statistics per user (export_type=stats, group_by=user)',
  request: { export_type: 'stats', stat_type: 'calls', group_by: 'user' },
  columns: [
    col('date', 'date'),
    ...cols('text', 'email', 'name', 'type'),
    ...cols('integer', 'all_calls', 'inbound_calls', 'outbound_calls', 'answered', 'missed', 'abandoned', 'ring_no_answer'),
    ...cols('minutes', 'talk_duration', 'hold_duration', 'wrapup_duration'),
  ],
  key: { kind: 'derived', columns: ['date', 'email', 'name', 'type'] },
  dateColumn: 'date',
  replaceWindow: true,
});

export const callStatsByGroup = defineExportStream({
  name: 'call_stats_by_group',
  family: 'stats',
  description: 'Daily call statistics per department and call center (export_type=stats, group_by=group)',
  request: { export_type: 'stats', stat_type: 'calls', group_by: 'group' },
  columns: [
    col('date', 'date'),
    col('group_id', 'id'),
    ...cols('text', 'group_name', 'group_type'),
    col('office_id', 'id'),
    ...cols('integer', 'inbound_calls', 'answered', 'missed', 'abandoned'),
    col('talk_duration', 'minutes'),
  ],
  key: { kind: 'derived', columns: ['date', 'group_id', 'group_name', 'group_type'] },
  dateColumn: 'date',
  replaceWindow: true,
});
