import { OPERATIONS } from '../extract/endpoints.js';
import { MAX_WINDOW_MS_7D, digitalSessionPages } from '../extract/sources.js';
import { col, cols } from '../transform/columns.js';
import { toDigitalSessionRow } from '../transform/digital.js';
import { defineApiStream, type RowWithRaw } from './define-stream.js';

/**
 * Digital (chat, SMS, e-mail…) sessions. A session started or ended in a window, so adjacent windows return it
 * twice: upsert on session_id, the newer read wins.
 */
export const digitalSessions = defineApiStream({
  name: 'digital_sessions',
  description: 'Digital sessions (GET /api/v2/digital/sessionsdata; needs OAuth scope digital_sessions)',
  operationId: OPERATIONS.digitalSessions.id,
  maxWindowMs: MAX_WINDOW_MS_7D,
  columns: [
    col('session_id', 'id'),
    col('customer_session_id', 'id'),
    ...cols('timestamptz', 'created_at', 'ended_at'),
    ...cols('text', 'direction', 'session_channel', 'chat_type', 'cause'),
    ...cols('milliseconds', 'duration_ms', 'bot_time_ms', 'queue_time_ms'),
    col('wrap_up_time_seconds', 'seconds'),
    col('queued_status', 'text'),
    ...cols('boolean', 'agent_handled', 'agent_transfer'),
    col('agent_message_count', 'integer'),
    ...cols('text_array', 'agent_group_ids', 'agent_group_names'),
    col('skill', 'text'),
    col('dispositions', 'text_array'),
    ...cols('numeric', 'aicsat_score', 'customer_csat_score'),
    ...cols('text', 'survey_status', 'email_subject'),
    col('user_id', 'id'),
    ...cols('text', 'user_display_name', 'user_primary_email'),
    col('customer_id', 'id'),
    ...cols('text', 'customer_name', 'customer_email', 'customer_phone'),
    col('customer_channel_id', 'id'),
    ...cols('text', 'customer_channel_name', 'customer_channel_email', 'customer_channel_phone'),
    col('session_account_id', 'id'),
    ...cols('text', 'session_account_name', 'session_account_email', 'session_account_phone'),
    col('target_id', 'id'),
    ...cols('text', 'target_name', 'target_type'),
    col('office_id', 'id'),
    col('office_name', 'text'),
  ],
  key: { kind: 'columns', columns: ['session_id'] },
  async *fetch(ctx, window) {
    for await (const page of digitalSessionPages(ctx.client, window, ctx.signal)) {
      yield page.map((raw): RowWithRaw => ({ row: toDigitalSessionRow(raw), raw }));
    }
  },
});
