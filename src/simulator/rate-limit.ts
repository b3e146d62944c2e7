/**
 * Sliding-window rate limits, per operationId plus one company-wide global limit.
 *
 * Dialpad documents the limits (docs §7) but not the enforcement details; the simulator uses a
 * true sliding window over real monotonic time: a request is allowed when, for every applicable
 * [count, windowSeconds], fewer than `count` accepted requests happened in the last window.
 * Rejected requests are not recorded, so a client that backs off recovers as soon as old
 * requests age out.
 */
import type { OperationId } from './types.js';

export type Limit = readonly [count: number, windowSeconds: number];

/** The official per-operation table (docs §7 "Documented limit"). */
export const DEFAULT_RATE_LIMITS: Readonly<Record<OperationId, ReadonlyArray<Limit>>> = {
  'stats.create': [[200, 3600]],
  'stats.get': [[1200, 60]],
  'scorecards.export.create': [[250, 60]],
  'scorecards.export.get': [[1200, 60]],
  'wfm-metrics-agent.get': [[1200, 60]],
  'wfm-metrics-activity.get': [[1200, 60]],
  'digital.sessionsdata.list': [[100, 60]],
  'offices.list': [[1200, 60]],
  'offices.primary.get': [[1200, 60]],
  'callcenters.listall': [[1200, 60]],
  'departments.listall': [[1200, 60]],
  'users.list': [[1200, 60]],
  'company.get': [[1200, 60]],
};

export const DEFAULT_GLOBAL_LIMIT: Limit = [20, 1];

const GLOBAL_KEY = '\u0000global';

export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  private readonly limits: Map<string, ReadonlyArray<Limit>>;

  constructor(
    overrides: Readonly<Record<string, ReadonlyArray<Limit>>> | undefined,
    private readonly global: Limit | null,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.limits = new Map(Object.entries({ ...DEFAULT_RATE_LIMITS, ...(overrides ?? {}) }));
  }

  /**
   * Records the request and returns null when allowed; otherwise returns a description of the
   * exceeded limit and records nothing.
   */
  tryAcquire(operationId: string): string | null {
    const now = this.clock();
    const checks: Array<[string, ReadonlyArray<Limit>]> = [];
    if (this.global) checks.push([GLOBAL_KEY, [this.global]]);
    const own = this.limits.get(operationId);
    if (own && own.length > 0) checks.push([operationId, own]);
    for (const [key, limits] of checks) {
      const arr = this.prune(key, now, limits);
      for (const [count, windowSec] of limits) {
        const since = now - windowSec * 1000;
        if (countAfter(arr, since) >= count) {
          return key === GLOBAL_KEY
            ? `Rate limit exceeded: ${count} requests per ${windowSec} s per company.`
            : `Rate limit exceeded for ${operationId}: ${count} requests per ${windowSec} s.`;
        }
      }
    }
    for (const [key] of checks) this.hits.get(key)!.push(now);
    return null;
  }

  private prune(key: string, now: number, limits: ReadonlyArray<Limit>): number[] {
    let arr = this.hits.get(key);
    if (!arr) this.hits.set(key, (arr = []));
    const maxWindow = Math.max(...limits.map(([, w]) => w)) * 1000;
    let drop = 0;
    while (drop < arr.length && arr[drop]! <= now - maxWindow) drop++;
    if (drop > 0) arr.splice(0, drop);
    return arr;
  }
}

/** Number of timestamps in the sorted array strictly after `since`. */
function countAfter(sorted: ReadonlyArray<number>, since: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= since) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length - lo;
}
