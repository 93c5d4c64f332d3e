// PagerDuty write-back and Grafana annotations end to end: a real server takes the PagerDuty webhook
// fixture, runs the runbooks it starts, and what it writes back arrives at local fakes of PagerDuty's
// REST API v2 and Grafana's annotations API (which refuse requests in any other layout).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { EventRecord } from '../../src/store/records.ts';
import { type FakeGrafana, fakeGrafana } from '../support/fake-grafana.ts';
import { type FakePagerDuty, fakePagerDuty } from '../support/fake-pagerduty.ts';
import { type TestServer, testServer, type Wire } from '../support/server.ts';
import { until } from '../support/until.ts';

const RUNBOOKS = fileURLToPath(new URL('../fixtures/runbooks-writeback', import.meta.url));
const PD_TOKEN = 'pd-api-key-y_Nbg3K9';
const GRAFANA_TOKEN = 'glsa_sa-token-7Qm2xV4p';
const FROM = 'firebreak-bot@acme.example';
const PUBLIC_URL = 'https://firebreak.acme.example';

/** The PagerDuty fixture, about another incident and service when asked. */
function pdWebhook(over: { id?: string; service?: string } = {}): string {
  const raw = readFileSync(new URL('../fixtures/pagerduty/incident-triggered.json', import.meta.url), 'utf8');
  const body = JSON.parse(raw) as {
    event: { id: string; data: { id: string; service: { summary: string } } };
  };
  if (over.id) {
    body.event.data.id = over.id;
    body.event.id = `evt-${over.id}`;
  }
  if (over.service) body.event.data.service.summary = over.service;
  return JSON.stringify(body);
}

interface Fakes {
  pd: FakePagerDuty;
  grafana: FakeGrafana;
}

async function fakes(users: readonly string[] = [FROM]): Promise<Fakes & AsyncDisposable> {
  const pd = await fakePagerDuty({ token: PD_TOKEN, users });
  const grafana = await fakeGrafana({ token: GRAFANA_TOKEN });
  return {
    pd,
    grafana,
    async [Symbol.asyncDispose]() {
      await pd.close();
      await grafana.close();
    },
  };
}

function server(f: Fakes, env: Record<string, string> = {}): Promise<TestServer> {
  return testServer({
    runbooksDir: RUNBOOKS,
    env: {
      PAGERDUTY_API_TOKEN: PD_TOKEN,
      PAGERDUTY_FROM_EMAIL: FROM,
      PAGERDUTY_API_URL: f.pd.url,
      PAGERDUTY_RESOLVE: 'verified',
      GRAFANA_URL: f.grafana.url,
      GRAFANA_API_TOKEN: GRAFANA_TOKEN,
      PUBLIC_URL,
      ...env,
    },
  });
}

async function page(ts: TestServer, over: { id?: string; service?: string } = {}) {
  const r = await ts.post<{ incidentId: string; runIds: string[] }>('/webhooks/pagerduty', pdWebhook(over));
  expect(r.status).toBe(202);
  expect(r.body.runIds).toHaveLength(1);
  return { incidentId: r.body.incidentId, runId: r.body.runIds[0]! };
}

type OutboxRow = { key: string; status: string; attempts: number; claims: number; last_error: string | null };

const rows = (ts: TestServer) =>
  ts.fb.store.driver.query(
    'SELECT key, status, attempts, claims, last_error FROM writeback_outbox ORDER BY id',
  ) as Promise<OutboxRow[]>;

const pdOnly = (all: OutboxRow[]) => all.filter((r) => r.key.startsWith('pd:'));

/** Every row sent or given up. */
const settled = (ts: TestServer, n: number) =>
  until(async () => {
    const all = await rows(ts);
    return all.length >= n && all.every((r) => r.status !== 'pending') ? all : null;
  }, 20_000);

async function timeline(ts: TestServer, incidentId: string): Promise<Wire<EventRecord>[]> {
  return (await ts.incident(incidentId)).timeline;
}

