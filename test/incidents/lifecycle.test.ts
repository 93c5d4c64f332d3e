// An alert group's life through real HTTP: one incident per active group, each matching runbook run once
// per incident (and again when it reopens), repeats as timeline notes, resolve when every alert has, reopen
// within the flap window.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixtureJson, fixtureRaw, signedHeaders, WEBHOOK_ENV } from '../support/senders.ts';
import { type DeadLetterWire, type TestServer, testServer } from '../support/server.ts';

interface Accepted {
  incidentId: string;
  outcome: string;
  runIds: string[];
}

const alertmanager = (srv: TestServer, body: string | object) => {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return srv.post<Accepted>('/webhooks/alertmanager', raw, signedHeaders('alertmanager', raw));
};

const am = (name: string) => fixtureRaw(`alertmanager/${name}.json`);

/** A one-alert Alertmanager group of its own, built on the v0.25 fixture. */
function group(groupKey: string, labels: Record<string, string>, status = 'firing'): object {
  const base = fixtureJson('alertmanager/v0.25-single-alert.json');
  const [alert] = base.alerts as Record<string, unknown>[];
  return {
    ...base,
    groupKey,
    status,
    commonLabels: labels,
    groupLabels: { alertname: labels.alertname },
    alerts: [{ ...alert, status, labels, fingerprint: `fp-${groupKey}` }],
  };
}

async function runsOf(srv: TestServer, incidentId: string): Promise<{ id: string; runbookId: string }[]> {
  const r = await srv.get<{ runs: { id: string; runbookId: string }[] }>(`/api/runs?incident=${incidentId}`);
  return r.body.runs;
}

