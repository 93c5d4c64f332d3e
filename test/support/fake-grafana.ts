// A local fake of Grafana's annotations HTTP API (POST, PATCH and GET /api/annotations), answering in
// Grafana's layouts and refusing what Grafana refuses: no or a wrong `Authorization: Bearer <service
// account token>` (401), a body that is not the documented shape (400 `{message}`: time/timeEnd epoch ms
// numbers, tags a list of strings, text a string, dashboardUID a string, panelId a number), an unknown
// annotation (404).
import { type Answer, type FakeApi, type FakeRequest, fakeApi, isObject } from './fake-api.ts';

export interface GrafanaAnnotation {
  id: number;
  time: number;
  timeEnd: number;
  tags: string[];
  text: string;
  dashboardUID: string | null;
  panelId: number | null;
}

export interface FakeGrafana extends FakeApi {
  annotations: GrafanaAnnotation[];
}

const bad = (message: string): Answer => ({ status: 400, body: { message } });
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

function shapeProblem(b: Record<string, unknown>, patch: boolean): string | null {
  if (!patch && !isNum(b.time)) return 'time must be epoch milliseconds';
  if (b.time !== undefined && !isNum(b.time)) return 'time must be epoch milliseconds';
  if (b.timeEnd !== undefined && !isNum(b.timeEnd)) return 'timeEnd must be epoch milliseconds';
  if (b.tags !== undefined && !(Array.isArray(b.tags) && b.tags.every((t) => typeof t === 'string')))
    return 'tags must be a list of strings';
  if (!patch && (typeof b.text !== 'string' || b.text === '')) return 'text is required';
  if (b.text !== undefined && typeof b.text !== 'string') return 'text must be a string';
  if (b.dashboardUID !== undefined && typeof b.dashboardUID !== 'string')
    return 'dashboardUID must be a string';
  if (b.panelId !== undefined && !isNum(b.panelId)) return 'panelId must be a number';
  return null;
}

export async function fakeGrafana(opts: { token: string }): Promise<FakeGrafana> {
  const annotations: GrafanaAnnotation[] = [];
  let seq = 0;
  const handle = (r: Omit<FakeRequest, 'status' | 'response' | 'at'>): Answer => {
    if (r.headers.authorization !== `Bearer ${opts.token}`)
      return { status: 401, body: { message: 'Unauthorized' } };
    if (r.path === '/api/annotations' && r.method === 'GET') {
      const from = Number(r.query.get('from') ?? 0);
      const to = Number(r.query.get('to') ?? Number.MAX_SAFE_INTEGER);
      const tags = r.query.getAll('tags');
      const dashboard = r.query.get('dashboardUID');
      // As Grafana: tags filter organization annotations (those of no dashboard) only.
      const scoped = (a: GrafanaAnnotation) =>
        dashboard
          ? a.dashboardUID === dashboard
          : tags.length === 0 || (a.dashboardUID === null && tags.every((t) => a.tags.includes(t)));
      return {
        status: 200,
        body: annotations.filter((a) => a.time <= to && Math.max(a.time, a.timeEnd) >= from && scoped(a)),
      };
    }
    const write = r.method === 'POST' || r.method === 'PATCH';
    if (write && !String(r.headers['content-type'] ?? '').startsWith('application/json'))
      return bad('bad request data');
    if (r.path === '/api/annotations' && r.method === 'POST') {
      if (!isObject(r.json)) return bad('bad request data');
      const problem = shapeProblem(r.json, false);
      if (problem) return bad(problem);
      const b = r.json as {
        time: number;
        timeEnd?: number;
        tags?: string[];
        text: string;
        dashboardUID?: string;
        panelId?: number;
      };
      const a: GrafanaAnnotation = {
        id: ++seq,
        time: b.time,
        timeEnd: b.timeEnd ?? b.time,
        tags: b.tags ?? [],
        text: b.text,
        dashboardUID: b.dashboardUID ?? null,
        panelId: b.panelId ?? null,
      };
      annotations.push(a);
      return { status: 200, body: { message: 'Annotation added', id: a.id } };
    }
    const m = /^\/api\/annotations\/(\d+)$/.exec(r.path);
    if (m && r.method === 'PATCH') {
      const a = annotations.find((x) => x.id === Number(m[1]));
      if (!a) return { status: 404, body: { message: 'Could not find annotation to update' } };
      if (!isObject(r.json)) return bad('bad request data');
      const problem = shapeProblem(r.json, true);
      if (problem) return bad(problem);
      Object.assign(a, r.json);
      return { status: 200, body: { message: 'Annotation patched' } };
    }
    return { status: 404, body: { message: 'Not found' } };
  };
  const api = await fakeApi(handle);
  return Object.assign(api, { annotations });
}