describe('PagerDuty write-back', () => {
  test('a run of a PagerDuty incident acknowledges it, notes each mitigation and the end with the incident URL, and resolves once verified', async () => {
    await using f = await fakes();
    f.pd.addIncident('PGR0VU2');
    await using ts = await server(f);
    const { incidentId, runId } = await page(ts);
    const run = await ts.finalRun(runId);
    expect(run.run.status).toBe('succeeded');

    await f.pd.waitFor(
      (r) =>
        r.method === 'PUT' && (r.json as { incident: { status: string } }).incident.status === 'resolved',
    );
    const url = `${PUBLIC_URL}/incidents/${incidentId}`;
    expect(f.pd.writes('PGR0VU2')).toEqual([
      'acknowledged',
      `note: firebreak (raise-pool, run ${runId}): mitigation "raise-pool" applied. ${url}`,
      `note: firebreak (raise-pool, run ${runId}): run succeeded. ${url}`,
      'resolved',
    ]);
    // The documented layout, as the fake checked it.
    const ack = f.pd.requests[0]!;
    expect(ack).toMatchObject({ method: 'PUT', path: '/incidents/PGR0VU2', status: 200 });
    expect(ack.json).toEqual({ incident: { type: 'incident_reference', status: 'acknowledged' } });
    expect(ack.headers).toMatchObject({
      authorization: `Token token=${PD_TOKEN}`,
      from: FROM,
      accept: 'application/vnd.pagerduty+json;version=2',
      'content-type': 'application/json',
    });
    const note = f.pd.requests.find((r) => r.path.endsWith('/notes'))!;
    expect(note).toMatchObject({ method: 'POST', path: '/incidents/PGR0VU2/notes', status: 201 });
    expect(note.json).toEqual({ note: { content: expect.stringContaining(url) } });
    expect(pdOnly(await settled(ts, 6)).map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
  });

  test('a verify that fails: notes for applied and reverted, no resolve', async () => {
    await using f = await fakes();
    f.pd.addIncident('PCHK001');
    await using ts = await server(f);
    const { incidentId, runId } = await page(ts, { id: 'PCHK001', service: 'checkout-api' });
    expect((await ts.finalRun(runId)).run.status).toBe('compensated');
    await f.pd.waitFor((r) =>
      String((r.json as { note?: { content?: string } })?.note?.content).includes('run compensated'),
    );
    const url = `${PUBLIC_URL}/incidents/${incidentId}`;
    const writes = f.pd.writes('PCHK001');
    expect(writes[0]).toBe('acknowledged');
    expect(writes.slice(1, 3)).toEqual([
      `note: firebreak (restart-checkout, run ${runId}): mitigation "restart" applied. ${url}`,
      `note: firebreak (restart-checkout, run ${runId}): mitigation "restart" reverted. ${url}`,
    ]);
    expect(writes[3]).toMatch(
      new RegExp(
        `^note: firebreak \\(restart-checkout, run ${runId}\\): run compensated: .*verification of restart failed`,
      ),
    );
    expect(writes).not.toContain('resolved');
    // The end note is sent, so a resolve would have been queued by now (the same listener queues both).
    expect((await rows(ts)).map((r) => r.key).filter((k) => k.endsWith(':resolve'))).toEqual([]);
  });

  test('a runbook that asks for write-back with pagerDutyWriteBack gets it for the page it names', async () => {
    await using f = await fakes();
    f.pd.addIncident('PASKED1');
    await using ts = await server(f);
    const started = await ts.post<{ runId: string }>('/api/runs', {
      runbook: 'asks-for-write-back',
      input: {},
    });
    expect(started.status).toBe(201);
    expect((await ts.finalRun(started.body.runId)).run.status).toBe('succeeded');
    await f.pd.waitFor(
      (r) =>
        r.method === 'PUT' && (r.json as { incident: { status: string } }).incident.status === 'resolved',
    );
    const runUrl = `${PUBLIC_URL}/runs/${started.body.runId}`;
    expect(f.pd.writes('PASKED1')).toEqual([
      'acknowledged',
      `note: firebreak (asks-for-write-back, run ${started.body.runId}): mitigation "scale-out" applied. ${runUrl}`,
      `note: firebreak (asks-for-write-back, run ${started.body.runId}): run succeeded. ${runUrl}`,
      'resolved',
    ]);
  });

  test('429 with Retry-After and a 500 are retried through the outbox; nothing is written twice', async () => {
    await using f = await fakes();
    f.pd.addIncident('PGR0VU2');
    f.pd.failNext(1, { status: 429, retryAfterS: 1 });
    f.pd.failNext(1, { status: 500 });
    await using ts = await server(f);
    const { incidentId, runId } = await page(ts);
    // The run does not wait for PagerDuty.
    expect((await ts.finalRun(runId)).run.status).toBe('succeeded');
    const all = pdOnly(await settled(ts, 6));
    expect(all.every((r) => r.status === 'sent')).toBe(true);
    expect(f.pd.writes('PGR0VU2')).toHaveLength(4);
    expect(f.pd.writes('PGR0VU2')[0]).toBe('acknowledged');
    const [limited, failed, ok] = f.pd.requests;
    expect([limited?.status, failed?.status, ok?.status]).toEqual([429, 500, 200]);
    // Retry-After: 1 s between the 429 and the next call.
    expect(failed!.at.getTime() - limited!.at.getTime()).toBeGreaterThanOrEqual(950);
    // The 429 spent no attempt; the 500 did.
    expect(all[0]).toMatchObject({ key: `pd:${runId}:ack`, attempts: 2 });
    const failures = (await timeline(ts, incidentId)).filter((e) => e.type === 'writeback.delivery_failed');
    expect(failures.map((e) => (e.data as { error: string }).error)).toEqual([
      expect.stringContaining('429'),
      expect.stringContaining('500'),
    ]);
    const metrics = (await ts.get('/metrics')).text;
    for (const [outcome, n] of [
      ['delivered', 4],
      ['rate_limited', 1],
      ['attempt_failed', 1],
      ['abandoned', 0],
    ])
      expect(metrics).toContain(
        `firebreak_writeback_deliveries_total{service="pagerduty",outcome="${outcome}"} ${n}`,
      );
  });

  test('a note whose answer was lost is looked up before it is posted again: one note', async () => {
    await using f = await fakes();
    f.pd.addIncident('PGR0VU2');
    await using ts = await server(f);
    // The first note after the acknowledgement lands, but its answer is lost (502).
    const ackDone = f.pd.waitFor((r) => r.method === 'PUT');
    const { runId } = await page(ts);
    await ackDone;
    f.pd.failNext(1, { status: 502, afterApplying: true });
    expect((await ts.finalRun(runId)).run.status).toBe('succeeded');
    const all = await settled(ts, 6);
    expect(all.every((r) => r.status === 'sent')).toBe(true);
    const notes = f.pd.incidents.get('PGR0VU2')!.notes.map((n) => n.content);
    expect(new Set(notes).size).toBe(notes.length);
    expect(notes).toHaveLength(2);
    // The note that was retried looked first (GET …/notes) and posted nothing new.
    expect(f.pd.requests.some((r) => r.method === 'GET' && r.path.endsWith('/notes'))).toBe(true);
  });

  test('a 4xx other than 429 is a dead delivery on the timeline, tried once, and the run is not held', async () => {
    await using f = await fakes(['someone-else@acme.example']); // FROM is not a user of this account
    f.pd.addIncident('PGR0VU2');
    await using ts = await server(f);
    const { incidentId, runId } = await page(ts);
    expect((await ts.finalRun(runId)).run.status).toBe('succeeded');
    const all = pdOnly(await settled(ts, 6));
    expect(all.map((r) => r.status)).toEqual(['dead', 'dead', 'dead', 'dead']);
    expect(all.every((r) => r.attempts === 1)).toBe(true);
    expect(all[0]!.last_error).toContain('Requester User Not Found');
    expect(f.pd.requests).toHaveLength(4);
    const abandoned = (await timeline(ts, incidentId)).filter(
      (e) => e.type === 'writeback.delivery_abandoned',
    );
    expect(abandoned).toHaveLength(4);
  });

  test('with GROUP_BY_PAGERDUTY the incident key is a label key: the write-back still goes to the page', async () => {
    await using f = await fakes();
    f.pd.addIncident('PGR0VU2');
    await using ts = await server(f, { GROUP_BY_PAGERDUTY: 'service' });
    const { incidentId, runId } = await page(ts);
    const incident = await ts.fb.store.driver.query<{ group_key: string }>(
      'SELECT group_key FROM incidents WHERE id = $1',
      [incidentId],
    );
    expect(incident[0]?.group_key).not.toBe('PGR0VU2');
    expect((await ts.finalRun(runId)).run.status).toBe('succeeded');
    await f.pd.waitFor(
      (r) =>
        r.method === 'PUT' && (r.json as { incident: { status: string } }).incident.status === 'resolved',
    );
    expect(f.pd.writes('PGR0VU2')[0]).toBe('acknowledged');
    expect(f.pd.requests.every((r) => r.path.startsWith('/incidents/PGR0VU2'))).toBe(true);
  });

  test('an incident not from PagerDuty is not written back to PagerDuty', async () => {
    await using f = await fakes();
    await using ts = await server(f);
    const r = await ts.post<{ runIds: string[] }>(
      '/webhooks/alertmanager',
      readFileSync(new URL('../fixtures/alertmanager/firing-two-alerts.json', import.meta.url), 'utf8'),
    );
    expect(r.status).toBe(202);
    await f.grafana.waitFor((q) => q.method === 'POST');
    expect(f.pd.requests).toEqual([]);
  });
});

describe('Grafana annotations', () => {
  test('incident opened and resolved, mitigation applied and reverted: annotations with tags, time and timeEnd', async () => {
    await using f = await fakes();
    f.pd.addIncident('PCHK001');
    await using ts = await server(f);
    const { incidentId, runId } = await page(ts, { id: 'PCHK001', service: 'checkout-api' });
    expect((await ts.finalRun(runId)).run.status).toBe('compensated');
    const url = `${PUBLIC_URL}/incidents/${incidentId}`;

    const opened = await f.grafana.waitFor(
      (r) => r.method === 'POST' && String((r.json as { text: string }).text).includes('incident opened'),
    );
    expect(opened.headers.authorization).toBe(`Bearer ${GRAFANA_TOKEN}`);
    expect(opened.json).toMatchObject({
      tags: ['firebreak', 'incident', 'source:pagerduty', 'opened'],
      text: `firebreak: incident opened: Payments API database connections saturated. ${url}`,
      time: expect.any(Number),
    });
    // The revert ends the apply's annotation: a region from applied to reverted.
    const patch = await f.grafana.waitFor((r) => r.method === 'PATCH');
    const applied = f.grafana.annotations.find((a) => a.tags.includes('step:restart'))!;
    expect(patch.path).toBe(`/api/annotations/${applied.id}`);
    expect(applied.tags).toEqual([
      'firebreak',
      'mitigation',
      'runbook:restart-checkout',
      'step:restart',
      'applied',
    ]);
    expect(applied.text).toBe(`firebreak: mitigation "restart" applied (restart-checkout). ${url}`);
    expect(applied.timeEnd).toBeGreaterThanOrEqual(applied.time);
    expect(patch.json).toEqual({ timeEnd: applied.timeEnd });

    // PagerDuty resolves the incident: the incident's annotation becomes a region up to the resolve.
    const resolved = JSON.parse(pdWebhook({ id: 'PCHK001', service: 'checkout-api' }));
    resolved.event.id = 'evt-resolved';
    resolved.event.event_type = 'incident.resolved';
    resolved.event.data.status = 'resolved';
    expect((await ts.post('/webhooks/pagerduty', JSON.stringify(resolved))).status).toBe(202);
    const incidentPatch = await f.grafana.waitFor((r) => r.method === 'PATCH' && r !== patch);
    const incidentAnnotation = f.grafana.annotations.find((a) => a.tags.includes('incident'))!;
    expect(incidentPatch.path).toBe(`/api/annotations/${incidentAnnotation.id}`);
    const incident = (await ts.incident(incidentId)).incident;
    expect(incidentAnnotation.time).toBe(Date.parse(incident.openedAt));
    expect(incidentAnnotation.timeEnd).toBe(Date.parse(incident.resolvedAt!));
  });

  test('an annotation waits out a 429 (Retry-After) and goes once, on the configured dashboard', async () => {
    await using f = await fakes();
    f.pd.addIncident('PGR0VU2');
    f.grafana.failNext(1, { status: 429, retryAfterS: 1 });
    await using ts = await server(f, { GRAFANA_DASHBOARD_UID: 'firebreak-ops' });
    const { runId } = await page(ts);
    expect((await ts.finalRun(runId)).run.status).toBe('succeeded');
    await f.grafana.waitFor(
      (r) => r.method === 'POST' && (r.json as { tags: string[] }).tags.includes('mitigation'),
    );
    await settled(ts, 6);
    expect(f.grafana.requests[0]!.status).toBe(429);
    expect(f.grafana.annotations.map((a) => a.tags.at(-1))).toEqual(['opened', 'applied']);
    expect(f.grafana.annotations.map((a) => a.dashboardUID)).toEqual(['firebreak-ops', 'firebreak-ops']);
    const [limited, next] = f.grafana.requests;
    expect(next!.at.getTime() - limited!.at.getTime()).toBeGreaterThanOrEqual(950);
  });
});

describe('credentials', () => {
  test('the PagerDuty and Grafana tokens appear in no row, log line or API answer', async () => {
    await using f = await fakes(['someone-else@acme.example']); // dead deliveries keep their errors
    f.pd.addIncident('PGR0VU2');
    f.grafana.failNext(1, { status: 500 });
    await using ts = await server(f);
    const { incidentId, runId } = await page(ts);
    await ts.finalRun(runId);
    await settled(ts, 6);
    const driver = ts.fb.store.driver;
    const tables = await driver.query(
      `select table_name from information_schema.tables
       where table_schema = current_schema() and table_type = 'BASE TABLE'`,
    );
    let dumped = '';
    for (const t of tables) {
      const r = await driver.query(
        `select coalesce(string_agg(t::text, E'\\n'), '') as dump from "${String(t.table_name)}" t`,
      );
      dumped += String(r[0]?.dump ?? '');
    }
    expect(dumped).toContain('writeback.delivery_abandoned');
    const answers = [
      (await ts.get(`/api/incidents/${incidentId}`)).text,
      (await ts.get(`/api/runs/${runId}`)).text,
    ].join('\n');
    for (const where of [dumped, ts.logs.join('\n'), answers, ts.printed.join('\n')]) {
      expect(where).not.toContain(PD_TOKEN);
      expect(where).not.toContain(GRAFANA_TOKEN);
    }
    expect(ts.printed.join('\n')).toContain(`PagerDuty write-back through ${f.pd.url}`);
  });
});
