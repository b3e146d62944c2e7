import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

const NOW = new Date('2025-03-12T15:30:00Z'); // a Wednesday; 11:30 in New York
let sim: Simulator | null = null;

async function start(opts: SimulatorOptions = {}): Promise<Simulator> {
  sim = await startSimulator({ now: () => NOW, ...opts });
  return sim;
}

afterEach(async () => {
  await sim?.close();
  sim = null;
});

const auth = (s: Simulator): Record<string, string> => ({ Authorization: `Bearer ${s.apiKey}`, 'Content-Type': 'application/json' });

async function api(s: Simulator, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(s.baseUrl + path, {
    method: init.method ?? 'GET',
    headers: init.headers ?? auth(s),
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

/** POST an export, poll it to completion, return the download URL. */
async function exportUrl(s: Simulator, body: Record<string, unknown>): Promise<string> {
  const post = await api(s, '/api/v2/stats', { method: 'POST', body });
  expect(post.status).toBe(200);
  for (let i = 0; i < 10; i++) {
    const got = await api(s, `/api/v2/stats/${post.json.request_id}`);
    if (got.json.status === 'complete') return got.json.download_url as string;
    expect(got.json.status).toBe('processing');
  }
  throw new Error('export never completed');
}

async function downloadRows(url: string): Promise<Array<Record<string, string>>> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return parse(Buffer.from(await res.arrayBuffer()), { bom: true, columns: true }) as Array<Record<string, string>>;
}

describe('auth and routing', () => {
  it('requires the bearer key and answers unknown paths with the 404 envelope', async () => {
    const s = await start();
    const none = await api(s, '/api/v2/company', { headers: {} });
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe(401);
    expect(none.json.error.errors[0].domain).toBe('global');
    expect((await api(s, '/api/v2/company', { headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
    const ok = await api(s, '/api/v2/company');
    expect(ok.status).toBe(200);
    expect(typeof ok.json.id).toBe('string');
    const missing = await api(s, '/api/v2/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.json.error.errors[0].reason).toBe('notFound');
    expect(s.log.map((e) => e.authorization)).toEqual([null, 'Bearer nope', 'Bearer sim-key', 'Bearer sim-key']);
  });

  it('pages the directory with cursors and lists non-active users and offices', async () => {
    const s = await start();
    const users: any[] = [];
    let cursor: string | null = null;
    do {
      const page = await api(s, `/api/v2/users${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.json.items.length).toBeLessThanOrEqual(3);
      users.push(...page.json.items);
      cursor = page.json.cursor;
    } while (cursor);
    expect(users).toEqual(s.directory().users);
    expect(new Set(users.map((u) => u.state))).toEqual(new Set(['active', 'pending', 'suspended', 'deleted']));
    const offices = (await api(s, '/api/v2/offices')).json.items;
    expect(offices.some((o: any) => o.state === 'cancelled')).toBe(true);
    expect((await api(s, '/api/v2/offices/primary')).json.timezone).toBe('America/New_York');
  });
});

describe('stats export lifecycle', () => {
  it('goes processing → complete → download, and the download host refuses an Authorization header', async () => {
    const s = await start();
    const post = await api(s, '/api/v2/stats', { method: 'POST', body: { export_type: 'records', stat_type: 'calls', days_ago_start: 1, days_ago_end: 1 } });
    expect(post.json).toEqual({ already_started: false, request_id: expect.any(String) });
    const id = post.json.request_id;
    expect((await api(s, `/api/v2/stats/${id}`)).json).toEqual({ status: 'processing' });
    expect((await api(s, `/api/v2/stats/${id}`)).json).toEqual({ status: 'processing' });
    const done = (await api(s, `/api/v2/stats/${id}`)).json;
    expect(done).toMatchObject({ status: 'complete', file_type: 'csv' });
    expect(done.download_url.startsWith(`${s.downloadBaseUrl}/dl/stats/`)).toBe(true);
    expect(done.download_url).toContain('X-Goog-Signature=');

    const withKey = await fetch(done.download_url, { headers: { Authorization: `Bearer ${s.apiKey}` } });
    expect(withKey.status).toBe(400);
    expect(await withKey.text()).toContain('Authorization header not allowed with signed URL');

    const res = await fetch(done.download_url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('\r\n');

    const downloads = s.log.filter((e) => e.host === 'download');
    expect(downloads.map((e) => [e.status, e.authorization])).toEqual([[400, `Bearer ${s.apiKey}`], [200, null]]);
    expect((await api(s, '/api/v2/stats/123')).json.error.message).toBe('Request with id 123 not found.');
  });

  it('dedupes identical POSTs, validates bodies and accepts numeric strings', async () => {
    const s = await start();
    const body = { export_type: 'stats', stat_type: 'calls', group_by: 'date', days_ago_start: '1', days_ago_end: '7', timezone: 'Europe/Berlin' };
    const a = await api(s, '/api/v2/stats', { method: 'POST', body });
    const b = await api(s, '/api/v2/stats', { method: 'POST', body });
    expect(b.json).toEqual({ already_started: true, request_id: a.json.request_id });
    const bad = [
      { stat_type: 'calls' },
      { export_type: 'records', stat_type: 'calls', days_ago_start: 5, days_ago_end: 2 },
      { export_type: 'records', stat_type: 'calls', days_ago_start: 1, days_ago_end: 40 },
      { export_type: 'records', stat_type: 'bogus' },
      { export_type: 'records', stat_type: 'csat' },
      { export_type: 'stats', stat_type: 'texts', group_by: 'date' },
      { export_type: 'records', stat_type: 'calls', timezone: 'Mars/Olympus' },
    ];
    for (const body of bad) {
      const r = await api(s, '/api/v2/stats', { method: 'POST', body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.errors[0].reason).toBe('badRequest');
    }
  });

  it('expires requests after the TTL (simulator clock) and honours export faults', async () => {
    const s = await start();
    const body = { export_type: 'records', stat_type: 'texts', days_ago_start: 1, days_ago_end: 2 };
    const post = await api(s, '/api/v2/stats', { method: 'POST', body });
    s.setNow(() => new Date(NOW.getTime() + 3_600_001));
    expect((await api(s, `/api/v2/stats/${post.json.request_id}`)).status).toBe(404);
    s.setNow(() => NOW);

    s.addFaults({ failExports: 1, expireRequests: 1 });
    const failed = await api(s, '/api/v2/stats', { method: 'POST', body: { ...body, days_ago_end: 3 } });
    const expired = await api(s, '/api/v2/stats', { method: 'POST', body: { ...body, days_ago_end: 4 } });
    const expiredGet = await api(s, `/api/v2/stats/${expired.json.request_id}`);
    expect(expiredGet.status).toBe(404);
    expect(expiredGet.json.error.message).toBe(`Request with id ${expired.json.request_id} not found.`);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api(s, `/api/v2/stats/${failed.json.request_id}`)).json.status);
    expect(statuses).toEqual(['processing', 'processing', 'failed']);
  });

  it('honours download faults: expired URL, clean chunked truncation mid-record', async () => {
    const s = await start({ export: { processingPolls: 0 } });
    const url = await exportUrl(s, { export_type: 'records', stat_type: 'calls', days_ago_start: 1, days_ago_end: 1 });
    s.addFaults({ expireDownloads: 1, truncateChunked: 1 });
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('<Code>ExpiredToken</Code>');
    const cut = await fetch(url);
    expect(cut.status).toBe(200);
    const partial = await cut.text();
    const full = await (await fetch(url)).text();
    expect(partial.length).toBeLessThan(full.length * 0.7);
    expect(full.startsWith(partial)).toBe(true);
    expect(partial.endsWith('\r\n')).toBe(false);

    s.addFaults({ truncateDownloads: 1 });
    const broken = await fetch(url);
    // +3: text() drops the BOM that Content-Length counts.
    expect(Number(broken.headers.get('content-length'))).toBe(Buffer.byteLength(full) + 3);
    await expect(broken.text()).rejects.toThrow();
    expect((await fetch(url)).status).toBe(200);
  });

  it('slows the next download down', async () => {
    const s = await start({ export: { processingPolls: 0 } });
    const url = await exportUrl(s, { export_type: 'records', stat_type: 'calls', days_ago_start: 1, days_ago_end: 1 });
    s.addFaults({ slowDownloadMs: 20 });
    const t0 = Date.now();
    const slow = await (await fetch(url)).text();
    const slowMs = Date.now() - t0;
    // ~1 KiB chunks with 20 ms between them.
    expect(slowMs).toBeGreaterThanOrEqual(20 * (Math.ceil(Buffer.byteLength(slow) / 1024) - 1) - 50);
    const t1 = Date.now();
    expect(await (await fetch(url)).text()).toBe(slow);
    expect(Date.now() - t1).toBeLessThan(slowMs);
  });
});

describe('days_ago window semantics', () => {
  const tz = 'America/New_York';

  async function localDates(s: Simulator, body: Record<string, unknown>): Promise<string[]> {
    const rows = await downloadRows(await exportUrl(s, { export_type: 'records', stat_type: 'calls', timezone: tz, ...body }));
    return [...new Set(rows.map((r) => r.date_started!.slice(0, 10)))].sort();
  }

  it('start is the recent bound, both inclusive, and the historical export never contains today', async () => {
    const s = await start({ export: { processingPolls: 0 } });
    // Local "today" in New York is 2025-03-12.
    expect(await localDates(s, { days_ago_start: 1, days_ago_end: 3 })).toEqual(['2025-03-09', '2025-03-10', '2025-03-11']);
    expect(await localDates(s, { days_ago_start: 0, days_ago_end: 1 })).toEqual(['2025-03-11']);
    expect(await localDates(s, { days_ago_start: 0, days_ago_end: 0 })).toEqual([]);
    const today = await localDates(s, { is_today: true });
    expect(today).toEqual(['2025-03-12']);
  });

  it('is_today contains only calls concluded before the POST, and the content is fixed at POST time', async () => {
    // Long TTLs so the URL survives moving the clock a day ahead.
    const s = await start({ export: { processingPolls: 0, requestTtlMs: 864e6, downloadTtlMs: 864e6 } });
    const url = await exportUrl(s, { export_type: 'records', stat_type: 'calls', timezone: tz, is_today: true });
    s.setNow(() => new Date(NOW.getTime() + 86_400_000)); // a day later: the export must not change
    const rows = await downloadRows(url);
    expect(rows).toEqual(s.expectedStatsRows({ statType: 'calls', exportType: 'records', fromDate: '2025-03-12', toDate: '2025-03-12', timezone: tz, asOf: NOW }));
    expect(rows.every((r) => r.date_ended! <= '2025-03-12 11:30:00')).toBe(true);
  });

  it('the same call falls on different local dates depending on the timezone', async () => {
    const s = await start();
    const ny = s.expectedStatsRows({ statType: 'calls', exportType: 'records', fromDate: '2025-03-10', toDate: '2025-03-10', timezone: 'America/New_York' });
    const utc = s.expectedStatsRows({ statType: 'calls', exportType: 'records', fromDate: '2025-03-10', toDate: '2025-03-10', timezone: 'UTC' });
    const nyIds = new Set(ny.map((r) => r.call_id));
    const utcIds = new Set(utc.map((r) => r.call_id));
    expect([...nyIds].some((id) => !utcIds.has(id))).toBe(true);
    const shared = ny.find((r) => utcIds.has(r.call_id!))!;
    const utcRow = utc.find((r) => r.call_id === shared.call_id)!;
    expect(shared.date_started).not.toBe(utcRow.date_started);
  });
});

describe('CSV content', () => {
  it('parses with csv-parse and equals expectedStatsRows for several export kinds', async () => {
    const s = await start({ export: { processingPolls: 0 } });
    const kinds: Array<[Record<string, unknown>, Parameters<Simulator['expectedStatsRows']>[0]]> = [
      [{ export_type: 'records', stat_type: 'calls' }, { statType: 'calls', exportType: 'records', fromDate: '2025-03-09', toDate: '2025-03-11', timezone: 'Asia/Tokyo' }],
      [{ export_type: 'records', stat_type: 'texts' }, { statType: 'texts', exportType: 'records', fromDate: '2025-03-09', toDate: '2025-03-11', timezone: 'Asia/Tokyo' }],
      [{ export_type: 'stats', stat_type: 'calls', group_by: 'date' }, { statType: 'calls', exportType: 'stats', groupBy: 'date', fromDate: '2025-03-09', toDate: '2025-03-11', timezone: 'Asia/Tokyo' }],
      [{ export_type: 'stats', stat_type: 'calls' }, { statType: 'calls', exportType: 'stats', groupBy: 'user', fromDate: '2025-03-09', toDate: '2025-03-11', timezone: 'Asia/Tokyo' }],
    ];
    for (const [body, q] of kinds) {
      // Tokyo is already on 2025-03-13 at NOW.
      const rows = await downloadRows(await exportUrl(s, { ...body, timezone: 'Asia/Tokyo', days_ago_start: 2, days_ago_end: 4 }));
      const expected = s.expectedStatsRows(q);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows).toEqual(expected);
    }
    const calls = s.expectedStatsRows({ statType: 'calls', exportType: 'records', fromDate: '2025-03-09', toDate: '2025-03-11', timezone: 'UTC' });
    expect(Object.keys(calls[0]!)).toContain('mos_score');
    const entry = calls.find((r) => r.target_kind === 'CallCenter')!;
    expect(calls.some((r) => r.entry_point_call_id === entry.call_id)).toBe(true);
    expect(calls.some((r) => r.name!.includes('\n'))).toBe(true);
    expect(calls.some((r) => r.name!.includes('"'))).toBe(true);
    expect(calls.some((r) => /[^\x00-\x7f]/.test(r.name!))).toBe(true);
    const texts = s.expectedStatsRows({ statType: 'texts', exportType: 'records', fromDate: '2025-03-09', toDate: '2025-03-11', timezone: 'UTC' });
    expect(texts.some((r) => r.text!.includes('\r\n'))).toBe(true);
    expect(texts.some((r) => r.text === '')).toBe(true);
  });

  it('writes malformed rows when asked and leaves them out of expected data', async () => {
    const s = await start({ export: { processingPolls: 0 }, data: { malformedEvery: 7 } });
    const url = await exportUrl(s, { export_type: 'records', stat_type: 'calls', days_ago_start: 1, days_ago_end: 1 });
    const raw = Buffer.from(await (await fetch(url)).arrayBuffer());
    const records = parse(raw, { bom: true, relax_column_count: true }) as string[][];
    const [header, ...rows] = records;
    const good = rows.filter((r) => r.length === header!.length && r[0] !== 'not-a-date');
    expect(rows.some((r) => r.length !== header!.length)).toBe(true);
    expect(rows.some((r) => r[0] === 'not-a-date')).toBe(true);
    const expected = s.expectedStatsRows({ statType: 'calls', exportType: 'records', fromDate: '2025-03-11', toDate: '2025-03-11', timezone: 'UTC' });
    expect(good.map((r) => r[1])).toEqual(expected.map((r) => r.call_id));
  });
});

describe('rate limits', () => {
  it('answers the 4th POST within the window with 429 (no Retry-After) and counts a violation', async () => {
    const s = await start({ rateLimits: { 'stats.create': [[3, 2]] } });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof api>> | null = null;
    for (let i = 1; i <= 4; i++) {
      last = await api(s, '/api/v2/stats', { method: 'POST', body: { export_type: 'records', stat_type: 'calls', days_ago_start: i, days_ago_end: i } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last!.json.error.errors[0].reason).toBe('rateLimitExceeded');
    expect(last!.headers.get('retry-after')).toBeNull();
    expect(s.rateLimitViolations).toBe(1);
  });

  it('injected 429s carry Retry-After and are not violations', async () => {
    const s = await start();
    s.addFaults({ inject429: [{ operationId: 'company.get', retryAfterSeconds: 3 }], inject5xx: [{ operationId: '*', status: 503 }] });
    const r = await api(s, '/api/v2/company');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('3');
    expect((await api(s, '/api/v2/offices')).status).toBe(503);
    expect((await api(s, '/api/v2/company')).status).toBe(200);
    expect(s.rateLimitViolations).toBe(0);
    expect(s.log.map((e) => e.injected)).toEqual([true, true, false]);
  });
});

describe('WFM metrics', () => {
  it('rejects windows of 7 days or more and pages agent items with a cursor', async () => {
    const s = await start();
    const q = (start: string, end: string, extra = ''): string => `?start=${start}&end=${end}${extra}`;
    expect((await api(s, `/api/v2/wfm/metrics/agent${q('2025-03-01T00:00:00Z', '2025-03-08T00:00:00Z')}`)).status).toBe(400);
    expect((await api(s, `/api/v2/wfm/metrics/agent${q('2025-03-02T00:00:00Z', '2025-03-01T00:00:00Z')}`)).status).toBe(400);
    expect((await api(s, `/api/v2/wfm/metrics/agent${q('yesterday', '2025-03-01T00:00:00Z')}`)).status).toBe(400);

    const items: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await api(s, `/api/v2/wfm/metrics/agent${q('2025-03-01T00:00:00Z', '2025-03-07T23:59:59Z', cursor ? `&cursor=${encodeURIComponent(cursor)}` : '')}`);
      expect(r.status).toBe(200);
      expect(r.json.items.length).toBeLessThanOrEqual(5);
      items.push(...r.json.items);
      cursor = r.json.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
    expect(items).toEqual(s.expectedWfmAgentItems({ startUtc: '2025-03-01T00:00:00Z', endUtc: '2025-03-07T23:59:59Z' }));
    expect(items).toHaveLength(7 * 6);
  });

  it('activity needs ids or emails, has no agent field, and follows the adherence shape', async () => {
    const s = await start();
    const base = '/api/v2/wfm/metrics/activity?start=2025-03-03T00:00:00Z&end=2025-03-04T00:00:00Z';
    expect((await api(s, base)).json.error.message).toBe('ids or emails required');
    const email = (s.directory().users[0] as { emails: string[] }).emails[0]!;
    const r = await api(s, `${base}&emails=${encodeURIComponent(email.toUpperCase())}`);
    expect(r.status).toBe(200);
    expect(r.json.items[0].agent).toBeUndefined();
    expect(r.json.items[0].time_in_adherence).toEqual({ percentage: expect.any(Number), seconds: expect.any(Number) });
    expect(r.json.items).toEqual(s.expectedWfmActivityItems({ startUtc: '2025-03-03T00:00:00Z', endUtc: '2025-03-04T00:00:00Z', agentEmail: email }).slice(0, 10));
    s.setWfmShape('seconds');
    const r2 = await api(s, `${base}&emails=${encodeURIComponent(email)}`);
    expect(typeof r2.json.items[0].time_in_adherence).toBe('number');
  });
});

describe('digital sessions', () => {
  async function listAll(s: Simulator, start: string, end: string): Promise<any[]> {
    const out: any[] = [];
    let cursor: string | null = null;
    do {
      const r = await api(s, `/api/v2/digital/sessionsdata?start_date=${start}&end_date=${end}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      out.push(...(r.json.items ?? []));
      cursor = r.json.cursor;
    } while (cursor);
    return out;
  }

  it('returns a session straddling a boundary in both adjacent windows', async () => {
    const s = await start();
    const all = s.expectedDigitalSessions({ startUtc: '2025-03-02T00:00:00Z', endUtc: '2025-03-08T00:00:00Z' }) as any[];
    const straddler = all.find((x) => x.ended_at && x.created_at.slice(0, 10) !== x.ended_at.slice(0, 10) && x.created_at >= '2025-03-03')!;
    expect(straddler).toBeDefined();
    const boundary = `${straddler.ended_at.slice(0, 10)}T00:00:00Z`;
    const before = new Date(Date.parse(boundary) - 3 * 86_400_000).toISOString();
    const after = new Date(Date.parse(boundary) + 3 * 86_400_000).toISOString();
    const first = await listAll(s, before, boundary);
    const second = await listAll(s, boundary, after);
    expect(first.map((x) => x.session_id)).toContain(straddler.session_id);
    expect(second.map((x) => x.session_id)).toContain(straddler.session_id);
    expect(typeof straddler.duration).toBe('number');
    expect(straddler.wrap_up_time).toMatch(/^\d+$/);
    expect(straddler.queue_time).toMatch(/^\d+$/);
  });

  it('enforces the 7-day rule and the OAuth scope', async () => {
    const s = await start();
    expect((await api(s, '/api/v2/digital/sessionsdata?start_date=2025-03-01T00:00:00Z&end_date=2025-03-08T00:00:00Z')).status).toBe(400);
    expect((await api(s, '/api/v2/digital/sessionsdata?start_date=2025-03-01T00:00:00%2B04:00&end_date=2025-03-07T00:00:00Z')).status).toBe(200);
    await s.close();
    const noScope = await start({ digitalScope: false });
    expect((await api(noScope, '/api/v2/digital/sessionsdata?start_date=2025-03-01T00:00:00Z&end_date=2025-03-02T00:00:00Z')).status).toBe(403);
  });
});

describe('scorecards export', () => {
  it('goes through the same lifecycle and matches expectedScorecardRows', async () => {
    const s = await start({ export: { processingPolls: 1 } });
    const post = await api(s, '/api/v2/scorecards/export', { method: 'POST', body: { scorecards_type: 'scorecard_export_calls', days_ago_start: 1, days_ago_end: 5 } });
    expect(post.json).toEqual({ request_id: expect.any(String), status: 'processing' });
    expect((await api(s, `/api/v2/scorecards/export/${post.json.request_id}`)).json).toMatchObject({ status: 'processing', reason: 'processing' });
    const done = (await api(s, `/api/v2/scorecards/export/${post.json.request_id}`)).json;
    expect(done).toMatchObject({ status: 'complete', file_type: 'csv', reason: 'done' });
    const rows = await downloadRows(done.download_url);
    expect(rows).toEqual(s.expectedScorecardRows({ scorecardsType: 'scorecard_export_calls', fromDate: '2025-03-07', toDate: '2025-03-11', timezone: 'UTC' }));
    expect(rows.length).toBeGreaterThan(0);
  });
});
