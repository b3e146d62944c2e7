/**
 * One pino logger for the process, created by the CLI and passed down; modules take `child()` loggers scoped with
 * stream, window, export request id and run id. Secrets never reach a log line: the API key is only ever placed in
 * an Authorization header (redacted by path below), and pre-signed download URLs are logged through `redactUrl`.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level: string;
  /** Pretty, human output (a terminal); JSON otherwise. */
  readonly pretty: boolean;
  /** Values to scrub from any message or field (the API key). */
  readonly secrets?: ReadonlyArray<string>;
  /** Where JSON lines go; default stderr so that stdout stays for command output (`status --json`). */
  readonly destination?: NodeJS.WritableStream;
}

const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  'downloadUrl',
  'download_url',
  '*.download_url',
  '*.downloadUrl',
];

export function createLogger(opts: LoggerOptions): Logger {
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= 4);
  const scrub = (s: string): string => scrubSecrets(s, secrets);
  const base = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    // Error messages and stacks may quote a URL or header; scrub the key and any signed query string out of them.
    serializers: {
      err: (err: unknown) => {
        if (!(err instanceof Error)) return typeof err === 'string' ? scrub(redactSignedUrls(err)) : err;
        const e = pino.stdSerializers.err(err);
        return { ...e, message: scrub(redactSignedUrls(e.message ?? '')), stack: scrub(redactSignedUrls(e.stack ?? '')) };
      },
    },
    hooks: {
      logMethod(this: Logger, args: Parameters<Logger['info']>, method: (...a: unknown[]) => void) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(redactSignedUrls(a)) : a)));
      },
    },
  };
  if (opts.pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } },
    });
  }
  return pino(base, (opts.destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** `https://host/path?X-Goog-Signature=…` → `https://host/path?[redacted]`: pre-signed URLs are credentials. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
}

export function redactSignedUrls(text: string): string {
  return text.replace(/(https?:\/\/[^\s"'?]+)\?[^\s"']*/g, '$1?[redacted]');
}

export function scrubSecrets(text: string, secrets: ReadonlyArray<string>): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[REDACTED]');
  return out;
}
