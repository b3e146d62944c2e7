/**
 * The window planner: half-open date windows, days_ago relative to "today" in the company zone, the midnight guard,
 * local-midnight instants across DST, and instant splitting.
 */
import { describe, expect, it } from 'vitest';
import { daysAgoDates } from '../../src/simulator/requests.js';
import {
  addDays,
  dateWindowToInstants,
  daysBetween,
  midnightGuardDelayMs,
  splitDateRange,
  splitInstantRange,
  toDaysAgo,
  type DateWindow,
} from '../../src/windows.js';

const NY = 'America/New_York';
const w = (start: string, end: string, timezone = NY): DateWindow => ({ start, end, timezone });

describe('splitDateRange', () => {
  it('splits [from, to] into half-open windows of maxDays, the last one shorter', () => {
    expect(splitDateRange('2026-11-01', '2026-11-10', NY, 4)).toEqual([
      w('2026-11-01', '2026-11-05'),
      w('2026-11-05', '2026-11-09'),
      w('2026-11-09', '2026-11-11'),
    ]);
  });

  it('an exact multiple has no short tail', () => {
    expect(splitDateRange('2026-11-01', '2026-11-08', 'UTC', 4)).toEqual([w('2026-11-01', '2026-11-05', 'UTC'), w('2026-11-05', '2026-11-09', 'UTC')]);
  });

  it('maxDays 1 gives one window per day', () => {
    const ws = splitDateRange('2026-02-27', '2026-03-02', NY, 1);
    expect(ws.map((x) => [x.start, x.end])).toEqual([
      ['2026-02-27', '2026-02-28'],
      ['2026-02-28', '2026-03-01'],
      ['2026-03-01', '2026-03-02'],
      ['2026-03-02', '2026-03-03'],
    ]);
  });

  it('a single day is one window [d, d+1)', () => {
    expect(splitDateRange('2026-12-31', '2026-12-31', NY, 30)).toEqual([w('2026-12-31', '2027-01-01')]);
  });

  it('crosses month and year ends; windows are contiguous and cover exactly [from, to+1)', () => {
    for (const maxDays of [1, 2, 3, 7, 30, 31, 400]) {
      const ws = splitDateRange('2026-12-15', '2027-03-03', NY, maxDays);
      expect(ws[0]!.start).toBe('2026-12-15');
      expect(ws.at(-1)!.end).toBe('2027-03-04');
      for (let i = 0; i < ws.length; i++) {
        const len = daysBetween(ws[i]!.start, ws[i]!.end);
        expect(len).toBeGreaterThanOrEqual(1);
        if (i < ws.length - 1) {
          expect(len).toBe(maxDays);
          expect(ws[i + 1]!.start).toBe(ws[i]!.end);
        } else expect(len).toBeLessThanOrEqual(maxDays);
        expect(ws[i]!.timezone).toBe(NY);
      }
      const total = ws.reduce((n, x) => n + daysBetween(x.start, x.end), 0);
      expect(total).toBe(daysBetween('2026-12-15', '2027-03-04'));
    }
  });

  it('rejects from > to and maxDays < 1', () => {
    expect(() => splitDateRange('2026-11-02', '2026-11-01', NY, 5)).toThrow(RangeError);
    expect(() => splitDateRange('2026-11-01', '2026-11-02', NY, 0)).toThrow(RangeError);
  });
});

