// A local fake of PagerDuty's REST API v2, for the calls firebreak makes: PUT /incidents/{id},
// POST and GET /incidents/{id}/notes. It answers in PagerDuty's documented layouts and refuses what the
// real API refuses: no or a wrong `Authorization: Token token=…` (401), an Accept other than
// `application/vnd.pagerduty+json;version=2`, a write without a `From` header naming a user of the
// account, a JSON body of the wrong shape (400 with PagerDuty's `{error:{message,code,errors}}`), an
// unknown incident (404).
import { type Answer, type FakeApi, type FakeRequest, fakeApi, isObject } from './fake-api.ts';

export const PD_ACCEPT = 'application/vnd.pagerduty+json;version=2';

export interface PdNote {
  id: string;
  content: string;
  created_at: string;
  user: { id: string; type: 'user_reference'; summary: string };
  channel: { summary: string };
}

export interface PdIncident {
  id: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  notes: PdNote[];
  /** Every status change, in order (acknowledging twice is recorded twice). */
  changes: string[];
}

export interface FakePagerDuty extends FakeApi {
  incidents: Map<string, PdIncident>;
  /** Adds an incident the account knows (status triggered). */
  addIncident(id: string): PdIncident;
  /** Successful writes, for readable assertions: 'acknowledged', 'note: …', 'resolved'. */
  writes(incidentId: string): string[];
}

const invalid = (...errors: string[]): Answer => ({
  status: 400,
  body: { error: { message: 'Invalid Input Provided', code: 2001, errors } },
});

export async function fakePagerDuty(opts: {
  token: string;
  users: readonly string[];
}): Promise<FakePagerDuty> {
  const incidents = new Map<string, PdIncident>();
  const log = new Map<string, string[]>();
  let seq = 0;
  const record = (id: string, what: string) => log.set(id, [...(log.get(id) ?? []), what]);

  const handle = (r: Omit<FakeRequest, 'status' | 'response' | 'at'>): Answer => {
    if (r.headers.authorization !== `Token token=${opts.token}`)
      return { status: 401, body: { error: { message: 'Unauthorized', code: 2006 } } };
    if (r.headers.accept !== PD_ACCEPT) return invalid(`Accept must be ${PD_ACCEPT}`);
    const m = /^\/incidents\/([^/]+)(\/notes)?$/.exec(r.path);
    if (!m) return { status: 404, body: { error: { message: 'Not Found', code: 2100 } } };
    const incident = incidents.get(decodeURIComponent(m[1]!));
    if (!incident) return { status: 404, body: { error: { message: 'Not Found', code: 2100 } } };
    const notes = Boolean(m[2]);
    if (r.method === 'GET' && notes) return { status: 200, body: { notes: incident.notes } };
    if (r.method !== 'PUT' && !(r.method === 'POST' && notes))
      return { status: 404, body: { error: { message: 'Not Found', code: 2100 } } };
    if (!String(r.headers['content-type'] ?? '').startsWith('application/json'))
      return invalid('Content-Type must be application/json');
    const from = r.headers.from;
    if (typeof from !== 'string' || from === '') return invalid('From header is required');
    if (!opts.users.includes(from)) return invalid('Requester User Not Found');
    if (!isObject(r.json)) return invalid('Request body must be a JSON object');
    return notes ? addNote(incident, r.json, from) : update(incident, r.json);
  };

  const update = (incident: PdIncident, body: Record<string, unknown>): Answer => {
    const i = body.incident;
    if (!isObject(i)) return invalid('incident is required');
    if (i.type !== 'incident_reference' && i.type !== 'incident') return invalid('incident.type is invalid');
    if (i.status !== 'acknowledged' && i.status !== 'resolved') return invalid('incident.status is invalid');
    if (i.resolution !== undefined && typeof i.resolution !== 'string')
      return invalid('resolution must be a string');
    if (incident.status === 'resolved') return invalid('Incident Already Resolved');
    incident.status = i.status;
    incident.changes.push(i.status);
    record(incident.id, i.status);
    return {
      status: 200,
      body: { incident: { id: incident.id, type: 'incident', status: incident.status } },
    };
  };

  const addNote = (incident: PdIncident, body: Record<string, unknown>, from: string): Answer => {
    const n = body.note;
    if (!isObject(n) || typeof n.content !== 'string' || n.content.trim() === '')
      return invalid('Note content cannot be empty');
    const note: PdNote = {
      id: `PWL7QX${++seq}`,
      content: n.content,
      created_at: new Date().toISOString(),
      user: { id: 'PXPGF42', type: 'user_reference', summary: from },
      channel: { summary: 'The PagerDuty website or APIs' },
    };
    incident.notes.push(note);
    record(incident.id, `note: ${note.content}`);
    return { status: 201, body: { note } };
  };

  const api = await fakeApi(handle);
  return Object.assign(api, {
    incidents,
    addIncident(id: string) {
      const incident: PdIncident = { id, status: 'triggered', notes: [], changes: [] };
      incidents.set(id, incident);
      return incident;
    },
    writes: (id: string) => log.get(id) ?? [],
  });
}
