/**
 * The one Dialpad HTTP client: bearer auth, base URL, per-attempt timeout, the error envelope mapped to
 * RetryableError / TerminalError, and retries (429, 5xx, network) with exponential backoff + full jitter that honour
 * Retry-After when Dialpad sends one (it is undocumented, so it may be absent). Every attempt first takes a token
 * from the injected RateLimiter: budgeting is proactive, a 429 means our budget was wrong.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { RetryConfig } from '../config.js';
import { EtlError, RetryableError, TerminalError } from '../errors.js';
import type { Logger } from '../logger.js';
import { redactUrl } from '../logger.js';
import type { Operation } from './endpoints.js';

/** The limiter port: implemented over Postgres so that every process of the company shares one budget. */
export interface RateLimiter {
  /** Resolves when one request of `operationId` may be sent now (the permit is consumed). */
  acquire(operationId: string, signal?: AbortSignal): Promise<void>;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface DialpadClientConfig {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly limiter: RateLimiter;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  readonly downloadIdleTimeoutMs: number;
  readonly retry: RetryConfig;
  readonly fetch?: FetchLike;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

export interface RequestOptions {
  readonly id?: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  /** JSON body; a function is evaluated after the rate-limit permit, on every attempt (time-relative bodies). */
  readonly body?: unknown | (() => Promise<unknown>);
  readonly signal?: AbortSignal;
}

export interface DialpadClient {
  /** One API call (with retries). Resolves with the parsed JSON body. */
  request<T>(op: Operation, opts?: RequestOptions): Promise<T>;
  /** Cursor paging: yields each page's items until the cursor is empty. `listKeys` are tried in order. */
  paginate<T>(op: Operation, opts: RequestOptions & { readonly listKeys?: ReadonlyArray<string> }): AsyncGenerator<ReadonlyArray<T>>;
  /**
   * Opens a pre-signed download URL WITHOUT the API key (it is another host) and returns the body as a Node stream
   * that errors with RetryableError when the server goes silent or the body ends short of Content-Length.
   */
  download(url: string, signal?: AbortSignal): Promise<Readable>;
}

/** Dialpad's error envelope `{error:{code,message,errors:[{domain,message,reason}]}}` (the only documented one). */
interface ErrorEnvelope {
  readonly error?: { readonly code?: number; readonly message?: string; readonly errors?: ReadonlyArray<{ readonly reason?: string; readonly message?: string }> };
}

export function createDialpadClient(cfg: DialpadClientConfig): DialpadClient {
  const doFetch: FetchLike = cfg.fetch ?? ((input, init) => fetch(input, init));
  const sleep = cfg.sleep ?? ((ms: number, signal?: AbortSignal) => sleepTimer(ms, undefined, signal ? { signal } : undefined));
  const random = cfg.random ?? Math.random;

  async function attempt<T>(op: Operation, opts: RequestOptions): Promise<T> {
    const path = op.path.replace('{id}', encodeURIComponent(opts.id ?? ''));
    const url = new URL(cfg.baseUrl + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    // Built first: it may wait (e.g. out of the midnight edge) and must not eat into the request timeout.
    const body = typeof opts.body === 'function' ? await (opts.body as () => Promise<unknown>)() : opts.body;
    const timeout = AbortSignal.timeout(cfg.requestTimeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const headers: Record<string, string> = { Authorization: `Bearer ${cfg.apiKey}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url.toString(), {
        method: op.method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal,
      });
      text = await res.text();
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      const what = timeout.aborted ? `timed out after ${cfg.requestTimeoutMs} ms` : `network error: ${(err as Error).message}`;
      throw new RetryableError(`${op.id} ${what}`, { context: { operationId: op.id }, cause: err });
    }
    if (res.ok) {
      if (text.trim() === '') return {} as T;
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new RetryableError(`${op.id} answered ${res.status} with a body that is not JSON`, { context: { operationId: op.id, status: res.status }, cause: err });
      }
    }
    throw toHttpError(op, res, text);
  }

  async function request<T>(op: Operation, opts: RequestOptions = {}): Promise<T> {
    for (let n = 1; ; n++) {
      await cfg.limiter.acquire(op.id, opts.signal);
      try {
        return await attempt<T>(op, opts);
      } catch (err) {
        if (!(err instanceof EtlError) || !err.retryable || n >= cfg.retry.maxAttempts) throw err;
        const backoff = Math.min(cfg.retry.maxMs, cfg.retry.baseMs * 2 ** (n - 1)) * random();
        const delay = Math.max(backoff, err.context.retryAfterMs ?? 0);
        const level = err.context.status === 429 ? 'warn' : 'info';
        cfg.logger[level](
          { operationId: op.id, attempt: n, status: err.context.status, delayMs: Math.round(delay), err: err.message },
          err.context.status === 429 ? 'rate limited by Dialpad (our budget is off): backing off' : 'retrying Dialpad request',
        );
        await sleep(delay, opts.signal);
      }
    }
  }

  async function* paginate<T>(op: Operation, opts: RequestOptions & { readonly listKeys?: ReadonlyArray<string> }): AsyncGenerator<ReadonlyArray<T>> {
    const listKeys = opts.listKeys ?? ['items'];
    let cursor: string | undefined;
    const seen = new Set<string>();
    for (;;) {
      const page = await request<Record<string, unknown>>(op, { ...opts, query: { ...opts.query, cursor } });
      const key = listKeys.find((k) => k in page);
      const items = key === undefined ? null : page[key];
      if (items !== null && items !== undefined && !Array.isArray(items)) {
        throw new TerminalError(`${op.id}: "${key}" is not a list`, { context: { operationId: op.id } });
      }
      yield (items ?? []) as ReadonlyArray<T>;
      const next = page['cursor'];
      if (typeof next !== 'string' || next === '') return;
      // A server that hands back a cursor it already gave would page forever.
      if (seen.has(next)) throw new TerminalError(`${op.id}: cursor repeated; stopping to avoid an endless loop`, { context: { operationId: op.id } });
      seen.add(next);
      cursor = next;
    }
  }

  async function download(url: string, signal?: AbortSignal): Promise<Readable> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const headersTimer = setTimeout(() => controller.abort(new Error('no response headers')), cfg.downloadIdleTimeoutMs);
    let res: Response;
    try {
      // Deliberately no Authorization header: the URL is pre-signed for another host, and must not see our key.
      res = await doFetch(url, { method: 'GET', signal: controller.signal, redirect: 'follow' });
    } catch (err) {
      throw new RetryableError(`download from ${redactUrl(url)} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(headersTimer);
    }
    if (!res.ok || res.body === null) {
      const body = (await res.text().catch(() => '')).slice(0, 200);
      // 400/403/404 on a signed URL mean it expired or was revoked: the export must be requested again.
      throw new RetryableError(`download from ${redactUrl(url)} answered ${res.status}${body ? `: ${body}` : ''}`, {
        context: { status: res.status, reason: 'download_failed' },
      });
    }
    // fetch decodes a gzip/br body, and Content-Length then counts the encoded bytes: only check identity bodies.
    const encoding = (res.headers.get('content-encoding') ?? 'identity').toLowerCase();
    const expected = encoding === 'identity' ? Number(res.headers.get('content-length') ?? NaN) : NaN;
    const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    const idleMs = cfg.downloadIdleTimeoutMs;
    // An async generator rather than pipes: errors (stall, cut-off, abort) surface exactly once, in the consumer.
    async function* guarded(): AsyncGenerator<Buffer> {
      let received = 0;
      let stalled = false;
      let idle: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          stalled = true;
          controller.abort(new Error('stalled'));
          body.destroy();
        }, idleMs);
      };
      try {
        arm();
        for await (const chunk of body as AsyncIterable<Buffer>) {
          received += chunk.length;
          arm();
          yield chunk;
        }
      } catch (err) {
        if (stalled) throw new RetryableError(`download stalled: no data for ${idleMs} ms`, { context: { reason: 'stalled' } });
        if (signal?.aborted) throw err;
        throw new RetryableError(`download interrupted after ${received} bytes: ${(err as Error).message}`, { cause: err, context: { reason: 'truncated' } });
      } finally {
        clearTimeout(idle);
        signal?.removeEventListener('abort', onAbort);
      }
      if (stalled) throw new RetryableError(`download stalled: no data for ${idleMs} ms`, { context: { reason: 'stalled' } });
      if (Number.isFinite(expected) && received !== expected) {
        throw new RetryableError(`download truncated: ${received} of ${expected} bytes`, { context: { reason: 'truncated' } });
      }
    }
    return Readable.from(guarded(), { objectMode: false });
  }

  return Object.freeze({ request, paginate, download });
}

function toHttpError(op: Operation, res: Response, text: string): EtlError {
  let envelope: ErrorEnvelope = {};
  try {
    envelope = JSON.parse(text) as ErrorEnvelope;
  } catch {
    /* not JSON: keep the text excerpt */
  }
  const message = envelope.error?.message ?? (text.slice(0, 200) || res.statusText);
  const reason = envelope.error?.errors?.[0]?.reason;
  const context = { operationId: op.id, status: res.status, reason, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) };
  const summary = `${op.id} answered ${res.status}: ${message}`;
  if (res.status === 429 || res.status === 408 || res.status >= 500) return new RetryableError(summary, { context });
  return new TerminalError(summary, { context });
}

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