describe('toDaysAgo', () => {
  const now = new Date('2026-11-26T12:00:00Z'); // 07:00 EST on 2026-11-26

  it('days_ago_start is the recent inclusive bound, days_ago_end the older one', () => {
    // [11-20, 11-23) covers 11-20, 11-21, 11-22: 11-22 is 4 days before 11-26, 11-20 is 6 days before.
    expect(toDaysAgo(w('2026-11-20', '2026-11-23'), now)).toEqual({ days_ago_start: 4, days_ago_end: 6 });
  });

  it('round-trips through the simulator\'s days_ago rule to exactly the window\'s dates', () => {
    for (const [start, end] of [
      ['2026-11-20', '2026-11-23'],
      ['2026-11-25', '2026-11-26'],
      ['2026-10-01', '2026-10-31'],
      ['2026-10-30', '2026-11-02'], // across the DST end
    ] as const) {
      const d = toDaysAgo(w(start, end), now);
      expect(d.days_ago_start).toBeLessThanOrEqual(d.days_ago_end);
      expect(d.days_ago_end - d.days_ago_start + 1).toBe(daysBetween(start, end));
      expect(daysAgoDates(now.getTime(), NY, d.days_ago_start, d.days_ago_end)).toEqual({ fromDate: start, toDate: addDays(end, -1) });
    }
  });

  it('yesterday alone is {1, 1}', () => {
    expect(toDaysAgo(w('2026-11-25', '2026-11-26'), now)).toEqual({ days_ago_start: 1, days_ago_end: 1 });
  });

  it('refuses a window that reaches today or later', () => {
    expect(() => toDaysAgo(w('2026-11-26', '2026-11-27'), now)).toThrow(/reaches today/);
    expect(() => toDaysAgo(w('2026-11-20', '2026-11-27'), now)).toThrow(RangeError);
    expect(() => toDaysAgo(w('2026-11-28', '2026-11-29'), now)).toThrow(RangeError);
  });

  it('"today" is the date in the window\'s zone: 2026-11-26T03:00Z is still 2026-11-25 in New York', () => {
    const early = new Date('2026-11-26T03:00:00Z'); // 22:00 EST on 11-25
    expect(toDaysAgo(w('2026-11-24', '2026-11-25'), early)).toEqual({ days_ago_start: 1, days_ago_end: 1 });
    expect(toDaysAgo(w('2026-11-24', '2026-11-25', 'UTC'), early)).toEqual({ days_ago_start: 2, days_ago_end: 2 });
    // Yesterday in UTC is today in New York.
    expect(toDaysAgo(w('2026-11-25', '2026-11-26', 'UTC'), early)).toEqual({ days_ago_start: 1, days_ago_end: 1 });
    expect(() => toDaysAgo(w('2026-11-25', '2026-11-26'), early)).toThrow(/reaches today \(2026-11-25 in America\/New_York\)/);
  });

  it('east of UTC the date changes earlier: Asia/Tokyo', () => {
    const t = new Date('2026-11-25T16:00:00Z'); // 01:00 JST on 11-26
    expect(toDaysAgo(w('2026-11-25', '2026-11-26', 'Asia/Tokyo'), t)).toEqual({ days_ago_start: 1, days_ago_end: 1 });
    expect(() => toDaysAgo(w('2026-11-25', '2026-11-26', 'UTC'), t)).toThrow(RangeError);
  });
});

describe('midnightGuardDelayMs', () => {
  const guard = 300; // 5 minutes

  it('inside the guard before local midnight: wait until guard after midnight', () => {
    // 2026-11-26T04:58Z = 23:58 EST: 2 min to midnight, then 5 more.
    expect(midnightGuardDelayMs(NY, new Date('2026-11-26T04:58:00Z'), guard)).toBe(420_000);
    // Exactly guard before midnight counts as inside.
    expect(midnightGuardDelayMs(NY, new Date('2026-11-26T04:55:00Z'), guard)).toBe(600_000);
  });

  it('inside the guard after local midnight: wait out the rest', () => {
    expect(midnightGuardDelayMs(NY, new Date('2026-11-26T05:02:00Z'), guard)).toBe(180_000);
    expect(midnightGuardDelayMs(NY, new Date('2026-11-26T05:00:00Z'), guard)).toBe(300_000);
  });

  it('outside the guard: 0', () => {
    expect(midnightGuardDelayMs(NY, new Date('2026-11-26T17:00:00Z'), guard)).toBe(0); // midday
    expect(midnightGuardDelayMs(NY, new Date('2026-11-26T04:54:59Z'), guard)).toBe(0);
    expect(midnightGuardDelayMs(NY, new Date('2026-11-26T05:05:00Z'), guard)).toBe(0);
  });

  it('uses the zone\'s midnight, not UTC\'s', () => {
    expect(midnightGuardDelayMs('UTC', new Date('2026-11-26T04:58:00Z'), guard)).toBe(0);
    expect(midnightGuardDelayMs('UTC', new Date('2026-11-25T23:59:00Z'), guard)).toBe(360_000);
  });

  it('guard 0 disables it', () => {
    expect(midnightGuardDelayMs(NY, new Date('2026-11-26T04:59:59Z'), 0)).toBe(0);
    expect(midnightGuardDelayMs(NY, new Date('2026-11-26T05:00:00Z'), 0)).toBe(0);
  });

  it('on a DST day the next midnight is found in local time', () => {
    // 2026-03-08 is 23 h long in New York; its midnight ends at 2026-03-09T04:00Z (EDT).
    expect(midnightGuardDelayMs(NY, new Date('2026-03-09T03:58:00Z'), guard)).toBe(420_000);
    // 2026-11-01 is 25 h long; it ends at 2026-11-02T05:00Z (EST).
    expect(midnightGuardDelayMs(NY, new Date('2026-11-02T04:58:00Z'), guard)).toBe(420_000);
    expect(midnightGuardDelayMs(NY, new Date('2026-11-02T03:58:00Z'), guard)).toBe(0); // 22:58 EST
  });

  it('after the delay, "today" is stable for at least the guard', () => {
    for (const iso of ['2026-11-26T04:56:30Z', '2026-11-26T05:00:01Z', '2026-03-09T03:59:59Z']) {
      const now = new Date(iso);
      const delay = midnightGuardDelayMs(NY, now, guard);
      const later = new Date(now.getTime() + delay);
      expect(midnightGuardDelayMs(NY, later, guard)).toBe(0);
    }
  });
});

