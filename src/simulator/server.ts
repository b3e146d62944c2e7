/**
 * startSimulator(): two node:http servers on 127.0.0.1 — the API origin (/api/v2/...) and a
 * separate download origin (pre-signed CSV URLs) — plus the test-facing Simulator object.
 *
 * Request pipeline on the API origin: auth (401) → route (404) → OAuth scope (403) →
 * injected faults (429/5xx) → rate limits (429) → JSON body (400) → handler.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchRoute, notFoundRoute, type ApiEnv } from './api.js';
import type { GenContext } from './calls.js';
import { handleDownload } from './download.js';
import { buildDirectory } from './directory.js';
import { buildExpectations } from './expectations.js';
import { ExportLedger } from './exports.js';
import { FaultQueue } from './faults.js';
import { badRequest, errorEnvelope, readBody, type ApiResponse } from './http-util.js';
import { rngFor } from './prng.js';
import { DEFAULT_GLOBAL_LIMIT, RateLimiter } from './rate-limit.js';
import { buildScorecards } from './scorecards.js';
import type { DataShape, ExportBehaviour, Faults, RequestLogEntry, Simulator, SimulatorOptions, WfmShape } from './types.js';

export const DEFAULT_EXPORT_BEHAVIOUR: ExportBehaviour = {
  processingPolls: 2,
  requestTtlMs: 3_600_000,
  downloadTtlMs: 600_000,
  maxDaysPerExport: 31,
  dedupeIdenticalPosts: true,
};

function dataShape(d: Partial<DataShape> | undefined): DataShape {
  const callsPerDay = d?.callsPerDay ?? 40;
  if (!Number.isInteger(callsPerDay) || callsPerDay < 0 || callsPerDay > 9_999_999) {
    throw new RangeError('data.callsPerDay must be an integer in [0, 9999999]');
  }
  return {
    callsPerDay,
    users: d?.users ?? 6,
    callCenters: d?.callCenters ?? 2,
    offices: d?.offices ?? 2,
    malformedEvery: d?.malformedEvery ?? 0,
    wfmShape: d?.wfmShape ?? 'object',
    digitalSessionsPerDay: d?.digitalSessionsPerDay ?? Math.max(4, Math.round(callsPerDay / 4)),
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive sockets and in-flight (slow) downloads would otherwise hold close() open.
    server.closeAllConnections();
  });
}

function sendJson(res: ServerResponse, r: ApiResponse): void {
  const body = JSON.stringify(r.body);
  res.writeHead(r.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...(r.headers ?? {}),
  });
  res.end(body);
}

/** Starts both servers on 127.0.0.1 (ports from options, default any free port). */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const seed = opts.seed ?? 1;
  const apiKey = opts.apiKey ?? 'sim-key';
  const digitalScope = opts.digitalScope ?? true;
  const behaviour: ExportBehaviour = { ...DEFAULT_EXPORT_BEHAVIOUR, ...(opts.export ?? {}) };
  const shape = dataShape(opts.data);
  let clock: () => Date = opts.now ?? (() => new Date());
  let wfmShape: WfmShape = shape.wfmShape;
  const simNow = (): number => clock().getTime();

  const dir = buildDirectory(seed, shape);
  const ctx: GenContext = { seed, dir, shape };
  const scorecards = buildScorecards(seed);
  const faults = new FaultQueue();
  const log: RequestLogEntry[] = [];
  const limiter = new RateLimiter(opts.rateLimits, opts.globalLimit === undefined ? DEFAULT_GLOBAL_LIMIT : opts.globalLimit);
  let violations = 0;
  let downloadBaseUrl = '';
  const ledger = new ExportLedger({
    ctx, scorecards, behaviour, faults, rng: rngFor(seed, 'requests'), simNow, downloadBaseUrl: () => downloadBaseUrl,
  });
  const env: ApiEnv = { ctx, ledger, simNow, wfmShape: () => wfmShape };

  async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const authorization = req.headers.authorization ?? null;
    const raw = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
    let body: unknown;
    let bodyError = false;
    if (raw === null) bodyError = true;
    else if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        bodyError = true;
      }
    }
    const matched = matchRoute(method, url.pathname);
    const operationId = matched?.route.operationId ?? 'unknown';
    let injected = false;

    const respond = (r: ApiResponse): void => {
      log.push({
        at, operationId, method, path: url.pathname, status: r.status, query, authorization, host: 'api', injected,
        ...(body !== undefined ? { body } : {}),
      });
      sendJson(res, r);
    };

    const token = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    if (token !== apiKey) return respond(errorEnvelope(401, 'Invalid or missing API key.', 'unauthorized'));
    if (!matched) return respond(notFoundRoute(method, url.pathname));
    if (operationId === 'digital.sessionsdata.list' && !digitalScope) {
      return respond(errorEnvelope(403, 'The API key does not have the required scope: digital_sessions.', 'forbidden'));
    }
    const fault = faults.takeInjected(operationId);
    if (fault) {
      injected = true;
      return respond(fault);
    }
    const exceeded = limiter.tryAcquire(operationId);
    if (exceeded !== null) {
      violations++;
      // Dialpad documents no Retry-After, so none is sent.
      return respond(errorEnvelope(429, exceeded, 'rateLimitExceeded'));
    }
    if (raw === null) return respond(errorEnvelope(413, 'Request body too large.'));
    if (bodyError) return respond(badRequest('Invalid JSON body.'));
    return respond(matched.route.handler(env, { params: matched.params, query, body }));
  }

  const onError = (res: ServerResponse, err: unknown): void => {
    if (!res.headersSent) sendJson(res, errorEnvelope(500, `Simulator error: ${String(err)}`));
    else res.destroy();
  };
  const api = createServer((req, res) => {
    handleApi(req, res).catch((err: unknown) => onError(res, err));
  });
  const dl = createServer((req, res) => {
    handleDownload(req, res, { ledger, faults, log }).catch((err: unknown) => onError(res, err));
  });

  const apiPort = await listen(api, opts.port ?? 0);
  const dlPort = await listen(dl, opts.downloadPort ?? 0);
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  downloadBaseUrl = `http://127.0.0.1:${dlPort}`;
  const expectations = buildExpectations({ ctx, scorecards, simNow, wfmShape: () => wfmShape });

  return {
    baseUrl,
    downloadBaseUrl,
    apiKey,
    log,
    get rateLimitViolations() {
      return violations;
    },
    addFaults(f: Faults) {
      faults.add(f);
    },
    setNow(now: () => Date) {
      clock = now;
    },
    setWfmShape(s: WfmShape) {
      wfmShape = s;
    },
    ...expectations,
    async close() {
      await Promise.all([closeServer(api), closeServer(dl)]);
    },
  };
}
