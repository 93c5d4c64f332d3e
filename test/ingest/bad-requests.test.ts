// Every refusal is a 4xx (never a 5xx: senders retry those) in the one error shape
// { error: { code, message, issues? } }. Valid JSON that cannot be routed is kept, not refused.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  fixtureJson,
  fixtureRaw,
  GRAFANA_TIMESTAMP_HEADER,
  hmacHex,
  signedHeaders,
  WEBHOOK_ENV,
} from '../support/senders.ts';
import {
  type DeadLetterWire,
  type ErrorBody,
  type RequestHeaders,
  type TestServer,
  testServer,
} from '../support/server.ts';

const TOKENS = {
  viewer: 'viewer-token-0001',
  operator: 'operator-token-0002',
  admin: 'admin-token-00003',
};
const BODY_LIMIT = 4096;

const env = {
  ...WEBHOOK_ENV,
  GRAFANA_TIMESTAMP_HEADER,
  BODY_LIMIT_BYTES: String(BODY_LIMIT),
  API_TOKENS: `${TOKENS.viewer}=viewer:vera, ${TOKENS.operator}=operator:otto, ${TOKENS.admin}=admin:ada`,
};

const as = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role]}` });

/** The one error shape, and nothing else. */
const errorShape = z.strictObject({
  error: z.strictObject({
    code: z.string().min(1),
    message: z.string().min(1),
    issues: z.array(z.looseObject({ path: z.array(z.unknown()), message: z.string() })).optional(),
  }),
});

const am = fixtureRaw('alertmanager/firing-two-alerts.json');
const grafana = fixtureRaw('grafana/firing.json');
const pagerduty = fixtureRaw('pagerduty/incident-triggered.json');
const now = () => String(Math.floor(Date.now() / 1000));
const grafanaSigned = (raw: string, ts: string) => ({
  [GRAFANA_TIMESTAMP_HEADER]: ts,
  'x-grafana-alerting-signature': hmacHex(WEBHOOK_ENV.GRAFANA_HMAC_SECRET, `${ts}:${raw}`),
});
const signed = (source: 'alertmanager' | 'datadog' | 'generic' | 'pagerduty', raw: string) => ({
  source,
  raw,
  headers: signedHeaders(source, raw),
});

interface Case {
  name: string;
  method: 'GET' | 'POST';
  path: string | ((ctx: Ctx) => string);
  body?: string | object;
  headers?: RequestHeaders | (() => RequestHeaders);
  status: number;
  code: string;
  /** Paths the zod issues must name. */
  issues?: PropertyKey[][];
}

interface Ctx {
  succeededRunId: string;
}

const unknownId = randomUUID();
const oversized = JSON.stringify({ ...fixtureJson('generic/firing.json'), padding: 'x'.repeat(BODY_LIMIT) });

const webhookCases: Case[] = [
  ...[
    signed('alertmanager', '{"status": "firing", "alerts": ['),
    signed('generic', "{'single': 'quotes'}"),
    signed('datadog', ''),
  ].map(
    (s): Case => ({
      name: `malformed JSON to ${s.source} (${JSON.stringify(s.raw.slice(0, 12))})`,
      method: 'POST',
      path: `/webhooks/${s.source}`,
      body: s.raw,
      headers: s.headers,
      status: 400,
      code: 'bad_json',
    }),
  ),
  {
    name: 'an Alertmanager body without alerts',
    method: 'POST',
    path: '/webhooks/alertmanager',
    ...bodyAndHeaders(signed('alertmanager', '{"status":"firing","version":"4"}')),
    status: 422,
    code: 'validation',
    issues: [['alerts']],
  },
  {
    name: 'a generic alert with an unknown status',
    method: 'POST',
    path: '/webhooks/generic',
    ...bodyAndHeaders(signed('generic', '{"id":"x","status":"burning"}')),
    status: 422,
    code: 'validation',
    issues: [['status']],
  },
  {
    name: 'a number instead of a Datadog object',
    method: 'POST',
    path: '/webhooks/datadog',
    ...bodyAndHeaders(signed('datadog', '42')),
    status: 422,
    code: 'validation',
    issues: [[]],
  },
  {
    name: 'a PagerDuty incident event whose data has the wrong types',
    method: 'POST',
    path: '/webhooks/pagerduty',
    ...bodyAndHeaders(
      signed(
        'pagerduty',
        JSON.stringify({ event: { id: 'e1', event_type: 'incident.triggered', data: { id: 7 } } }),
      ),
    ),
    status: 422,
    code: 'validation',
    issues: [['event', 'data', 'id']],
  },
  {
    name: `a body over BODY_LIMIT_BYTES (${BODY_LIMIT})`,
    method: 'POST',
    path: '/webhooks/generic',
    ...bodyAndHeaders(signed('generic', oversized)),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'Alertmanager without Authorization',
    method: 'POST',
    path: '/webhooks/alertmanager',
    body: am,
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'Alertmanager with a wrong bearer token',
    method: 'POST',
    path: '/webhooks/alertmanager',
    body: am,
    headers: { authorization: 'Bearer am-token-3f9a2c70' },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: "Datadog with another source's token",
    method: 'POST',
    path: '/webhooks/datadog',
    body: fixtureRaw('datadog/triggered.json'),
    headers: { authorization: `Bearer ${WEBHOOK_ENV.GENERIC_TOKEN}` },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'Grafana with a bad HMAC',
    method: 'POST',
    path: '/webhooks/grafana',
    body: grafana,
    headers: () => ({ ...grafanaSigned(grafana, now()), 'x-grafana-alerting-signature': 'ab'.repeat(32) }),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'Grafana signed with another secret',
    method: 'POST',
    path: '/webhooks/grafana',
    body: grafana,
    headers: () => {
      const ts = now();
      return {
        [GRAFANA_TIMESTAMP_HEADER]: ts,
        'x-grafana-alerting-signature': hmacHex('another-secret', `${ts}:${grafana}`),
      };
    },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'Grafana with a stale timestamp (an hour old), correctly signed',
    method: 'POST',
    path: '/webhooks/grafana',
    body: grafana,
    headers: () => grafanaSigned(grafana, String(Math.floor(Date.now() / 1000) - 3600)),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'Grafana without the timestamp header',
    method: 'POST',
    path: '/webhooks/grafana',
    body: grafana,
    headers: { 'x-grafana-alerting-signature': hmacHex(WEBHOOK_ENV.GRAFANA_HMAC_SECRET, grafana) },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'PagerDuty with a signature of another body',
    method: 'POST',
    path: '/webhooks/pagerduty',
    body: pagerduty,
    headers: signedHeaders('pagerduty', pagerduty.replace('P1', 'P5')),
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'PagerDuty without X-PagerDuty-Signature',
    method: 'POST',
    path: '/webhooks/pagerduty',
    body: pagerduty,
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'an unknown webhook source',
    method: 'POST',
    path: '/webhooks/nagios',
    body: am,
    headers: signedHeaders('alertmanager', am),
    status: 404,
    code: 'not_found',
  },
];

const apiCases: Case[] = [
  { name: 'an unknown run', method: 'GET', path: `/api/runs/${unknownId}`, status: 404, code: 'not_found' },
  { name: 'a run id that is no uuid', method: 'GET', path: '/api/runs/abc', status: 404, code: 'not_found' },
  {
    name: 'an unknown incident',
    method: 'GET',
    path: `/api/incidents/${unknownId}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'an incident id that is no uuid',
    method: 'GET',
    path: '/api/incidents/abc',
    status: 404,
    code: 'not_found',
  },
  { name: 'an unknown runbook', method: 'GET', path: '/api/runbooks/nope', status: 404, code: 'not_found' },
  { name: 'an unknown API route', method: 'GET', path: '/api/nothing-here', status: 404, code: 'not_found' },
  {
    name: 'a runs query with limit 0',
    method: 'GET',
    path: '/api/runs?limit=0',
    status: 422,
    code: 'validation',
    issues: [['limit']],
  },
  {
    name: 'an incidents query with an unknown status',
    method: 'GET',
    path: '/api/incidents?status=smouldering',
    status: 422,
    code: 'validation',
    issues: [['status']],
  },
  {
    name: 'a runs query with an unknown status',
    method: 'GET',
    path: '/api/runs?status=smouldering',
    status: 422,
    code: 'validation',
    issues: [['status']],
  },
  {
    name: 'a runs query with U+0000 in the runbook id',
    method: 'GET',
    path: '/api/runs?runbook=a%00b',
    status: 422,
    code: 'validation',
    issues: [['runbook']],
  },
  {
    name: 'POST /api/runs without a runbook',
    method: 'POST',
    path: '/api/runs',
    body: { input: {} },
    status: 422,
    code: 'validation',
    issues: [['runbook']],
  },
  {
    name: 'POST /api/runs with dryRun "yes"',
    method: 'POST',
    path: '/api/runs',
    body: { runbook: 'restart-service', input: { service: 'a' }, dryRun: 'yes' },
    status: 422,
    code: 'validation',
    issues: [['dryRun']],
  },
  {
    name: 'POST /api/runs with malformed JSON',
    method: 'POST',
    path: '/api/runs',
    body: '{"runbook":',
    status: 400,
    code: 'bad_json',
  },
  {
    name: 'POST /api/runs for an unknown runbook',
    method: 'POST',
    path: '/api/runs',
    body: { runbook: 'nope', input: {} },
    status: 404,
    code: 'not_found',
  },
  {
    name: 'POST /api/runs with an input the runbook refuses',
    method: 'POST',
    path: '/api/runs',
    body: { runbook: 'restart-service', input: { service: 42 } },
    status: 422,
    code: 'validation',
    issues: [['service']],
  },
  {
    name: 'retry of a succeeded run',
    method: 'POST',
    path: (ctx) => `/api/runs/${ctx.succeededRunId}/retry`,
    status: 409,
    code: 'conflict',
  },
  {
    name: 'retry of an unknown run',
    method: 'POST',
    path: `/api/runs/${unknownId}/retry`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'cancel of an unknown run',
    method: 'POST',
    path: `/api/runs/${unknownId}/cancel`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'replay of an unknown dead letter',
    method: 'POST',
    path: `/api/dead-letters/${unknownId}/replay`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'a viewer starting a run',
    method: 'POST',
    path: '/api/runs',
    body: { runbook: 'restart-service', input: { service: 'a' } },
    headers: as('viewer'),
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'a viewer replaying a dead letter',
    method: 'POST',
    path: `/api/dead-letters/${unknownId}/replay`,
    headers: as('viewer'),
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'no token while API_TOKENS is set',
    method: 'GET',
    path: '/api/incidents',
    headers: { authorization: undefined },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'an unknown API token',
    method: 'GET',
    path: '/api/runs',
    headers: { authorization: 'Bearer not-a-configured-token' },
    status: 401,
    code: 'unauthorized',
  },
];

