import { col, cols } from '../transform/columns.js';
import { defineExportStream } from './define-stream.js';

// Scorecards exports (POST /api/v2/scorecards/export, 250/min). Dialpad documents no CSV columns for them: the
// columns typed here are the ones whose meaning their names make plain; everything else lands in `_extra`. Keys hash
// only the identifying columns, so a column Dialpad adds later changes no key.

export const scorecardCalls = defineExportStream({
  name: 'scorecard_calls',
  family: 'scorecards',
  description: 'Graded scorecards per call (scorecards_type=scorecard_export_calls)',
  request: { scorecards_type: 'scorecard_export_calls' },
  columns: [
    col('call_id', 'id'),
    col('scorecard_id', 'id'),
    ...cols('text', 'scorecard_name', 'agent_email', 'agent_name', 'grader_email'),
    col('graded_at', 'local_timestamp'),
    ...cols('numeric', 'score', 'max_score', 'percentage'),
    col('call_date', 'local_timestamp'),
  ],
  key: { kind: 'derived', columns: ['call_id', 'scorecard_id'] },
});

export const scorecardCallsQuestions = defineExportStream({
  name: 'scorecard_calls_questions',
  family: 'scorecards',
  description: 'Scorecard answers per call and question (scorecards_type=scorecard_export_calls_questions)',
  request: { scorecards_type: 'scorecard_export_calls_questions' },
  columns: [
    col('call_id', 'id'),
    col('scorecard_id', 'id'),
    col('question_id', 'id'),
    ...cols('text', 'question', 'answer'),
    ...cols('numeric', 'score', 'max_score'),
    col('agent_email', 'text'),
    col('graded_at', 'local_timestamp'),
  ],
  key: { kind: 'derived', columns: ['call_id', 'scorecard_id', 'question_id'] },
});

export const scorecardAgentLeaderboard = defineExportStream({
  name: 'scorecard_agent_leaderboard',
  family: 'scorecards',
  description: 'Per-agent scorecard results for one day (scorecards_type=scorecard_export_agent_leaderboard, requested day by day)',
  request: { scorecards_type: 'scorecard_export_agent_leaderboard' },
  dayColumn: 'day',
  columns: [col('day', 'date', 'the day the leaderboard covers (requested one day at a time)'), ...cols('text', 'agent_email', 'agent_name'), col('scorecards_count', 'integer'), col('average_score', 'numeric'), col('percentage', 'numeric')],
  key: { kind: 'derived', columns: ['day', 'agent_email', 'agent_name'] },
  dateColumn: 'day',
  replaceWindow: true,
});

export const scorecardLeaderboard = defineExportStream({
  name: 'scorecard_leaderboard',
  family: 'scorecards',
  description: 'Per-scorecard results for one day (scorecards_type=scorecard_export_leaderboard, requested day by day)',
  request: { scorecards_type: 'scorecard_export_leaderboard' },
  dayColumn: 'day',
  columns: [col('day', 'date', 'the day the leaderboard covers (requested one day at a time)'), col('scorecard_id', 'id'), col('scorecard_name', 'text'), col('graded_count', 'integer'), col('average_score', 'numeric')],
  key: { kind: 'derived', columns: ['day', 'scorecard_id', 'scorecard_name'] },
  dateColumn: 'day',
  replaceWindow: true,
});

export const scorecardTeamgroupLeaderboard = defineExportStream({
  name: 'scorecard_teamgroup_leaderboard',
  family: 'scorecards',
  description: 'Per-team scorecard results for one day (scorecards_type=scorecard_export_teamgroup_leaderboard, requested day by day)',
  request: { scorecards_type: 'scorecard_export_teamgroup_leaderboard' },
  dayColumn: 'day',
  columns: [col('day', 'date', 'the day the leaderboard covers (requested one day at a time)'), col('team_id', 'id'), col('team_name', 'text'), col('graded_count', 'integer'), col('average_score', 'numeric')],
  key: { kind: 'derived', columns: ['day', 'team_id', 'team_name'] },
  dateColumn: 'day',
  replaceWindow: true,
});
