/**
 * Call generation. A call (conversation) is a pure function of (seed, UTC day, index), so any
 * call can be regenerated on its own and exports can stream day by day without holding data.
 *
 * Calls start uniformly over the UTC day (call i in slot i of callsPerDay slots), which is what
 * makes the same call fall on different local dates depending on the export's timezone.
 *
 * Each call produces one or more legs (the rows of a calls/records export):
 * - call-center calls: an entry-point leg (target_kind CallCenter) plus agent legs whose
 *   entry_point_call_id / master_call_id point back at the entry leg;
 * - direct inbound and outbound calls: a single UserProfile leg.
 */
import type { CallCenter, Directory, User } from './directory.js';
import { rngFor, structuredId, type Rng } from './prng.js';
import { DAY_MS, HOUR_MS, utcDay } from './time.js';
import type { DataShape } from './types.js';

/** Everything generation needs. */
export interface GenContext {
  readonly seed: number;
  readonly dir: Directory;
  readonly shape: DataShape;
}

/** What happened on one leg, used for aggregation. */
export type LegOutcome =
  | 'answered'
  | 'ring_no_answer'
  | 'abandoned'
  | 'missed'
  | 'spam'
  | 'outbound_connected'
  | 'cancelled';

/** What happened to the conversation as a whole. */
export type ConvOutcome =
  | 'answered'
  | 'missed'
  | 'abandoned'
  | 'short_abandoned'
  | 'spam'
  | 'outbound_connected'
  | 'cancelled';

export interface CallLeg {
  readonly callId: string;
  readonly masterCallId: string;
  /** '' on the entry-point leg (the conversation's first leg), the entry leg's call_id on the others. */
  readonly entryPointCallId: string;
  readonly isEntry: boolean;
  readonly user: User | null;
  readonly callCenter: CallCenter | null;
  readonly officeId: string;
  readonly departmentId: string | null;
  readonly direction: 'inbound' | 'outbound';
  readonly category: string;
  readonly categories: string;
  readonly isInternal: boolean;
  readonly externalNumber: string;
  readonly internalNumber: string;
  readonly startMs: number;
  readonly queuedMs: number | null;
  readonly rangMs: number | null;
  readonly firstRangMs: number | null;
  readonly connectedMs: number | null;
  readonly endedMs: number;
  readonly ttaSec: number | null;
  readonly talkSec: number | null;
  readonly ringSec: number;
  readonly ringOcc: number;
  readonly holdSec: number;
  readonly holdOcc: number;
  readonly queuedSec: number;
  readonly queuedOcc: number;
  readonly wrapupSec: number;
  readonly voicemail: boolean;
  readonly wasRecorded: boolean;
  readonly transferredTo: string;
  readonly transferredFromTargetId: string;
  readonly device: string;
  readonly availability: string;
  readonly participantType: string;
  readonly aiPercents: readonly [number, number, number] | null;
  readonly campaignId: string;
  readonly mosScore: string;
  readonly outcome: LegOutcome;
  /** Ordinal of the leg within its UTC day (drives DataShape.malformedEvery). */
  readonly seqInDay: number;
}

export interface SimCall {
  readonly day: number;
  readonly index: number;
  readonly startMs: number;
  readonly kind: 'cc' | 'direct' | 'outbound';
  readonly outcome: ConvOutcome;
  readonly legs: ReadonlyArray<CallLeg>;
  readonly callCenter: CallCenter | null;
  /** Conversation went to voicemail; voicemailSec is the message length. */
  readonly voicemail: boolean;
  readonly voicemailSec: number;
  /** Agent leg that handled the conversation (answered or outbound connected), if any. */
  readonly handledLeg: CallLeg | null;
}

/** call_id of leg `leg` of call (day, index): unique by construction. */
export function callIdOf(seed: number, day: number, index: number, leg: number): string {
  return structuredId(5, seed, `${String(day).padStart(5, '0')}${String(index).padStart(7, '0')}${leg}`);
}

