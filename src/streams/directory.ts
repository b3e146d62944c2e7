import { OPERATIONS } from '../extract/endpoints.js';
import { companyPages, directoryPages } from '../extract/sources.js';
import { col, cols, type Row } from '../transform/columns.js';
import { toCompanyRow, toGroupRow, toOfficeRow, toUserRow } from '../transform/directory.js';
import { defineDirectoryStream, type RowWithRaw } from './define-stream.js';

// Dimension tables, refreshed in full so BI can join stats rows to names, offices and time zones. Every state is
// kept (deleted users, cancelled offices): historical rows refer to them. A row that disappears from the API gets
// `_removed_at`, and is never deleted.

const pages = async function* (it: AsyncIterable<ReadonlyArray<unknown>>, toRow: (raw: unknown) => Row): AsyncGenerator<ReadonlyArray<RowWithRaw>> {
  for await (const page of it) yield page.map((raw) => ({ row: toRow(raw), raw }));
};

const groupColumns = [col('id', 'id'), col('name', 'text'), col('office_id', 'id'), ...cols('text', 'state', 'timezone', 'country', 'availability_status'), col('phone_numbers', 'text_array')];

export const offices = defineDirectoryStream({
  name: 'offices',
  description: 'Offices (GET /api/v2/offices), every state',
  operationId: OPERATIONS.officesList.id,
  columns: [col('id', 'id'), ...cols('text', 'name', 'state', 'timezone', 'country'), col('is_primary_office', 'boolean'), col('availability_status', 'text'), col('phone_numbers', 'text_array')],
  key: { kind: 'columns', columns: ['id'] },
  fetch: (ctx) => pages(directoryPages(ctx.client, OPERATIONS.officesList, ctx.signal), toOfficeRow),
});

export const callCenters = defineDirectoryStream({
  name: 'call_centers',
  description: 'Call centers (GET /api/v2/callcenters)',
  operationId: OPERATIONS.callCentersList.id,
  columns: groupColumns,
  key: { kind: 'columns', columns: ['id'] },
  fetch: (ctx) => pages(directoryPages(ctx.client, OPERATIONS.callCentersList, ctx.signal), toGroupRow),
});

export const departments = defineDirectoryStream({
  name: 'departments',
  description: 'Departments (GET /api/v2/departments)',
  operationId: OPERATIONS.departmentsList.id,
  columns: groupColumns,
  key: { kind: 'columns', columns: ['id'] },
  fetch: (ctx) => pages(directoryPages(ctx.client, OPERATIONS.departmentsList, ctx.signal), toGroupRow),
});

export const users = defineDirectoryStream({
  name: 'users',
  description: 'Users (GET /api/v2/users), every state',
  operationId: OPERATIONS.usersList.id,
  columns: [
    col('id', 'id'),
    ...cols('text', 'display_name', 'first_name', 'last_name', 'primary_email'),
    col('emails', 'text_array'),
    col('office_id', 'id'),
    col('company_id', 'id'),
    ...cols('text', 'state', 'timezone', 'license'),
    ...cols('boolean', 'is_admin', 'is_super_admin'),
    col('job_title', 'text'),
    col('date_added', 'timestamptz', 'as sent by Dialpad; without an offset it is read as UTC'),
    col('phone_numbers', 'text_array'),
  ],
  key: { kind: 'columns', columns: ['id'] },
  fetch: (ctx) => pages(directoryPages(ctx.client, OPERATIONS.usersList, ctx.signal), toUserRow),
});

export const company = defineDirectoryStream({
  name: 'company',
  description: 'The company (GET /api/v2/company), one row',
  operationId: OPERATIONS.companyGet.id,
  columns: [col('id', 'id'), ...cols('text', 'name', 'domain', 'country', 'account_type', 'state'), col('office_count', 'integer')],
  key: { kind: 'columns', columns: ['id'] },
  fetch: (ctx) => pages(companyPages(ctx.client, ctx.signal), toCompanyRow),
});