describe('dateWindowToInstants', () => {
  it('spring forward: 2026-03-08 in New York is 23 hours', () => {
    const r = dateWindowToInstants(w('2026-03-08', '2026-03-09'));
    expect(r).toEqual({ startUtc: '2026-03-08T05:00:00Z', endUtc: '2026-03-09T04:00:00Z' });
    expect(Date.parse(r.endUtc) - Date.parse(r.startUtc)).toBe(23 * 3_600_000);
  });

  it('fall back: 2026-11-01 in New York is 25 hours', () => {
    const r = dateWindowToInstants(w('2026-11-01', '2026-11-02'));
    expect(r).toEqual({ startUtc: '2026-11-01T04:00:00Z', endUtc: '2026-11-02T05:00:00Z' });
    expect(Date.parse(r.endUtc) - Date.parse(r.startUtc)).toBe(25 * 3_600_000);
  });

  it('a multi-day window across the change', () => {
    expect(dateWindowToInstants(w('2026-10-25', '2026-11-08'))).toEqual({ startUtc: '2026-10-25T04:00:00Z', endUtc: '2026-11-08T05:00:00Z' });
  });

  it('UTC and a positive-offset zone', () => {
    expect(dateWindowToInstants(w('2026-11-01', '2026-11-03', 'UTC'))).toEqual({ startUtc: '2026-11-01T00:00:00Z', endUtc: '2026-11-03T00:00:00Z' });
    expect(dateWindowToInstants(w('2026-11-01', '2026-11-02', 'Asia/Kolkata'))).toEqual({
      startUtc: '2026-10-31T18:30:00Z',
      endUtc: '2026-11-01T18:30:00Z',
    });
  });
});

describe('splitInstantRange', () => {
  const DAY = 86_400_000;

  it('splits into pieces of maxMs, the last one shorter', () => {
    const parts = splitInstantRange({ startUtc: '2026-11-01T00:00:00Z', endUtc: '2026-11-16T00:00:00Z' }, 7 * DAY - 1000);
    expect(parts).toEqual([
      { startUtc: '2026-11-01T00:00:00Z', endUtc: '2026-11-07T23:59:59Z' },
      { startUtc: '2026-11-07T23:59:59Z', endUtc: '2026-11-14T23:59:58Z' },
      { startUtc: '2026-11-14T23:59:58Z', endUtc: '2026-11-16T00:00:00Z' },
    ]);
  });

  it('contiguous, each <= maxMs, covering the range exactly', () => {
    const range = { startUtc: '2026-03-07T05:00:00Z', endUtc: '2026-03-20T04:00:00Z' };
    const max = 3 * DAY + 12_345;
    const parts = splitInstantRange(range, max);
    expect(parts[0]!.startUtc).toBe(range.startUtc);
    expect(parts.at(-1)!.endUtc).toBe(range.endUtc);
    for (let i = 0; i < parts.length; i++) {
      const len = Date.parse(parts[i]!.endUtc) - Date.parse(parts[i]!.startUtc);
      expect(len).toBeGreaterThan(0);
      expect(len).toBeLessThanOrEqual(max);
      if (i > 0) expect(parts[i]!.startUtc).toBe(parts[i - 1]!.endUtc);
    }
  });

  it('a range shorter than maxMs is one piece; an empty range none', () => {
    expect(splitInstantRange({ startUtc: '2026-11-01T00:00:00Z', endUtc: '2026-11-01T01:00:00Z' }, DAY)).toEqual([
      { startUtc: '2026-11-01T00:00:00Z', endUtc: '2026-11-01T01:00:00Z' },
    ]);
    expect(splitInstantRange({ startUtc: '2026-11-01T00:00:00Z', endUtc: '2026-11-01T00:00:00Z' }, DAY)).toEqual([]);
  });

  it('keeps milliseconds when the split point has them', () => {
    expect(splitInstantRange({ startUtc: '2026-11-01T00:00:00Z', endUtc: '2026-11-01T00:00:01Z' }, 600)).toEqual([
      { startUtc: '2026-11-01T00:00:00Z', endUtc: '2026-11-01T00:00:00.600Z' },
      { startUtc: '2026-11-01T00:00:00.600Z', endUtc: '2026-11-01T00:00:01Z' },
    ]);
  });
});
