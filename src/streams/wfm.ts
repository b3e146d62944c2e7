import { OPERATIONS } from '../extract/endpoints.js';
import { MAX_WINDOW_MS_7D, wfmActivityPages, wfmAgentPages } from '../extract/sources.js';
import { col, cols } from '../transform/columns.js';
import { toWfmActivityRow, toWfmAgentRow } from '../transform/wfm.js';
import { defineApiStream, type RowWithRaw } from './define-stream.js';

const adherence = (prefix: string) => [col(`${prefix}_seconds`, 'seconds'), col(`${prefix}_pct`, 'ratio')];

/** Agent-level WFM metrics, one row per agent and interval (the spec's examples show daily intervals). */
export const wfmAgentMetrics = defineApiStream({
  name: 'wfm_agent_metrics',
  description: 'WFM agent metrics (GET /api/v2/wfm/metrics/agent), one row per agent and interval',
  operationId: OPERATIONS.wfmAgent.id,
  maxWindowMs: MAX_WINDOW_MS_7D,
  columns: [
    col('agent_email', 'text', 'lower-cased; with interval_start the natural key'),
    col('agent_name', 'text'),
    ...cols('timestamptz', 'interval_start', 'interval_end'),
    col('scheduled_hours', 'numeric', 'unit: hours'),
    ...cols('ratio', 'occupancy', 'utilisation'),
    col('adherence_score', 'percent'),
    col('time_on_task', 'ratio'),
    ...cols('numeric', 'conversations_closed_per_hour', 'conversations_closed_per_service_hour'),
    col('total_conversations_closed', 'integer'),
    ...['actual_occupancy', 'planned_occupancy', 'dialpad_availability'].flatMap((p) => [col(`${p}_pct`, 'ratio'), col(`${p}_seconds_lost`, 'seconds')]),
    ...adherence('time_in_adherence'),
    ...adherence('time_out_of_adherence'),
    ...adherence('time_in_exception'),
    ...['available', 'busy', 'occupied', 'unavailable', 'wrapup'].flatMap((s) => adherence(`status_${s}`)),
  ],
  key: { kind: 'columns', columns: ['agent_email', 'interval_start'] },
  async *fetch(ctx, window) {
    for await (const page of wfmAgentPages(ctx.client, window, ctx.signal)) {
      yield page.map((raw): RowWithRaw => ({ row: toWfmAgentRow(raw), raw }));
    }
  },
});

/** Activity-level WFM metrics. The endpoint answers for the agents asked and does not name them: asked per agent. */
export const wfmActivityMetrics = defineApiStream({
  name: 'wfm_activity_metrics',
  description: 'WFM activity metrics (GET /api/v2/wfm/metrics/activity), queried per agent, one row per agent, activity and interval',
  operationId: OPERATIONS.wfmActivity.id,
  maxWindowMs: MAX_WINDOW_MS_7D,
  columns: [
    col('agent_email', 'text', 'lower-cased; the agent the activity was requested for'),
    ...cols('text', 'activity_name', 'activity_type'),
    ...cols('timestamptz', 'interval_start', 'interval_end'),
    col('scheduled_hours', 'numeric', 'unit: hours'),
    col('adherence_score', 'percent'),
    col('time_on_task', 'ratio'),
    ...cols('minutes', 'average_conversation_time', 'average_interaction_time'),
    ...cols('integer', 'conversations_opened', 'conversations_closed', 'conversations_commented_on', 'conversations_on_hold', 'wrong_task_snapshots'),
    col('conversations_closed_per_hour', 'numeric'),
    ...adherence('time_in_adherence'),
    ...adherence('time_out_of_adherence'),
    ...adherence('time_in_exception'),
  ],
  key: { kind: 'derived', columns: ['agent_email', 'interval_start', 'activity_name', 'activity_type'] },
  async *fetch(ctx, window) {
    for (const email of await ctx.agentEmails()) {
      for await (const page of wfmActivityPages(ctx.client, window, email, ctx.signal)) {
        yield page.map((raw): RowWithRaw => ({ row: toWfmActivityRow(raw, email), raw }));
      }
    }
  },
});
