// Grafana's annotations HTTP API (/api/annotations), as a service account calls it: `Authorization:
// Bearer <token>`. Times are epoch milliseconds; an annotation with `timeEnd` is a region.
import { type Fetch, sendJson } from '../api-error.ts';

export interface GrafanaOptions {
  fetch: Fetch;
  /** Grafana's base URL (https://grafana.example.com, or with a sub-path). */
  url: string;
  /** A service account token. */
  token: string;
  now?: () => Date;
}

export interface Annotation {
  /** Epoch ms. */
  time: number;
  /** Epoch ms; makes the annotation a region. */
  timeEnd?: number;
  tags: string[];
  text: string;
  /** Without one, the annotation is the organization's, shown wherever a dashboard queries its tags. */
  dashboardUID?: string;
  panelId?: number;
}

export interface FoundAnnotation {
  id: number;
  time: number;
  timeEnd?: number;
  tags: string[];
  text: string;
}

export interface GrafanaClient {
  /** POST /api/annotations; returns the new annotation's id. */
  annotate(a: Annotation): Promise<number>;
  /** PATCH /api/annotations/{id}: changes only the fields given (turn a point into a region with timeEnd). */
  patch(id: number, change: Partial<Pick<Annotation, 'time' | 'timeEnd' | 'tags' | 'text'>>): Promise<void>;
  /**
   * GET /api/annotations?from&to… Grafana filters by `tags` among organization annotations only, so a
   * dashboard's annotations are found by its `dashboardUID` instead.
   */
  find(q: {
    from: number;
    to: number;
    tags?: readonly string[];
    dashboardUID?: string;
    limit?: number;
  }): Promise<FoundAnnotation[]>;
}

export function grafanaClient(opts: GrafanaOptions): GrafanaClient {
  const headers = (body: boolean): Record<string, string> => ({
    Authorization: `Bearer ${opts.token}`,
    Accept: 'application/json',
    ...(body ? { 'Content-Type': 'application/json' } : {}),
  });
  const call = (method: string, path: string, body?: unknown) =>
    sendJson(opts.fetch, 'Grafana', opts.url, path, {
      method,
      headers: headers(body !== undefined),
      ...(body === undefined ? {} : { body }),
      ...(opts.now ? { now: opts.now } : {}),
    });
  return {
    async annotate(a) {
      const res = (await call('POST', '/api/annotations', a)) as { id?: number } | null;
      if (typeof res?.id !== 'number')
        throw new Error('Grafana answered POST /api/annotations without an id');
      return res.id;
    },
    async patch(id, change) {
      await call('PATCH', `/api/annotations/${id}`, change);
    },
    async find(q) {
      const params = new URLSearchParams({
        from: String(q.from),
        to: String(q.to),
        limit: String(q.limit ?? 100),
      });
      if (q.dashboardUID) params.set('dashboardUID', q.dashboardUID);
      else for (const t of q.tags ?? []) params.append('tags', t);
      const res = await call('GET', `/api/annotations?${params}`);
      return Array.isArray(res) ? (res as FoundAnnotation[]) : [];
    },
  };
}
