/**
 * The download origin: a separate HTTP server standing in for Google Cloud Storage pre-signed
 * URLs. Like GCS it answers errors with XML, and it refuses an Authorization header on a signed
 * URL — the client must never send its Dialpad API key here.
 *
 * Bodies are streamed in chunks with backpressure; faults can truncate (with or without an
 * HTTP-level error), expire or slow a download.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { csvChunks } from './csv.js';
import type { ExportLedger } from './exports.js';
import type { FaultQueue } from './faults.js';
import type { RequestLogEntry } from './types.js';

export interface DownloadEnv {
  readonly ledger: ExportLedger;
  readonly faults: FaultQueue;
  readonly log: RequestLogEntry[];
}

function xmlError(res: ServerResponse, status: number, code: string, message: string, details?: string): void {
  const body =
    `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message>` +
    (details ? `<Details>${details}</Details>` : '') +
    '</Error>';
  res.writeHead(status, { 'Content-Type': 'application/xml; charset=UTF-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Resolves when the response can take more data, or false when the client went away. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve(true);
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      resolve(false);
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/**
 * Writes chunks with backpressure and an optional delay between them. Ends the response when
 * `end`; otherwise resolves once the last chunk has been handed to the socket.
 */
async function stream(res: ServerResponse, chunks: Iterable<Buffer>, delayMs: number, end = true): Promise<void> {
  let first = true;
  let flushed: Promise<void> = Promise.resolve();
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (!first && delayMs > 0) {
      await sleep(delayMs);
      if (res.destroyed) return;
    }
    first = false;
    flushed = new Promise((resolve) => {
      if (!res.write(chunk, () => resolve())) {
        void drained(res).then(() => resolve());
      }
    });
    await flushed;
  }
  if (res.destroyed) return;
  if (end) res.end();
}

/** Re-chunks buffers into pieces of at most `size` bytes (so slow downloads are visibly slow). */
function* rechunk(chunks: Iterable<Buffer>, size: number): Generator<Buffer> {
  for (const c of chunks) {
    for (let i = 0; i < c.length; i += size) yield c.subarray(i, i + size);
  }
}

/**
 * A cut position near 60% that lands inside a record: not right after a line break, not on a
 * line break, and not inside a UTF-8 multi-byte sequence (the truncation is structural only).
 */
export function cutPoint(body: Buffer): number {
  let cut = Math.floor(body.length * 0.6);
  const isBreak = (b: number | undefined): boolean => b === 0x0a || b === 0x0d;
  while (cut < body.length - 1 && (isBreak(body[cut - 1]) || isBreak(body[cut]) || ((body[cut] ?? 0) & 0xc0) === 0x80)) cut++;
  return cut;
}

export async function handleDownload(req: IncomingMessage, res: ServerResponse, env: DownloadEnv): Promise<void> {
  const at = Date.now();
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const authorization = req.headers.authorization ?? null;
  const log = (status: number): void => {
    env.log.push({
      at, operationId: 'download', method: req.method ?? 'GET', path: url.pathname, status,
      query: Object.fromEntries(url.searchParams), authorization, host: 'download', injected: false,
    });
  };
  if (req.method !== 'GET') {
    log(405);
    return xmlError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
  if (authorization !== null) {
    log(400);
    return xmlError(res, 400, 'InvalidArgument', 'Authorization header not allowed with signed URL',
      'Requests on a pre-signed URL must not carry an Authorization header.');
  }
  const m = /^\/dl\/(stats|scorecards)\/([0-9a-f]+)\.csv$/.exec(url.pathname);
  const found = m ? env.ledger.lookupDownload(m[1]!, m[2]!, url.searchParams.get('X-Goog-Signature')) : null;
  if (!found || (!found.ok && found.error === 'notFound')) {
    log(404);
    return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
  }
  if (!found.ok && found.error === 'signature') {
    log(403);
    return xmlError(res, 403, 'SignatureDoesNotMatch', 'Access denied.', 'The request signature we calculated does not match the signature you provided.');
  }
  const fault = found.ok ? env.faults.takeDownloadFault() : null;
  if (!found.ok || fault === 'expire') {
    log(403);
    return xmlError(res, 403, 'ExpiredToken', 'The provided token has expired.', `Request signature expired at: ${new Date().toISOString()}`);
  }

  const headers = {
    'Content-Type': 'text/csv',
    'Content-Disposition': `attachment; filename="${found.filename}"`,
    'Cache-Control': 'private, max-age=0',
  };
  const delayMs = env.faults.takeSlow();
  const chunkSize = delayMs > 0 ? 1024 : 64 * 1024;
  log(200);

  if (fault === 'truncate' || fault === 'truncateChunked') {
    // Faults are meant for small test exports, so materialising the body is fine here.
    const body = Buffer.concat([...csvChunks(found.table)]);
    const cut = cutPoint(body);
    if (fault === 'truncate') {
      res.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
      await stream(res, rechunk([body.subarray(0, cut)], chunkSize), delayMs, false);
      // Kill the connection mid-body: the client sees fewer bytes than Content-Length promised.
      if (!res.destroyed) res.socket?.destroy();
      return;
    }
    // Clean chunked end after a partial record: no HTTP-level error at all.
    res.writeHead(200, { ...headers, 'Transfer-Encoding': 'chunked' });
    await stream(res, rechunk([body.subarray(0, cut)], chunkSize), delayMs);
    return;
  }
  // Normal path: chunked transfer encoding, generated lazily (exports can be huge).
  res.writeHead(200, headers);
  await stream(res, rechunk(csvChunks(found.table, chunkSize), chunkSize), delayMs);
}
