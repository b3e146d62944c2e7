/**
 * Scorecards export contents. Dialpad documents no columns for these files, so they are
 * invented (plausibly) per scorecards_type. Graded calls are real generated calls: per UTC day
 * about callsPerDay/10 calls are picked by index (random access into the call generator) and
 * graded if an agent handled them.
 */
import { generateCall, type CallLeg, type GenContext } from './calls.js';
import { table, validRows, type CsvTable } from './csv.js';
import type { CallCenter, User } from './directory.js';
import { rngFor } from './prng.js';
import { inScope, type ExportScope } from './scope.js';
import { legAttrs } from './stats-records.js';
import { DAY_MS, HOUR_MS, LocalFormatter, utcDay } from './time.js';
import type { ScorecardsType } from './types.js';

export const SCORECARDS_TYPES: ReadonlyArray<ScorecardsType> = [
  'scorecard_export_agent_leaderboard',
  'scorecard_export_calls',
  'scorecard_export_calls_questions',
  'scorecard_export_leaderboard',
  'scorecard_export_teamgroup_leaderboard',
];

export interface Scorecard {
  readonly id: string;
  readonly name: string;
  readonly questions: ReadonlyArray<{ readonly id: string; readonly text: string; readonly max: number }>;
}

export function buildScorecards(seed: number): Scorecard[] {
  const rng = rngFor(seed, 'scorecards');
  const id = (): string => String(4_100_000_000_000_000 + Math.floor(rng.next() * 1e15));
  const defs: Array<[string, Array<[string, number]>]> = [
    ['Quality, "Core" v2', [['Greeted the caller by name?', 5], ['Verified identity, per policy', 10], ['Resolved the "real" issue', 10]]],
    ['Compliance ✓', [['Read the disclosure\nverbatim?', 10], ['Avoided promises, discounts, etc.', 5]]],
    ['Onboarding Calls', [['Explained next steps', 5], ['Empathy (1–5)', 5], ['Booked follow-up?', 5]]],
  ];
  return defs.map(([name, qs]) => ({ id: id(), name, questions: qs.map(([text, max]) => ({ id: id(), text, max })) }));
}

export interface Grade {
  readonly leg: CallLeg;
  readonly agent: User;
  readonly team: CallCenter | null;
  readonly scorecard: Scorecard;
  readonly grader: User;
  readonly gradedMs: number;
  readonly callMs: number;
  readonly scores: ReadonlyArray<number>;
  readonly answers: ReadonlyArray<string>;
  readonly aiGraded: boolean;
}

export interface ScorecardSpec {
  readonly type: ScorecardsType;
  /** Call-date scope (also carries timezone and target). */
  readonly scope: ExportScope;
  /** When false (only graded_days_ago_* given) the call date is not filtered. */
  readonly filterCallDate: boolean;
  /** graded_days_ago_* range as UTC instants, if requested. */
  readonly graded: { readonly fromMs: number; readonly toMs: number } | null;
  readonly scorecardIds: ReadonlyArray<string> | null;
  readonly graderId: string | null;
}

const ANSWERS = ['Yes', 'No', 'Partially, "mostly"', 'N/A'];

/** Grades of calls started on UTC day `day`. */
function* dayGrades(ctx: GenContext, cards: ReadonlyArray<Scorecard>, day: number): Generator<Grade> {
  const n = Math.max(0, Math.floor(ctx.shape.callsPerDay));
  const g = n === 0 ? 0 : Math.max(1, Math.round(n / 10));
  const graders = ctx.dir.users.filter((u) => u.isAdmin);
  for (let k = 0; k < g; k++) {
    const rng = rngFor(ctx.seed, 'grade', day, k);
    const index = Math.min(n - 1, Math.floor(((k + rng.next()) * n) / g));
    const call = generateCall(ctx, day, index);
    const leg = call.handledLeg;
    if (!leg || !leg.user) continue;
    const agent = leg.user;
    const scorecard = rng.pick(cards);
    const grader = graders.length > 0 && rng.chance(0.7) ? rng.pick(graders) : rng.pick(ctx.dir.agents);
    const scores = scorecard.questions.map((q) => rng.int(0, q.max));
    const answers = scorecard.questions.map(() => rng.pick(ANSWERS));
    const team = call.callCenter ?? ctx.dir.ccById.get(agent.callCenterIds[0] ?? '') ?? null;
    yield {
      leg,
      agent,
      team,
      scorecard,
      grader,
      gradedMs: leg.endedMs + rng.int(1, 72) * HOUR_MS + rng.int(0, 3599) * 1000,
      callMs: call.startMs,
      scores,
      answers,
      aiGraded: rng.chance(0.25),
    };
  }
}

