/**
 * HTTP plumbing shared by the API and download servers: the Google-style error envelope
 * (the only real Dialpad error body known, docs §1.5), JSON bodies, and opaque cursors.
 */
import type { IncomingMessage } from 'node:http';
import { hashParts } from './prng.js';

/** A handler's answer; the server writes and logs it. */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'notFound',
  405: 'methodNotAllowed',
  413: 'requestEntityTooLarge',
  429: 'rateLimitExceeded',
  500: 'backendError',
  502: 'badGateway',
  503: 'backendError',
  504: 'deadlineExceeded',
};

/** `{"error":{"code":..,"message":..,"errors":[{"domain":"global","message":..,"reason":..}]}}` */
export function errorEnvelope(status: number, message: string, reason?: string): ApiResponse {
  return {
    status,
    body: {
      error: {
        code: status,
        errors: [{ domain: 'global', message, reason: reason ?? REASONS[status] ?? 'backendError' }],
        message,
      },
    },
  };
}

export const badRequest = (message: string): ApiResponse => errorEnvelope(400, message);
export const notFound = (message: string): ApiResponse => errorEnvelope(404, message);
export const ok = (body: unknown): ApiResponse => ({ status: 200, body });

const MAX_BODY = 1 << 20;

/** Reads the request body as UTF-8 (capped at 1 MiB; null when larger). */
export async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) return null;
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Opaque cursor: base64url of {offset, fingerprint of the query}. Stateless, and a cursor replayed
 * with different query parameters is rejected like a foreign cursor would be.
 */
export function encodeCursor(offset: number, fingerprint: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify({ o: offset, f: hashParts(fingerprint) })).toString('base64url');
}

/** Offset of a cursor, or null when it is malformed or belongs to another query. */
export function decodeCursor(cursor: string, fingerprint: ReadonlyArray<string | number>): number | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown; f?: unknown };
    if (typeof v.o !== 'number' || !Number.isInteger(v.o) || v.o < 0) return null;
    if (v.f !== hashParts(fingerprint)) return null;
    return v.o;
  } catch {
    return null;
  }
}

/**
 * One page of `items` in the `{items, cursor}` shape; cursor null on the last page.
 * Returns a 400 envelope for a bad cursor.
 */
export function page(
  items: ReadonlyArray<unknown>,
  pageSize: number,
  cursor: string | undefined,
  fingerprint: ReadonlyArray<string | number>,
  emptyItems: [] | null = [],
): ApiResponse {
  let offset = 0;
  if (cursor !== undefined && cursor !== '') {
    const o = decodeCursor(cursor, fingerprint);
    if (o === null) return badRequest('Invalid cursor.');
    offset = o;
  }
  const slice = items.slice(offset, offset + pageSize);
  const next = offset + pageSize < items.length ? encodeCursor(offset + pageSize, fingerprint) : null;
  return ok({ items: slice.length === 0 ? emptyItems : slice, cursor: next });
}
