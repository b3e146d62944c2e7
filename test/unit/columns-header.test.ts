/**
 * src/transform/columns.ts (checkText, localToInstant, toNumber) and src/transform/header.ts (header → column names).
 *
 * checkText is the validating path's stand-in for Postgres' input functions, so besides the accept/reject tables it
 * is checked against a real Postgres: for each sample, checkText(type, v) === null iff `select $1::<type>` succeeds
 * in a session set up like the COPY sessions (timezone America/New_York, datestyle ISO, YMD).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkText, localToInstant, toNumber, type PgType } from '../../src/transform/columns.js';
import { normalizeHeader, normalizeHeaders } from '../../src/transform/header.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const NY = 'America/New_York';

describe('checkText accept/reject tables', () => {
  const ok = (t: PgType, v: string) => expect(checkText(t, v), `${t} ${JSON.stringify(v)}`).toBeNull();
  const bad = (t: PgType, v: string) => expect(checkText(t, v), `${t} ${JSON.stringify(v)}`).toEqual(expect.any(String));

  it('empty is always fine (NULL)', () => {
    for (const t of ['text', 'timestamptz', 'date', 'numeric', 'bigint', 'boolean', 'text[]', 'jsonb'] as const) ok(t, '');
  });

  it('timestamptz', () => {
    for (const v of ['2026-11-01 10:00:00', '2026-11-01T10:00', '2026-11-01T10:00:00', '2026-11-01 10:00', '2026-11-01', '2026-11-01 10:00:00.123456', '2028-02-29 23:59:59'])
      ok('timestamptz', v);
    for (const v of ['2026-13-01 00:00:00', '2026-02-29 00:00:00', '2026-11-01 25:00:00', '2026-11-01 10:61:00', 'abc', '2026-11-01 10', '11/01/2026 10:00', '2026-11-01 10:00:00+00'])
      bad('timestamptz', v);
    expect(checkText('timestamptz', '2026-13-01 00:00:00')).toMatch(/2026-13-01 00:00:00/);
    expect(checkText('timestamptz', 'abc')).toBe('"abc" is not a timestamp YYYY-MM-DD HH:MM:SS');
  });

  it('date', () => {
    for (const v of ['2026-11-01', '2028-02-29', '1970-01-01']) ok('date', v);
    for (const v of ['2026-02-29', '2026-11-31', '2026-11-01 10:00:00', '2026/11/01', 'yesterday']) bad('date', v);
  });

  it('numeric', () => {
    for (const v of ['0', '-1', '+1', '1.5', '.5', '1.', '1e5', '1E-5', '-1.5e+3', '00012', '12345678901234567890123456789.5']) ok('numeric', v);
    for (const v of ['abc', '1e', 'e5', '1,000', '1.2.3', '.', '-', '0x10', 'NaN', ' 1']) bad('numeric', v);
    expect(checkText('numeric', 'abc')).toBe('"abc" is not a number');
  });

  it('bigint, with its bounds', () => {
    for (const v of ['0', '-1', '+7', '123', '999999999999999999', '-999999999999999999']) ok('bigint', v);
    for (const v of ['1.0', '1e3', 'abc', '9223372036854775808', '-9223372036854775809', '99999999999999999999']) bad('bigint', v);
    // The exact bounds of int8 are accepted; one past them is not (above).
    ok('bigint', '9223372036854775807');
    ok('bigint', '-9223372036854775808');
    ok('bigint', '1000000000000000000');
  });

  it('boolean', () => {
    for (const v of ['t', 'true', 'f', 'false', 'y', 'yes', 'n', 'no', 'on', 'off', '1', '0', 'TRUE', 'False', 'YES', 'Off']) ok('boolean', v);
    for (const v of ['maybe', '2', '-1', 'truee', 'o', 'x', 'null']) bad('boolean', v);
  });

  it('text refuses only NUL; text[] and jsonb are not checked', () => {
    ok('text', 'anything, "quoted"\nmultiline');
    expect(checkText('text', 'a\u0000b')).toBe('contains a NUL character');
    ok('text[]', '{a,b}');
    ok('jsonb', '{"a":1}');
  });

  it('long values are clipped in the message', () => {
    const msg = checkText('numeric', 'x'.repeat(100))!;
    expect(msg).toBe(`"${'x'.repeat(40)}…" is not a number`);
  });
});

// Samples on which checkText and Postgres must agree (accept both, or reject both).
const AGREE: Readonly<Record<'timestamptz' | 'date' | 'numeric' | 'bigint' | 'boolean' | 'text', ReadonlyArray<string>>> = {
  timestamptz: [
    '2026-11-01 10:00:00', '2026-11-01T10:00', '2026-11-01T10:00:00', '2026-11-01 10:00', '2026-11-01', '2026-11-01 10:00:00.5',
    '2026-11-01 10:00:00.123456', '2028-02-29 00:00:00', '2026-11-01 24:00:00', '2026-03-08 02:30:00', '2026-11-01 01:30:00',
    '1970-01-01 00:00:00', '0001-01-01 00:00:00', '9999-12-31 23:59:59', '2026-11-01 00:00:00.000000', '2026-11-01T10:00:00.999',
    '2026-11-01T23:59:59', '2024-02-29 12:00:00',
    '2026-13-01 00:00:00', '2026-02-29 00:00:00', '2026-04-31 00:00:00', '2026-11-01 25:00:00', '2026-11-01 24:00:01',
    '2026-11-01 10:60:00', '2026-11-01 10:00:61', 'abc', '2026-00-10 00:00:00', '2026-11-00 00:00:00',
    '2026-11-01 10', '2026-11-01T', '2026-11-32 00:00:00', 'x2026-11-01', '2026-11-01 10:00:00 xyz', 'null',
    '2026-11-01 10:00:00.abc', 'T10:00:00', '2026-11-01 10:00:00 foo', '2026-11-31 10:00:00',
  ],
  date: [
    '2026-11-01', '2028-02-29', '2026-12-31', '1970-01-01', '0001-01-01', '9999-12-31', '2026-06-30', '2000-02-29', '2026-01-01',
    '2026-02-29', '2026-13-01', '2026-00-01', '2026-11-00', '2026-11-31', 'abc', '2026-11', '2026', '2026-06-31', '1900-02-29',
    '2026-1l-01', '+2026-11-01', '-2026-11-01', '2026-11-01x', '2026-W44-1', 'null', '2026-02-30', '2026-11-01T25:00', 'x', '1e5',
    '2026-11-01 10:00:00 garbage', '2026-11-01 99:00', '0', '-', '2026-11-1x', '2026-111-01', '99999-99-99',
  ],
  numeric: [
    '0', '1', '-1', '+1', '123', '1.5', '-1.5', '.5', '-.5', '1.', '1e5', '1E5', '1e-5', '1e+5', '-1.5e-3', '1e1000', '1e-1000',
    '00012', '12345678901234567890123456789012345678901234567890', '0.000001', '-0', '3.14159265358979323846264338327950288',
    '1e', 'e5', '1e5.5', 'abc', '1,000', '1_000', '0x10', '1.2.3', '--1', '+-1', '.', '-', '+', '\u0663', '\uFF11', '1e5e5',
    '1..2', '$1', '1%', 'e',
  ],
  bigint: [
    '0', '1', '-1', '+1', '123', '999999999999999999', '-999999999999999999', '000000000000000001', '-0', '+0', '007',
    '9223372036854775808', '-9223372036854775809', '1.0', '1.5', '1e3', 'abc', '0x10', '1_000', '--1', '+-1', '-', '+',
    '12a', 'a12', '1,000', 'NaN', 'Infinity', '\u0663', '99999999999999999999', '1e0', '1.', '.1', '\uFF11', '18446744073709551616',
    '- 1', '1 2', 'true', '0b1', '1-',
  ],
  boolean: [
    't', 'true', 'f', 'false', 'y', 'yes', 'n', 'no', 'on', 'off', '1', '0', 'T', 'TRUE', 'False', 'YES', 'No', 'ON', 'OFF', 'tRuE',
    'o', 'maybe', '2', '-1', 'truee', 'yess', '10', '01', 'enabled', 'null', 'nil', 'x', 'yes!', 'of f', 'onn', 'nope', 'ja', '00',
    'tt', 'ff',
  ],
  text: [
    'hello', 'a\u0000b', '\u0000', 'ünïcödé', 'line\nbreak', 'tab\t', '"quoted"', '\\N', 'NULL', 'emoji 🎉', '\r\n', 'a,b',
    'x'.repeat(1000), ' ', '\u0001', '日本語', 'null', 'undefined', "it's", '{a,b}',
  ],
};

// Postgres accepts these but checkText refuses them: the safe direction (the row is quarantined, COPY never breaks).
// Pinned here so a change in either direction is noticed.
const STRICTER: Readonly<Record<string, ReadonlyArray<string>>> = {
  timestamptz: [
    '2026-11-01 10:00:00.1234567', '2026-11-01 10:00:60', '2026-11-01 1:00:00', '2026-11-1 10:00:00', '2026/11/01 10:00:00',
    '2026-11-01 10:00:00+05:00', '2026-11-01T10:00:00Z', '2026-11-01 10:00:00.', ' 2026-11-01 10:00:00', 'now', 'today', '26-11-01 10:00:00',
    '2026-11-01 -1:00:00',
  ],
  date: ['2026-1-01', '2026/11/01', '20261101', '2026-11-01 10:00:00', '2026-11-01T00:00', 'today', ' 2026-11-01', 'Nov 1 2026', '10000-01-01', 'epoch', '2026-11-01-'],
  numeric: ['NaN', 'nan', 'Infinity', '-Infinity', 'inf', ' 1', '1 '],
  bigint: [' 1', '1 ', '00000000000000000000001'],
  boolean: ['tr', 'tru', 'fa', 'fal', 'fals', 'ye', 'of', ' true', 'true ', 't '],
};

describe('checkText agrees with Postgres', () => {
  let tdb: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    tdb = await createTestDatabase('columns');
    client = new pg.Client({ connectionString: tdb.url });
    client.on('error', () => {});
    await client.connect();
    // As the COPY sessions (load/staging.ts openCopy) are set up.
    await client.query(`set timezone = 'America/New_York'; set datestyle = 'ISO, YMD'`);
  });
  afterAll(async () => {
    await client?.end().catch(() => undefined);
    await tdb?.drop();
  });

  async function pgAccepts(type: string, value: string): Promise<boolean> {
    try {
      await client.query(`select ($1::${type}) is null as n`, [value]);
      return true;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      // Only data exceptions count as "rejected"; anything else is a broken test.
      if (!code.startsWith('22')) throw err;
      return false;
    }
  }

  for (const [type, samples] of Object.entries(AGREE)) {
    it(`${type}: checkText(v) === null iff Postgres accepts $1::${type} (${samples.length} samples)`, async () => {
      const accepted: string[] = [];
      const rejected: string[] = [];
      const mismatches: string[] = [];
      for (const v of samples) {
        const pgOk = await pgAccepts(type, v);
        const ours = checkText(type as PgType, v) === null;
        (pgOk ? accepted : rejected).push(v);
        if (pgOk !== ours) mismatches.push(`${JSON.stringify(v)}: postgres ${pgOk ? 'accepts' : 'rejects'}, checkText ${ours ? 'accepts' : 'rejects'}`);
      }
      expect(mismatches).toEqual([]);
      // The samples exercise both sides.
      expect(accepted.length).toBeGreaterThan(3);
      expect(rejected.length).toBeGreaterThan(1);
    });
  }

  for (const [type, samples] of Object.entries(STRICTER)) {
    it(`${type}: known values Postgres accepts that checkText refuses (safe direction)`, async () => {
      for (const v of samples) {
        expect(await pgAccepts(type, v), `postgres ${type} ${JSON.stringify(v)}`).toBe(true);
        expect(checkText(type as PgType, v), `checkText ${type} ${JSON.stringify(v)}`).not.toBeNull();
      }
    });
  }

  // Bugs (see the report): checkText accepts values Postgres rejects. In the validating pass of load-csv.ts such a
  // row is sent to COPY instead of the quarantine, COPY fails, and the whole export becomes a TerminalError.
  it('date: year 0000 is accepted by checkText but not by Postgres', async () => {
    expect(checkText('date', '0000-01-01') === null).toBe(await pgAccepts('date', '0000-01-01'));
  });

  it('timestamptz: year 0000 is accepted by checkText but not by Postgres', async () => {
    expect(checkText('timestamptz', '0000-06-15 10:00:00') === null).toBe(await pgAccepts('timestamptz', '0000-06-15 10:00:00'));
  });

  it('numeric: an exponent beyond numeric range is accepted by checkText but not by Postgres', async () => {
    for (const v of ['1e200000', '1e-20000']) expect(checkText('numeric', v) === null, v).toBe(await pgAccepts('numeric', v));
  });

  it('localToInstant gives the instant Postgres gives the same wall time in the same zone (DST included)', async () => {
    const samples = [
      '2026-11-01 10:00:00', '2026-07-01 10:00:00', '2026-03-08 01:59:59', '2026-03-08 02:30:00', '2026-03-08 03:00:00',
      '2026-11-01 00:59:59', '2026-11-01 01:30:00', '2026-11-01 02:00:00', '2026-11-01T10:00', '2026-11-01', '2026-12-31 23:59:59.5',
    ];
    for (const v of samples) {
      const { rows } = await client.query<{ iso: string }>(
        `select to_char($1::timestamptz at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as iso`,
        [v],
      );
      expect(localToInstant(v, NY), v).toBe(rows[0]!.iso);
    }
  });
});

describe('localToInstant', () => {
  it('interprets the wall time in the zone', () => {
    expect(localToInstant('2026-11-01 10:00:00', NY)).toBe('2026-11-01T15:00:00.000Z'); // EST
    expect(localToInstant('2026-07-01 10:00:00', NY)).toBe('2026-07-01T14:00:00.000Z'); // EDT
    expect(localToInstant('2026-11-01T10:00', NY)).toBe('2026-11-01T15:00:00.000Z');
    expect(localToInstant('2026-11-01', NY)).toBe('2026-11-01T04:00:00.000Z');
    expect(localToInstant('2026-11-01 10:00:00.25', 'UTC')).toBe('2026-11-01T10:00:00.250Z');
    expect(localToInstant('2026-11-01 10:00:00', 'Asia/Kolkata')).toBe('2026-11-01T04:30:00.000Z');
  });

  it('DST: the skipped hour moves forward, the repeated hour takes standard time (like Postgres)', () => {
    expect(localToInstant('2026-03-08 01:59:59', NY)).toBe('2026-03-08T06:59:59.000Z');
    expect(localToInstant('2026-03-08 02:30:00', NY)).toBe('2026-03-08T07:30:00.000Z');
    expect(localToInstant('2026-03-08 03:00:00', NY)).toBe('2026-03-08T07:00:00.000Z');
    expect(localToInstant('2026-11-01 00:59:59', NY)).toBe('2026-11-01T04:59:59.000Z');
    expect(localToInstant('2026-11-01 01:30:00', NY)).toBe('2026-11-01T06:30:00.000Z');
    expect(localToInstant('2026-11-01 02:00:00', NY)).toBe('2026-11-01T07:00:00.000Z');
  });

  it('null for empty or invalid input', () => {
    for (const v of ['', 'abc', '2026-13-01 00:00:00', '2026-02-29 10:00:00', '2026-11-01 10:00:00Z', '11/01/2026']) expect(localToInstant(v, NY), v).toBeNull();
  });
});

describe('toNumber', () => {
  it.each<[unknown, number | null]>([
    ['123', 123],
    [' 42 ', 42],
    ['-1.5', -1.5],
    ['1e3', 1000],
    ['.5', 0.5],
    [12.5, 12.5],
    [0, 0],
    ['x', null],
    ['', null],
    ['12abc', null],
    ['NaN', null],
    [NaN, null],
    [Infinity, null],
    [null, null],
    [undefined, null],
    [true, null],
    [{}, null],
    [[1], null],
  ])('%j → %j', (input, expected) => {
    expect(toNumber(input)).toBe(expected);
  });
});

describe('normalizeHeader', () => {
  it.each([
    ['Date Started', 'date_started'],
    ['date_started', 'date_started'],
    ['  Date   Started  ', 'date_started'],
    ['dateStarted', 'date_started'],
    ['callID', 'call_id'],
    ['talkDuration2Min', 'talk_duration2_min'],
    ['Abandon %', 'abandon_pct'],
    ['% Answered', 'pct_answered'],
    ['Service Level %', 'service_level_pct'],
    ['Talk Duration (min)', 'talk_duration_min'],
    ['1st Response Time', 'c_1st_response_time'],
    ['24h', 'c_24h'],
    ['\uFEFFName', 'name'],
    ['E-mail', 'e_mail'],
    ['', 'column'],
    ['***', 'column'],
    ['__x__', 'x'],
    ['ALLCAPS', 'allcaps'],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeHeader(raw)).toBe(expected);
  });

  it('is cut at 63 characters (Postgres identifier limit)', () => {
    const n = normalizeHeader('a'.repeat(100));
    expect(n).toBe('a'.repeat(63));
    expect(normalizeHeader('1' + 'b'.repeat(80))).toHaveLength(63);
    expect(normalizeHeader('1' + 'b'.repeat(80)).startsWith('c_1b')).toBe(true);
  });
});

describe('normalizeHeaders', () => {
  it('de-duplicates as x, x_2, x_3 in header order', () => {
    expect(normalizeHeaders(['x', 'X', 'Date Started', 'x', 'date started'])).toEqual(['x', 'x_2', 'date_started', 'x_3', 'date_started_2']);
  });

  it('two long headers equal in their first 63 characters do not collide, and stay within 63', () => {
    const long = 'very long header name that goes on and on and on and on and on for ever';
    const out = normalizeHeaders([`${long} A`, `${long} B`, `${long} C`]);
    expect(new Set(out).size).toBe(3);
    for (const n of out) expect(n.length).toBeLessThanOrEqual(63);
    expect(out[0]).toHaveLength(63);
    expect(out[1]!.endsWith('_2')).toBe(true);
    expect(out[2]!.endsWith('_3')).toBe(true);
  });

  it('no duplicates: unchanged order and names', () => {
    expect(normalizeHeaders(['Call ID', 'Date Started', 'Talk %'])).toEqual(['call_id', 'date_started', 'talk_pct']);
  });

  // Bug (see the report): a generated suffix can collide with a header that already has that name.
  it('names are always unique, even when a header already looks like a generated duplicate', () => {
    const out = normalizeHeaders(['x', 'x', 'x_2']);
    expect(new Set(out).size).toBe(out.length);
  });
});
