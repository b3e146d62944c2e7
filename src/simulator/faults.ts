/**
 * One-shot fault queues. Tests push faults between runs with Simulator.addFaults(); each fault is
 * consumed by the next request it applies to, in order.
 */
import { errorEnvelope, type ApiResponse } from './http-util.js';
import type { Faults } from './types.js';

export type ExportFate = 'ok' | 'failed' | 'expired';
export type DownloadFault = 'expire' | 'truncate' | 'truncateChunked' | null;

export class FaultQueue {
  private failExports = 0;
  private expireRequests = 0;
  private truncateDownloads = 0;
  private truncateChunked = 0;
  private expireDownloads = 0;
  private slowDownloadMs: number | null = null;
  private readonly inject429: Array<{ operationId: string; retryAfterSeconds: number | null }> = [];
  private readonly inject5xx: Array<{ operationId: string; status: number }> = [];

  add(f: Faults): void {
    this.failExports += f.failExports ?? 0;
    this.expireRequests += f.expireRequests ?? 0;
    this.truncateDownloads += f.truncateDownloads ?? 0;
    this.truncateChunked += f.truncateChunked ?? 0;
    this.expireDownloads += f.expireDownloads ?? 0;
    if (f.slowDownloadMs !== undefined) this.slowDownloadMs = f.slowDownloadMs;
    for (const x of f.inject429 ?? []) this.inject429.push({ ...x });
    for (const x of f.inject5xx ?? []) this.inject5xx.push({ ...x });
  }

  /** An injected response for this operation, if one is queued (429 before 5xx). */
  takeInjected(operationId: string): ApiResponse | null {
    const i = this.inject429.findIndex((x) => x.operationId === operationId || x.operationId === '*');
    if (i >= 0) {
      const [x] = this.inject429.splice(i, 1);
      const r = errorEnvelope(429, 'Rate limit exceeded.', 'rateLimitExceeded');
      return x!.retryAfterSeconds === null ? r : { ...r, headers: { 'Retry-After': String(x!.retryAfterSeconds) } };
    }
    const j = this.inject5xx.findIndex((x) => x.operationId === operationId || x.operationId === '*');
    if (j >= 0) {
      const [x] = this.inject5xx.splice(j, 1);
      return errorEnvelope(x!.status, x!.status === 503 ? 'The service is currently unavailable.' : 'Internal error. Please retry.');
    }
    return null;
  }

  /** Fate of a newly created export. */
  takeExportFate(): ExportFate {
    if (this.failExports > 0) {
      this.failExports--;
      return 'failed';
    }
    if (this.expireRequests > 0) {
      this.expireRequests--;
      return 'expired';
    }
    return 'ok';
  }

  /** Fault for the next otherwise-valid download. */
  takeDownloadFault(): DownloadFault {
    if (this.expireDownloads > 0) {
      this.expireDownloads--;
      return 'expire';
    }
    if (this.truncateDownloads > 0) {
      this.truncateDownloads--;
      return 'truncate';
    }
    if (this.truncateChunked > 0) {
      this.truncateChunked--;
      return 'truncateChunked';
    }
    return null;
  }

  /** Per-chunk delay for the next download that sends a body (0 = none). */
  takeSlow(): number {
    const ms = this.slowDownloadMs ?? 0;
    this.slowDownloadMs = null;
    return ms;
  }
}
