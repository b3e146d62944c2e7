/**
 * Digital sessions (GET /api/v2/digital/sessionsdata). Customer sessions are generated per UTC
 * day; each yields a bot session and/or an agent session. Some agent sessions (email, long
 * chats) last many hours, so they straddle window boundaries: the endpoint returns sessions that
 * STARTED OR ENDED within [start, end), hence such a session appears in two adjacent windows.
 *
 * Sessions are clock-aware: a session created after now() does not exist yet, and one that
 * ends after now() is still open (ended_at, duration, cause and wrap_up_time null).
 *
 * Units follow §6.2: duration is a number in ms, bot_time/queue_time numeric strings in ms,
 * wrap_up_time a numeric string in SECONDS.
 */
import type { CallCenter, Department, Directory, User } from './directory.js';
import { rngFor, structuredId } from './prng.js';
import { DAY_MS, HOUR_MS, utcDay } from './time.js';

export const DIGITAL_MAX_WINDOW_MS = 7 * DAY_MS;

interface Session {
  readonly id: string;
  readonly createdMs: number;
  readonly endedMs: number;
  readonly item: (nowMs: number) => Record<string, unknown>;
  readonly targetType: 'callcenter' | 'department';
  readonly targetId: string;
  readonly officeId: string;
}

const CUSTOMERS: ReadonlyArray<readonly [string, string]> = [
  ['María-José Fernández', 'mj.fernandez@example.com'],
  ['Dr. "Bob" Brown, Jr.', 'bob@example.org'],
  ['佐藤 花子', 'hanako@example.jp'],
  ['', ''],
  ['Ólafur Arnalds', 'olafur@example.is'],
];
const CHANNELS = ['chat', 'email', 'sms', 'whatsapp', 'messenger'] as const;
const SUBJECTS = ['Re: Invoice #4411, "urgent"', 'Password reset', 'Ñoño question\nsecond line'];
const DISPOSITIONS = ['Resolved', 'Follow-up, needed', 'Spam'];
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

