/**
 * Public types of the Dialpad API v2 analytics simulator.
 *
 * The simulator is deliberately independent from the ETL's own client code (src/extract etc.):
 * it models what Dialpad does, as documented in docs/dialpad-api.md, so that end-to-end tests
 * of the ETL are not circular.
 */

/** `stat_type` of POST /api/v2/stats (ProcessStatsMessage). */
export type StatType =
  | 'calls'
  | 'csat'
  | 'dispositions'
  | 'onduty'
  | 'recordings'
  | 'screenshare'
  | 'texts'
  | 'voicemails';

/** `export_type` of POST /api/v2/stats. */
export type ExportType = 'records' | 'stats';

/** `group_by` of POST /api/v2/stats (only for stat_type=calls, export_type=stats). */
export type GroupBy = 'date' | 'user' | 'group';

/** `target_type` accepted by POST /api/v2/stats. */
export type StatsTargetType =
  | 'callcenter'
  | 'coachinggroup'
  | 'coachingteam'
  | 'department'
  | 'office'
  | 'room'
  | 'staffgroup'
  | 'unknown'
  | 'user';

/** `scorecards_type` of POST /api/v2/scorecards/export. */
export type ScorecardsType =
  | 'scorecard_export_agent_leaderboard'
  | 'scorecard_export_calls'
  | 'scorecard_export_calls_questions'
  | 'scorecard_export_leaderboard'
  | 'scorecard_export_teamgroup_leaderboard';

/**
 * Shape of WFM `time_in_adherence` / `time_out_of_adherence` / `time_in_exception`:
 * 'object' = `{percentage, seconds}` (2026 spec), 'seconds' = plain integer seconds (2025-06 spec).
 */
export type WfmShape = 'object' | 'seconds';

/** Operation ids as used by Dialpad's OpenAPI spec (and by rate limits, faults and the request log). */
export type OperationId =
  | 'stats.create'
  | 'stats.get'
  | 'scorecards.export.create'
  | 'scorecards.export.get'
  | 'wfm-metrics-agent.get'
  | 'wfm-metrics-activity.get'
  | 'digital.sessionsdata.list'
  | 'offices.list'
  | 'offices.primary.get'
  | 'callcenters.listall'
  | 'departments.listall'
  | 'users.list'
  | 'company.get';

/** How exports (stats and scorecards) progress and expire. */
export interface ExportBehaviour {
  /** GETs answering `{status:'processing'}` before 'complete' (default 2). */
  readonly processingPolls: number;
  /**
   * After this many ms since the POST, GET /stats/{id} (and scorecards) answer the 404 envelope
   * "Request with id {id} not found." (default 3_600_000). Elapsed time is the larger of real
   * elapsed time and simulator-clock elapsed time, so tests can expire things either by waiting
   * (small TTL) or by moving the clock with setNow().
   */
  readonly requestTtlMs: number;
  /**
   * A pre-signed download URL is valid this long after it was handed out (default 600_000);
   * afterwards the download origin answers 403 with a GCS-like `ExpiredToken` XML body.
   * Every complete GET hands out a freshly signed URL (like GCS signing on demand), so a client
   * recovers from an expired URL by polling again.
   */
  readonly downloadTtlMs: number;
  /** days_ago_end - days_ago_start + 1 above this → 400 envelope (default 31). */
  readonly maxDaysPerExport: number;
  /** Identical POST /stats body (same covered dates) within requestTtl returns the same request_id with already_started:true (default true). */
  readonly dedupeIdenticalPosts: boolean;
}

/** What the simulated company looks like and how much data it produces. */
export interface DataShape {
  /** Calls (conversations, not legs) per UTC day (default 40). */
  readonly callsPerDay: number;
  /** Number of agents (default 6). Three more non-agent users (admin, pending, suspended) are added to the directory. */
  readonly users: number;
  /** Call centers (default 2). */
  readonly callCenters: number;
  /** Active offices (default 2: the primary in America/New_York, the other Europe/Berlin). One extra cancelled office is always listed. */
  readonly offices: number;
  /**
   * 0 = never (default). N>0: every Nth calls-records leg of a UTC day is written malformed
   * (alternating: wrong column count; 'not-a-date' in date_started). Such rows are NOT in expected data.
   */
  readonly malformedEvery: number;
  /** Default shape of WFM adherence fields (default 'object'); switchable at runtime with setWfmShape(). */
  readonly wfmShape: WfmShape;
  /** Digital customer sessions per UTC day (default max(4, round(callsPerDay/4))). Each yields 1-2 sessions. */
  readonly digitalSessionsPerDay: number;
}

/** One-shot fault queues, consumed in order; tests push onto them between runs (addFaults adds to what is pending). */
export interface Faults {
  /** Next N created exports (stats or scorecards) end as status 'failed' instead of complete. */
  readonly failExports?: number;
  /** Next N created exports: first GET after POST answers 404 not-found (as if expired); the request stays gone. */
  readonly expireRequests?: number;
  /** Next N downloads: send Content-Length of the full body, write ~60% of the bytes, then destroy the socket. */
  readonly truncateDownloads?: number;
  /** Next N downloads: chunked encoding, end the response cleanly after ~60% of the bytes, cut in the middle of a record. */
  readonly truncateChunked?: number;
  /** Next N downloads answer 403 ExpiredToken. */
  readonly expireDownloads?: number;
  /**
   * Next matching requests answer 429 (with Retry-After when non-null). operationId '*' matches any API operation.
   * Injected 429s are not rate-limit violations and do not count against any window.
   */
  readonly inject429?: ReadonlyArray<{ readonly operationId: string; readonly retryAfterSeconds: number | null }>;
  /** Next matching requests answer this status with the error envelope. operationId '*' matches any API operation. */
  readonly inject5xx?: ReadonlyArray<{ readonly operationId: string; readonly status: number }>;
  /** Delay between body chunks (1 KiB each) for the next download. */
  readonly slowDownloadMs?: number;
}

