/**
 * Time helpers. Data is generated from UTC instants; exports render them as local wall-clock
 * times of the requested timezone. Formatting must be fast (a benchmark export can have a
 * million rows with ~10 timestamps each), so offsets are looked up once per 15-minute bucket
 * and the string is built by hand instead of going through luxon per value.
 */
import { DateTime, IANAZone } from 'luxon';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** True when `tz` is a valid IANA zone name (what Dialpad's `timezone` field takes). */
export function isValidZone(tz: string): boolean {
  return tz === 'UTC' || IANAZone.isValidZone(tz);
}

/** Epoch day number of a UTC instant. */
export function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Calendar arithmetic on 'YYYY-MM-DD' strings (no timezone involved). */
export function addDays(date: string, days: number): string {
  const m = DATE_RE.exec(date);
  if (!m) throw new Error(`Bad date ${date}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + days * DAY_MS;
  return new Date(ms).toISOString().slice(0, 10);
}

/** Days from a to b ('YYYY-MM-DD'), b - a. */
export function diffDays(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

/** True when the string is a real calendar date 'YYYY-MM-DD'. */
export function isDate(date: string): boolean {
  return DATE_RE.test(date) && new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) === date;
}

/** UTC instant of local midnight starting `date` in `tz` (DST-safe via luxon). */
export function localMidnightUtc(date: string, tz: string): number {
  const dt = DateTime.fromISO(date, { zone: tz }).startOf('day');
  if (!dt.isValid) throw new Error(`Bad date/zone ${date} ${tz}`);
  return dt.toMillis();
}

/** [from, to) UTC instants covering the inclusive local date range. */
export function localRangeUtc(fromDate: string, toDate: string, tz: string): { fromMs: number; toMs: number } {
  return { fromMs: localMidnightUtc(fromDate, tz), toMs: localMidnightUtc(addDays(toDate, 1), tz) };
}

/** Local calendar date ('YYYY-MM-DD') of an instant in `tz`. */
export function localDateOf(ms: number, tz: string): string {
  return new LocalFormatter(tz).date(ms);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Renders instants as local wall-clock strings of one timezone, caching offsets per 15 minutes. */
export class LocalFormatter {
  private readonly zone: IANAZone | null;
  private readonly offsets = new Map<number, number>();

  constructor(readonly tz: string) {
    this.zone = tz === 'UTC' ? null : IANAZone.create(tz);
  }

  /** Offset in ms of the zone at instant ms. Transitions happen on quarter hours, so buckets are safe. */
  offsetMs(ms: number): number {
    if (this.zone === null) return 0;
    const bucket = Math.floor(ms / 900_000);
    let off = this.offsets.get(bucket);
    if (off === undefined) {
      off = this.zone.offset(bucket * 900_000) * 60_000;
      this.offsets.set(bucket, off);
    }
    return off;
  }

  /** 'YYYY-MM-DD HH:MM:SS' local, no offset (the Stats CSV convention). */
  dateTime(ms: number): string {
    const d = new Date(ms + this.offsetMs(ms));
    return (
      `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
      `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
    );
  }

  /** 'YYYY-MM-DD' local. */
  date(ms: number): string {
    const d = new Date(ms + this.offsetMs(ms));
    return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  }
}

/** 'YYYY-MM-DDTHH:MM:SSZ' (the WFM interval format in the spec examples). */
export function isoSecondsZ(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const ISO_WITH_ZONE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Parses an ISO-8601 instant that carries a zone designator (Z or ±hh:mm). Returns null when
 * unparsable or zone-less: a naive timestamp is ambiguous and a client sending one has a bug.
 */
export function parseIsoInstant(s: string | undefined): number | null {
  if (s === undefined) return null;
  const m = ISO_WITH_ZONE.exec(s.trim());
  if (!m) return null;
  const dt = DateTime.fromISO(s.trim(), { setZone: true });
  return dt.isValid ? dt.toMillis() : null;
}

/** Minutes with up to 4 decimals, no trailing zeros ('0.03', '1.5', '0'). Dialpad CSV durations are minutes. */
export function minutes(seconds: number): string {
  return String(Math.round((seconds / 60) * 10_000) / 10_000);
}
