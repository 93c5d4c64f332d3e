// A fetch that answers from routes instead of the network and records every request, so a runbook's
// test says what Kubernetes or Prometheus answer and then asserts on what the runbook asked for.
import type { FetchLike } from '../engine/step-context.ts';

/** One request a step made through `ctx.http`. */
export interface RecordedRequest {
  method: string;
  /** The full URL, query included. */
  url: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The body as sent (null without one). */
  body: string | null;
  /** The body parsed as JSON, when it is JSON (else undefined). */
  json: unknown;
  /** The route that answered (its pattern), or null when none matched. */
  route: string | null;
}

/** What a route answers. `json` sets content-type application/json; status defaults to 200. */
export interface StubReply {
  status?: number;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

/**
 * A fixed reply; a list of replies given in turn (the last one repeats); or a function of the request
 * and of how many times this route answered before (0 the first time).
 */
export type StubAnswer =
  | StubReply
  | readonly StubReply[]
  | ((req: RecordedRequest, n: number) => StubReply | Promise<StubReply>);

/** A route in long form, for matching on query parameters or anything else. */
export interface StubRoute {
  /** GET, POST… ; any method when unset. */
  method?: string;
  /**
   * A full URL (`https://k8s.example/apis/…`) or a path (`/api/v1/query`), compared without the query.
   * `*` matches within one path segment, `**` across segments. A RegExp is tested against the full URL.
   */
  url: string | RegExp;
  /** Query parameters that must be present: exact strings or patterns. */
  query?: Record<string, string | RegExp>;
  /** Any other condition on the request. */
  match?: (req: RecordedRequest) => boolean;
  reply: StubAnswer;
}

/**
 * Routes: `{ 'GET /api/v1/query': reply, 'PATCH /apis/apps/v1/**': reply }` (method, a space, the URL
 * pattern; without a method any method matches), or a list of StubRoute. The first match answers.
 */
export type StubRoutes = Readonly<Record<string, StubAnswer>> | readonly StubRoute[];

/** The stub: give `fetch` to the engine, read `calls` in the test. */
export interface HttpStub {
  readonly fetch: FetchLike;
  /** Every request, in the order they were made. */
  readonly calls: readonly RecordedRequest[];
  /** Adds routes in front of the others (a later answer overrides an earlier one). */
  on(routes: StubRoutes): void;
  /** Requests that may change something: every method but GET, HEAD and OPTIONS. */
  mutations(): RecordedRequest[];
  /** Requests no route answered (they got a 501). */
  unmatched(): RecordedRequest[];
  /** Requests with this method whose URL matches the pattern (same syntax as the routes). */
  find(method: string, url: string | RegExp): RecordedRequest[];
}

interface CompiledRoute {
  label: string;
  method: string | null;
  url: (u: URL) => boolean;
  query: [string, string | RegExp][];
  match: ((req: RecordedRequest) => boolean) | undefined;
  reply: StubAnswer;
  answered: number;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Makes a stub; requests no route matches are recorded and answered 501 with a message naming them. */
export function stubHttp(routes: StubRoutes = {}): HttpStub {
  let compiled: CompiledRoute[] = compileRoutes(routes);
  const calls: RecordedRequest[] = [];

  const fetch: FetchLike = async (input, init) => {
    init?.signal?.throwIfAborted();
    const req = record(input, init);
    calls.push(req);
    const route = compiled.find((r) => routeMatches(r, req));
    if (!route) {
      return respond({
        status: 501,
        json: { error: `firebreak/testing: no stub route for ${req.method} ${req.url}` },
      });
    }
    req.route = route.label;
    const n = route.answered++;
    const a = route.reply;
    const reply = typeof a === 'function' ? await a(req, n) : isList(a) ? a[Math.min(n, a.length - 1)]! : a;
    return respond(reply);
  };

  return {
    fetch,
    calls,
    on(more) {
      compiled = [...compileRoutes(more), ...compiled];
    },
    mutations: () => calls.filter((c) => !SAFE.has(c.method)),
    unmatched: () => calls.filter((c) => c.route === null),
    find(method, url) {
      const test = urlTest(url);
      return calls.filter((c) => c.method === method.toUpperCase() && test(new URL(c.url)));
    },
  };
}

function isList(a: StubAnswer): a is readonly StubReply[] {
  return Array.isArray(a);
}

function compileRoutes(routes: StubRoutes): CompiledRoute[] {
  const list: StubRoute[] = Array.isArray(routes)
    ? [...(routes as readonly StubRoute[])]
    : Object.entries(routes as Record<string, StubAnswer>).map(([key, reply]) => {
        const m = /^([A-Z]+)\s+(\S+)$/.exec(key.trim());
        return m ? { method: m[1]!, url: m[2]!, reply } : { url: key.trim(), reply };
      });
  return list.map((r) => ({
    label: `${r.method ? `${r.method.toUpperCase()} ` : ''}${String(r.url)}`,
    method: r.method?.toUpperCase() ?? null,
    url: urlTest(r.url),
    query: Object.entries(r.query ?? {}),
    match: r.match,
    reply: r.reply,
    answered: 0,
  }));
}

function routeMatches(r: CompiledRoute, req: RecordedRequest): boolean {
  if (r.method && r.method !== req.method) return false;
  if (!r.url(new URL(req.url))) return false;
  for (const [name, want] of r.query) {
    const got = req.query[name];
    if (got === undefined) return false;
    if (typeof want === 'string' ? got !== want : !want.test(got)) return false;
  }
  return r.match ? r.match(req) : true;
}

function urlTest(pattern: string | RegExp): (u: URL) => boolean {
  if (pattern instanceof RegExp) return (u) => pattern.test(u.toString());
  const isPath = pattern.startsWith('/');
  const re = new RegExp(
    `^${pattern
      .split(/(\*\*|\*)/)
      .map((part) =>
        part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('')}$`,
  );
  return (u) => re.test(isPath ? u.pathname : `${u.origin}${u.pathname}`);
}

function record(input: string | URL, init: RequestInit | undefined): RecordedRequest {
  const url = new URL(String(input));
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((v, k) => {
    headers[k] = v;
  });
  const body = init?.body == null ? null : String(init.body);
  let json: unknown;
  if (body !== null) {
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
  }
  return {
    method: (init?.method ?? 'GET').toUpperCase(),
    url: url.toString(),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
    json,
    route: null,
  };
}

function respond(reply: StubReply): Response {
  const status = reply.status ?? 200;
  const headers = new Headers(reply.headers);
  let body: string | null = reply.body ?? null;
  if (reply.json !== undefined) {
    body = JSON.stringify(reply.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  // 204 and 304 may not carry a body.
  return new Response(status === 204 || status === 304 ? null : body, { status, headers });
}