function externalNumber(rng: Rng): string {
  const r = rng.next();
  if (r < 0.02) return ''; // blocked caller id: an empty value the loader must accept
  if (r < 0.7) return `+1${rng.int(201, 989)}${rng.int(2000000, 9999999)}`;
  if (r < 0.9) return `+4930${rng.int(1000000, 9999999)}`;
  return `+81${rng.int(300000000, 999999999)}`;
}

function pickDevice(rng: Rng): string {
  return rng.pick(['desktop', 'mobile', 'deskphone', 'web']);
}

/** Mutable leg under construction; frozen into CallLeg by the caller. */
type LegDraft = { -readonly [K in keyof CallLeg]: CallLeg[K] };

function baseLeg(partial: Partial<LegDraft> & Pick<LegDraft, 'callId' | 'officeId' | 'startMs' | 'endedMs' | 'outcome'>): LegDraft {
  return {
    masterCallId: partial.callId,
    entryPointCallId: '',
    isEntry: true,
    user: null,
    callCenter: null,
    departmentId: null,
    direction: 'inbound',
    category: 'incoming',
    categories: '',
    isInternal: false,
    externalNumber: '',
    internalNumber: '',
    queuedMs: null,
    rangMs: null,
    firstRangMs: null,
    connectedMs: null,
    ttaSec: null,
    talkSec: null,
    ringSec: 0,
    ringOcc: 0,
    holdSec: 0,
    holdOcc: 0,
    queuedSec: 0,
    queuedOcc: 0,
    wrapupSec: 0,
    voicemail: false,
    wasRecorded: false,
    transferredTo: '',
    transferredFromTargetId: '',
    device: '',
    availability: 'open',
    participantType: 'user',
    aiPercents: null,
    campaignId: '',
    mosScore: '',
    seqInDay: 0,
    ...partial,
  };
}

/** Quality details of a connected leg (recording, AI talk split, MOS). */
function connectedExtras(rng: Rng, leg: LegDraft): void {
  leg.wasRecorded = rng.chance(0.3);
  if (leg.wasRecorded) {
    const talk = rng.int(20, 70);
    const listen = rng.int(10, 100 - talk);
    leg.aiPercents = [talk, listen, 100 - talk - listen];
  }
  leg.mosScore = (3.5 + rng.next() * 1.0).toFixed(2);
}

/** Start instant of call (day, index); slot-based so calls are ordered by index within a day. */
function startOf(rng: Rng, day: number, index: number, perDay: number): number {
  const offset = ((index + rng.next()) * DAY_MS) / perDay;
  return day * DAY_MS + Math.floor(offset / 1000) * 1000;
}

/** Shared state while one call's legs are generated. */
interface CallDraft {
  readonly seed: number;
  readonly dir: Directory;
  readonly rng: Rng;
  readonly day: number;
  readonly index: number;
  readonly startMs: number;
  readonly ext: string;
  readonly legs: LegDraft[];
  readonly nextId: () => string;
}

/** What a conversation builder decided beyond its legs. */
interface CallResult {
  readonly outcome: ConvOutcome;
  readonly voicemail: boolean;
  readonly voicemailSec: number;
  readonly callCenter: CallCenter | null;
  readonly handled: LegDraft | null;
}

