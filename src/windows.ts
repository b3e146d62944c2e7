/**
 * The one window planner. Operators speak in calendar dates of the company's zone (DIALPAD_TIMEZONE); every
 * window in code is half-open: `[start, end)`. Exports want those dates as `days_ago_*` relative to "today" at the
 * moment of the POST (computed here, with `now` passed in so tests can move the clock); WFM and digital sessions
 * want UTC instants.
 */
import { DateTime, IANAZone } from 'luxon';

/** 'YYYY-MM-DD', a calendar date in some zone. */
export type LocalDate = string;

/** Calendar days `[start, end)` in `timezone`. */
export interface DateWindow {
  readonly start: LocalDate;
  readonly end: LocalDate;
  readonly timezone: string;
}

/** Instants `[startUtc, endUtc)`, ISO-8601 with `Z`. */
export interface InstantWindow {
  readonly startUtc: string;
  readonly endUtc: string;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function parseLocalDate(value: string, label = 'date'): LocalDate {
  if (!DATE_RE.test(value) || !DateTime.fromISO(value, { zone: 'UTC' }).isValid) {
    throw new RangeError(`${label} must be a calendar date YYYY-MM-DD, got "${value}"`);
  }
  return value;
}

export function addDays(date: LocalDate, days: number): LocalDate {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

/** Whole days from `a` to `b` (b - a). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return Math.round(DateTime.fromISO(b, { zone: 'UTC' }).diff(DateTime.fromISO(a, { zone: 'UTC' }), 'days').days);
}

/** Today's date in `timezone` at `now`. */
export function todayIn(timezone: string, now: Date): LocalDate {
  return DateTime.fromJSDate(now, { zone: timezone }).toISODate()!;
}

/**
 * Splits `[from, toInclusive]` into windows of at most `maxDays` days (the last one shorter), oldest first.
 */
export function splitDateRange(from: LocalDate, toInclusive: LocalDate, timezone: string, maxDays: number): ReadonlyArray<DateWindow> {
  if (maxDays < 1) throw new RangeError('maxDays must be >= 1');
  if (from > toInclusive) throw new RangeError(`--from ${from} is after --to ${toInclusive}`);
  const end = addDays(toInclusive, 1);
  const windows: DateWindow[] = [];
  for (let s = from; s < end; ) {
    const e = minDate(addDays(s, maxDays), end);
    windows.push(Object.freeze({ start: s, end: e, timezone }));
    s = e;
  }
  return windows;
}

export interface DaysAgo {
  /** Recent bound, inclusive (days before today). */
  readonly days_ago_start: number;
  /** Older bound, inclusive. */
  readonly days_ago_end: number;
}

/**
 * `[start, end)` as Dialpad's relative days at `now`. Historical exports never contain today (dialpad-api.md §2.1,
 * forum Q2), so a window reaching today or later is refused rather than silently loading a partial day.
 */
export function toDaysAgo(w: DateWindow, now: Date): DaysAgo {
  const today = todayIn(w.timezone, now);
  const lastDay = addDays(w.end, -1);
  if (w.end > today) throw new RangeError(`window ${w.start}..${lastDay} reaches today (${today} in ${w.timezone}); historical exports end yesterday`);
  return { days_ago_start: daysBetween(lastDay, today), days_ago_end: daysBetween(w.start, today) };
}

/**
 * How long to hold an export POST so that "today" cannot change between computing days_ago and Dialpad reading
 * them: inside `guardSeconds` before local midnight wait until `guardSeconds` after it; inside the first
 * `guardSeconds` after midnight wait out the rest.
 */
export function midnightGuardDelayMs(timezone: string, now: Date, guardSeconds: number): number {
  if (guardSeconds <= 0) return 0;
  const local = DateTime.fromJSDate(now, { zone: timezone });
  const nextMidnight = local.startOf('day').plus({ days: 1 });
  const sinceMidnight = local.diff(local.startOf('day')).as('milliseconds');
  const untilMidnight = nextMidnight.diff(local).as('milliseconds');
  const guardMs = guardSeconds * 1000;
  if (untilMidnight <= guardMs) return untilMidnight + guardMs;
  if (sinceMidnight < guardMs) return guardMs - sinceMidnight;
  return 0;
}

/** The instants of local midnight at `start` and `end` of a date window, in UTC. */
export function dateWindowToInstants(w: DateWindow): InstantWindow {
  const s = DateTime.fromISO(w.start, { zone: w.timezone }).startOf('day');
  const e = DateTime.fromISO(w.end, { zone: w.timezone }).startOf('day');
  return { startUtc: s.toUTC().toISO({ suppressMilliseconds: true })!, endUtc: e.toUTC().toISO({ suppressMilliseconds: true })! };
}

/**
 * Splits an instant range into windows of at most `maxMs` (APIs that want "< 7 days" get `7 days - 1 s`).
 */
export function splitInstantRange(w: InstantWindow, maxMs: number): ReadonlyArray<InstantWindow> {
  const out: InstantWindow[] = [];
  const endMs = Date.parse(w.endUtc);
  for (let s = Date.parse(w.startUtc); s < endMs; ) {
    const e = Math.min(s + maxMs, endMs);
    out.push({ startUtc: isoZ(s), endUtc: isoZ(e) });
    s = e;
  }
  return out;
}

export function isoZ(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function minDate(a: LocalDate, b: LocalDate): LocalDate {
  return a < b ? a : b;
}

export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

export function formatWindow(w: DateWindow): string {
  return `${w.start}..${addDays(w.end, -1)} ${w.timezone}`;
}
