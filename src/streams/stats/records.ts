import { col, cols } from '../../transform/columns.js';
import { defineExportStream } from '../define-stream.js';

// Record exports other than calls. Dialpad documents none of their columns; the ones declared here are the
// third-party evidence (dialpad-api.md §3.4) plus what their names make unambiguous. Everything else lands in
// `_extra`. Without a documented id, rows are keyed by a hash of the whole row, and each export replaces its window.

export const texts = defineExportStream({
  name: 'texts',
  family: 'stats',
  description: 'SMS/MMS records (stat_type=texts)',
  request: { export_type: 'records', stat_type: 'texts' },
  columns: [col('date', 'local_timestamp'), col('message_id', 'id'), ...cols('text', 'direction', 'from_number', 'to_number', 'email', 'name'), col('target_id', 'id'), col('target_type', 'text')],
  key: { kind: 'derived', columns: 'all' },
  dateColumn: 'date',
  replaceWindow: true,
});

export const voicemails = defineExportStream({
  name: 'voicemails',
  family: 'stats',
  description: 'Voicemail records (stat_type=voicemails)',
  request: { export_type: 'records', stat_type: 'voicemails' },
  columns: [col('date', 'local_timestamp'), col('call_id', 'id'), ...cols('text', 'email', 'name', 'external_number'), col('duration', 'minutes')],
  key: { kind: 'derived', columns: 'all' },
  dateColumn: 'date',
  replaceWindow: true,
});

export const recordings = defineExportStream({
  name: 'recordings',
  family: 'stats',
  description: 'Call recording records (stat_type=recordings)',
  request: { export_type: 'records', stat_type: 'recordings' },
  columns: [col('date', 'local_timestamp'), col('call_id', 'id'), col('recording_id', 'id'), ...cols('text', 'email', 'name', 'recording_type'), col('duration', 'minutes')],
  key: { kind: 'derived', columns: 'all' },
  dateColumn: 'date',
  replaceWindow: true,
});

export const onduty = defineExportStream({
  name: 'onduty',
  family: 'stats',
  description: 'Agent on-duty status records (stat_type=onduty)',
  request: { export_type: 'records', stat_type: 'onduty' },
  columns: [col('date', 'local_timestamp'), col('record_id', 'id'), ...cols('text', 'email', 'name', 'on_duty_status'), col('duration', 'minutes')],
  key: { kind: 'derived', columns: ['record_id'] },
  dateColumn: 'date',
  replaceWindow: true,
});

export const screenshare = defineExportStream({
  name: 'screenshare',
  family: 'stats',
  description: 'Screen share records (stat_type=screenshare)',
  request: { export_type: 'records', stat_type: 'screenshare' },
  columns: [col('date', 'local_timestamp'), ...cols('text', 'email', 'name'), col('duration', 'minutes')],
  key: { kind: 'derived', columns: 'all' },
  dateColumn: 'date',
  replaceWindow: true,
});

export const csat = defineExportStream({
  name: 'csat',
  family: 'stats',
  description: 'CSAT survey records per call center (stat_type=csat; one export per call center)',
  request: { export_type: 'records', stat_type: 'csat' },
  targets: 'call_centers',
  columns: [col('date', 'local_timestamp'), col('call_id', 'id'), ...cols('text', 'email', 'name'), col('target_id', 'id'), col('score', 'numeric')],
  key: { kind: 'derived', columns: 'all' },
  dateColumn: 'date',
  replaceWindow: true,
});

export const dispositions = defineExportStream({
  name: 'dispositions',
  family: 'stats',
  description: 'Call disposition records per call center (stat_type=dispositions; one export per call center)',
  request: { export_type: 'records', stat_type: 'dispositions' },
  targets: 'call_centers',
  columns: [col('date', 'local_timestamp'), col('call_id', 'id'), ...cols('text', 'email', 'name'), col('target_id', 'id'), col('disposition', 'text')],
  key: { kind: 'derived', columns: 'all' },
  dateColumn: 'date',
  replaceWindow: true,
});
