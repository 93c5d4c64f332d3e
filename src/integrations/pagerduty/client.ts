// PagerDuty REST API v2, the calls firebreak makes: acknowledge, resolve, add a note, list notes. Every
// request carries the documented headers: `Authorization: Token token=<key>`, `From:` (the email of a
// PagerDuty user, required by an account-level key for any write), and the versioned Accept.
import { type Fetch, sendJson } from '../api-error.ts';

export const PAGERDUTY_API_URL = 'https://api.pagerduty.com';

export interface PagerDutyOptions {
  /** A step's `ctx.http`, or fetch. */
  fetch: Fetch;
  /** REST API key (account or user token). */
  token: string;
  /** Email of a valid PagerDuty user: writes are recorded as this user's. */
  from: string;
  /** Default https://api.pagerduty.com. */
  apiUrl?: string;
  now?: () => Date;
}

export interface PagerDutyNote {
  id: string;
  content: string;
  created_at?: string;
}

export type PagerDutyStatus = 'acknowledged' | 'resolved';

export interface PagerDutyClient {
  /** PUT /incidents/{id} with status acknowledged. */
  acknowledge(incidentId: string): Promise<void>;
  /** PUT /incidents/{id} with status resolved (a `resolution` is added to the resolve log entry). */
  resolve(incidentId: string, resolution?: string): Promise<void>;
  /** POST /incidents/{id}/notes; returns the note PagerDuty created. */
  addNote(incidentId: string, content: string): Promise<PagerDutyNote>;
  /** GET /incidents/{id}/notes. */
  listNotes(incidentId: string): Promise<PagerDutyNote[]>;
}

export function pagerDutyClient(opts: PagerDutyOptions): PagerDutyClient {
  const base = opts.apiUrl ?? PAGERDUTY_API_URL;
  const headers = (write: boolean): Record<string, string> => ({
    Authorization: `Token token=${opts.token}`,
    Accept: 'application/vnd.pagerduty+json;version=2',
    ...(write ? { 'Content-Type': 'application/json', From: opts.from } : {}),
  });
  const call = (method: string, path: string, body?: unknown) =>
    sendJson(opts.fetch, 'PagerDuty', base, path, {
      method,
      headers: headers(method !== 'GET'),
      ...(body === undefined ? {} : { body }),
      ...(opts.now ? { now: opts.now } : {}),
    });
  const setStatus = async (id: string, status: PagerDutyStatus, resolution?: string) => {
    const incident = { type: 'incident_reference', status, ...(resolution ? { resolution } : {}) };
    await call('PUT', `/incidents/${encodeURIComponent(id)}`, { incident });
  };
  return {
    acknowledge: (id) => setStatus(id, 'acknowledged'),
    resolve: (id, resolution) => setStatus(id, 'resolved', resolution),
    async addNote(id, content) {
      const res = (await call('POST', `/incidents/${encodeURIComponent(id)}/notes`, {
        note: { content },
      })) as { note?: PagerDutyNote } | null;
      return res?.note ?? { id: '', content };
    },
    async listNotes(id) {
      const res = (await call('GET', `/incidents/${encodeURIComponent(id)}/notes`)) as {
        notes?: PagerDutyNote[];
      } | null;
      return res?.notes ?? [];
    },
  };
}
