/**
 * Routing and handlers of the API origin (all under /api/v2). Handlers return ApiResponse
 * values; server.ts writes them, logs them and applies auth, faults and rate limits first.
 */
import type { GenContext } from './calls.js';
import { digitalItems, DIGITAL_MAX_WINDOW_MS } from './digital.js';
import { callCenterJson, companyJson, departmentJson, officeJson, userJson } from './directory.js';
import type { ExportLedger } from './exports.js';
import { badRequest, errorEnvelope, ok, page, type ApiResponse } from './http-util.js';
import { parseIsoInstant } from './time.js';
import type { OperationId, WfmShape } from './types.js';
import { selectAgents, WFM_MAX_WINDOW_MS, wfmActivityItems, wfmAgentItems } from './wfm.js';

export interface ApiEnv {
  readonly ctx: GenContext;
  readonly ledger: ExportLedger;
  readonly simNow: () => number;
  readonly wfmShape: () => WfmShape;
}

export interface RouteRequest {
  readonly params: ReadonlyArray<string>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly operationId: OperationId;
  readonly handler: (env: ApiEnv, r: RouteRequest) => ApiResponse;
}

const DIRECTORY_PAGE = 3;
const WFM_AGENT_PAGE = 5;
const WFM_ACTIVITY_PAGE = 10;
const DIGITAL_PAGE = 7;

