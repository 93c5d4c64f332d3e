// One way for the API clients to call out through a step's `ctx.http`: JSON in and out, and HTTP
// failures turned into errors whose retryability the engine reads (4xx: a retry will not help).
import { readFile } from 'node:fs/promises';
import { FirebreakError, NonRetryableError } from 'firebreak';
import { bearerToken, type Endpoint } from './endpoints.ts';

/** A step's `ctx.http` (fetch bound to the step's abort signal), or any fetch. */
export type Http = (url: string | URL, init?: RequestInit) => Promise<Response>;

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Default application/json when there is a body. */
  contentType?: string;
  headers?: Record<string, string>;
  /** Where the request goes: its bearer token (a token file is read now) and its CA trust, if any. */
  endpoint?: Endpoint;
  /** Statuses answered with null instead of an error (404 for "gone already", 409 for "exists"). */
  tolerate?: readonly number[];
}

export class HttpError extends FirebreakError {
  constructor(
    readonly status: number,
    method: string,
    url: string,
    detail: string,
  ) {
    super('http_error', `${method} ${url} answered ${status}${detail ? `: ${detail}` : ''}`, {
      // Throttling and server errors may pass; any other client error is the same on the next try.
      nonRetryable: status >= 400 && status < 500 && status !== 408 && status !== 429,
      details: { status, method, url },
    });
  }
}

export async function requestJson<T>(http: Http, url: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(http, url, opts);
  if (res === null) return null as T;
  const text = await res.text();
  if (!text) return null as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new NonRetryableError(`${opts.method ?? 'GET'} ${url} did not answer JSON: ${text.slice(0, 200)}`);
  }
}

export async function requestText(http: Http, url: string, opts: RequestOptions = {}): Promise<string> {
  const res = await send(http, url, opts);
  return res === null ? '' : res.text();
}

const agents = new Map<string, Promise<unknown>>();

/**
 * An undici Agent that trusts the CA bundle in `caFile`, one per file for the process. undici is loaded
 * here, at the first request that needs it, not when the runbooks load (it costs a server start ~0.1 s
 * and ~20 MB for runbooks that may never call a cluster).
 */
function trusting(caFile: string): Promise<unknown> {
  let agent = agents.get(caFile);
  if (!agent) {
    agent = (async () => {
      const [{ Agent }, ca] = await Promise.all([import('undici'), readFile(caFile)]);
      return new Agent({ connect: { ca } });
    })();
    agent.catch(() => agents.delete(caFile));
    agents.set(caFile, agent);
  }
  return agent;
}

async function send(http: Http, url: string, opts: RequestOptions): Promise<Response | null> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  const token = opts.endpoint ? await bearerToken(opts.endpoint) : undefined;
  if (token) headers.authorization = `Bearer ${token}`;
  // `dispatcher` is Node's fetch option for an undici Agent (here: one that trusts a private CA); the
  // undici package's Agent and Node's bundled fetch types differ only in their TypeScript declarations.
  const init: Omit<RequestInit, 'dispatcher'> & { dispatcher?: unknown } = { method, headers };
  if (opts.endpoint?.caFile) init.dispatcher = await trusting(opts.endpoint.caFile);
  if (opts.body !== undefined) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  const res = await http(url, init as RequestInit);
  if (opts.tolerate?.includes(res.status)) return null;
  if (!res.ok) throw new HttpError(res.status, method, url, errorDetail(await res.text()));
  return res;
}

/** Kubernetes answers a Status object, other APIs { error } or { message }: keep the readable part. */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = body.message ?? body.error;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 200);
}
