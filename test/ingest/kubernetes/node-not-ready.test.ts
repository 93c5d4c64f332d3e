// A Node NotReady is an alert only after a minute, measured on the engine's (injected) clock: the watcher
// looks at the Node again when its minute is up, although the API server sends nothing new.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ManualClock } from '../../../src/core/clock.ts';
import { IncidentStore } from '../../../src/store/incidents.ts';
import { FakeKubernetes, node } from '../../support/fake-kubernetes.ts';
import { type TestServer, testServer } from '../../support/server.ts';
import { until } from '../../support/until.ts';

const RUNBOOKS = fileURLToPath(new URL('../../fixtures/runbooks', import.meta.url));
const TOKEN = 'kube-watch-token-93d1f7a0c2';

let fake: FakeKubernetes;
let s: TestServer;
const clock = new ManualClock(new Date());

beforeAll(async () => {
  fake = await new FakeKubernetes(TOKEN).start();
  fake.set('nodes', node('node-7', 'False', new Date(clock.now().getTime() - 30_000)));
  s = await testServer({
    runbooksDir: RUNBOOKS,
    env: { FIREBREAK_KUBERNETES_WATCH: 'true', KUBERNETES_API_URL: fake.url, KUBERNETES_TOKEN: TOKEN },
    server: { clock },
  });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await fake?.close();
});

test('NotReady for 30 s is no alert; 31 s later on the clock, with no new event, it is', async () => {
  const watcher = s.server.kubernetes!;
  await until(async () => (fake.openWatches === 3 ? true : null), 20_000);
  const store = new IncidentStore(s.fb.store.driver);
  expect(await store.list({})).toEqual([]);
  const requests = fake.requests.length;
  clock.advance(31_000);
  const incident = await until(async () => (await store.list({}))[0] ?? null, 20_000);
  expect(incident).toMatchObject({
    source: 'kubernetes',
    groupKey: 'KubeNodeNotReady//node-7',
    status: 'firing',
  });
  // Nothing was asked of the API server to get there.
  expect(fake.requests.length).toBe(requests);
  expect(watcher.leading).toBe(true);
});
