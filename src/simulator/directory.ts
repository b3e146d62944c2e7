/**
 * The simulated company: offices, call centers, departments and users, plus their JSON
 * renderings following the OpenAPI schemas (protos.office.OfficeProto, protos.group.CallCenterProto,
 * protos.group.DepartmentProto, protos.user.UserProto, protos.company.CompanyProto). As in the
 * spec's examples, int64 ids are rendered as strings.
 *
 * Names are intentionally nasty (commas, doubled quotes, non-ASCII) because they flow into CSVs.
 */
import { Rng, rngFor } from './prng.js';
import type { DataShape } from './types.js';

export interface Office {
  readonly id: string;
  readonly name: string;
  readonly timezone: string;
  readonly state: 'active' | 'cancelled';
  readonly isPrimary: boolean;
  readonly country: string;
  readonly phone: string;
}

export interface CallCenter {
  readonly id: string;
  readonly name: string;
  readonly officeId: string;
  readonly phone: string;
}

export interface Department {
  readonly id: string;
  readonly name: string;
  readonly officeId: string;
  readonly phone: string;
}

export type UserState = 'active' | 'pending' | 'suspended' | 'deleted';

export interface User {
  readonly id: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly displayName: string;
  readonly email: string;
  readonly officeId: string;
  readonly state: UserState;
  /** Agents take calls and appear in stats/WFM/digital data. */
  readonly isAgent: boolean;
  readonly isAdmin: boolean;
  readonly phone: string;
  readonly callCenterIds: ReadonlyArray<string>;
  readonly departmentId: string | null;
  readonly timezone: string;
  /** Position among agents (0-based), -1 for non-agents. */
  readonly agentIndex: number;
}

export interface Company {
  readonly id: string;
  readonly name: string;
  readonly domain: string;
}

export interface Directory {
  readonly company: Company;
  readonly offices: ReadonlyArray<Office>;
  readonly callCenters: ReadonlyArray<CallCenter>;
  readonly departments: ReadonlyArray<Department>;
  readonly users: ReadonlyArray<User>;
  readonly agents: ReadonlyArray<User>;
  /** Agents per call center id. */
  readonly ccAgents: ReadonlyMap<string, ReadonlyArray<User>>;
  readonly byId: ReadonlyMap<string, { kind: 'office' | 'callcenter' | 'department' | 'user' | 'company' }>;
  readonly usersById: ReadonlyMap<string, User>;
  readonly ccById: ReadonlyMap<string, CallCenter>;
  readonly deptById: ReadonlyMap<string, Department>;
  readonly officeById: ReadonlyMap<string, Office>;
}

const AGENT_NAMES: ReadonlyArray<readonly [first: string, last: string, display: string, email: string]> = [
  ['José', 'Ñúñez', 'José Ñúñez', 'jose.nunez'],
  ['Pat', "O'Brien", "O'Brien, Pat", 'pat.obrien'],
  ['Zoë', 'Adams', 'Zoë "Zee" Adams', 'Zoe.Adams'],
  ['太郎', 'ファージー', 'ファージー 太郎', 'taro.fuzzy'],
  ['Łukasz', 'Żółć', 'Łukasz Żółć', 'lukasz.zolc'],
  ['Anne-Marie', 'Lefèvre', 'Anne-Marie Lefèvre, PhD', 'am.lefevre'],
  ['Sam', 'Smith', 'Sam Smith', 'sam.smith'],
  ['Ngozi', 'Okafor', 'Ngozi "Zee" Okafor', 'ngozi.okafor'],
];

