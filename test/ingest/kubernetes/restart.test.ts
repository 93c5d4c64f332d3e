// Firing state survives a restart: the open alerts of source `kubernetes` are the watcher's memory. A
// server started on the same database after the history moved on (410) lists again, resolves what
// stopped holding while nobody watched, and fires nothing twice.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { IncidentStore } from '../../../src/store/incidents.ts';
import { type TestDatabase, testDatabase } from '../../support/db.ts';
import { FakeKubernetes, pod } from '../../support/fake-kubernetes.ts';
import { type TestServer, testServer } from '../../support/server.ts';
import { until } from '../../support/until.ts';

const RUNBOOKS = fileURLToPath(new URL('../../fixtures/runbooks', import.meta.url));
const TOKEN = 'kube-watch-token-4e7a1b9d30';

let fake: FakeKubernetes;
let db: TestDatabase;
const env = () => ({
  FIREBREAK_KUBERNETES_WATCH: 'true',
  KUBERNETES_API_URL: fake.url,
  KUBERNETES_TOKEN: TOKEN,
});

beforeAll(async () => {
  fake = await new FakeKubernetes(TOKEN).start();
  db = await testDatabase({ durable: true });
});

afterAll(async () => {
  await db?.drop();
  await fake?.close();
});

const byGroup = async (s: TestServer, groupKey: string) =>
  (await new IncidentStore(s.fb.store.driver).list({})).find((i) => i.groupKey === groupKey) ?? null;

test('after a restart, what cleared while down resolves and what still holds is not fired again', async () => {
  fake.set('pods', pod('prod', 'checkout-7d9f8b6c4-x2x9z', { waiting: 'CrashLoopBackOff' }));
  fake.set('pods', pod('prod', 'billing-6c5d4e3f2-abcde', { waiting: 'ImagePullBackOff' }));
  const first = await testServer({ db, runbooksDir: RUNBOOKS, env: env() });
  let crash: Awaited<ReturnType<typeof byGroup>>;
  let pull: Awaited<ReturnType<typeof byGroup>>;
  try {
    crash = await until(() => byGroup(first, 'KubePodCrashLooping/prod/checkout'), 20_000);
    pull = await until(() => byGroup(first, 'KubePodImagePullBackOff/prod/billing'), 20_000);
    // Every stream watching: no request of this server's can reach the fake after it closed.
    await until(async () => (fake.openWatches === 3 ? true : null), 20_000);
  } finally {
    await first.close();
  }
  // While no firebreak runs: checkout recovers, and the API server forgets the history.
  const kept = fake.resourceVersion;
  fake.set('pods', pod('prod', 'checkout-7d9f8b6c4-x2x9z'));
  fake.compact();
  const before = fake.requests.length;
  const second = await testServer({ db, runbooksDir: RUNBOOKS, env: env() });
  try {
    await until(
      async () => ((await byGroup(second, crash!.groupKey))?.status === 'resolved' ? true : null),
      20_000,
    );
    // It resumed from the version the first server kept, was told 410 Gone, and listed.
    const pods = fake.requests.slice(before).filter((r) => r.path === '/api/v1/pods');
    expect(pods[0]?.query).toMatchObject({ watch: '1', resourceVersion: kept });
    expect(pods[1]?.query.watch).toBeUndefined();
    const still = await new IncidentStore(second.fb.store.driver).get(pull!.id);
    expect(still?.status).toBe('firing');
    const timeline = await new IncidentStore(second.fb.store.driver).timeline(pull!.id);
    expect(timeline.filter((e) => e.type === 'alert.firing')).toHaveLength(1);
    expect(timeline.map((e) => e.type)).not.toContain('alert.repeat');
  } finally {
    await second.close();
  }
});