/** Call-center conversation: entry leg + agent legs (rings, answer, optional transfer). */
function ccConversation(g: CallDraft, cc: CallCenter): CallResult {
  const { rng, startMs, ext, legs, nextId, dir } = g;
  let outcome: ConvOutcome;
  let voicemail = false;
  let voicemailSec = 0;
  let handled: LegDraft | null = null;
  const agents = dir.ccAgents.get(cc.id) ?? [];
  const entryId = nextId();
  const queuedMs = startMs + rng.int(3, 12) * 1000;
  const entry = baseLeg({
    callId: entryId,
    officeId: cc.officeId,
    startMs,
    endedMs: startMs,
    outcome: 'missed',
    callCenter: cc,
    externalNumber: ext,
    internalNumber: cc.phone,
    participantType: 'callcenter',
  });
  legs.push(entry);
  const agentLeg = (agent: User, ringStart: number, ringSec: number, o: LegOutcome): LegDraft => {
    const leg = baseLeg({
      callId: nextId(),
      officeId: agent.officeId,
      startMs: ringStart,
      endedMs: ringStart + ringSec * 1000,
      outcome: o,
      masterCallId: entryId,
      entryPointCallId: entryId,
      isEntry: false,
      user: agent,
      callCenter: cc,
      departmentId: agent.departmentId,
      externalNumber: ext,
      internalNumber: agent.phone,
      rangMs: ringStart,
      ringSec,
      ringOcc: 1,
      device: pickDevice(rng),
      participantType: 'agent',
    });
    legs.push(leg);
    return leg;
  };
  const o = rng.next();
  if (o < 0.03 || agents.length === 0) {
    outcome = agents.length === 0 && o >= 0.03 ? 'missed' : 'spam';
    entry.endedMs = startMs + rng.int(2, 8) * 1000;
    entry.category = 'missed';
    entry.categories = outcome === 'spam' ? 'missed,spam,inbound' : 'missed,unanswered,inbound';
    entry.outcome = outcome === 'spam' ? 'spam' : 'missed';
  } else if (o < 0.15) {
    const queueSec = o < 0.07 ? rng.int(1, 9) : rng.int(10, 300);
    outcome = queueSec < 10 ? 'short_abandoned' : 'abandoned';
    entry.queuedMs = queuedMs;
    entry.queuedSec = queueSec;
    entry.queuedOcc = 1;
    entry.endedMs = queuedMs + queueSec * 1000;
    entry.category = 'abandoned';
    entry.categories = outcome === 'short_abandoned' ? 'abandoned,short_abandoned,unanswered,inbound' : 'abandoned,unanswered,inbound';
    entry.outcome = 'abandoned';
    if (outcome === 'abandoned' && rng.chance(0.5)) {
      // An agent was ringing when the caller gave up.
      const ringSec = Math.min(queueSec - 2, rng.int(3, 20));
      const leg = agentLeg(rng.pick(agents), entry.endedMs - ringSec * 1000, ringSec, 'abandoned');
      leg.category = 'abandoned';
      leg.categories = 'abandoned,unanswered,inbound';
      entry.firstRangMs = leg.rangMs;
      leg.firstRangMs = leg.rangMs;
    }
  } else if (o < 0.25) {
    outcome = 'missed';
    const queueSec = rng.int(20, 120);
    entry.queuedMs = queuedMs;
    entry.queuedSec = queueSec;
    entry.queuedOcc = 1;
    let t = queuedMs + 5000;
    const ringers = rng.int(1, Math.min(2, agents.length));
    const firstRang = t;
    const base = rng.int(0, agents.length - 1);
    for (let k = 0; k < ringers; k++) {
      const ringSec = rng.int(15, 30);
      const leg = agentLeg(agents[(base + k) % agents.length]!, t, ringSec, 'ring_no_answer');
      leg.category = 'missed';
      leg.categories = 'missed,ring_no_answer,inbound';
      leg.firstRangMs = firstRang;
      t += ringSec * 1000 + 1000;
    }
    entry.firstRangMs = firstRang;
    voicemail = rng.chance(0.6);
    voicemailSec = voicemail ? rng.int(10, 90) : 0;
    entry.voicemail = voicemail;
    entry.endedMs = Math.max(t, queuedMs + queueSec * 1000) + voicemailSec * 1000;
    entry.category = 'missed';
    entry.categories = voicemail ? 'missed,unanswered,voicemail,inbound' : 'missed,unanswered,inbound';
    entry.outcome = 'missed';
  } else {
    outcome = 'answered';
    // Most callers are picked up quickly; some wait (drives service_level and asa).
    const queueSec = rng.chance(0.6) ? rng.int(0, 6) : rng.int(7, 90);
    entry.queuedMs = queuedMs;
    entry.queuedSec = queueSec;
    entry.queuedOcc = 1;
    let t = queuedMs + queueSec * 1000;
    const firstRang = t;
    const answerer = rng.pick(agents);
    if (agents.length > 1 && rng.chance(0.3)) {
      const other = rng.pick(agents.filter((a) => a.id !== answerer.id));
      const ringSec = rng.int(15, 25);
      const leg = agentLeg(other, t, ringSec, 'ring_no_answer');
      leg.category = 'missed';
      leg.categories = 'missed,ring_no_answer,inbound';
      leg.firstRangMs = firstRang;
      t += ringSec * 1000 + 1000;
    }
    const ringSec = rng.int(3, 12);
    const ans = agentLeg(answerer, t, ringSec, 'answered');
    ans.firstRangMs = firstRang;
    ans.connectedMs = t + ringSec * 1000;
    ans.ttaSec = (ans.connectedMs - startMs) / 1000;
    const talkSec = rng.int(30, 1200);
    ans.talkSec = talkSec;
    ans.endedMs = ans.connectedMs + talkSec * 1000;
    ans.category = 'incoming';
    ans.categories = 'answered,inbound';
    if (rng.chance(0.2)) {
      ans.holdSec = rng.int(10, 180);
      ans.holdOcc = rng.int(1, 2);
    }
    ans.wrapupSec = rng.int(0, 60);
    connectedExtras(rng, ans);
    handled = ans;
    let endMs = ans.endedMs;
    const others = agents.filter((a) => a.id !== answerer.id);
    if (others.length > 0 && rng.chance(0.1)) {
      const to = rng.pick(others);
      ans.transferredTo = to.displayName;
      ans.categories = 'answered,transferred_to,inbound';
      const tRing = rng.int(3, 8);
      const tr = agentLeg(to, ans.endedMs, tRing, 'answered');
      tr.firstRangMs = firstRang;
      tr.connectedMs = ans.endedMs + tRing * 1000;
      tr.ttaSec = tRing;
      tr.talkSec = rng.int(30, 600);
      tr.endedMs = tr.connectedMs + tr.talkSec * 1000;
      tr.transferredFromTargetId = answerer.id;
      tr.categories = 'answered,transferred_from,inbound';
      tr.wrapupSec = rng.int(0, 60);
      connectedExtras(rng, tr);
      endMs = tr.endedMs;
    }
    entry.firstRangMs = firstRang;
    entry.connectedMs = ans.connectedMs;
    entry.ttaSec = ans.ttaSec;
    entry.endedMs = endMs;
    entry.talkSec = (endMs - ans.connectedMs) / 1000;
    entry.category = 'incoming';
    entry.categories = 'answered,inbound';
    entry.outcome = 'answered';
  }
  for (const leg of legs) {
    leg.entryPointCallId = leg.isEntry ? '' : entryId;
  }
  return { outcome, voicemail, voicemailSec, callCenter: cc, handled };
}