/** Options of startSimulator(). */
export interface SimulatorOptions {
  /** Seed of every generated value (default 1). */
  readonly seed?: number;
  /** Injectable clock (default () => new Date()); drives "today", days_ago windows, TTLs and digital session state. */
  readonly now?: () => Date;
  /** Required bearer token (default 'sim-key'). Missing/wrong → 401 envelope. */
  readonly apiKey?: string;
  /** Default true; false → /digital/sessionsdata answers 403 (key lacks OAuth scope digital_sessions). */
  readonly digitalScope?: boolean;
  /** Per operationId: [[count, windowSeconds], ...]; sliding window; merged over the official defaults. */
  readonly rateLimits?: Readonly<Record<string, ReadonlyArray<readonly [number, number]>>>;
  /** Default [20, 1] (20 req/s per company across all API operations; downloads excluded). null disables it. */
  readonly globalLimit?: readonly [number, number] | null;
  readonly export?: Partial<ExportBehaviour>;
  readonly data?: Partial<DataShape>;
  /** Port of the API server (default 0 = any free port). */
  readonly port?: number;
  /** Port of the download server (default 0 = any free port). */
  readonly downloadPort?: number;
}

/** One request as seen by the simulator (API or download origin). */
export interface RequestLogEntry {
  /** Real wall-clock ms (Date.now()) when the request was received. */
  readonly at: number;
  /** Operation id; 'download' on the download origin; 'unknown' for unrouted requests. */
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Parsed JSON body (POSTs). */
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string>>;
  /** The Authorization header exactly as received. */
  readonly authorization: string | null;
  readonly host: 'api' | 'download';
  /** True when the response came from Faults.inject429 / inject5xx. */
  readonly injected: boolean;
}

/** Query of Simulator.expectedStatsRows(). */
export interface ExpectedStatsQuery {
  readonly statType: StatType;
  readonly exportType: ExportType;
  /** Only for calls/stats; default 'user' (Dialpad's documented default). */
  readonly groupBy?: GroupBy;
  /** Inclusive local dates 'YYYY-MM-DD' in `timezone`. */
  readonly fromDate: string;
  readonly toDate: string;
  readonly timezone: string;
  /** Id of a user, call center, department or office (target_id). */
  readonly targetId?: string;
  /** office_id scope (ignored when targetId is given, like Dialpad). */
  readonly officeId?: string;
  /** Only rows concluded at or before this instant (what an is_today export taken at that time contains). */
  readonly asOf?: Date;
}

/** Query of Simulator.expectedScorecardRows(). */
export interface ExpectedScorecardQuery {
  readonly scorecardsType: string;
  /** Inclusive local call dates 'YYYY-MM-DD' in `timezone`. */
  readonly fromDate: string;
  readonly toDate: string;
  readonly timezone: string;
  readonly targetId?: string;
  readonly scorecardIds?: ReadonlyArray<string>;
}

/** The directory as Dialpad's list endpoints return it (JSON items, IDs as strings). */
export interface DirectorySnapshot {
  readonly offices: ReadonlyArray<unknown>;
  readonly callCenters: ReadonlyArray<unknown>;
  readonly departments: ReadonlyArray<unknown>;
  readonly users: ReadonlyArray<unknown>;
  readonly company: unknown;
}

/** A running simulator. */
export interface Simulator {
  /** http://127.0.0.1:<port> (API origin). */
  readonly baseUrl: string;
  /** http://127.0.0.1:<port2> (separate server = separate origin, like GCS pre-signed URLs). */
  readonly downloadBaseUrl: string;
  /** The API key the simulator requires. */
  readonly apiKey: string;
  readonly log: ReadonlyArray<RequestLogEntry>;
  /** 429s produced because a configured limit was really exceeded (NOT injected ones). A correct client keeps this at 0. */
  readonly rateLimitViolations: number;
  addFaults(f: Faults): void;
  setNow(now: () => Date): void;
  /** Switch the WFM adherence field shape at runtime. */
  setWfmShape(shape: WfmShape): void;
  /** What Dialpad "holds": the exact rows an export would contain, as header→string records. */
  expectedStatsRows(q: ExpectedStatsQuery): ReadonlyArray<Readonly<Record<string, string>>>;
  expectedScorecardRows(q: ExpectedScorecardQuery): ReadonlyArray<Readonly<Record<string, string>>>;
  /** Raw JSON items of /wfm/metrics/agent for [startUtc, endUtc), all agents unless emails/ids given. */
  expectedWfmAgentItems(q: {
    startUtc: string;
    endUtc: string;
    emails?: ReadonlyArray<string>;
    ids?: ReadonlyArray<string>;
  }): ReadonlyArray<unknown>;
  /** Raw JSON items of /wfm/metrics/activity for one agent. */
  expectedWfmActivityItems(q: { startUtc: string; endUtc: string; agentEmail: string }): ReadonlyArray<unknown>;
  /** Raw JSON items of /digital/sessionsdata for [startUtc, endUtc) as of the current simulator clock. */
  expectedDigitalSessions(q: {
    startUtc: string;
    endUtc: string;
    targetId?: string;
    targetType?: string;
  }): ReadonlyArray<unknown>;
  directory(): DirectorySnapshot;
  close(): Promise<void>;
}