function bodyAndHeaders(s: { raw: string; headers: Record<string, string> }): Pick<Case, 'body' | 'headers'> {
  return { body: s.raw, headers: s.headers };
}

describe('bad requests', () => {
  let srv: TestServer;
  const ctx: Ctx = { succeededRunId: '' };
  beforeAll(async () => {
    srv = await testServer({ env, headers: as('admin') });
    const started = await srv.post<{ runId: string }>('/api/runs', {
      runbook: 'restart-service',
      input: { service: 'web' },
    });
    ctx.succeededRunId = started.body.runId;
    expect((await srv.finalRun(ctx.succeededRunId)).run.status).toBe('succeeded');
  });
  afterAll(async () => {
    await srv?.close();
  });

  const cases = [...webhookCases, ...apiCases];

  test('the table has at least 20 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const path = typeof c.path === 'function' ? c.path(ctx) : c.path;
    const headers = typeof c.headers === 'function' ? c.headers() : c.headers;
    // Webhooks authenticate with their own credentials, never with an API token.
    const own = path.startsWith('/webhooks/') ? { authorization: undefined, ...headers } : headers;
    const r = await srv.request<ErrorBody>(c.method, path, c.body, own);
    expect(r.status, r.text).toBe(c.status);
    expect(errorShape.safeParse(r.body).success, r.text).toBe(true);
    expect(r.body.error.code).toBe(c.code);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    if (c.issues) expect(r.body.error.issues?.map((i) => i.path)).toEqual(expect.arrayContaining(c.issues));
    else expect(r.body.error.issues).toBeUndefined();
  });

  test('none of the refused requests left an incident, a dead letter or a run behind', async () => {
    expect((await srv.get<{ incidents: unknown[] }>('/api/incidents')).body.incidents).toEqual([]);
    expect((await srv.get<{ deadLetters: unknown[] }>('/api/dead-letters')).body.deadLetters).toEqual([]);
    const runs = (await srv.get<{ runs: { id: string }[] }>('/api/runs')).body.runs;
    expect(runs.map((r) => r.id)).toEqual([ctx.succeededRunId]);
  });
});

