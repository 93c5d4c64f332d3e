// Kubernetes as an alert source, end to end: a real firebreak server watches a fake API server (list +
// chunked watch streams, test/support/fake-kubernetes.ts) and its alerts go through the webhooks' ingest,
// grouping and triggers (runbooks/crash-looping-pods.ts starts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KubernetesApi } from '../../../src/ingest/kubernetes/api.ts';
import type { KubernetesWatcher } from '../../../src/ingest/kubernetes/watcher.ts';
import { IncidentStore } from '../../../src/store/incidents.ts';
import { deployment, FakeKubernetes, node, pod } from '../../support/fake-kubernetes.ts';
import { type TestServer, testServer } from '../../support/server.ts';
import { until } from '../../support/until.ts';

const EXAMPLE_RUNBOOKS = fileURLToPath(new URL('../../../runbooks', import.meta.url));
const TOKEN = 'kube-watch-token-5b1e9c3a7d';

const CHECKOUT_1 = 'checkout-7d9f8b6c4-x2x9z';
const CHECKOUT_2 = 'checkout-7d9f8b6c4-q8w7e';

function watchEnv(fake: FakeKubernetes, namespaces?: string) {
  return {
    FIREBREAK_KUBERNETES_WATCH: 'true',
    KUBERNETES_API_URL: fake.url,
    KUBERNETES_TOKEN: TOKEN,
    ...(namespaces ? { FIREBREAK_KUBERNETES_NAMESPACES: namespaces } : {}),
  };
}

async function openIncident(s: TestServer, groupKey: string) {
  const store = new IncidentStore(s.fb.store.driver);
  return until(async () => {
    const all = await store.list({});
    return all.find((i) => i.source === 'kubernetes' && i.groupKey === groupKey) ?? null;
  }, 20_000);
}

async function incidentStatus(s: TestServer, id: string, status: 'firing' | 'resolved') {
  const store = new IncidentStore(s.fb.store.driver);
  return until(async () => ((await store.get(id))?.status === status ? true : null), 20_000);
}

const watcher = (s: TestServer): KubernetesWatcher => {
  if (!s.server.kubernetes) throw new Error('the watch is not on');
  return s.server.kubernetes;
};

