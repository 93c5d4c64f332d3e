// A configured secret never reaches anything a person reads: a runbook that returns, attaches, logs and
// throws it (test/fixtures/runbooks/leaky.ts), an alert that carries it, a dead letter that quotes it.
// Checked in every row of every table, in the API's answers and in the log lines.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REDACTED } from '../../src/core/redact.ts';
import { LEAKED_TOKEN } from '../fixtures/runbooks/leaky.ts';
import { fixtureJson } from '../support/senders.ts';
import { type TestServer, testServer } from '../support/server.ts';

const API_TOKEN = 'api-admin-token-5d8e1f2a';

/** An Alertmanager notification for the `leaky` runbook whose annotation quotes the token. */
function leakyAlert(): Record<string, unknown> {
  const base = fixtureJson('alertmanager/v0.25-single-alert.json');
  const [alert] = base.alerts as Record<string, unknown>[];
  const labels = { alertname: 'LeakySecret', service: 'billing' };
  return {
    ...base,
    groupKey: '{}:{alertname="LeakySecret"}',
    commonLabels: labels,
    alerts: [
      { ...alert, labels, annotations: { summary: `curl -H 'Authorization: Bearer ${LEAKED_TOKEN}'` } },
    ],
  };
}

describe('a configured secret', () => {
  let srv: TestServer;
  let incidentId: string;
  const runIds: string[] = [];

  beforeAll(async () => {
    srv = await testServer({
      env: { ALERTMANAGER_TOKEN: LEAKED_TOKEN, API_TOKENS: `${API_TOKEN}=admin:ada`, LOG_LEVEL: 'debug' },
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    const amAuth = { authorization: `Bearer ${LEAKED_TOKEN}` };

    // An alert that starts the leaky runbook.
    const fired = await srv.post<{ incidentId: string; runIds: string[] }>(
      '/webhooks/alertmanager',
      leakyAlert(),
      amAuth,
    );
    expect(fired.status, fired.text).toBe(202);
    incidentId = fired.body.incidentId;
    runIds.push(...fired.body.runIds);

    // The same runbook started through the API with the API token in its input.
    const started = await srv.post<{ runId: string }>('/api/runs', {
      runbook: 'leaky',
      input: { service: API_TOKEN },
    });
    expect(started.status, started.text).toBe(201);
    runIds.push(started.body.runId);

    // Bodies that end as dead letters, quoting the token in the body, the reason and a header.
    const noAlerts = { ...leakyAlert(), groupKey: `{}:{token="${LEAKED_TOKEN}"}`, alerts: [] };
    const dl1 = await srv.post('/webhooks/alertmanager', noAlerts, {
      ...amAuth,
      'x-debug-token': LEAKED_TOKEN,
    });
    const dl2 = await srv.post('/webhooks/alertmanager', { ...leakyAlert(), version: LEAKED_TOKEN }, amAuth);
    expect([dl1.status, dl2.status]).toEqual([202, 202]);

    for (const id of runIds) expect((await srv.finalRun(id)).run.status).toBe('succeeded');
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('the runbook really did return, attach, throw and log it (so redaction had work to do)', async () => {
    const run = await srv.finalRun(runIds[0]!);
    expect(run.steps.find((s) => s.stepKey === 'read-token')?.output).toEqual({
      token: REDACTED,
      header: `Bearer ${REDACTED}`,
    });
    const failed = run.attempts.find((a) => a.stepKey === 'call-upstream' && a.status === 'failed');
    expect(failed?.error?.message).toBe(`upstream refused token ${REDACTED}`);
    const view = await srv.incident(incidentId);
    // Both attached in one step: the same time, so no order between them.
    expect(view.evidence.map((e) => e.content)).toEqual(
      expect.arrayContaining([`token for billing: ${REDACTED}`, { authorization: `Bearer ${REDACTED}` }]),
    );
    expect(view.evidence).toHaveLength(2);
    expect(view.alerts[0]?.annotations.summary).toBe(`curl -H 'Authorization: Bearer ${REDACTED}'`);
    expect(srv.logs.some((l) => l.includes('read the upstream token') && l.includes(REDACTED))).toBe(true);
    const dead = await srv.get<{ deadLetters: { reason: string; body: string; headers: object }[] }>(
      '/api/dead-letters',
    );
    expect(dead.body.deadLetters.map((d) => d.reason).sort()).toEqual([
      `alertmanager notification for {}:{token="${REDACTED}"} has no alerts`,
      `unsupported Alertmanager payload version "${REDACTED}"`,
    ]);
  });

  test('appears in no row of any table', async () => {
    const driver = srv.fb.store.driver;
    const tables = await driver.query(
      `select table_name from information_schema.tables
       where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`,
    );
    const names = tables.map((t) => String(t.table_name));
    expect(names).toEqual(
      expect.arrayContaining([
        'alerts',
        'dead_letters',
        'events',
        'evidence',
        'notifications',
        'runs',
        'steps',
      ]),
    );
    let dumped = '';
    for (const name of names) {
      const rows = await driver.query(
        `select coalesce(string_agg(t::text, E'\\n'), '') as dump from "${name}" t`,
      );
      dumped += String(rows[0]?.dump ?? '');
    }
    expect(dumped).toContain(REDACTED);
    for (const secret of [LEAKED_TOKEN, API_TOKEN]) expect(dumped).not.toContain(secret);
  });

  test('appears in no API answer', async () => {
    const answers = await Promise.all([
      srv.get(`/api/incidents/${incidentId}`),
      srv.get('/api/incidents'),
      srv.get('/api/dead-letters'),
      srv.get('/api/runs'),
      ...runIds.map((id) => srv.get(`/api/runs/${id}`)),
    ]);
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.text).not.toContain(LEAKED_TOKEN);
      expect(a.text).not.toContain(API_TOKEN);
    }
  });

  test('appears in no log line', () => {
    expect(srv.logs.length).toBeGreaterThan(0);
    const all = srv.logs.join('');
    expect(all).not.toContain(LEAKED_TOKEN);
    expect(all).not.toContain(API_TOKEN);
  });
});
