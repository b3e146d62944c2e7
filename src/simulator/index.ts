/**
 * Dialpad API v2 analytics simulator: a local HTTP server that behaves like Dialpad's stats,
 * scorecards export, WFM metrics, digital sessions and directory endpoints, with a separate
 * download origin for pre-signed CSV URLs. Deterministic from a numeric seed.
 *
 * Used by the ETL's end-to-end tests and by the packaged `demo` command.
 */
export { startSimulator, DEFAULT_EXPORT_BEHAVIOUR } from './server.js';
export { DEFAULT_RATE_LIMITS, DEFAULT_GLOBAL_LIMIT } from './rate-limit.js';
export type {
  DataShape,
  DirectorySnapshot,
  ExpectedScorecardQuery,
  ExpectedStatsQuery,
  ExportBehaviour,
  ExportType,
  Faults,
  GroupBy,
  OperationId,
  RequestLogEntry,
  ScorecardsType,
  Simulator,
  SimulatorOptions,
  StatsTargetType,
  StatType,
  WfmShape,
} from './types.js';
