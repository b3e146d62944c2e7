/**
 * Dialpad's async exports: POST starts one and answers a request_id; GET /{id} answers processing | complete
 * (with a pre-signed download_url) | failed. Stats (POST /api/v2/stats) and scorecards
 * (POST /api/v2/scorecards/export) share the lifecycle; only the operations and the GET's `reason` differ.
 * This module only speaks HTTP; the ledger and the retry policy live with the caller.
 */
import { EtlError, TerminalError } from '../errors.js';
import type { DialpadClient } from './client.js';
import { OPERATIONS, type Operation } from './endpoints.js';

export type ExportFamily = 'stats' | 'scorecards';

export interface ExportStatus {
  readonly status: 'processing' | 'complete' | 'failed';
  readonly downloadUrl: string | null;
  readonly fileType: string | null;
  /** Scorecards only: the reason for the status. */
  readonly reason: string | null;
}

export interface CreatedExport {
  readonly requestId: string;
  /** Stats only: Dialpad already had an identical request in progress (deduplicated). */
  readonly alreadyStarted: boolean;
}

interface RawCreated {
  readonly request_id?: string | null;
  readonly already_started?: boolean | null;
}
interface RawStatus {
  readonly status?: string | null;
  readonly download_url?: string | null;
  readonly file_url?: string | null;
  readonly file_type?: string | null;
  readonly reason?: string | null;
}

const OPS: Readonly<Record<ExportFamily, { readonly create: Operation; readonly get: Operation }>> = {
  stats: { create: OPERATIONS.statsCreate, get: OPERATIONS.statsGet },
  scorecards: { create: OPERATIONS.scorecardsExportCreate, get: OPERATIONS.scorecardsExportGet },
};

export interface ExportApi {
  /** `body` is built after the rate-limit permit is granted, so relative days are computed at the moment of sending. */
  create(body: () => Promise<Readonly<Record<string, unknown>>>, signal?: AbortSignal): Promise<CreatedExport>;
  get(requestId: string, signal?: AbortSignal): Promise<ExportStatus>;
}

export function createExportApi(client: DialpadClient, family: ExportFamily): ExportApi {
  const ops = OPS[family];
  return {
    async create(body, signal) {
      const res = await client.request<RawCreated>(ops.create, { body, ...(signal ? { signal } : {}) });
      if (typeof res.request_id !== 'string' || res.request_id === '') {
        throw new TerminalError(`${ops.create.id} answered without a request_id`, { context: { operationId: ops.create.id } });
      }
      return { requestId: res.request_id, alreadyStarted: res.already_started === true };
    },
    async get(requestId, signal) {
      const res = await client.request<RawStatus>(ops.get, { id: requestId, ...(signal ? { signal } : {}) });
      const status = res.status === 'complete' || res.status === 'failed' ? res.status : 'processing';
      // `file_url` is not in the spec; one third-party client saw it. Accept it rather than poll forever.
      const url = res.download_url ?? res.file_url ?? null;
      return { status, downloadUrl: url, fileType: res.file_type ?? null, reason: res.reason ?? null };
    },
  };
}

/**
 * Dialpad forgets request ids after roughly an hour: 404 "Request with id … not found" (forum, dialpad-api.md §3.3);
 * a third-party stub models it as 400 "Results have expired". Either means: request the export again.
 */
export function isExpiredExportError(err: unknown): boolean {
  if (!(err instanceof EtlError) || err.retryable) return false;
  const status = err.context.status;
  return status === 404 || (status === 400 && /expire/i.test(err.message));
}
