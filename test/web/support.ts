// What the web tests share: the runbooks folder, API tokens per role, a browser-like request (cookies,
// Origin, no redirect following), and firing the Alertmanager fixture as a group of its own.
import { fileURLToPath } from 'node:url';
import type { ApprovalRecord } from '../../src/store/records.ts';
import { fixtureJson } from '../support/senders.ts';
import type { TestServer } from '../support/server.ts';
import { until } from '../support/until.ts';

/** checkout-rollback: triggered by HighErrorRate; a diagnostic, a gate for role approver, a rollback. */
export const WEB_RUNBOOKS = fileURLToPath(new URL('./runbooks', import.meta.url));

export const TOKENS = {
  viewer: 'web-viewer-token-1111',
  approver: 'web-approver-token-2222',
  operator: 'web-operator-token-3333',
  admin: 'web-admin-token-4444',
} as const;
export type Role = keyof typeof TOKENS;

export const API_TOKENS = Object.entries(TOKENS)
  .map(([role, token]) => `${token}=${role}:${role}-on-call`)
  .join(',');

export interface WebReply {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

export interface WebRequest {
  method?: 'GET' | 'POST';
  form?: Record<string, string>;
  cookie?: string | null;
  /** Added to (or, with undefined, taken from) what a browser on the page would send. */
  headers?: Record<string, string | undefined>;
}

/** A request as a browser on one of the server's pages makes it: same Origin on POST, redirects not followed. */
export async function web(srv: TestServer, path: string, req: WebRequest = {}): Promise<WebReply> {
  const method = req.method ?? (req.form ? 'POST' : 'GET');
  const headers: Record<string, string | undefined> = {
    ...(method === 'POST' ? { origin: srv.url, 'content-type': 'application/x-www-form-urlencoded' } : {}),
    ...(req.cookie ? { cookie: req.cookie } : {}),
    ...req.headers,
  };
  const res = await fetch(`${srv.url}${path}`, {
    method,
    redirect: 'manual',
    headers: Object.fromEntries(
      Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    ...(req.form ? { body: new URLSearchParams(req.form).toString() } : {}),
  });
  return {
    status: res.status,
    headers: res.headers,
    text: await res.text(),
    location: res.headers.get('location'),
  };
}

/** Signs in through the form and returns the Cookie header value for later requests. */
export async function signIn(srv: TestServer, role: Role): Promise<string> {
  const r = await web(srv, '/sign-in', { form: { token: TOKENS[role], next: '/' } });
  if (r.status !== 303) throw new Error(`sign-in as ${role}: ${r.status} ${r.text}`);
  const cookie = r.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0]!;
}

/**
 * Posts firing-two-alerts.json as a group of its own (its own incident and run), optionally with a
 * summary annotation of the caller's choosing, and waits for the run's gate to be pending.
 */
export async function fireAndWaitForGate(
  srv: TestServer,
  group: string,
  opts: { summary?: string; service?: string } = {},
): Promise<{ incidentId: string; runId: string; approval: ApprovalRecord }> {
  const body = fixtureJson('alertmanager/firing-two-alerts.json') as {
    groupKey: string;
    commonAnnotations: Record<string, string>;
    commonLabels: Record<string, string>;
    alerts: { fingerprint: string; labels: Record<string, string>; annotations: Record<string, string> }[];
  };
  body.groupKey = `{}:{group="${group}"}`;
  if (opts.summary) body.commonAnnotations.summary = opts.summary;
  for (const [i, a] of body.alerts.entries()) {
    a.fingerprint = `${group}-${i}`;
    if (opts.service) a.labels.service = opts.service;
    if (opts.summary) a.annotations.summary = opts.summary;
  }
  if (opts.service) body.commonLabels.service = opts.service;
  const r = await srv.post<{ incidentId: string; runIds: string[] }>('/webhooks/alertmanager', body, {
    authorization: undefined,
  });
  if (r.status !== 202) throw new Error(`webhook: ${r.status} ${r.text}`);
  const runId = r.body.runIds[0];
  if (!runId) throw new Error(`no run started: ${r.text}`);
  const approval = await until(async () => {
    const [a] = await srv.fb.store.listApprovals({ runId, status: 'pending' });
    return a ?? null;
  }, 20_000);
  return { incidentId: r.body.incidentId, runId, approval };
}
