/**
 * The few error classes of dialpad-etl. Every failure is either worth retrying (the same call may succeed later:
 * 429, 5xx, network, a Postgres serialization failure) or terminal (bad config, bad request, a contract violation).
 * Callers decide with `isRetryable`, never by parsing messages.
 */

/** Context carried by every error so a log line can say where it happened. Never holds secrets. */
export interface ErrorContext {
  readonly stream?: string;
  readonly operationId?: string;
  readonly status?: number;
  readonly requestId?: string;
  readonly window?: string;
  readonly retryAfterMs?: number;
  readonly [key: string]: unknown;
}

export class EtlError extends Error {
  readonly retryable: boolean;
  readonly context: ErrorContext;
  constructor(message: string, opts: { retryable: boolean; context?: ErrorContext; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.retryable = opts.retryable;
    this.context = Object.freeze({ ...(opts.context ?? {}) });
  }
}

/** The same operation may succeed later (429, 5xx, network error, timeout, truncated download). */
export class RetryableError extends EtlError {
  constructor(message: string, opts: { context?: ErrorContext; cause?: unknown } = {}) {
    super(message, { ...opts, retryable: true });
  }
}

/** Retrying the same operation cannot help (4xx other than 429, invalid data contract, missing permission). */
export class TerminalError extends EtlError {
  constructor(message: string, opts: { context?: ErrorContext; cause?: unknown } = {}) {
    super(message, { ...opts, retryable: false });
  }
}

/** Bad configuration or command-line usage: the CLI exits with code 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Normalises anything thrown into an Error (graphile-worker's coerceError). */
export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : `non-error thrown: ${safeStringify(err)}`);
}

/** Retryable unless proven terminal: an unknown failure (e.g. a dropped socket) deserves another try. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof EtlError) return err.retryable;
  if (err instanceof ConfigError) return false;
  const code = (err as { code?: unknown } | null)?.code;
  // Postgres: serialization failure, deadlock, admin shutdown / cannot connect now.
  if (code === '40001' || code === '40P01' || code === '57P01' || code === '57P03') return true;
  return err instanceof Error && err.name === 'AbortError' ? false : true;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
