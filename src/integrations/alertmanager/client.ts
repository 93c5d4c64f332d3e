// Alertmanager's API v2, the part that silences (api/v2/openapi.yaml): list, create, read and expire.
// Every call goes through the `http` it is given — a step's `ctx.http`, so the testing kit can stub it
// and the step's abort signal applies. Answers are checked with zod: a proxy's HTML page or another
// API at ALERTMANAGER_URL is an error that names what came back, not an undefined field later.
import { z } from 'zod';
import { FirebreakError, NonRetryableError } from '../../core/errors.ts';

/** A step's `ctx.http` (fetch bound to the step's signal), or any fetch. */
export type Http = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** Where Alertmanager is and how to authenticate (behind a proxy: a bearer token, or basic auth). */
export interface AlertmanagerEndpoint {
  /** Base URL, e.g. http://alertmanager:9093 (a path prefix such as /alertmanager is kept). */
  url: string;
  bearerToken?: string | undefined;
  basicAuth?: { username: string; password: string } | undefined;
}

export const matcherSchema = z.object({
  name: z.string(),
  value: z.string(),
  isRegex: z.boolean(),
  // Added in Alertmanager 0.22; absent means equal.
  isEqual: z.boolean().default(true),
});
export type Matcher = z.output<typeof matcherSchema>;

export const silenceSchema = z.looseObject({
  id: z.string(),
  status: z.object({ state: z.enum(['expired', 'active', 'pending']) }),
  updatedAt: z.string(),
  matchers: z.array(matcherSchema),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
});
export type Silence = z.output<typeof silenceSchema>;

export interface PostableSilence {
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** An answer Alertmanager gave with a status that is not 2xx. 4xx will not change on a retry. */
export class AlertmanagerError extends FirebreakError {
  constructor(
    readonly status: number,
    method: string,
    path: string,
    detail: string,
  ) {
    super(
      'alertmanager_error',
      `Alertmanager ${method} ${path} answered ${status}${detail ? `: ${detail}` : ''}`,
      {
        nonRetryable: status >= 400 && status < 500 && status !== 408 && status !== 429,
        details: { status, method, path },
      },
    );
  }
}

export interface AlertmanagerClient {
  /** Silences whose matchers include `filter` (name="value" each); all of them without one. */
  listSilences(filter?: readonly Matcher[]): Promise<Silence[]>;
  /** The silence, or null when Alertmanager does not know the id (garbage-collected, another cluster). */
  getSilence(id: string): Promise<Silence | null>;
  createSilence(silence: PostableSilence): Promise<string>;
  /** Expires the silence now. Alertmanager answers 200 for one that had already expired. */
  expireSilence(id: string): Promise<void>;
}

export function alertmanagerClient(http: Http, endpoint: AlertmanagerEndpoint): AlertmanagerClient {
  const base = endpoint.url.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const headers: Record<string, string> = { accept: 'application/json', ...authorization(endpoint) };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return http(`${base}${path}`, init);
  };
  const fail = async (res: Response, method: string, path: string) =>
    new AlertmanagerError(res.status, method, path, (await res.text()).trim().slice(0, 300));
  const json = async <T>(res: Response, method: string, path: string, schema: z.ZodType<T>): Promise<T> => {
    if (!res.ok) throw await fail(res, method, path);
    const text = await res.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new NonRetryableError(
        `Alertmanager ${method} ${path} did not answer JSON: ${text.slice(0, 200)}`,
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      throw new NonRetryableError(
        `Alertmanager ${method} ${path} answered an unexpected body: ${z.prettifyError(parsed.error)}`,
      );
    return parsed.data;
  };

  return {
    async listSilences(filter = []) {
      const query = filter.map((m) => `filter=${encodeURIComponent(matcherText(m))}`).join('&');
      const path = `/api/v2/silences${query ? `?${query}` : ''}`;
      return json(await call('GET', path), 'GET', path, z.array(silenceSchema));
    },
    async getSilence(id) {
      const path = `/api/v2/silence/${encodeURIComponent(id)}`;
      const res = await call('GET', path);
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      return json(res, 'GET', path, silenceSchema);
    },
    async createSilence(silence) {
      const path = '/api/v2/silences';
      const res = await call('POST', path, silence);
      return (await json(res, 'POST', path, z.object({ silenceID: z.string().min(1) }))).silenceID;
    },
    async expireSilence(id) {
      const path = `/api/v2/silence/${encodeURIComponent(id)}`;
      const res = await call('DELETE', path);
      if (!res.ok) throw await fail(res, 'DELETE', path);
      await res.body?.cancel();
    },
  };
}

function authorization(e: AlertmanagerEndpoint): Record<string, string> {
  if (e.bearerToken) return { authorization: `Bearer ${e.bearerToken}` };
  if (e.basicAuth) {
    const pair = Buffer.from(`${e.basicAuth.username}:${e.basicAuth.password}`).toString('base64');
    return { authorization: `Basic ${pair}` };
  }
  return {};
}

/** `name="value"` as Alertmanager parses a filter; JSON's quoting covers `"`, `\` and newlines alike. */
function matcherText(m: Matcher): string {
  const op = m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=';
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}