describe('an Alertmanager group from first notification to resolve and re-fire', () => {
  let srv: TestServer;
  let incidentId: string;
  let runId: string;
  beforeAll(async () => {
    srv = await testServer({ env: WEBHOOK_ENV });
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('firing with two alerts opens one incident and runs the matching runbook once', async () => {
    const r = await alertmanager(srv, am('firing-two-alerts'));
    expect(r.status, r.text).toBe(202);
    expect(r.body.outcome).toBe('opened');
    expect(r.body.runIds).toHaveLength(1);
    incidentId = r.body.incidentId;
    runId = r.body.runIds[0]!;

    const run = await srv.finalRun(runId);
    expect(run.run).toMatchObject({
      status: 'succeeded',
      runbookId: 'high-error-rate',
      incidentId,
      requestedBy: 'alert:alertmanager',
      input: { service: 'checkout', instance: 'api-1:8080' },
    });
    expect(run.steps.map((s) => [s.stepKey, s.status, s.attempt])).toEqual([['error-ratio', 'succeeded', 1]]);

    const view = await srv.incident(incidentId);
    expect(view.incident).toMatchObject({ status: 'firing', source: 'alertmanager', severity: 'critical' });
    expect(view.alerts.map((a) => [a.fingerprint, a.status])).toEqual([
      ['3b9f2c1e8a7d4f60', 'firing'],
      ['a41c09e7b6f2d813', 'firing'],
    ]);
    expect(view.runs.map((x) => x.id)).toEqual([runId]);
    // Attached by one step at the same time: no order between the two.
    const evidence = [...view.evidence].sort((a, b) => a.kind.localeCompare(b.kind));
    expect(evidence.map((e) => [e.kind, e.title, e.runId, e.stepKey])).toEqual([
      ['json', 'error ratio of checkout', runId, 'error-ratio'],
      ['markdown', 'summary', runId, 'error-ratio'],
    ]);
    expect(evidence[0]!.content).toEqual({ instance: 'api-1:8080' });
    expect(evidence[0]!.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const types = view.timeline.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['incident.opened', 'alert.firing', 'alert.firing', 'run.created']);
    expect(types).toContain('run.succeeded');
  });

  test('a repeat adds a timeline note and starts nothing', async () => {
    const before = await srv.incident(incidentId);
    const r = await alertmanager(srv, am('repeat'));
    expect(r.body).toEqual({ incidentId, outcome: 'repeat', runIds: [] });
    const view = await srv.incident(incidentId);
    const added = view.timeline.slice(before.timeline.length);
    expect(added.map((e) => [e.type, e.data])).toEqual([
      ['alert.repeat', { reason: 'repeat interval elapsed', alerts: 2 }],
    ]);
    expect(await runsOf(srv, incidentId)).toHaveLength(1);
  });

  test('partly resolved updates the alert statuses; the incident keeps firing', async () => {
    const r = await alertmanager(srv, am('partly-resolved'));
    expect(r.body).toEqual({ incidentId, outcome: 'updated', runIds: [] });
    const view = await srv.incident(incidentId);
    expect(view.incident.status).toBe('firing');
    expect(view.alerts.map((a) => [a.fingerprint, a.status])).toEqual([
      ['3b9f2c1e8a7d4f60', 'firing'],
      ['a41c09e7b6f2d813', 'resolved'],
    ]);
    expect(view.timeline.at(-1)).toMatchObject({
      type: 'alert.resolved',
      data: { fingerprint: 'a41c09e7b6f2d813' },
    });
  });

  test('resolved resolves the incident', async () => {
    const r = await alertmanager(srv, am('resolved'));
    expect(r.body).toEqual({ incidentId, outcome: 'resolved', runIds: [] });
    const view = await srv.incident(incidentId);
    expect(view.incident.status).toBe('resolved');
    expect(Date.parse(String(view.incident.resolvedAt))).toBeGreaterThan(0);
    expect(view.alerts.every((a) => a.status === 'resolved')).toBe(true);
    expect(view.timeline.at(-1)?.type).toBe('incident.resolved');
    const open = await srv.get<{ incidents: unknown[] }>('/api/incidents?status=firing');
    expect(open.body.incidents).toHaveLength(0);
  });

  test('the timeline cannot be rewritten: the database refuses UPDATE and DELETE of its rows', async () => {
    const before = await srv.incident(incidentId);
    const driver = srv.fb.store.driver;
    await expect(
      driver.query(`update events set data = '{}'::jsonb where incident_id = $1`, [incidentId]),
    ).rejects.toThrow('the events table is append-only: UPDATE refused');
    await expect(driver.query('delete from events where incident_id = $1', [incidentId])).rejects.toThrow(
      'the events table is append-only: DELETE refused',
    );
    expect((await srv.incident(incidentId)).timeline).toEqual(before.timeline);
  });

  test('a re-fire within the flap window reopens the same incident and runs its runbook again', async () => {
    const r = await alertmanager(srv, am('firing-two-alerts'));
    expect(r.body).toMatchObject({ incidentId, outcome: 'reopened' });
    expect(r.body.runIds).toHaveLength(1);
    expect(r.body.runIds[0]).not.toBe(runId);
    const view = await srv.incident(incidentId);
    expect(view.incident).toMatchObject({ status: 'firing', resolvedAt: null, reopenedCount: 1 });
    expect(view.timeline.map((e) => e.type)).toContain('incident.reopened');
    expect(await runsOf(srv, incidentId)).toHaveLength(2);
    expect((await srv.finalRun(r.body.runIds[0]!)).run.status).toBe('succeeded');
    const all = await srv.get<{ incidents: unknown[] }>('/api/incidents');
    expect(all.body.incidents).toHaveLength(1);
  });
});

describe('a re-fire after the flap window', () => {
  test('opens a new incident, which starts its own run', async () => {
    await using srv = await testServer({ env: { ...WEBHOOK_ENV, FLAP_WINDOW: '0s' } });
    const first = await alertmanager(srv, am('firing-two-alerts'));
    expect((await alertmanager(srv, am('resolved'))).body.outcome).toBe('resolved');
    const again = await alertmanager(srv, am('firing-two-alerts'));
    expect(again.body.outcome).toBe('opened');
    expect(again.body.incidentId).not.toBe(first.body.incidentId);
    expect(again.body.runIds).toHaveLength(1);
    expect(again.body.runIds[0]).not.toBe(first.body.runIds[0]);
    expect((await srv.finalRun(again.body.runIds[0]!)).run.incidentId).toBe(again.body.incidentId);
    expect((await srv.incident(first.body.incidentId)).incident.status).toBe('resolved');
  });
});

describe('deliveries', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ env: WEBHOOK_ENV });
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('a PagerDuty delivery repeated with the same X-Webhook-Id changes nothing', async () => {
    const raw = fixtureRaw('pagerduty/incident-triggered.json');
    const headers = { ...signedHeaders('pagerduty', raw), 'x-webhook-id': 'wh-0001' };
    const first = await srv.post<Accepted>('/webhooks/pagerduty', raw, headers);
    expect(first.body.outcome).toBe('opened');
    const before = await srv.incident(first.body.incidentId);
    const notifications = async () =>
      (await srv.fb.store.driver.query('select count(*)::int as n from notifications'))[0]!.n;
    const sent = await notifications();

    const again = await srv.post<Accepted>('/webhooks/pagerduty', raw, headers);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ incidentId: first.body.incidentId, outcome: 'duplicate', runIds: [] });
    expect(await srv.incident(first.body.incidentId)).toEqual(before);
    expect(await notifications()).toBe(sent);

    // Another delivery of the same event is a repeat, not a duplicate: the id is what counts.
    const other = await srv.post<Accepted>('/webhooks/pagerduty', raw, {
      ...headers,
      'x-webhook-id': 'wh-0002',
    });
    expect(other.body.outcome).toBe('repeat');
  });

  test('concurrent copies of one delivery: one counts, the others are duplicates (never a 5xx)', async () => {
    // Another PagerDuty incident than the other tests use.
    const triggered = fixtureRaw('pagerduty/incident-triggered.json').replaceAll('PGR0VU2', 'PGR0VU3');
    const headers = { ...signedHeaders('pagerduty', triggered), 'x-webhook-id': 'wh-race' };
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => srv.post<Accepted>('/webhooks/pagerduty', triggered, headers)),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(12).fill(202));
    expect(replies.map((r) => r.body.outcome).sort()).toEqual([...Array(11).fill('duplicate'), 'opened']);
    const [row] = await srv.fb.store.driver.query(
      `select count(*)::int as n from notifications where delivery_id = 'wh-race'`,
    );
    expect(row?.n).toBe(1);
  });

  test('concurrent deliveries of one new group open one incident and start one run', async () => {
    const body = JSON.stringify(
      group('{}:{alertname="HighErrorRate", service="payments"}', {
        alertname: 'HighErrorRate',
        service: 'payments',
        instance: 'pay-1:8080',
      }),
    );
    const replies = await Promise.all(Array.from({ length: 12 }, () => alertmanager(srv, body)));
    expect(replies.map((r) => r.status)).toEqual(Array(12).fill(202));
    const ids = new Set(replies.map((r) => r.body.incidentId));
    expect(ids.size).toBe(1);
    const [incidentId] = [...ids] as [string];
    expect(replies.filter((r) => r.body.outcome === 'opened')).toHaveLength(1);
    const runIds = replies.flatMap((r) => r.body.runIds);
    expect(runIds).toHaveLength(1);
    expect((await srv.finalRun(runIds[0]!)).run.status).toBe('succeeded');
    expect(await runsOf(srv, incidentId)).toHaveLength(1);
    const repeats = (await srv.incident(incidentId)).timeline.filter((e) => e.type === 'alert.repeat');
    expect(repeats).toHaveLength(11);
  });

  test('an alert the runbook input refuses is a timeline entry and a dead letter, not a crash', async () => {
    const bad = group('{}:{alertname="ReplicaLag", replica="db-2"}', {
      alertname: 'ReplicaLag',
      replica: 'db-2',
      lag_seconds: 'a lot',
    });
    const r = await alertmanager(srv, bad);
    expect(r.status, r.text).toBe(202);
    expect(r.body).toMatchObject({ outcome: 'opened', runIds: [] });

    const view = await srv.incident(r.body.incidentId);
    const entry = view.timeline.find((e) => e.type === 'run.input_invalid');
    expect(entry?.data).toMatchObject({
      runbook: 'replica-lag',
      reason: 'input for runbook replica-lag is invalid',
      issues: [expect.objectContaining({ path: ['lagSeconds'] })],
    });
    const dead = await srv.get<{ deadLetters: DeadLetterWire[] }>('/api/dead-letters');
    expect(dead.body.deadLetters).toContainEqual(
      expect.objectContaining({
        source: 'alertmanager',
        reason: `input for runbook replica-lag is invalid (incident ${r.body.incidentId})`,
      }),
    );

    // The same runbook still starts for an alert it can read.
    const good = group('{}:{alertname="ReplicaLag", replica="db-3"}', {
      alertname: 'ReplicaLag',
      replica: 'db-3',
      lag_seconds: '42',
    });
    const ok = await alertmanager(srv, good);
    expect(ok.body.runIds).toHaveLength(1);
    const run = await srv.finalRun(ok.body.runIds[0]!);
    expect(run.run).toMatchObject({
      status: 'succeeded',
      output: { lag: { replica: 'db-3', lagSeconds: 42 } },
    });
    expect((await srv.get('/healthz')).status).toBe(200);
  });
});