describe('valid JSON that cannot be routed', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ env: { ...WEBHOOK_ENV, API_TOKENS: env.API_TOKENS }, headers: as('operator') });
  });
  afterAll(async () => {
    await srv?.close();
  });

  const deadLetters = async () =>
    (await srv.get<{ deadLetters: DeadLetterWire[] }>('/api/dead-letters')).body.deadLetters;

  test.each([
    [
      'an Alertmanager payload version it does not know',
      'alertmanager' as const,
      JSON.stringify({ ...fixtureJson('alertmanager/firing-two-alerts.json'), version: '5' }),
      'unsupported Alertmanager payload version "5"',
    ],
    [
      'a PagerDuty event about something other than an incident',
      'pagerduty' as const,
      JSON.stringify({ event: { id: 'e-9', event_type: 'service.updated', data: { id: 'PSVC1' } } }),
      'unhandled PagerDuty event type "service.updated"',
    ],
    [
      'a Datadog transition named like a member of Object.prototype',
      'datadog' as const,
      JSON.stringify({ ...fixtureJson('datadog/triggered.json'), alert_transition: 'constructor' }),
      'unhandled Datadog alert transition "constructor"',
    ],
    [
      'a generic alert without an id',
      'generic' as const,
      JSON.stringify({ status: 'firing', title: 'no id' }),
      'generic alert has no id',
    ],
  ])('%s is a 202 and a dead letter with the reason', async (_name, source, raw, reason) => {
    const r = await srv.post<{ deadLetterId: string; reason: string }>(`/webhooks/${source}`, raw, {
      authorization: undefined,
      ...signedHeaders(source, raw),
    });
    expect(r.status, r.text).toBe(202);
    expect(r.body.reason).toBe(reason);
    const kept = (await deadLetters()).find((d) => d.id === r.body.deadLetterId);
    expect(kept).toMatchObject({ source, reason, body: raw, replayedAt: null });
    // Credentials are not kept with it.
    expect(kept?.headers.authorization).toBeUndefined();
  });

  test('a replay of a dead letter that can now be routed commits it and records the result', async () => {
    const resolvedRaw = fixtureRaw('pagerduty/incident-resolved.json');
    const early = await srv.post<{ deadLetterId: string; reason: string }>(
      '/webhooks/pagerduty',
      resolvedRaw,
      { authorization: undefined, ...signedHeaders('pagerduty', resolvedRaw), 'x-webhook-id': 'wh-res' },
    );
    expect(early.status).toBe(202);
    expect(early.body.reason).toBe('resolved notification for unknown alert group PGR0VU2');

    // The trigger arrives late; the resolve kept as a dead letter can now be replayed.
    const triggeredRaw = fixtureRaw('pagerduty/incident-triggered.json');
    const opened = await srv.post<{ incidentId: string }>('/webhooks/pagerduty', triggeredRaw, {
      authorization: undefined,
      ...signedHeaders('pagerduty', triggeredRaw),
    });
    expect(opened.status).toBe(202);

    const replay = await srv.post<{ deadLetterId: string; result: Record<string, unknown> }>(
      `/api/dead-letters/${early.body.deadLetterId}/replay`,
    );
    expect(replay.status, replay.text).toBe(200);
    expect(replay.body.result).toMatchObject({
      kind: 'accepted',
      incidentId: opened.body.incidentId,
      outcome: 'resolved',
    });
    expect((await srv.incident(opened.body.incidentId)).incident.status).toBe('resolved');
    const kept = (await deadLetters()).find((d) => d.id === early.body.deadLetterId);
    expect(Date.parse(String(kept?.replayedAt))).toBeGreaterThan(0);
    expect(kept?.replayResult).toMatchObject({ kind: 'accepted', outcome: 'resolved' });
  });

  test('a replay that still cannot be routed reports why and stores no second dead letter', async () => {
    const before = await deadLetters();
    const unroutable = before.find((d) => d.reason === 'generic alert has no id');
    expect(unroutable).toBeDefined();
    const replay = await srv.post<{ result: unknown }>(`/api/dead-letters/${unroutable!.id}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body.result).toEqual({ kind: 'unroutable', reason: 'generic alert has no id' });
    const after = await deadLetters();
    expect(after).toHaveLength(before.length);
    expect(after.find((d) => d.id === unroutable!.id)?.replayResult).toEqual(replay.body.result);
  });
});

describe('text the database cannot store (U+0000, lone surrogates)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ env: WEBHOOK_ENV });
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('in an alert: committed with U+FFFD in its place, not a 5xx', async () => {
    const base = fixtureJson('alertmanager/v0.25-single-alert.json');
    const [alert] = base.alerts as Record<string, unknown>[];
    const labels = { alertname: 'Odd\u0000Bytes', instance: 'db-\ud800' };
    const raw = JSON.stringify({
      ...base,
      groupKey: '{}:{alertname="Odd\u0000Bytes"}',
      commonLabels: labels,
      alerts: [{ ...alert, labels, annotations: { summary: 'x\udfffy' } }],
    });
    const r = await srv.post<{ incidentId: string }>(
      '/webhooks/alertmanager',
      raw,
      signedHeaders('alertmanager', raw),
    );
    expect(r.status, r.text).toBe(202);
    const view = await srv.incident(r.body.incidentId);
    expect(view.alerts[0]?.labels).toEqual({ alertname: 'Odd\ufffdBytes', instance: 'db-\ufffd' });
    expect(view.alerts[0]?.annotations).toEqual({ summary: 'x\ufffdy' });
    expect(view.incident.groupKey).toBe('{}:{alertname="Odd\ufffdBytes"}');
  });

  test('in a reason that quotes the body: the dead letter is kept', async () => {
    const raw = JSON.stringify({ ...fixtureJson('alertmanager/repeat.json'), version: 'v\u00005' });
    const r = await srv.post<{ deadLetterId: string }>(
      '/webhooks/alertmanager',
      raw,
      signedHeaders('alertmanager', raw),
    );
    expect(r.status, r.text).toBe(202);
    const dead = await srv.get<{ deadLetters: DeadLetterWire[] }>('/api/dead-letters');
    expect(dead.body.deadLetters.find((d) => d.id === r.body.deadLetterId)?.reason).toBe(
      'unsupported Alertmanager payload version "v\ufffd5"',
    );
  });

  test('in a run input', async () => {
    const r = await srv.post<{ runId: string }>('/api/runs', {
      runbook: 'restart-service',
      input: { service: 'a\u0000b' },
      dryRun: true,
    });
    expect(r.status, r.text).toBe(201);
    expect((await srv.finalRun(r.body.runId)).run.input).toEqual({ service: 'a\ufffdb' });
  });
});