/** Single-leg conversation: direct inbound to a user, or outbound. */
function singleLegConversation(g: CallDraft, kindR: number): CallResult {
  const { seed, dir, rng, day, startMs, ext, legs, nextId } = g;
  let outcome: ConvOutcome;
  let voicemail = false;
  let voicemailSec = 0;
  let handled: LegDraft | null = null;
  const user = rng.pick(dir.agents);
  const inbound = kindR < 0.75;
  const ringSec = inbound ? rng.int(5, 25) : rng.int(3, 30);
  const leg = baseLeg({
    callId: nextId(),
    officeId: user.officeId,
    startMs,
    endedMs: startMs + ringSec * 1000,
    outcome: inbound ? 'missed' : 'cancelled',
    user,
    departmentId: user.departmentId,
    direction: inbound ? 'inbound' : 'outbound',
    internalNumber: user.phone,
    externalNumber: ext,
    rangMs: startMs,
    firstRangMs: startMs,
    ringSec,
    ringOcc: 1,
    device: pickDevice(rng),
    participantType: 'user',
  });
  legs.push(leg);
  const connected = rng.chance(inbound ? 0.8 : 0.75);
  if (!inbound && rng.chance(0.05) && dir.agents.length > 1) {
    const colleague = dir.agents.find((a) => a.id !== user.id)!;
    leg.isInternal = true;
    leg.externalNumber = colleague.phone;
  }
  if (!inbound && rng.chance(0.1)) leg.campaignId = structuredId(6, seed, `${String(day).padStart(5, '0')}00000000`);
  if (connected) {
    leg.connectedMs = startMs + ringSec * 1000;
    leg.ttaSec = ringSec;
    leg.talkSec = rng.int(20, 1500);
    leg.endedMs = leg.connectedMs + leg.talkSec * 1000;
    if (rng.chance(0.15)) {
      leg.holdSec = rng.int(5, 120);
      leg.holdOcc = 1;
    }
    leg.wrapupSec = rng.int(0, 30);
    connectedExtras(rng, leg);
    leg.outcome = inbound ? 'answered' : 'outbound_connected';
    leg.category = inbound ? 'incoming' : 'outgoing';
    leg.categories = inbound ? 'answered,inbound' : 'answered,outbound';
    outcome = inbound ? 'answered' : 'outbound_connected';
    handled = leg;
  } else if (inbound) {
    voicemail = rng.chance(0.7);
    voicemailSec = voicemail ? rng.int(5, 120) : 0;
    leg.voicemail = voicemail;
    leg.endedMs += voicemailSec * 1000;
    leg.category = 'missed';
    leg.categories = voicemail ? 'missed,unanswered,voicemail,inbound' : 'missed,unanswered,inbound';
    outcome = 'missed';
  } else {
    leg.category = 'outgoing';
    leg.categories = 'cancelled,unanswered,outbound';
    outcome = 'cancelled';
  }
  return { outcome, voicemail, voicemailSec, callCenter: null, handled };
}

