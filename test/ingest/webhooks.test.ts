// Every sender's real payloads, through real HTTP, with the sender's own way of authenticating. A 2xx
// means the alert is committed: the incident (or the dead letter) is readable the moment it arrives.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rawRequest } from '../support/raw-http.ts';
import {
  ALERT_SOURCES,
  GRAFANA_TIMESTAMP_HEADER,
  hmacHex,
  PAGERDUTY_SECRETS,
  signedHeaders,
  WEBHOOK_ENV,
  webhookFixtures,
} from '../support/senders.ts';
import { type DeadLetterWire, type TestServer, testServer } from '../support/server.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Accepted {
  incidentId?: string;
  outcome?: string;
  runIds?: string[];
  deadLetterId?: string;
  reason?: string;
}

/** The timeline entry each ingest outcome writes. */
const TIMELINE_ENTRY: Record<string, RegExp> = {
  opened: /^incident\.opened$/,
  reopened: /^incident\.reopened$/,
  updated: /^alert\.(firing|resolved)$/,
  resolved: /^incident\.resolved$/,
  repeat: /^alert\.repeat$/,
};

describe('every fixture of every source is accepted with the right credentials', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ env: WEBHOOK_ENV });
  });
  afterAll(async () => {
    await srv?.close();
  });

  test.each(webhookFixtures().map((f) => [f.name, f] as const))('%s', async (_name, f) => {
    const r = await srv.post<Accepted>(`/webhooks/${f.source}`, f.raw, signedHeaders(f.source, f.raw));
    expect(r.status, r.text).toBe(202);
    if (r.body.incidentId) {
      // Read back at once, through the API: the response came after the commit.
      const view = await srv.incident(r.body.incidentId);
      expect(view.incident.source).toBe(f.source);
      const entry = TIMELINE_ENTRY[r.body.outcome!];
      expect(
        view.timeline.some((e) => entry?.test(e.type)),
        r.body.outcome,
      ).toBe(true);
    } else {
      // A resolve for a group never seen (the fixtures are posted in name order): kept, not dropped.
      expect(r.body.reason).toMatch(/unknown alert group/);
      const dead = await srv.get<{ deadLetters: DeadLetterWire[] }>('/api/dead-letters');
      expect(dead.body.deadLetters.map((d) => d.id)).toContain(r.body.deadLetterId);
    }
  });

  test.each(ALERT_SOURCES.map((s) => [s]))('%s refuses the same body without credentials', async (source) => {
    const raw = webhookFixtures().find((f) => f.source === source)!.raw;
    const before = await srv.get<{ incidents: unknown[] }>('/api/incidents');
    const r = await srv.post(`/webhooks/${source}`, raw);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await srv.get<{ incidents: unknown[] }>('/api/incidents')).body.incidents).toHaveLength(
      before.body.incidents.length,
    );
  });

  test('PagerDuty: any v1 signature made with any configured secret authenticates (rotation)', async () => {
    const raw = webhookFixtures().find((f) => f.name === 'pagerduty/incident-triggered.json')!.raw;
    const [oldSecret, newSecret] = PAGERDUTY_SECRETS;
    const headerValues = [
      `v1=${hmacHex(oldSecret, raw)}`,
      `v1=${hmacHex(newSecret, raw)}`,
      `v1=${hmacHex(oldSecret, raw)},v1=${hmacHex(newSecret, raw)}`,
      `v1=${hmacHex('retired-secret-9', raw)}, v1=${hmacHex(newSecret, raw)}`,
      `v0=whatever,v1=${hmacHex(oldSecret, raw)}`,
    ];
    for (const [i, value] of headerValues.entries()) {
      const r = await srv.post<Accepted>('/webhooks/pagerduty', raw, {
        'x-pagerduty-signature': value,
        'x-webhook-id': `rotation-${i}`,
      });
      expect(r.status, value).toBe(202);
      expect(r.body.incidentId).toBeDefined();
    }
    const refused = await srv.post('/webhooks/pagerduty', raw, {
      'x-pagerduty-signature': `v1=${hmacHex('retired-secret-9', raw)}`,
    });
    expect(refused.status).toBe(401);
  });
});

describe('Grafana with a timestamp header signs "<unix seconds>:" + body', () => {
  let srv: TestServer;
  const raw = webhookFixtures().find((f) => f.source === 'grafana')!.raw;
  beforeAll(async () => {
    srv = await testServer({ env: { ...WEBHOOK_ENV, GRAFANA_TIMESTAMP_HEADER } });
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('a fresh timestamp with its signature is accepted and committed', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const r = await srv.post<Accepted>('/webhooks/grafana', raw, {
      [GRAFANA_TIMESTAMP_HEADER]: ts,
      'x-grafana-alerting-signature': hmacHex(WEBHOOK_ENV.GRAFANA_HMAC_SECRET, `${ts}:${raw}`),
    });
    expect(r.status, r.text).toBe(202);
    expect((await srv.incident(r.body.incidentId!)).incident.title).toBe('p95 latency 2.4s');
  });

  test('the body-only signature is not enough once a timestamp header is configured', async () => {
    const r = await srv.post('/webhooks/grafana', raw, signedHeaders('grafana', raw));
    expect(r.status).toBe(401);
  });
});

describe('a source with no secret configured', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer();
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('says so at start, for every source and for the API', () => {
    for (const source of ALERT_SOURCES) {
      expect(srv.printed).toContain(
        `  webhook ${source}: no secret configured, accepting loopback requests only`,
      );
    }
    expect(srv.printed).toContain('  API: no API_TOKENS configured, answering loopback requests only');
    expect(srv.printed).toContain(
      '  API: no API_TOKENS: every loopback caller is an unauthenticated admin, and group gates are not enforced for it',
    );
    expect(srv.printed[0]).toMatch(/^firebreak listening on http:\/\/127\.0\.0\.1:\d+ /);
  });

  test.each(webhookFixtures().map((f) => [f.name, f] as const))('accepts %s from loopback', async (_n, f) => {
    const r = await srv.post<Accepted>(`/webhooks/${f.source}`, f.raw);
    expect(r.status, r.text).toBe(202);
    // Each fixture either opens/updates an incident or is kept as a dead letter: exactly one of the two.
    const { incidentId, deadLetterId } = r.body;
    expect([incidentId, deadLetterId].filter((id) => typeof id === 'string' && UUID.test(id))).toHaveLength(
      1,
    );
  });

  test('refuses the same request from another address (a mesh sidecar forwards from 127.0.0.6)', async () => {
    const res = await rawRequest(srv.server.port, {
      method: 'POST',
      path: '/webhooks/alertmanager',
      headers: { 'content-type': 'application/json' },
      body: webhookFixtures()[0]!.raw,
      localAddress: '127.0.0.6',
    });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({
      error: { code: 'unauthorized', message: 'alertmanager has no secret configured: loopback only' },
    });
  });
});