/** Grades matching the spec, in call order. */
export function* gradesFor(ctx: GenContext, cards: ReadonlyArray<Scorecard>, spec: ScorecardSpec): Generator<Grade> {
  const { scope } = spec;
  let first = utcDay(scope.fromMs);
  let last = utcDay(scope.toMs - 1);
  if (!spec.filterCallDate && spec.graded) {
    // Grading happens at most ~73 h after the call.
    first = utcDay(spec.graded.fromMs - 4 * DAY_MS);
    last = utcDay(spec.graded.toMs - 1);
  }
  for (let day = first; day <= last; day++) {
    for (const g of dayGrades(ctx, cards, day)) {
      if (spec.filterCallDate && (g.callMs < scope.fromMs || g.callMs >= scope.toMs)) continue;
      if (spec.graded && (g.gradedMs < spec.graded.fromMs || g.gradedMs >= spec.graded.toMs)) continue;
      if (scope.asOfMs !== null && g.gradedMs > scope.asOfMs) continue;
      if (spec.scorecardIds && !spec.scorecardIds.includes(g.scorecard.id)) continue;
      if (spec.graderId && g.grader.id !== spec.graderId) continue;
      if (!inScope(scope, legAttrs(g.leg))) continue;
      yield g;
    }
  }
}

const sum = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0);
const fixed2 = (x: number): string => (Math.round(x * 100) / 100).toFixed(2);

function aggregate<K>(grades: Iterable<Grade>, keyOf: (g: Grade) => K | null, id: (k: K) => string): Array<{ key: K; scores: number[]; pcts: number[] }> {
  const m = new Map<string, { key: K; scores: number[]; pcts: number[] }>();
  for (const g of grades) {
    const key = keyOf(g);
    if (key === null) continue;
    let e = m.get(id(key));
    if (!e) m.set(id(key), (e = { key, scores: [], pcts: [] }));
    const score = sum(g.scores);
    const max = sum(g.scorecard.questions.map((q) => q.max));
    e.scores.push(score);
    e.pcts.push((score / max) * 100);
  }
  return [...m.values()];
}

/** The CSV table of a scorecards export. */
export function scorecardTable(ctx: GenContext, cards: ReadonlyArray<Scorecard>, spec: ScorecardSpec): CsvTable {
  const fmt = new LocalFormatter(spec.scope.tz);
  const grades = (): Generator<Grade> => gradesFor(ctx, cards, spec);
  switch (spec.type) {
    case 'scorecard_export_calls':
      return table(
        ['call_id', 'scorecard_id', 'scorecard_name', 'agent_email', 'agent_name', 'grader_email', 'graded_at', 'score',
          'max_score', 'percentage', 'call_date', 'ai_graded'],
        () => validRows((function* () {
          for (const g of grades()) {
            const score = sum(g.scores);
            const max = sum(g.scorecard.questions.map((q) => q.max));
            yield [g.leg.callId, g.scorecard.id, g.scorecard.name, g.agent.email, g.agent.displayName, g.grader.email,
              fmt.dateTime(g.gradedMs), String(score), String(max), fixed2((score / max) * 100), fmt.dateTime(g.callMs),
              g.aiGraded ? 'true' : 'false'];
          }
        })()),
      );
    case 'scorecard_export_calls_questions':
      return table(
        ['call_id', 'scorecard_id', 'question_id', 'question', 'answer', 'score', 'max_score', 'agent_email', 'graded_at'],
        () => validRows((function* () {
          for (const g of grades()) {
            for (let i = 0; i < g.scorecard.questions.length; i++) {
              const q = g.scorecard.questions[i]!;
              yield [g.leg.callId, g.scorecard.id, q.id, q.text, g.answers[i] ?? '', String(g.scores[i] ?? 0), String(q.max),
                g.agent.email, fmt.dateTime(g.gradedMs)];
            }
          }
        })()),
      );
    case 'scorecard_export_agent_leaderboard':
      return table(['agent_email', 'agent_name', 'scorecards_count', 'average_score', 'percentage'], () =>
        validRows(
          aggregate(grades(), (g) => g.agent, (u) => u.id)
            .sort((a, b) => a.key.agentIndex - b.key.agentIndex)
            .map((e) => [e.key.email, e.key.displayName, String(e.scores.length), fixed2(sum(e.scores) / e.scores.length),
              fixed2(sum(e.pcts) / e.pcts.length)]),
        ));
    case 'scorecard_export_leaderboard':
      return table(['scorecard_id', 'scorecard_name', 'graded_count', 'average_score'], () =>
        validRows(
          aggregate(grades(), (g) => g.scorecard, (s) => s.id)
            .sort((a, b) => cards.indexOf(a.key) - cards.indexOf(b.key))
            .map((e) => [e.key.id, e.key.name, String(e.scores.length), fixed2(sum(e.scores) / e.scores.length)]),
        ));
    case 'scorecard_export_teamgroup_leaderboard':
      return table(['team_name', 'team_id', 'graded_count', 'average_score'], () =>
        validRows(
          aggregate(grades(), (g) => g.team, (t) => t.id)
            .sort((a, b) => ctx.dir.callCenters.indexOf(a.key) - ctx.dir.callCenters.indexOf(b.key))
            .map((e) => [e.key.name, e.key.id, String(e.scores.length), fixed2(sum(e.scores) / e.scores.length)]),
        ));
  }
}