function csv(v: string | undefined): string[] {
  return (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function window(q: Readonly<Record<string, string>>, startKey: string, endKey: string, maxMs: number, tooLong: string): { startMs: number; endMs: number } | ApiResponse {
  for (const k of [startKey, endKey]) {
    if (q[k] === undefined || q[k] === '') return badRequest(`Missing required parameter: ${k}.`);
  }
  const startMs = parseIsoInstant(q[startKey]);
  if (startMs === null) return badRequest(`Invalid ${startKey}: expected an ISO 8601 timestamp with a timezone, e.g. 2025-02-17T00:00:00Z.`);
  const endMs = parseIsoInstant(q[endKey]);
  if (endMs === null) return badRequest(`Invalid ${endKey}: expected an ISO 8601 timestamp with a timezone, e.g. 2025-02-23T00:00:00Z.`);
  if (endMs <= startMs) return badRequest(`${endKey} must be later than ${startKey}.`);
  if (endMs - startMs >= maxMs) return badRequest(tooLong);
  return { startMs, endMs };
}

function wfm(kind: 'agent' | 'activity') {
  return (env: ApiEnv, r: RouteRequest): ApiResponse => {
    const w = window(r.query, 'start', 'end', WFM_MAX_WINDOW_MS, 'The requested window must be shorter than 7 days.');
    if ('status' in w) return w;
    const ids = csv(r.query['ids']);
    const emails = csv(r.query['emails']);
    if (kind === 'activity' && ids.length === 0 && emails.length === 0) return badRequest('ids or emails required');
    const agents = selectAgents(env.ctx.dir, ids, emails);
    const items = kind === 'agent'
      ? wfmAgentItems(env.ctx.seed, agents, w.startMs, w.endMs, env.wfmShape())
      : wfmActivityItems(env.ctx.seed, agents, w.startMs, w.endMs, env.wfmShape());
    return page(items, kind === 'agent' ? WFM_AGENT_PAGE : WFM_ACTIVITY_PAGE, r.query['cursor'],
      [kind, w.startMs, w.endMs, ids.join(','), emails.join(',')]);
  };
}

function digital(env: ApiEnv, r: RouteRequest): ApiResponse {
  const w = window(r.query, 'start_date', 'end_date', DIGITAL_MAX_WINDOW_MS, 'Requested period must be less than 7 days.');
  if ('status' in w) return w;
  const targetId = r.query['target_id'] || null;
  const targetType = r.query['target_type'] || null;
  if ((targetId === null) !== (targetType === null)) return badRequest('target_id must be provided together with target_type.');
  if (targetType !== null && !['callcenter', 'department', 'office'].includes(targetType)) {
    return badRequest('Invalid target_type: must be one of department, office, callcenter.');
  }
  if (targetId !== null && !/^\d+$/.test(targetId)) return badRequest('Invalid target_id.');
  const items = digitalItems(env.ctx.seed, env.ctx.dir, env.ctx.shape.digitalSessionsPerDay,
    { startMs: w.startMs, endMs: w.endMs, targetId, targetType }, env.simNow());
  // The spec allows items:null; an empty result uses it so clients must cope.
  return page(items, DIGITAL_PAGE, r.query['cursor'], ['digital', w.startMs, w.endMs, targetId ?? '', targetType ?? ''], null);
}

function nameMatch(name: string, search: string | undefined): boolean {
  return !search || name.toLowerCase().includes(search.toLowerCase());
}

export const ROUTES: ReadonlyArray<Route> = [
  { method: 'POST', pattern: /^\/api\/v2\/stats$/, operationId: 'stats.create', handler: (e, r) => e.ledger.createStats(r.body) },
  { method: 'GET', pattern: /^\/api\/v2\/stats\/([^/]+)$/, operationId: 'stats.get', handler: (e, r) => e.ledger.get('stats', r.params[0]!) },
  { method: 'POST', pattern: /^\/api\/v2\/scorecards\/export$/, operationId: 'scorecards.export.create', handler: (e, r) => e.ledger.createScorecards(r.body) },
  { method: 'GET', pattern: /^\/api\/v2\/scorecards\/export\/([^/]+)$/, operationId: 'scorecards.export.get', handler: (e, r) => e.ledger.get('scorecards', r.params[0]!) },
  { method: 'GET', pattern: /^\/api\/v2\/wfm\/metrics\/agent$/, operationId: 'wfm-metrics-agent.get', handler: wfm('agent') },
  { method: 'GET', pattern: /^\/api\/v2\/wfm\/metrics\/activity$/, operationId: 'wfm-metrics-activity.get', handler: wfm('activity') },
  { method: 'GET', pattern: /^\/api\/v2\/digital\/sessionsdata$/, operationId: 'digital.sessionsdata.list', handler: digital },
  {
    method: 'GET', pattern: /^\/api\/v2\/offices\/primary$/, operationId: 'offices.primary.get',
    handler: (e) => ok(officeJson(e.ctx.dir.offices.find((o) => o.isPrimary)!)),
  },
  {
    method: 'GET', pattern: /^\/api\/v2\/offices$/, operationId: 'offices.list',
    handler: (e, r) => {
      const activeOnly = r.query['active_only'] === 'true';
      const items = e.ctx.dir.offices.filter((o) => !activeOnly || o.state === 'active').map(officeJson);
      return page(items, DIRECTORY_PAGE, r.query['cursor'], ['offices', String(activeOnly)]);
    },
  },
  {
    method: 'GET', pattern: /^\/api\/v2\/callcenters$/, operationId: 'callcenters.listall',
    handler: (e, r) => {
      const { office_id: officeId, name_search: search } = r.query;
      const items = e.ctx.dir.callCenters
        .filter((c) => (!officeId || c.officeId === officeId) && nameMatch(c.name, search))
        .map((c) => callCenterJson(c, e.ctx.dir));
      return page(items, DIRECTORY_PAGE, r.query['cursor'], ['callcenters', officeId ?? '', search ?? '']);
    },
  },
  {
    method: 'GET', pattern: /^\/api\/v2\/departments$/, operationId: 'departments.listall',
    handler: (e, r) => {
      const { office_id: officeId, name_search: search } = r.query;
      const items = e.ctx.dir.departments
        .filter((d) => (!officeId || d.officeId === officeId) && nameMatch(d.name, search))
        .map((d) => departmentJson(d, e.ctx.dir));
      return page(items, DIRECTORY_PAGE, r.query['cursor'], ['departments', officeId ?? '', search ?? '']);
    },
  },
  {
    method: 'GET', pattern: /^\/api\/v2\/users$/, operationId: 'users.list',
    handler: (e, r) => {
      const state = r.query['state'];
      const states = ['active', 'all', 'cancelled', 'deleted', 'pending', 'suspended'];
      if (state !== undefined && !states.includes(state)) return badRequest(`Invalid state: must be one of ${states.join(', ')}.`);
      const email = r.query['email']?.toLowerCase();
      // Without `state` every user is returned (deleted and pending included): the loader must cope.
      const items = e.ctx.dir.users
        .filter((u) => (state === undefined || state === 'all' || u.state === state) && (!email || u.email.toLowerCase() === email))
        .map((u) => userJson(u, e.ctx.dir));
      return page(items, DIRECTORY_PAGE, r.query['cursor'], ['users', state ?? '', email ?? '']);
    },
  },
  { method: 'GET', pattern: /^\/api\/v2\/company$/, operationId: 'company.get', handler: (e) => ok(companyJson(e.ctx.dir)) },
];

/** The route for (method, path), or a 404 envelope when nothing matches. */
export function matchRoute(method: string, path: string): { route: Route; params: string[] } | null {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (m) {
      try {
        return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) };
      } catch {
        return null;
      }
    }
  }
  return null;
}

export const notFoundRoute = (method: string, path: string): ApiResponse =>
  errorEnvelope(404, `No route for ${method} ${path}.`, 'notFound');