function sessionsOfDay(seed: number, dir: Directory, perDay: number, day: number): Session[] {
  const out: Session[] = [];
  for (let c = 0; c < perDay; c++) {
    const rng = rngFor(seed, 'digital', day, c);
    const createdMs = day * DAY_MS + Math.floor(((c + rng.next()) * DAY_MS) / perDay / 1000) * 1000;
    const channel = rng.pick(CHANNELS);
    const viaDept = dir.departments.length > 0 && rng.chance(0.2);
    const cc: CallCenter | null = viaDept ? null : rng.pick(dir.callCenters);
    const dept: Department | null = viaDept ? rng.pick(dir.departments) : null;
    const target = cc ? { id: cc.id, name: cc.name, type: 'callcenter' as const, officeId: cc.officeId } :
      { id: dept!.id, name: dept!.name, type: 'department' as const, officeId: dept!.officeId };
    const pool = cc ? (dir.ccAgents.get(cc.id) ?? []) : dir.agents.filter((a) => a.departmentId === dept!.id);
    const agent: User | null = pool.length > 0 ? rng.pick(pool) : null;
    const [custName, custEmail] = rng.pick(CUSTOMERS);
    const custPhone = `+1${rng.int(201, 989)}${rng.int(2000000, 9999999)}`;
    const customerSessionId = structuredId(8, seed, `${pad(day, 5)}${pad(c, 6)}00`);
    const customer = { id: structuredId(8, seed, `${pad(day, 5)}${pad(c, 6)}99`), name: custName || null, email: custEmail || null, phone: custPhone };
    const channelInfo = channel === 'email' ? { ...customer, phone: null } : { ...customer, email: null };
    const account = { id: structuredId(8, seed, `0000000000${pad(CHANNELS.indexOf(channel), 3)}`), name: `Support ${channel}`,
      email: channel === 'email' ? `support@${dir.company.domain}` : null, phone: channel === 'email' ? null : '+18005550100' };
    const office = dir.officeById.get(target.officeId);
    const hasBot = (channel === 'chat' || channel === 'messenger' || channel === 'whatsapp') && rng.chance(0.5);
    const botSec = hasBot ? rng.int(30, 300) : 0;
    const transferred = !hasBot || (agent !== null && rng.chance(0.7));
    const direction = channel !== 'chat' && rng.chance(0.1) ? 'outbound' : 'inbound';
    const chatType = channel === 'chat' ? rng.pick(['web', 'in_app']) : null;

    const common = (nowMs: number, endedMs: number): Record<string, unknown> => {
      const open = endedMs > nowMs;
      return {
        customer_session_id: customerSessionId,
        direction,
        session_channel: channel,
        chat_type: chatType,
        email_subject: channel === 'email' ? SUBJECTS[c % SUBJECTS.length]! : null,
        customer,
        customer_channel_info: channelInfo,
        session_account: account,
        target: { id: target.id, name: target.name, type: target.type },
        office: office ? { id: office.id, name: office.name } : null,
        ended_at: open ? null : new Date(endedMs).toISOString(),
        bot_time: hasBot ? String(botSec * 1000) : '0',
      };
    };

    if (hasBot) {
      const endedMs = createdMs + botSec * 1000;
      const tail = rngFor(seed, 'digital-bot', day, c);
      const cause = transferred ? 'transferred' : 'bot_resolved';
      const aicsat = tail.chance(0.5) ? Math.round(tail.next() * 40 + 10) / 10 : null;
      out.push({
        id: structuredId(7, seed, `${pad(day, 5)}${pad(c, 6)}00`),
        createdMs,
        endedMs,
        targetType: target.type,
        targetId: target.id,
        officeId: target.officeId,
        item: (nowMs) => {
          const open = endedMs > nowMs;
          return {
            session_id: structuredId(7, seed, `${pad(day, 5)}${pad(c, 6)}00`),
            created_at: new Date(createdMs).toISOString(),
            ...common(nowMs, endedMs),
            cause: open ? null : cause,
            duration: open ? null : botSec * 1000,
            queue_time: null,
            wrap_up_time: null,
            queued_status: null,
            agent_handled: transferred,
            agent_transfer: false,
            agent_message_count: 0,
            agent_group_id: [],
            agent_group_name: [],
            skill: null,
            disposition: [],
            aicsat_score: aicsat,
            customer_csat_score: null,
            survey_status: 'not_sent',
            user: null,
          };
        },
      });
    }
    if (transferred && agent !== null) {
      const queueSec = rng.int(5, 600);
      const createdAgent = createdMs + (botSec + queueSec) * 1000;
      const long = channel === 'email' || rng.chance(0.2);
      const durSec = long ? rng.int(2 * 3600, 20 * 3600) : rng.int(120, 3600);
      const endedMs = createdAgent + durSec * 1000;
      const wrapSec = rng.int(0, 300);
      const msgs = rng.int(1, 40);
      const dispo = rng.chance(0.3) ? [] : [rng.pick(DISPOSITIONS)];
      const csat = rng.chance(0.3) ? rng.int(1, 5) : null;
      const agentTransfer = rng.chance(0.1);
      const cause = rng.pick(['customer_ended', 'agent_ended', 'timeout']);
      const groups = agent.callCenterIds.map((id) => dir.ccById.get(id)).filter((g): g is CallCenter => g !== undefined);
      const id = structuredId(7, seed, `${pad(day, 5)}${pad(c, 6)}01`);
      out.push({
        id,
        createdMs: createdAgent,
        endedMs,
        targetType: target.type,
        targetId: target.id,
        officeId: target.officeId,
        item: (nowMs) => {
          const open = endedMs > nowMs;
          return {
            session_id: id,
            created_at: new Date(createdAgent).toISOString(),
            ...common(nowMs, endedMs),
            cause: open ? null : cause,
            duration: open ? null : durSec * 1000,
            queue_time: String(queueSec * 1000),
            wrap_up_time: open ? null : String(wrapSec),
            queued_status: 'answered',
            agent_handled: true,
            agent_transfer: agentTransfer,
            agent_message_count: msgs,
            agent_group_id: groups.map((g) => g.id),
            agent_group_name: groups.map((g) => g.name),
            skill: channel === 'email' ? 'billing' : null,
            disposition: dispo,
            aicsat_score: null,
            customer_csat_score: open ? null : csat,
            survey_status: open ? 'not_sent' : csat === null ? 'sent' : 'completed',
            user: { id: agent.id, display_name: agent.displayName, primary_email: agent.email },
          };
        },
      });
    }
  }
  return out;
}

export interface DigitalQuery {
  readonly startMs: number;
  readonly endMs: number;
  readonly targetId: string | null;
  readonly targetType: string | null;
}

/** Sessions that started or ended within [startMs, endMs) and exist at nowMs; ordered by created_at, then session_id. */
export function digitalItems(seed: number, dir: Directory, perDay: number, q: DigitalQuery, nowMs: number): unknown[] {
  const picked: Session[] = [];
  // Sessions last < 1 day, so anything ending in the window was created at most a day earlier.
  for (let day = utcDay(q.startMs) - 1; day <= utcDay(q.endMs - 1); day++) {
    for (const s of sessionsOfDay(seed, dir, perDay, day)) {
      if (s.createdMs > nowMs) continue;
      const startedIn = s.createdMs >= q.startMs && s.createdMs < q.endMs;
      const endedIn = s.endedMs <= nowMs && s.endedMs >= q.startMs && s.endedMs < q.endMs;
      if (!startedIn && !endedIn) continue;
      if (q.targetId !== null) {
        if (q.targetType === 'office' ? s.officeId !== q.targetId : s.targetType !== q.targetType || s.targetId !== q.targetId) continue;
      }
      picked.push(s);
    }
  }
  picked.sort((a, b) => a.createdMs - b.createdMs || a.id.localeCompare(b.id));
  return picked.map((s) => s.item(nowMs));
}

/** Longest session span, exported for tests that look for straddling sessions. */
export const DIGITAL_MAX_SESSION_MS = 21 * HOUR_MS;
