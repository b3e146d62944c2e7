/**
 * Export scope: which instants, which timezone, which target/office. Shared by stats and
 * scorecards exports and by the expected*() helpers, so an export and its expectation are
 * filtered by the very same code.
 */
import type { Directory } from './directory.js';
import { addDays, diffDays, localRangeUtc } from './time.js';

export type TargetKind = 'office' | 'callcenter' | 'department' | 'user' | 'other';

export interface ExportScope {
  /** Inclusive local dates. */
  readonly fromDate: string;
  readonly toDate: string;
  readonly tz: string;
  /** UTC instants [fromMs, toMs) of the local date range. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly target: { readonly id: string; readonly kind: TargetKind } | null;
  /** office_id scope; ignored when a target is given (Dialpad: "the target always overrides office_id"). */
  readonly officeId: string | null;
  /** Only records concluded at or before this instant (is_today snapshots). */
  readonly asOfMs: number | null;
}

/** Attributes of a record that scoping filters on. */
export interface ScopeAttrs {
  readonly userId: string | null;
  readonly callCenterIds: ReadonlyArray<string>;
  readonly departmentId: string | null;
  readonly officeId: string | null;
}

export function makeScope(args: {
  fromDate: string;
  toDate: string;
  tz: string;
  target?: { id: string; kind: TargetKind } | null;
  officeId?: string | null;
  asOfMs?: number | null;
}): ExportScope {
  const { fromMs, toMs } = localRangeUtc(args.fromDate, args.toDate, args.tz);
  return {
    fromDate: args.fromDate,
    toDate: args.toDate,
    tz: args.tz,
    fromMs,
    toMs,
    target: args.target ?? null,
    officeId: args.target ? null : (args.officeId ?? null),
    asOfMs: args.asOfMs ?? null,
  };
}

/** Resolves a target id against the directory (unknown ids and non-modelled types match nothing). */
export function targetOf(dir: Directory, id: string | undefined | null): { id: string; kind: TargetKind } | null {
  if (id === undefined || id === null || id === '') return null;
  const k = dir.byId.get(id)?.kind;
  if (k === 'office' || k === 'callcenter' || k === 'department' || k === 'user') return { id, kind: k };
  return { id, kind: 'other' };
}

export function inScope(scope: ExportScope, a: ScopeAttrs): boolean {
  const t = scope.target;
  if (t) {
    switch (t.kind) {
      case 'office':
        return a.officeId === t.id;
      case 'callcenter':
        return a.callCenterIds.includes(t.id);
      case 'department':
        return a.departmentId === t.id;
      case 'user':
        return a.userId === t.id;
      default:
        return false;
    }
  }
  if (scope.officeId !== null) return a.officeId === scope.officeId;
  return true;
}

/** True when instant `ms` is inside the scope's local date range. */
export function inRange(scope: ExportScope, ms: number): boolean {
  return ms >= scope.fromMs && ms < scope.toMs;
}

/** The inclusive list of local dates of the scope. */
export function scopeDates(scope: ExportScope): string[] {
  const out: string[] = [];
  const n = diffDays(scope.fromDate, scope.toDate);
  for (let i = 0; i <= n; i++) out.push(addDays(scope.fromDate, i));
  return out;
}
