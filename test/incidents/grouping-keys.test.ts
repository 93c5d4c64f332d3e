// Grouping keys (GROUP_BY_<SOURCE>, GROUP_BY): the same real webhook bodies make different incidents
// under different settings, and resolves, repeats and replayed dead letters find the incident by the same
// key. Through real HTTP, on the test database (PGlite, or PostgreSQL with DATABASE_URL).
import { afterEach, describe, expect, test } from 'vitest';
import type { WebhookSource } from '../../src/core/alert.ts';
import { testDatabase } from '../support/db.ts';
import { fixtureJson, fixtureRaw, signedHeaders, WEBHOOK_ENV } from '../support/senders.ts';
import { type TestServer, testServer } from '../support/server.ts';

interface Accepted {
  incidentId: string;
  outcome: string;
  runIds: string[];
  incidents?: { incidentId: string; outcome: string; runIds: string[] }[];
}

interface IncidentWire {
  id: string;
  status: string;
  groupKey: string;
}

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serverWith(env: Record<string, string>): Promise<TestServer> {
  const srv = await testServer({ env: { ...WEBHOOK_ENV, ...env } });
  servers.push(srv);
  return srv;
}

const send = (srv: TestServer, source: WebhookSource, body: string | object) => {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return srv.post<Accepted>(`/webhooks/${source}`, raw, signedHeaders(source, raw));
};
const am = (name: string) => fixtureRaw(`alertmanager/${name}.json`);

async function incidents(srv: TestServer): Promise<IncidentWire[]> {
  const r = await srv.get<{ incidents: IncidentWire[] }>('/api/incidents');
  expect(r.status, r.text).toBe(200);
  return r.body.incidents;
}

/** Sends firing (two alerts: api-1, api-2), partly resolved (api-2 resolved), resolved (both). */
async function lifecycle(srv: TestServer): Promise<Accepted[]> {
  const out: Accepted[] = [];
  for (const name of ['firing-two-alerts', 'partly-resolved', 'resolved']) {
    const r = await send(srv, 'alertmanager', am(name));
    expect(r.status, r.text).toBe(202);
    out.push(r.body);
  }
  return out;
}