/**
 * Generates call `index` of UTC day `day`. `seqStart` is the ordinal of its first leg within the
 * day (only meaningful when iterating a day from index 0, see dayCalls()).
 */
export function generateCall(ctx: GenContext, day: number, index: number, seqStart = 0): SimCall {
  const { seed, dir } = ctx;
  const rng = rngFor(seed, 'call', day, index);
  const startMs = startOf(rng, day, index, Math.max(1, ctx.shape.callsPerDay));
  const kindR = rng.next();
  const ext = externalNumber(rng);
  const legs: LegDraft[] = [];
  let legNo = 0;
  const g: CallDraft = { seed, dir, rng, day, index, startMs, ext, legs, nextId: () => callIdOf(seed, day, index, legNo++) };
  const { outcome, voicemail, voicemailSec, callCenter, handled } =
    kindR < 0.6 && dir.callCenters.length > 0 ? ccConversation(g, rng.pick(dir.callCenters)) : singleLegConversation(g, kindR);

  const frozen: CallLeg[] = legs.map((l, k) => ({ ...l, seqInDay: seqStart + k }));
  const handledLeg = handled === null ? null : (frozen[legs.indexOf(handled)] ?? null);
  return {
    day,
    index,
    startMs,
    kind: callCenter ? 'cc' : legs[0]!.direction === 'inbound' ? 'direct' : 'outbound',
    outcome,
    legs: frozen,
    callCenter,
    voicemail,
    voicemailSec,
    handledLeg,
  };
}

/** All calls of one UTC day, in index order, with leg ordinals counted from the day's first leg. */
export function* dayCalls(ctx: GenContext, day: number): Generator<SimCall> {
  let seq = 0;
  const n = Math.max(0, Math.floor(ctx.shape.callsPerDay));
  for (let i = 0; i < n; i++) {
    const call = generateCall(ctx, day, i, seq);
    seq += call.legs.length;
    yield call;
  }
}

/** Legs start at most this long after their call (queue + rings + talk before a transfer). */
export const MAX_LEG_DELAY_MS = HOUR_MS;

/**
 * Calls that may have a leg starting in [fromMs, toMs). Whole UTC days are generated from index 0
 * (so leg ordinals are exact); callers filter legs by their own start instant.
 */
export function* callsOverlapping(ctx: GenContext, fromMs: number, toMs: number): Generator<SimCall> {
  if (toMs <= fromMs) return;
  const firstDay = utcDay(fromMs - MAX_LEG_DELAY_MS);
  const lastDay = utcDay(toMs - 1);
  for (let day = firstDay; day <= lastDay; day++) {
    for (const call of dayCalls(ctx, day)) {
      if (call.startMs >= toMs) break;
      if (call.startMs + MAX_LEG_DELAY_MS < fromMs) continue;
      yield call;
    }
  }
}
