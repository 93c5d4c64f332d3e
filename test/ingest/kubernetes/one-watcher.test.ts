// Two firebreak servers on one PostgreSQL, both with the watch on: one holds the lease and watches;
// when it stops, the other takes over and resumes from the resourceVersions kept in the lease.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { IncidentStore } from '../../../src/store/incidents.ts';
import { onPostgres, type TestDatabase, testDatabase } from '../../support/db.ts';
import { FakeKubernetes, pod } from '../../support/fake-kubernetes.ts';
import { type TestServer, testServer } from '../../support/server.ts';
import { until } from '../../support/until.ts';

const RUNBOOKS = fileURLToPath(new URL('../../fixtures/runbooks', import.meta.url));
const TOKEN = 'kube-watch-token-0c4f8a2e6b';

describe.skipIf(!onPostgres)('one watcher across replicas', () => {
  let fake: FakeKubernetes;
  let db: TestDatabase;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    fake = await new FakeKubernetes(TOKEN).start();
    db = await testDatabase();
    const env = { FIREBREAK_KUBERNETES_WATCH: 'true', KUBERNETES_API_URL: fake.url, KUBERNETES_TOKEN: TOKEN };
    // Started together: both campaign for the lease at once.
    servers.push(...(await Promise.all([1, 2].map(() => testServer({ db, runbooksDir: RUNBOOKS, env })))));
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) await s.close();
    await db?.drop();
    await fake?.close();
  });

  const leaderOf = () =>
    until(async () => {
      const leading = servers.filter((s) => s.server.kubernetes?.leading);
      return leading.length === 1 ? leading[0]! : null;
    }, 20_000);

  test('exactly one of the two watches; an alert is ingested once', async () => {
    const leader = await leaderOf();
    const follower = servers.find((s) => s !== leader)!;
    expect(follower.server.kubernetes?.leading).toBe(false);
    // pods, nodes and deployments, cluster-wide: three watches, all the leader's.
    await until(async () => (fake.openWatches === 3 ? true : null), 20_000);
    fake.set('pods', pod('prod', 'checkout-7d9f8b6c4-x2x9z', { waiting: 'CrashLoopBackOff' }));
    const store = new IncidentStore(leader.fb.store.driver);
    const incident = await until(
      async () => (await store.list({})).find((i) => i.source === 'kubernetes') ?? null,
      20_000,
    );
    const timeline = await store.timeline(incident.id);
    expect(timeline.filter((e) => e.type === 'alert.firing')).toHaveLength(1);
    expect(fake.openWatches).toBe(3);
    expect(follower.server.kubernetes?.leading).toBe(false);
  });

  test('when the leader stops, the other takes over and resumes from the kept resourceVersion', async () => {
    const leader = await leaderOf();
    const follower = servers.find((s) => s !== leader)!;
    const kept = fake.resourceVersion;
    const before = fake.requests.length;
    const takeover = follower.server.kubernetes!.events.waitFor('leading', () => true, 30_000);
    const resumed = follower.server.kubernetes!.events.waitFor(
      'watching',
      (w) => w.stream === 'pods',
      30_000,
    );
    await leader.close();
    servers.splice(servers.indexOf(leader), 1);
    const took = await takeover;
    expect(took.takenOverFrom).toBe(leader.fb.engine.workerId);
    expect((await resumed).resourceVersion).toBe(kept);
    const podRequests = fake.requests.slice(before).filter((r) => r.path === '/api/v1/pods');
    expect(podRequests.every((r) => r.query.watch === '1')).toBe(true);
    // The new leader knows what is firing (from the database): the cleared pod resolves the incident.
    fake.set('pods', pod('prod', 'checkout-7d9f8b6c4-x2x9z'));
    const store = new IncidentStore(follower.fb.store.driver);
    await until(async () => {
      const [i] = (await store.list({})).filter((x) => x.source === 'kubernetes');
      return i?.status === 'resolved' ? true : null;
    }, 20_000);
  });
});
