/** Directory items (offices, call centers, departments, users, company) → rows: ids as text, lists as text[]. */
import type { Row } from './columns.js';
import { toBool, toNumber, toText } from './columns.js';

type Obj = Readonly<Record<string, unknown>>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): ReadonlyArray<string> | null => (Array.isArray(v) ? v.map((x) => toText(x) ?? '') : null);

export function toOfficeRow(raw: unknown): Row {
  const o = obj(raw);
  return {
    id: toText(o['id'] ?? o['office_id']),
    name: toText(o['name']),
    state: toText(o['state']),
    timezone: toText(o['timezone']),
    country: toText(o['country']),
    is_primary_office: toBool(o['is_primary_office']),
    availability_status: toText(o['availability_status']),
    phone_numbers: list(o['phone_numbers']),
  };
}

export function toGroupRow(raw: unknown): Row {
  const o = obj(raw);
  return {
    id: toText(o['id']),
    name: toText(o['name']),
    office_id: toText(o['office_id']),
    state: toText(o['state']),
    timezone: toText(o['timezone']),
    country: toText(o['country']),
    availability_status: toText(o['availability_status']),
    phone_numbers: list(o['phone_numbers']),
  };
}

export function toUserRow(raw: unknown): Row {
  const o = obj(raw);
  const emails = list(o['emails']);
  return {
    id: toText(o['id']),
    display_name: toText(o['display_name']),
    first_name: toText(o['first_name']),
    last_name: toText(o['last_name']),
    primary_email: emails?.[0]?.toLowerCase() ?? null,
    emails,
    office_id: toText(o['office_id']),
    company_id: toText(o['company_id']),
    state: toText(o['state']),
    timezone: toText(o['timezone']),
    license: toText(o['license']),
    is_admin: toBool(o['is_admin']),
    is_super_admin: toBool(o['is_super_admin']),
    job_title: toText(o['job_title']),
    date_added: toText(o['date_added']),
    phone_numbers: list(o['phone_numbers']),
  };
}

export function toCompanyRow(raw: unknown): Row {
  const o = obj(raw);
  return {
    id: toText(o['id']),
    name: toText(o['name']),
    domain: toText(o['domain']),
    country: toText(o['country']),
    account_type: toText(o['account_type']),
    state: toText(o['state']),
    office_count: toNumber(o['office_count']),
  };
}