// The second name carries an embedded line break so calls exports contain a multi-line field.
const CC_NAMES = ['Support, Tier 1', 'Sales "Inbound"\nEMEA', 'Facturación', 'ファージー Care', 'Escalations'];
const DEPT_NAMES = ['Sales', 'Billing, Accounts', 'Technik & "Ops"', 'Kundenservice', 'Front Desk'];
const OFFICE_TZS: ReadonlyArray<readonly [tz: string, name: string, country: string, prefix: string]> = [
  ['America/New_York', 'ファージー ボール, Inc', 'us', '+1212555'],
  ['Europe/Berlin', 'Berlin Büro', 'de', '+4930555'],
  ['Asia/Kolkata', 'Bengaluru, "South"', 'in', '+9180555'],
  ['America/Los_Angeles', 'SF HQ', 'us', '+1415555'],
  ['Australia/Sydney', 'Sydney', 'au', '+6128555'],
];

/** 16-digit id below 2^53 from an rng, distinct from everything in `used`. */
function newId(rng: Rng, used: Set<string>): string {
  for (;;) {
    const id = String(4_000_000_000_000_000 + Math.floor(rng.next() * 5_000_000_000_000_000));
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

function phone(prefix: string, n: number): string {
  return `${prefix}${String(1000 + n).padStart(4, '0')}`;
}

/** Builds the directory deterministically from the seed and data shape. */
export function buildDirectory(seed: number, shape: DataShape): Directory {
  const rng = rngFor(seed, 'directory');
  const used = new Set<string>();
  const domain = 'fuzz-ball.com';
  const company: Company = { id: newId(rng, used), name: 'ファージー ボール, Inc', domain };

  const offices: Office[] = [];
  const officeCount = Math.max(1, shape.offices);
  for (let i = 0; i < officeCount; i++) {
    const [tz, name, country, prefix] = OFFICE_TZS[i % OFFICE_TZS.length]!;
    offices.push({
      id: newId(rng, used),
      name: i < OFFICE_TZS.length ? name : `${name} ${i + 1}`,
      timezone: tz,
      state: 'active',
      isPrimary: i === 0,
      country,
      phone: phone(prefix, i),
    });
  }
  // A cancelled office is listed but never has activity: clients must not assume every office is live.
  offices.push({
    id: newId(rng, used),
    name: 'Old Office (closed)',
    timezone: 'America/Chicago',
    state: 'cancelled',
    isPrimary: false,
    country: 'us',
    phone: phone('+1312555', 0),
  });
  const activeOffices = offices.filter((o) => o.state === 'active');

  const callCenters: CallCenter[] = [];
  for (let i = 0; i < Math.max(1, shape.callCenters); i++) {
    const office = activeOffices[i % activeOffices.length]!;
    callCenters.push({
      id: newId(rng, used),
      name: i < CC_NAMES.length ? CC_NAMES[i]! : `Call Center ${i + 1}`,
      officeId: office.id,
      phone: phone('+1800555', 100 + i),
    });
  }

  const departments: Department[] = [];
  activeOffices.forEach((office, i) => {
    departments.push({
      id: newId(rng, used),
      name: i < DEPT_NAMES.length ? DEPT_NAMES[i]! : `Department ${i + 1}`,
      officeId: office.id,
      phone: phone('+1888555', 200 + i),
    });
  });

  const users: User[] = [];
  const agentCount = Math.max(1, shape.users);
  for (let i = 0; i < agentCount; i++) {
    const base = AGENT_NAMES[i % AGENT_NAMES.length]!;
    const suffix = i < AGENT_NAMES.length ? '' : ` ${Math.floor(i / AGENT_NAMES.length) + 1}`;
    const emailSuffix = i < AGENT_NAMES.length ? '' : String(Math.floor(i / AGENT_NAMES.length) + 1);
    const office = activeOffices[i % activeOffices.length]!;
    const dept = departments[i % departments.length]!;
    // Each agent belongs to one call center; the first agents double up so every center has staff.
    const ccIds = [callCenters[i % callCenters.length]!.id];
    if (i < callCenters.length && callCenters.length > 1) ccIds.push(callCenters[(i + 1) % callCenters.length]!.id);
    users.push({
      id: newId(rng, used),
      firstName: base[0],
      lastName: base[1] + suffix,
      displayName: base[2] + suffix,
      email: `${base[3]}${emailSuffix}@${domain}`,
      officeId: office.id,
      // The last agent has left the company: still present in historical data, state 'deleted'.
      state: agentCount >= 3 && i === agentCount - 1 ? 'deleted' : 'active',
      isAgent: true,
      isAdmin: false,
      phone: phone(office.phone.slice(0, -4), 500 + i),
      callCenterIds: ccIds,
      departmentId: dept.id,
      timezone: office.timezone,
      agentIndex: i,
    });
  }
  const primary = activeOffices[0]!;
  const extras: ReadonlyArray<readonly [string, string, string, string, UserState, boolean]> = [
    ['Ada', 'Admin', 'Ada Admin', 'admin', 'active', true],
    ['Pending', 'Person', 'Pending Person', 'pending.person', 'pending', false],
    ['Susan', 'Suspended', 'Susan "Sus" Suspended', 'susan.suspended', 'suspended', false],
  ];
  extras.forEach(([first, last, display, email, state, isAdmin], k) => {
    users.push({
      id: newId(rng, used),
      firstName: first,
      lastName: last,
      displayName: display,
      email: `${email}@${domain}`,
      officeId: primary.id,
      state,
      isAgent: false,
      isAdmin,
      phone: phone(primary.phone.slice(0, -4), 900 + k),
      callCenterIds: [],
      departmentId: null,
      timezone: primary.timezone,
      agentIndex: -1,
    });
  });

  const agents = users.filter((u) => u.isAgent);
  const ccAgents = new Map<string, User[]>();
  for (const cc of callCenters) ccAgents.set(cc.id, agents.filter((a) => a.callCenterIds.includes(cc.id)));
  const byId = new Map<string, { kind: 'office' | 'callcenter' | 'department' | 'user' | 'company' }>();
  byId.set(company.id, { kind: 'company' });
  offices.forEach((o) => byId.set(o.id, { kind: 'office' }));
  callCenters.forEach((c) => byId.set(c.id, { kind: 'callcenter' }));
  departments.forEach((d) => byId.set(d.id, { kind: 'department' }));
  users.forEach((u) => byId.set(u.id, { kind: 'user' }));

  return {
    company,
    offices,
    callCenters,
    departments,
    users,
    agents,
    ccAgents,
    byId,
    usersById: new Map(users.map((u) => [u.id, u])),
    ccById: new Map(callCenters.map((c) => [c.id, c])),
    deptById: new Map(departments.map((d) => [d.id, d])),
    officeById: new Map(offices.map((o) => [o.id, o])),
  };
}

const HOURS = ['08:00', '18:00'];

function routingOptions(officeId: string): unknown {
  return {
    closed: { action: 'voicemail', operator_routing: 'simultaneous', try_dial_operators: false },
    open: {
      action: 'operator',
      action_target_id: officeId,
      action_target_type: 'office',
      operator_routing: 'longestidle',
      try_dial_operators: true,
    },
  };
}

function weekHours(): Record<string, unknown> {
  return {
    monday_hours: HOURS,
    tuesday_hours: HOURS,
    wednesday_hours: HOURS,
    thursday_hours: HOURS,
    friday_hours: HOURS,
    saturday_hours: [],
    sunday_hours: [],
  };
}

/** protos.office.OfficeProto. */
export function officeJson(o: Office): Record<string, unknown> {
  return {
    availability_status: o.state === 'active' ? 'open' : 'closed',
    country: o.country,
    first_action: 'operators',
    id: o.id,
    is_primary_office: o.isPrimary,
    name: o.name,
    no_operators_action: 'voicemail',
    office_id: o.id,
    phone_numbers: [o.phone],
    ring_seconds: '30',
    routing_options: routingOptions(o.id),
    state: o.state,
    timezone: o.timezone,
    ...weekHours(),
  };
}

/** protos.group.CallCenterProto. */
export function callCenterJson(c: CallCenter, d: Directory): Record<string, unknown> {
  return {
    advanced_settings: { auto_call_recording: { call_recording_inbound: true, call_recording_outbound: false }, max_wrap_up_seconds: '30' },
    alerts: { cc_service_level: '80', cc_service_level_seconds: '20' },
    availability_status: 'open',
    country: d.officeById.get(c.officeId)?.country ?? 'us',
    first_action: 'operators',
    group_description: `${c.name} — handles "everything", mostly`,
    hold_queue: { max_hold_count: '50', max_hold_seconds: '900', announce_position: true },
    hours_on: true,
    id: c.id,
    name: c.name,
    no_operators_action: 'voicemail',
    office_id: c.officeId,
    phone_numbers: [c.phone],
    ring_seconds: '30',
    routing_options: routingOptions(c.officeId),
    state: 'active',
    timezone: d.officeById.get(c.officeId)?.timezone ?? 'UTC',
    ...weekHours(),
  };
}

/** protos.group.DepartmentProto. */
export function departmentJson(dep: Department, d: Directory): Record<string, unknown> {
  return {
    auto_call_recording: false,
    availability_status: 'open',
    country: d.officeById.get(dep.officeId)?.country ?? 'us',
    first_action: 'operators',
    group_description: null,
    hold_queue: { max_hold_count: '50', max_hold_seconds: '900' },
    hours_on: false,
    id: dep.id,
    name: dep.name,
    no_operators_action: 'voicemail',
    office_id: dep.officeId,
    phone_numbers: [dep.phone],
    ring_seconds: '30',
    routing_options: routingOptions(dep.officeId),
    state: 'active',
    timezone: d.officeById.get(dep.officeId)?.timezone ?? 'UTC',
    ...weekHours(),
  };
}

/** protos.user.UserProto. */
export function userJson(u: User, d: Directory): Record<string, unknown> {
  const groupDetails = [
    { do_not_disturb: false, group_id: u.officeId, group_type: 'office', role: u.isAdmin ? 'admin' : 'operator' },
    ...u.callCenterIds.map((id) => ({ do_not_disturb: false, group_id: id, group_type: 'callcenter', role: 'operator' })),
    ...(u.departmentId ? [{ do_not_disturb: false, group_id: u.departmentId, group_type: 'department', role: 'operator' }] : []),
  ];
  return {
    admin_office_ids: u.isAdmin ? [u.officeId] : [],
    company_id: d.company.id,
    country: d.officeById.get(u.officeId)?.country ?? 'us',
    date_active: u.state === 'pending' ? null : '2021-06-20T19:18:00',
    date_added: '2021-06-20T19:18:00',
    date_first_login: u.state === 'pending' ? null : '2021-06-20T19:18:00',
    display_name: u.displayName,
    do_not_disturb: false,
    emails: [u.email],
    first_name: u.firstName,
    forwarding_numbers: [],
    group_details: groupDetails,
    id: u.id,
    international_dialing_enabled: false,
    is_admin: u.isAdmin,
    is_available: u.state === 'active',
    is_on_duty: false,
    is_online: false,
    is_super_admin: u.isAdmin,
    job_title: u.isAgent ? 'Agent, "Tier 1"' : null,
    language: 'en',
    last_name: u.lastName,
    license: u.isAgent ? 'agents' : 'talk',
    muted: false,
    office_id: u.officeId,
    onboarding_completed: u.state !== 'pending',
    phone_numbers: u.state === 'deleted' ? [] : [u.phone],
    state: u.state,
    timezone: u.timezone,
    voicemail: { is_default_voicemail: true, name: 'default', voicemail_notifications_enabled: true },
  };
}

/** protos.company.CompanyProto. */
export function companyJson(d: Directory): Record<string, unknown> {
  return {
    account_type: 'enterprise',
    admin_email: `admin@${d.company.domain}`,
    country: 'us',
    domain: d.company.domain,
    id: d.company.id,
    name: d.company.name,
    office_count: String(d.offices.filter((o) => o.state === 'active').length),
    settings: { has_callai: true },
    state: 'active',
  };
}
