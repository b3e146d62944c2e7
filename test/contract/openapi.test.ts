/**
 * Our encoded API facts against Dialpad's official OpenAPI spec, read from ../shared/dialpad-openapi when it is
 * present (developer machines and CI have it; a user's checkout does not, and then this file says so and skips).
 * The spec is never copied into the project: endpoints.ts and the stream declarations carry the facts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../src/extract/endpoints.js';
import { STREAMS } from '../../src/streams/index.js';

const SPEC = path.resolve(__dirname, '../../../shared/dialpad-openapi/relevant-excerpt.json');
const FULL = path.resolve(__dirname, '../../../shared/dialpad-openapi/ZANYANBU__eesa-plugin-dialpad@4719c11197c33f86456499d506e576ccadf79150/spec/dialpad-openapi.json');
const present = fs.existsSync(SPEC) && fs.existsSync(FULL);
if (!present) {
  console.warn(`[contract] SKIPPED: Dialpad OpenAPI spec not found at ${SPEC} (it lives in ../shared beside the project on developer machines and CI)`);
}

interface Op {
  readonly operationId: string;
  readonly description?: string;
  readonly 'x-ratelimit'?: ReadonlyArray<readonly [number, number]>;
  readonly requestBody?: { readonly content: Record<string, { readonly schema: { readonly $ref: string } }> };
}
type Spec = { readonly paths: Record<string, Record<string, Op>>; readonly components: { readonly schemas: Record<string, { properties: Record<string, { enum?: string[]; type?: unknown }> }> } };

describe.skipIf(!present)('contract with the official OpenAPI spec (2026-07-10 copy)', () => {
  const full = present ? (JSON.parse(fs.readFileSync(FULL, 'utf8')) as Spec) : null;
  const schemas = full?.components.schemas ?? {};
  const find = (id: string): { path: string; method: string; op: Op } | undefined => {
    for (const [p, methods] of Object.entries(full!.paths)) for (const [m, op] of Object.entries(methods)) if (op.operationId === id) return { path: p, method: m.toUpperCase(), op };
    return undefined;
  };

  it('every operation we call exists with our path and method, and our limit is its documented one', () => {
    for (const ours of Object.values(OPERATIONS)) {
      const theirs = find(ours.id);
      expect(theirs, ours.id).toBeDefined();
      expect(theirs!.path, ours.id).toBe(ours.path);
      expect(theirs!.method, ours.id).toBe(ours.method);
      const m = /Rate limit: (\d+) per (minute|hour)/.exec(theirs!.op.description ?? '');
      expect(m, `${ours.id} documents its limit`).not.toBeNull();
      const windowMs = m![2] === 'hour' ? 3_600_000 : 60_000;
      expect(ours.limits, ours.id).toEqual([{ count: Number(m![1]), windowMs }]);
    }
  });

  it('stats stream requests use values the ProcessStatsMessage enums allow', () => {
    const props = schemas['protos.stats.ProcessStatsMessage']!.properties;
    for (const s of STREAMS) {
      if (s.kind !== 'export' || s.family !== 'stats') continue;
      expect(props['stat_type']!.enum, s.name).toContain(s.request.stat_type);
      expect(props['export_type']!.enum, s.name).toContain(s.request.export_type);
      if (s.request.group_by) expect(props['group_by']!.enum, s.name).toContain(s.request.group_by);
    }
    for (const field of ['days_ago_start', 'days_ago_end', 'timezone', 'target_id', 'target_type']) expect(props, field).toHaveProperty(field);
    expect(props['target_type']!.enum).toContain('callcenter');
  });

  it('scorecards stream requests use scorecards_type values the spec allows', () => {
    const props = schemas['protos.scorecards.ProcessScorecardsMessage']!.properties;
    for (const s of STREAMS) {
      if (s.kind === 'export' && s.family === 'scorecards') expect(props['scorecards_type']!.enum, s.name).toContain(s.request.scorecards_type);
    }
  });

  it('WFM and digital sessions take the query parameters we send', () => {
    const params = (id: string) => ((find(id)!.op as unknown as { parameters: Array<{ name: string }> }).parameters ?? []).map((p) => p.name);
    expect(params('wfm-metrics-agent.get')).toEqual(expect.arrayContaining(['start', 'end', 'cursor']));
    expect(params('wfm-metrics-activity.get')).toEqual(expect.arrayContaining(['start', 'end', 'cursor', 'emails']));
    expect(params('digital.sessionsdata.list')).toEqual(expect.arrayContaining(['start_date', 'end_date', 'cursor']));
  });
});
