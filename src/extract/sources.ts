/**
 * The JSON sources: WFM metrics (GET /api/v2/wfm/metrics/agent|activity), digital sessions
 * (GET /api/v2/digital/sessionsdata) and the directory lists. Each yields pages of raw items; windows arrive as UTC
 * instants `[start, end)` already cut to what the endpoint accepts (WFM and digital: less than 7 days).
 */
import { EtlError, TerminalError } from '../errors.js';
import type { InstantWindow } from '../windows.js';
import type { DialpadClient } from './client.js';
import { OPERATIONS, type Operation } from './endpoints.js';

/** Dialpad's own limit for WFM and digital sessions windows: "less than 7 days". */
export const MAX_WINDOW_MS_7D = 7 * 24 * 3600 * 1000 - 1000;

export function wfmAgentPages(client: DialpadClient, w: InstantWindow, signal?: AbortSignal): AsyncGenerator<ReadonlyArray<unknown>> {
  return client.paginate<unknown>(OPERATIONS.wfmAgent, { query: { start: w.startUtc, end: w.endUtc }, ...(signal ? { signal } : {}) });
}

/** Activity metrics for one agent: the endpoint's items do not name the agent, so we ask per agent. */
export function wfmActivityPages(client: DialpadClient, w: InstantWindow, agentEmail: string, signal?: AbortSignal): AsyncGenerator<ReadonlyArray<unknown>> {
  return client.paginate<unknown>(OPERATIONS.wfmActivity, { query: { start: w.startUtc, end: w.endUtc, emails: agentEmail }, ...(signal ? { signal } : {}) });
}

/**
 * Digital sessions started or ended inside the window. The list key is `items` in the spec and `sessions` in older
 * documents: both are accepted. A key without the OAuth scope `digital_sessions` gets 401/403: that is said plainly.
 */
export async function* digitalSessionPages(client: DialpadClient, w: InstantWindow, signal?: AbortSignal): AsyncGenerator<ReadonlyArray<unknown>> {
  try {
    yield* client.paginate<unknown>(OPERATIONS.digitalSessions, {
      query: { start_date: w.startUtc, end_date: w.endUtc },
      listKeys: ['items', 'sessions'],
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (err instanceof EtlError && (err.context.status === 401 || err.context.status === 403)) {
      throw new TerminalError(`digital sessions refused (${err.context.status}): the API key needs the OAuth scope "digital_sessions" — ${err.message}`, {
        context: err.context,
        cause: err,
      });
    }
    throw err;
  }
}

/** A whole directory list, every state included (historical rows refer to people and offices that are gone). */
export function directoryPages(client: DialpadClient, op: Operation, signal?: AbortSignal): AsyncGenerator<ReadonlyArray<unknown>> {
  return client.paginate<unknown>(op, { ...(signal ? { signal } : {}) });
}

/** GET /api/v2/company: one object, presented as one page. */
export async function* companyPages(client: DialpadClient, signal?: AbortSignal): AsyncGenerator<ReadonlyArray<unknown>> {
  yield [await client.request<unknown>(OPERATIONS.companyGet, { ...(signal ? { signal } : {}) })];
}

/** The primary office's IANA zone, or null when Dialpad does not say. */
export async function primaryOfficeTimezone(client: DialpadClient, signal?: AbortSignal): Promise<string | null> {
  const office = await client.request<{ timezone?: string | null }>(OPERATIONS.officesPrimary, { ...(signal ? { signal } : {}) });
  return typeof office.timezone === 'string' && office.timezone !== '' ? office.timezone : null;
}
