/**
 * The typing vocabulary shared by every stream: what a source value means (a local timestamp, a duration in
 * minutes, an id…), which Postgres type holds it, what unit its column comment states, and how to check and convert
 * one value in JavaScript. Bulk CSV loads let Postgres do the conversion (COPY into typed columns, see load/), so
 * each kind's `pgType` input syntax and its JS validator must agree: a value the validator accepts, Postgres accepts.
 */
import { DateTime } from 'luxon';

export const COLUMN_KINDS = [
  'text',
  'id',
  'local_timestamp',
  'timestamptz',
  'date',
  'minutes',
  'seconds',
  'milliseconds',
  'integer',
  'numeric',
  'ratio',
  'percent',
  'boolean',
  'text_array',
  'jsonb',
] as const;
export type ColumnKind = (typeof COLUMN_KINDS)[number];

export type PgType = 'text' | 'timestamptz' | 'date' | 'numeric' | 'bigint' | 'boolean' | 'text[]' | 'jsonb';

export interface KindInfo {
  readonly pgType: PgType;
  /** The column comment: the unit, or how the value was derived. */
  readonly comment?: string;
}

export const KIND_INFO: Readonly<Record<ColumnKind, KindInfo>> = Object.freeze({
  text: { pgType: 'text' },
  id: { pgType: 'text', comment: 'Dialpad id (kept as text: ids exceed JavaScript integer precision)' },
  local_timestamp: { pgType: 'timestamptz', comment: 'export local time (no offset in the file) interpreted in the requested time zone' },
  timestamptz: { pgType: 'timestamptz' },
  date: { pgType: 'date', comment: 'calendar date in the requested time zone' },
  minutes: { pgType: 'numeric', comment: 'unit: minutes (as exported by Dialpad)' },
  seconds: { pgType: 'numeric', comment: 'unit: seconds' },
  milliseconds: { pgType: 'numeric', comment: 'unit: milliseconds' },
  integer: { pgType: 'bigint' },
  numeric: { pgType: 'numeric' },
  ratio: { pgType: 'numeric', comment: 'ratio 0..1' },
  percent: { pgType: 'numeric', comment: 'percent 0..100' },
  boolean: { pgType: 'boolean' },
  text_array: { pgType: 'text[]' },
  jsonb: { pgType: 'jsonb' },
});

/** One typed column of a stream's table. */
export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Overrides the kind's comment. */
  readonly comment?: string;
}

export const col = (name: string, kind: ColumnKind, comment?: string): ColumnSpec =>
  Object.freeze(comment === undefined ? { name, kind } : { name, kind, comment });

/** Declares many columns of one kind: `cols('text', 'a', 'b')`. */
export const cols = (kind: ColumnKind, ...names: ReadonlyArray<string>): ReadonlyArray<ColumnSpec> => names.map((n) => col(n, kind));

export function pgTypeOf(c: ColumnSpec): PgType {
  return KIND_INFO[c.kind].pgType;
}

export function commentOf(c: ColumnSpec): string | undefined {
  return c.comment ?? KIND_INFO[c.kind].comment;
}

const LOCAL_TS_RE = /^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const NUMERIC_RE = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const INT_RE = /^[-+]?\d{1,19}$/;
const INT8_MAX = 9223372036854775807n;
/** Postgres numeric: up to 131072 digits before the point, 16383 after (exponents beyond overflow). */
const NUMERIC_EXP_RANGE = [-16383, 131071] as const;
const BOOL_RE = /^(?:t|true|f|false|y|yes|n|no|on|off|1|0)$/i;

/** Why a text value does not fit a Postgres type, or null when it does (empty is always fine: NULL). */
export function checkText(pgType: PgType, value: string): string | null {
  if (value === '') return null;
  switch (pgType) {
    case 'text':
      return value.includes('\u0000') ? 'contains a NUL character' : null;
    case 'timestamptz': {
      if (!LOCAL_TS_RE.test(value)) return `"${clip(value)}" is not a timestamp YYYY-MM-DD HH:MM:SS`;
      if (value.startsWith('0000')) return `"${clip(value)}" is year 0, which does not exist`;
      const dt = DateTime.fromSQL(value.replace('T', ' '), { zone: 'UTC' });
      return dt.isValid ? null : `"${clip(value)}" is not a valid timestamp (${dt.invalidExplanation ?? dt.invalidReason})`;
    }
    case 'date':
      return !value.startsWith('0000') && DATE_RE.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid ? null : `"${clip(value)}" is not a date YYYY-MM-DD`;
    case 'numeric': {
      if (!NUMERIC_RE.test(value)) return `"${clip(value)}" is not a number`;
      const exp = /[eE]([-+]?\d+)$/.exec(value);
      const e = exp === null ? 0 : Number(exp[1]);
      return e < NUMERIC_EXP_RANGE[0] || e > NUMERIC_EXP_RANGE[1] ? `"${clip(value)}" is out of the numeric range` : null;
    }
    case 'bigint': {
      if (!INT_RE.test(value)) return `"${clip(value)}" is not an integer`;
      const n = BigInt(value);
      return n > INT8_MAX || n < -INT8_MAX - 1n ? `"${clip(value)}" is out of the bigint range` : null;
    }
    case 'boolean':
      return BOOL_RE.test(value) ? null : `"${clip(value)}" is not a boolean`;
    case 'text[]':
    case 'jsonb':
      return null;
  }
}

/** Local wall time in `zone` → ISO instant, or null for empty/invalid input. */
export function localToInstant(value: string, zone: string): string | null {
  if (value === '' || !LOCAL_TS_RE.test(value)) return null;
  const dt = DateTime.fromSQL(value.replace('T', ' '), { zone });
  return dt.isValid ? dt.toUTC().toISO() : null;
}

/**
 * Lenient number from JSON sources, where Dialpad sends some numbers as strings (digital sessions' bot_time,
 * queue_time, wrap_up_time): number → number, numeric string → number, anything else → null.
 */
export function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && NUMERIC_RE.test(value.trim())) return Number(value.trim());
  return null;
}

export function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

export function toBool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && BOOL_RE.test(value)) return /^(?:t|true|y|yes|on|1)$/i.test(value);
  return null;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** A row ready for a table: column name → JS value (string, number, boolean, null, string[], or an object for jsonb). */
export type Row = Readonly<Record<string, unknown>>;
