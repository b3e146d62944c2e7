/**
 * Every Dialpad operation dialpad-etl calls, as data: operationId (the spec's), method, path, official rate limit.
 * Limits are each operation's "Rate limit: N per minute/hour" line in Dialpad's OpenAPI spec
 * (https://dialpad.com/static/openapi/platform-v1.0.json, copy of 2026-07-10); see ../shared/docs/dialpad-api.md §7.
 * The spec's `x-ratelimit` pairs (e.g. [[400,7200]] for stats.create) look like burst windows; we budget by the
 * documented, stricter sentence (200 per hour) because Dialpad does not say how it enforces them.
 */

/** At most `count` requests in any sliding window of `windowMs`. */
export interface RateLimit {
  readonly count: number;
  readonly windowMs: number;
}

export interface Operation {
  readonly id: string;
  readonly method: 'GET' | 'POST';
  /** Path template; `{id}` is substituted. */
  readonly path: string;
  readonly limits: ReadonlyArray<RateLimit>;
}

const perMinute = (count: number): ReadonlyArray<RateLimit> => Object.freeze([Object.freeze({ count, windowMs: 60_000 })]);
const perHour = (count: number): ReadonlyArray<RateLimit> => Object.freeze([Object.freeze({ count, windowMs: 3_600_000 })]);

const op = <const I extends string>(id: I, method: Operation['method'], path: string, limits: ReadonlyArray<RateLimit>) =>
  Object.freeze({ id, method, path, limits }) satisfies Operation;

export const OPERATIONS = Object.freeze({
  // https://developers.dialpad.com/reference/statscreate — "Rate limit: 200 per hour"
  statsCreate: op('stats.create', 'POST', '/api/v2/stats', perHour(200)),
  // https://developers.dialpad.com/reference/statsget — 1200 per minute
  statsGet: op('stats.get', 'GET', '/api/v2/stats/{id}', perMinute(1200)),
  // https://developers.dialpad.com/reference/scorecardsexportcreate — 250 per minute
  scorecardsExportCreate: op('scorecards.export.create', 'POST', '/api/v2/scorecards/export', perMinute(250)),
  // https://developers.dialpad.com/reference/scorecardsexportget — 1200 per minute
  scorecardsExportGet: op('scorecards.export.get', 'GET', '/api/v2/scorecards/export/{id}', perMinute(1200)),
  // https://developers.dialpad.com/reference/wfm-metrics-agentget — 1200 per minute
  wfmAgent: op('wfm-metrics-agent.get', 'GET', '/api/v2/wfm/metrics/agent', perMinute(1200)),
  wfmActivity: op('wfm-metrics-activity.get', 'GET', '/api/v2/wfm/metrics/activity', perMinute(1200)),
  // Digital -- Sessions -- List: 100 per minute, OAuth scope `digital_sessions`
  digitalSessions: op('digital.sessionsdata.list', 'GET', '/api/v2/digital/sessionsdata', perMinute(100)),
  officesList: op('offices.list', 'GET', '/api/v2/offices', perMinute(1200)),
  officesPrimary: op('offices.primary.get', 'GET', '/api/v2/offices/primary', perMinute(1200)),
  callCentersList: op('callcenters.listall', 'GET', '/api/v2/callcenters', perMinute(1200)),
  departmentsList: op('departments.listall', 'GET', '/api/v2/departments', perMinute(1200)),
  usersList: op('users.list', 'GET', '/api/v2/users', perMinute(1200)),
  companyGet: op('company.get', 'GET', '/api/v2/company', perMinute(1200)),
});

export type OperationKey = keyof typeof OPERATIONS;
export type OperationId = (typeof OPERATIONS)[OperationKey]['id'];

export function operationById(id: string): Operation | undefined {
  return Object.values(OPERATIONS).find((o) => o.id === id);
}