describe('grouping keys for Alertmanager', () => {
  test("default: the sender's groupKey makes one incident, and its resolve finds it", async () => {
    const srv = await serverWith({});
    const [firing, partly, resolved] = await lifecycle(srv);
    expect(firing).toMatchObject({ outcome: 'opened' });
    expect(firing!.incidents).toBeUndefined();
    expect(partly).toMatchObject({ incidentId: firing!.incidentId, outcome: 'updated' });
    expect(resolved).toMatchObject({ incidentId: firing!.incidentId, outcome: 'resolved' });
    const all = await incidents(srv);
    expect(all.map((i) => [i.groupKey, i.status])).toEqual([
      ['{}/{severity="critical"}:{alertname="HighErrorRate", service="checkout"}', 'resolved'],
    ]);
  });

  test('GROUP_BY_ALERTMANAGER=alertname: one incident keyed by the label', async () => {
    const srv = await serverWith({ GROUP_BY_ALERTMANAGER: 'alertname' });
    const [firing, partly, resolved] = await lifecycle(srv);
    expect(firing).toMatchObject({ outcome: 'opened' });
    expect(partly).toMatchObject({ incidentId: firing!.incidentId, outcome: 'updated' });
    expect(resolved).toMatchObject({ incidentId: firing!.incidentId, outcome: 'resolved' });
    expect((await incidents(srv)).map((i) => [i.groupKey, i.status])).toEqual([
      ['{alertname="HighErrorRate"}', 'resolved'],
    ]);
  });

  test('GROUP_BY_ALERTMANAGER=alertname,instance: the same bodies make two incidents, each resolved by its alert', async () => {
    const srv = await serverWith({ GROUP_BY_ALERTMANAGER: 'alertname, instance' });
    const [firing, partly, resolved] = await lifecycle(srv);
    expect(firing!.incidents).toHaveLength(2);
    expect(firing!.incidents!.map((i) => i.outcome)).toEqual(['opened', 'opened']);
    const [api1, api2] = firing!.incidents!.map((i) => i.incidentId);
    expect(api1).not.toBe(api2);
    // Each incident runs its matching runbook: the runs of both are in the answer.
    expect(firing!.runIds).toEqual(firing!.incidents!.flatMap((i) => i.runIds));
    // api-2 resolved: its incident resolves, api-1's stays open.
    expect(partly!.incidents).toEqual([
      expect.objectContaining({ incidentId: api1, outcome: 'repeat' }),
      expect.objectContaining({ incidentId: api2, outcome: 'resolved' }),
    ]);
    expect(resolved!.incidents).toEqual([
      expect.objectContaining({ incidentId: api1, outcome: 'resolved' }),
      expect.objectContaining({ incidentId: api2, outcome: 'repeat' }),
    ]);
    const all = await incidents(srv);
    expect(all.map((i) => [i.groupKey, i.status]).sort()).toEqual([
      ['{alertname="HighErrorRate",instance="api-1:8080"}', 'resolved'],
      ['{alertname="HighErrorRate",instance="api-2:8080"}', 'resolved'],
    ]);
    // The same alerts firing again reopen their own incidents, one per key, rather than opening new ones.
    const again = await send(srv, 'alertmanager', am('firing-two-alerts'));
    expect(again.body.incidents?.map((i) => i.outcome)).toEqual(['reopened', 'reopened']);
    expect(new Set(again.body.incidents?.map((i) => i.incidentId))).toEqual(new Set([api1, api2]));
  });

  test('a missing label groups as the empty value', async () => {
    const srv = await serverWith({ GROUP_BY_ALERTMANAGER: 'alertname,team' });
    const r = await send(srv, 'alertmanager', am('firing-two-alerts'));
    expect(r.body).toMatchObject({ outcome: 'opened' });
    expect(r.body.incidents).toBeUndefined();
    expect((await incidents(srv)).map((i) => i.groupKey)).toEqual(['{alertname="HighErrorRate",team=""}']);
  });

  test('a resolve that arrived first is a dead letter; replayed, it resolves the incidents by the same keys', async () => {
    const srv = await serverWith({ GROUP_BY_ALERTMANAGER: 'alertname,instance' });
    const early = await send(srv, 'alertmanager', am('resolved'));
    expect(early.status, early.text).toBe(202);
    const deadLetterId = (early.body as unknown as { deadLetterId: string }).deadLetterId;
    expect(deadLetterId).toBeTruthy();
    const firing = await send(srv, 'alertmanager', am('firing-two-alerts'));
    expect(firing.body.incidents).toHaveLength(2);

    const replay = await srv.post<Accepted>(`/api/dead-letters/${deadLetterId}/replay`, {});
    expect(replay.status, replay.text).toBeLessThan(300);
    expect((await incidents(srv)).map((i) => i.status)).toEqual(['resolved', 'resolved']);
  });

  test('an incident opened under the sender key still resolves after GROUP_BY was set', async () => {
    await using db = await testDatabase({ durable: true });
    const before = await testServer({ env: WEBHOOK_ENV, db });
    const opened = await send(before, 'alertmanager', am('firing-two-alerts'));
    expect(opened.body.outcome).toBe('opened');
    await before.close();
    // The same database, now grouping by instance: the resolve has no incident under its label keys,
    // and finds the one the sender's group key opened.
    const after = await testServer({
      env: { ...WEBHOOK_ENV, GROUP_BY_ALERTMANAGER: 'alertname,instance' },
      db,
    });
    try {
      const resolved = await send(after, 'alertmanager', am('resolved'));
      expect(resolved.body).toMatchObject({ incidentId: opened.body.incidentId, outcome: 'resolved' });
    } finally {
      await after.close();
    }
  });
});

describe('GROUP_BY for every source, GROUP_BY_<SOURCE> over it', () => {
  /** The generic fixture, as a second check of the same kind under another id. */
  const generic = (id: string) => ({ ...fixtureJson('generic/firing.json'), id });

  test('two generic alerts with different ids: two incidents by default, one with GROUP_BY=alertname,service', async () => {
    const byId = await serverWith({});
    const a = await send(byId, 'generic', generic('chk-1'));
    const b = await send(byId, 'generic', generic('chk-2'));
    expect(a.body.incidentId).not.toBe(b.body.incidentId);

    const byLabels = await serverWith({ GROUP_BY: 'alertname,service', GROUP_BY_ALERTMANAGER: 'instance' });
    const c = await send(byLabels, 'generic', generic('chk-1'));
    const d = await send(byLabels, 'generic', generic('chk-2'));
    expect(c.body.outcome).toBe('opened');
    expect(d.body).toMatchObject({ incidentId: c.body.incidentId, outcome: 'repeat' });
    const keys = (await incidents(byLabels)).map((i) => i.groupKey);
    expect(keys).toEqual(['{alertname="SyntheticLoginFailed",service="auth"}']);
    // Alertmanager has its own setting: by instance only.
    const r = await send(byLabels, 'alertmanager', am('firing-two-alerts'));
    expect(r.body.incidents).toHaveLength(2);
  });
});
