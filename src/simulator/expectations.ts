/**
 * The test-facing "what Dialpad holds" helpers. They run the very generators the endpoints use,
 * so a test can compare the ETL's tables with them row for row.
 */
import type { GenContext } from './calls.js';
import { tableRecords } from './csv.js';
import { digitalItems } from './digital.js';
import { callCenterJson, companyJson, departmentJson, officeJson, userJson } from './directory.js';
import { scorecardTable, SCORECARDS_TYPES, type Scorecard } from './scorecards.js';
import { makeScope, targetOf } from './scope.js';
import { statsTable } from './stats.js';
import { isDate, isValidZone, parseIsoInstant } from './time.js';
import type { ExpectedScorecardQuery, ExpectedStatsQuery, ScorecardsType, Simulator, WfmShape } from './types.js';
import { selectAgents, wfmActivityItems, wfmAgentItems } from './wfm.js';

export interface ExpectationEnv {
  readonly ctx: GenContext;
  readonly scorecards: ReadonlyArray<Scorecard>;
  readonly simNow: () => number;
  readonly wfmShape: () => WfmShape;
}

type Expectations = Pick<
  Simulator,
  | 'expectedStatsRows'
  | 'expectedScorecardRows'
  | 'expectedWfmAgentItems'
  | 'expectedWfmActivityItems'
  | 'expectedDigitalSessions'
  | 'directory'
>;

function checkDates(fromDate: string, toDate: string, tz: string): void {
  if (!isDate(fromDate) || !isDate(toDate)) throw new RangeError(`fromDate/toDate must be YYYY-MM-DD, got ${fromDate}..${toDate}`);
  if (!isValidZone(tz)) throw new RangeError(`Invalid timezone ${tz}`);
}

function instant(s: string, name: string): number {
  const ms = parseIsoInstant(s);
  if (ms === null) throw new RangeError(`${name} must be an ISO 8601 instant with zone, got ${s}`);
  return ms;
}

export function buildExpectations(env: ExpectationEnv): Expectations {
  const { ctx } = env;
  return {
    expectedStatsRows(q: ExpectedStatsQuery) {
      checkDates(q.fromDate, q.toDate, q.timezone);
      const scope = makeScope({
        fromDate: q.fromDate,
        toDate: q.toDate,
        tz: q.timezone,
        target: targetOf(ctx.dir, q.targetId),
        officeId: q.officeId ?? null,
        asOfMs: q.asOf ? q.asOf.getTime() : null,
      });
      const groupBy = q.statType === 'calls' && q.exportType === 'stats' ? (q.groupBy ?? 'user') : null;
      return tableRecords(statsTable(ctx, { statType: q.statType, exportType: q.exportType, groupBy, scope }));
    },
    expectedScorecardRows(q: ExpectedScorecardQuery) {
      checkDates(q.fromDate, q.toDate, q.timezone);
      if (!SCORECARDS_TYPES.includes(q.scorecardsType as ScorecardsType)) throw new RangeError(`Unknown scorecardsType ${q.scorecardsType}`);
      const scope = makeScope({ fromDate: q.fromDate, toDate: q.toDate, tz: q.timezone, target: targetOf(ctx.dir, q.targetId) });
      return tableRecords(scorecardTable(ctx, env.scorecards, {
        type: q.scorecardsType as ScorecardsType,
        scope,
        filterCallDate: true,
        graded: null,
        scorecardIds: q.scorecardIds ?? null,
        graderId: null,
      }));
    },
    expectedWfmAgentItems(q) {
      const agents = selectAgents(ctx.dir, q.ids ?? [], q.emails ?? []);
      return wfmAgentItems(ctx.seed, agents, instant(q.startUtc, 'startUtc'), instant(q.endUtc, 'endUtc'), env.wfmShape());
    },
    expectedWfmActivityItems(q) {
      const agents = selectAgents(ctx.dir, [], [q.agentEmail]);
      return wfmActivityItems(ctx.seed, agents, instant(q.startUtc, 'startUtc'), instant(q.endUtc, 'endUtc'), env.wfmShape());
    },
    expectedDigitalSessions(q) {
      return digitalItems(ctx.seed, ctx.dir, ctx.shape.digitalSessionsPerDay, {
        startMs: instant(q.startUtc, 'startUtc'),
        endMs: instant(q.endUtc, 'endUtc'),
        targetId: q.targetId ?? null,
        targetType: q.targetType ?? null,
      }, env.simNow());
    },
    directory() {
      const d = ctx.dir;
      return {
        offices: d.offices.map(officeJson),
        callCenters: d.callCenters.map((c) => callCenterJson(c, d)),
        departments: d.departments.map((x) => departmentJson(x, d)),
        users: d.users.map((u) => userJson(u, d)),
        company: companyJson(d),
      };
    },
  };
}
