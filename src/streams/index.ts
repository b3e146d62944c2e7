/**
 * The stream registry: every stream dialpad-etl knows, in one explicit list. Stream names are stable identifiers
 * (operators use them in --streams, status and SQL) and each loads the table `dialpad.<name>`.
 */
import type { TableSpec } from '../load/table-spec.js';
import { commentOf, pgTypeOf } from '../transform/columns.js';
import { callStatsByDate, callStatsByGroup, callStatsByUser } from './stats/call-stats.js';
import { calls } from './stats/calls.js';
import { csat, dispositions, onduty, recordings, screenshare, texts, voicemails } from './stats/records.js';
import type { StreamDefinition } from './define-stream.js';
import { digitalSessions } from './digital.js';
import { callCenters, company, departments, offices, users } from './directory.js';
import { scorecardAgentLeaderboard, scorecardCalls, scorecardCallsQuestions, scorecardLeaderboard, scorecardTeamgroupLeaderboard } from './scorecards.js';
import { wfmActivityMetrics, wfmAgentMetrics } from './wfm.js';

export const STREAMS: ReadonlyArray<StreamDefinition> = Object.freeze([
  calls,
  texts,
  voicemails,
  recordings,
  onduty,
  screenshare,
  csat,
  dispositions,
  callStatsByDate,
  callStatsByUser,
  callStatsByGroup,
  scorecardCalls,
  scorecardCallsQuestions,
  scorecardAgentLeaderboard,
  scorecardLeaderboard,
  scorecardTeamgroupLeaderboard,
  wfmAgentMetrics,
  wfmActivityMetrics,
  digitalSessions,
  // Directory last in the list, but a pass loads it first (csat/dispositions and WFM activity need it).
  offices,
  callCenters,
  departments,
  users,
  company,
]);

export const STREAM_NAMES: ReadonlyArray<string> = Object.freeze(STREAMS.map((s) => s.name));

export function findStream(name: string): StreamDefinition | undefined {
  return STREAMS.find((s) => s.name === name);
}

/** The load layer's view of a stream's table. */
export function tableSpecOf(s: StreamDefinition): TableSpec {
  return Object.freeze({
    table: s.name,
    columns: s.columns.map((c) => Object.freeze({ name: c.name, pgType: pgTypeOf(c) })),
    key: s.key,
    ...(s.dateColumn === undefined ? {} : { dateColumn: s.dateColumn }),
    ...(s.replaceWindow === undefined ? {} : { replaceWindow: s.replaceWindow }),
    perTarget: s.kind === 'export' && s.family === 'stats' && s.targets !== undefined,
  });
}

/** Column comments (units) for the DDL and the docs. */
export function columnComments(s: StreamDefinition): ReadonlyArray<readonly [string, string]> {
  return s.columns.flatMap((c) => {
    const comment = commentOf(c);
    return comment === undefined ? [] : [[c.name, comment] as const];
  });
}