describe('Kubernetes events as an alert source', () => {
  let fake: FakeKubernetes;
  let s: TestServer;

  beforeAll(async () => {
    fake = await new FakeKubernetes(TOKEN).start();
    fake.set('pods', pod('prod', CHECKOUT_1, { waiting: 'CrashLoopBackOff' }));
    fake.set('pods', pod('staging', 'web-5c6d7e8f9-aaaaa', { waiting: 'ImagePullBackOff' }));
    fake.set('deployments', deployment('prod', 'payments', true));
    fake.set('nodes', node('node-1', 'False', new Date(Date.now() - 120_000)));
    fake.set('nodes', node('node-2', 'True', new Date(Date.now() - 120_000)));
    s = await testServer({ runbooksDir: EXAMPLE_RUNBOOKS, env: watchEnv(fake, 'prod') });
    // The lease may be taken before startServer returns: wait for the state, not the event.
    await until(async () => (watcher(s).leading ? true : null), 20_000);
  }, 120_000);

  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  test('conditions become incidents through the one ingest path, and the crash-looping runbook starts', async () => {
    const crash = await openIncident(s, 'KubePodCrashLooping/prod/checkout');
    expect(crash).toMatchObject({
      status: 'firing',
      title: 'KubePodCrashLooping: prod/checkout',
      severity: 'warning',
    });
    expect(crash.labels).toEqual({
      alertname: 'KubePodCrashLooping',
      namespace: 'prod',
      deployment: 'checkout',
      severity: 'warning',
    });
    const view = await s.incident(crash.id);
    expect(view.alerts.map((a) => a.labels)).toEqual([
      expect.objectContaining({ pod: CHECKOUT_1, container: 'app', reason: 'CrashLoopBackOff' }),
    ]);
    expect(view.runs.map((r) => [r.runbookId, r.input])).toEqual([
      ['crash-looping-pods', expect.objectContaining({ namespace: 'prod', deployment: 'checkout' })],
    ]);
    await openIncident(s, 'KubeDeploymentRolloutStuck/prod/payments');
    const nodeIncident = await openIncident(s, 'KubeNodeNotReady//node-1');
    expect(nodeIncident.labels).toMatchObject({ node: 'node-1' });
    // staging is not a watched namespace; node-2 is Ready.
    const all = await new IncidentStore(s.fb.store.driver).list({});
    expect(all.map((i) => i.groupKey).sort()).toEqual([
      'KubeDeploymentRolloutStuck/prod/payments',
      'KubeNodeNotReady//node-1',
      'KubePodCrashLooping/prod/checkout',
    ]);
  });

  test('every request carries the bearer token; the fake refuses one without it, as the API server does', async () => {
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(fake.requests.every((r) => r.authorization === `Bearer ${TOKEN}` && r.status === 200)).toBe(true);
    expect(
      fake.requests.some(
        (r) =>
          r.path === '/api/v1/namespaces/prod/pods' &&
          r.query.watch === '1' &&
          r.query.allowWatchBookmarks === 'true',
      ),
    ).toBe(true);
    expect(fake.requests.some((r) => r.path === '/api/v1/nodes')).toBe(true);
    expect(fake.requests.some((r) => r.path === '/apis/apps/v1/namespaces/prod/deployments')).toBe(true);
    const res = await fetch(`${fake.url}/api/v1/pods`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ kind: 'Status', code: 401 });
  });

  test('after a dropped connection the watch resumes from its last resourceVersion: no re-list, no duplicate alert', async () => {
    const crash = await openIncident(s, 'KubePodCrashLooping/prod/checkout');
    const seen = fake.resourceVersion;
    const before = fake.requests.length;
    const resumed = watcher(s).events.waitFor('watching', (w) => w.stream === 'pods@prod');
    fake.dropWatches();
    fake.set('pods', pod('prod', CHECKOUT_2, { waiting: 'CrashLoopBackOff' }));
    expect((await resumed).resourceVersion).toBe(seen);
    await until(async () => ((await s.incident(crash.id)).alerts.length === 2 ? true : null), 20_000);
    const after = fake.requests.slice(before).filter((r) => r.path === '/api/v1/namespaces/prod/pods');
    expect(after.every((r) => r.query.watch === '1')).toBe(true);
    fake.bookmark();
    const view = await s.incident(crash.id);
    const types = view.timeline.map((e) => e.type);
    expect(types.filter((t) => t === 'alert.firing')).toHaveLength(2);
    expect(types).not.toContain('alert.repeat');
    expect(view.runs).toHaveLength(1);
  });

  test('the incident resolves when the condition clears on every pod', async () => {
    const crash = await openIncident(s, 'KubePodCrashLooping/prod/checkout');
    fake.set('pods', pod('prod', CHECKOUT_1));
    fake.delete('pods', 'prod', CHECKOUT_2);
    await incidentStatus(s, crash.id, 'resolved');
    const types = (await s.incident(crash.id)).timeline.map((e) => e.type);
    expect(types.filter((t) => t === 'alert.resolved')).toHaveLength(2);
    // …and its postmortem draft is written, as when a webhook resolves an incident.
    await until(async () => {
      const rows = await s.fb.store.driver.query('SELECT 1 FROM postmortems WHERE incident_id = $1', [
        crash.id,
      ]);
      return rows.length === 1 ? true : null;
    }, 20_000);
  });

  test('410 Gone (an ERROR event in the stream) re-lists, and what changed meanwhile resolves', async () => {
    const stuck = await openIncident(s, 'KubeDeploymentRolloutStuck/prod/payments');
    const gone = watcher(s).events.waitFor('gone', (g) => g.stream === 'deployments@prod');
    const listed = watcher(s).events.waitFor('listed', (l) => l.stream === 'deployments@prod');
    // In one tick: nothing can reconnect between the change and the compaction.
    fake.goneAs = 'event';
    fake.dropWatches();
    fake.set('deployments', deployment('prod', 'payments', false));
    fake.compact();
    await gone;
    await listed;
    await incidentStatus(s, stuck.id, 'resolved');
  });

  test('an HTTP 410 re-lists too: the Node back to Ready resolves its alert', async () => {
    const notReady = await openIncident(s, 'KubeNodeNotReady//node-1');
    const gone = watcher(s).events.waitFor('gone', (g) => g.stream === 'nodes');
    fake.goneAs = 'status';
    fake.dropWatches();
    fake.set('nodes', node('node-1', 'True', new Date()));
    fake.compact();
    await gone;
    await incidentStatus(s, notReady.id, 'resolved');
    expect(fake.requests.some((r) => r.path === '/api/v1/nodes' && r.status === 410)).toBe(true);
  });

  test('a watch that ends at once without an event backs off instead of hammering the API server', async () => {
    const failed = watcher(s).events.waitFor('failed', (f) => f.error.includes('ended at once'));
    fake.emptyWatches = true;
    fake.dropWatches();
    const f = await failed;
    expect(f.retryInMs).toBeGreaterThan(0);
    fake.emptyWatches = false;
    await until(async () => (fake.openWatches === 3 ? true : null), 40_000);
  });

  test('the token is nowhere in the database, the logs or the API', async () => {
    const rows = await s.fb.store.driver.query(
      `SELECT (SELECT string_agg(body, '') FROM notifications) AS n,
              (SELECT string_agg(data::text, '') FROM events) AS e,
              (SELECT string_agg(body, '') FROM dead_letters) AS d,
              (SELECT string_agg(state::text, '') FROM leases) AS l`,
    );
    expect(JSON.stringify(rows)).not.toContain(TOKEN);
    expect(s.logs.join('\n')).not.toContain(TOKEN);
    const answers = await Promise.all(
      ['/api/incidents', '/api/dead-letters', '/metrics'].map((p) => s.get(p)),
    );
    for (const a of answers) expect(a.text).not.toContain(TOKEN);
    expect(s.printed.join('\n')).toContain(
      'Kubernetes: watching pods, deployments in namespaces prod and nodes',
    );
  });
});

describe('the watcher reads its token file at every connection', () => {
  test('a rotated service-account token is sent at the next request', async () => {
    const fake = await new FakeKubernetes('first-token-1234').start();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'kube-sa-'));
      const file = join(dir, 'token');
      writeFileSync(file, 'first-token-1234\n');
      const api = new KubernetesApi({ url: fake.url, token: undefined, tokenFile: file, source: 'test' });
      const signal = new AbortController().signal;
      await api.list('/api/v1/pods', signal);
      fake.token = 'second-token-5678';
      writeFileSync(file, 'second-token-5678\n');
      await api.list('/api/v1/pods', signal);
      expect(fake.requests.map((r) => [r.authorization, r.status])).toEqual([
        ['Bearer first-token-1234', 200],
        ['Bearer second-token-5678', 200],
      ]);
    } finally {
      await fake.close();
    }
  });
});
