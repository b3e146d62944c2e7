/**
 * The export ledger: asynchronous stats and scorecards exports, from POST to download URL.
 *
 * - Contents are fixed at POST time: the spec (covered local dates, scope, is_today cut-off)
 *   is computed then, and generation is a pure function of it.
 * - GET answers 'processing' for the first `processingPolls` polls, then 'complete' (or 'failed').
 * - Requests expire `requestTtlMs` after the POST (404 "Request with id {id} not found.").
 * - Every complete GET hands out a freshly signed download URL valid for `downloadTtlMs`.
 * - Identical stats POSTs within the request TTL return the same request_id with already_started:true.
 *
 * Elapsed time is max(real elapsed, simulator-clock elapsed) so tests can expire things either by
 * waiting with small TTLs or by moving the clock.
 */
import type { GenContext } from './calls.js';
import type { CsvTable } from './csv.js';
import type { ExportFate, FaultQueue } from './faults.js';
import { notFound, ok, type ApiResponse } from './http-util.js';
import type { Rng } from './prng.js';
import { parseScorecardsRequest, parseStatsRequest } from './requests.js';
import { scorecardTable, type Scorecard } from './scorecards.js';
import { statsTable } from './stats.js';
import type { ExportBehaviour } from './types.js';

export type ExportKind = 'stats' | 'scorecards';

interface Instant {
  readonly real: number;
  readonly sim: number;
}

interface ExportEntry {
  readonly id: string;
  readonly kind: ExportKind;
  readonly created: Instant;
  readonly fate: ExportFate;
  readonly dedupeKey: string | null;
  readonly token: string;
  readonly table: () => CsvTable;
  polls: number;
  readonly signatures: Map<string, Instant>;
}

export interface LedgerEnv {
  readonly ctx: GenContext;
  readonly scorecards: ReadonlyArray<Scorecard>;
  readonly behaviour: ExportBehaviour;
  readonly faults: FaultQueue;
  readonly rng: Rng;
  readonly simNow: () => number;
  readonly downloadBaseUrl: () => string;
}

export type DownloadLookup =
  | { readonly ok: true; readonly table: CsvTable; readonly filename: string }
  | { readonly ok: false; readonly error: 'notFound' | 'signature' | 'expired' };

function notFoundRequest(id: string): ApiResponse {
  return notFound(`Request with id ${id} not found.`);
}

function googDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export class ExportLedger {
  private readonly entries = new Map<string, ExportEntry>();
  private readonly byToken = new Map<string, ExportEntry>();

  constructor(private readonly env: LedgerEnv) {}

  private now(): Instant {
    return { real: Date.now(), sim: this.env.simNow() };
  }

  private elapsed(since: Instant): number {
    const n = this.now();
    return Math.max(n.real - since.real, n.sim - since.sim);
  }

  private newRequestId(): string {
    for (;;) {
      const id = String(3_000_000_000_000_000 + Math.floor(this.env.rng.next() * 5_000_000_000_000_000));
      if (!this.entries.has(id)) return id;
    }
  }

  private create(kind: ExportKind, table: () => CsvTable, dedupeKey: string | null): ExportEntry {
    const entry: ExportEntry = {
      id: this.newRequestId(),
      kind,
      created: this.now(),
      fate: this.env.faults.takeExportFate(),
      dedupeKey,
      token: this.env.rng.hex(32),
      table,
      polls: 0,
      signatures: new Map(),
    };
    this.entries.set(entry.id, entry);
    this.byToken.set(entry.token, entry);
    return entry;
  }

  /** Drops requests past their TTL so they answer 404 and no longer dedupe. */
  private live(id: string, kind: ExportKind): ExportEntry | null {
    const e = this.entries.get(id);
    if (!e || e.kind !== kind) return null;
    if (this.elapsed(e.created) > this.env.behaviour.requestTtlMs) {
      this.entries.delete(id);
      return null;
    }
    return e;
  }

  /** POST /api/v2/stats. */
  createStats(body: unknown): ApiResponse {
    const parsed = parseStatsRequest(body, this.env.ctx.dir, this.env.simNow(), this.env.behaviour.maxDaysPerExport);
    if ('status' in parsed) return parsed;
    if (this.env.behaviour.dedupeIdenticalPosts) {
      for (const e of [...this.entries.values()]) {
        if (e.kind !== 'stats' || e.dedupeKey !== parsed.dedupeKey || e.fate !== 'ok') continue;
        if (this.live(e.id, 'stats')) return ok({ already_started: true, request_id: e.id });
      }
    }
    const spec = parsed.spec;
    const entry = this.create('stats', () => statsTable(this.env.ctx, spec), parsed.dedupeKey);
    return ok({ already_started: false, request_id: entry.id });
  }

  /** POST /api/v2/scorecards/export. */
  createScorecards(body: unknown): ApiResponse {
    const spec = parseScorecardsRequest(body, this.env.ctx.dir, this.env.simNow(), this.env.behaviour.maxDaysPerExport);
    if ('status' in spec) return spec;
    const entry = this.create('scorecards', () => scorecardTable(this.env.ctx, this.env.scorecards, spec), null);
    return ok({ request_id: entry.id, status: 'processing' });
  }

  /** GET /api/v2/stats/{id} and GET /api/v2/scorecards/export/{id}. */
  get(kind: ExportKind, id: string): ApiResponse {
    const e = this.live(id, kind);
    if (!e) return notFoundRequest(id);
    if (e.fate === 'expired') {
      // Fault: behaves as if the request expired right away; it stays gone.
      this.entries.delete(id);
      return notFoundRequest(id);
    }
    e.polls++;
    const sc = kind === 'scorecards';
    if (e.polls <= this.env.behaviour.processingPolls) {
      return ok(sc ? { download_url: null, file_type: null, reason: 'processing', status: 'processing' } : { status: 'processing' });
    }
    if (e.fate === 'failed') {
      return ok(sc
        ? { download_url: null, file_type: null, reason: 'Export failed: internal error while generating the report.', status: 'failed' }
        : { status: 'failed' });
    }
    const url = this.sign(e);
    return ok(sc ? { download_url: url, file_type: 'csv', reason: 'done', status: 'complete' } : { download_url: url, file_type: 'csv', status: 'complete' });
  }

  /** A GCS-V4-looking pre-signed URL on the download origin. */
  private sign(e: ExportEntry): string {
    const sig = this.env.rng.hex(64);
    const issued = this.now();
    e.signatures.set(sig, issued);
    const q = new URLSearchParams({
      'X-Goog-Algorithm': 'GOOG4-RSA-SHA256',
      'X-Goog-Credential': `dialpad-sim@dialpad-sim.iam.gserviceaccount.com/${googDate(issued.sim).slice(0, 8)}/auto/storage/goog4_request`,
      'X-Goog-Date': googDate(issued.sim),
      'X-Goog-Expires': String(Math.round(this.env.behaviour.downloadTtlMs / 1000)),
      'X-Goog-SignedHeaders': 'host',
      'X-Goog-Signature': sig,
    });
    return `${this.env.downloadBaseUrl()}/dl/${e.kind}/${e.token}.csv?${q.toString()}`;
  }

  /** Validates a download request (token from the path, signature from the query). */
  lookupDownload(kind: string, token: string, signature: string | null): DownloadLookup {
    const e = this.byToken.get(token);
    if (!e || e.kind !== kind || e.fate !== 'ok') return { ok: false, error: 'notFound' };
    const issued = signature === null ? undefined : e.signatures.get(signature);
    if (!issued) return { ok: false, error: 'signature' };
    if (this.elapsed(issued) > this.env.behaviour.downloadTtlMs) return { ok: false, error: 'expired' };
    return { ok: true, table: e.table(), filename: `${kind}-${e.id}.csv` };
  }
}
