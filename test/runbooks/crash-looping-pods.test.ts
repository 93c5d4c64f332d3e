import { inputFromAlert, matchesTriggers, stubHttp, testRunbook } from 'firebreak/testing';
import { describe, expect, test } from 'vitest';
import { crashLoopingPods } from '../../runbooks/crash-looping-pods.ts';
import { deployment, type PodSpec, pods, replicaSets } from './fixtures.ts';

const alert = {
  labels: {
    alertname: 'KubePodCrashLooping',
    severity: 'warning',
    namespace: 'prod',
    pod: 'checkout-7d9f8b6c4-a1b2c',
    container: 'app',
  },
};
const DEPLOYMENT = '/apis/apps/v1/namespaces/*/deployments/checkout';
const POD = '/api/v1/namespaces/*/pods/*';

const crashing: PodSpec[] = [
  { name: 'checkout-7d9f8b6c4-a1b2c', restarts: 6, reason: 'CrashLoopBackOff' },
  { name: 'checkout-7d9f8b6c4-d3e4f', restarts: 5, reason: 'CrashLoopBackOff' },
  { name: 'checkout-7d9f8b6c4-g5h6i', restarts: 0 },
];
const fresh: PodSpec[] = [
  { name: 'checkout-7d9f8b6c4-j7k8l', restarts: 0 },
  { name: 'checkout-7d9f8b6c4-m9n0p', restarts: 0 },
];
const crashingAgain: PodSpec[] = [
  { name: 'checkout-7d9f8b6c4-j7k8l', restarts: 4, reason: 'CrashLoopBackOff' },
];

/** Which pods the cluster lists: before the restart, after it, and after a rollback. */
function cluster(opts: { afterRestart: PodSpec[]; afterRollback: PodSpec[] }) {
  const http = stubHttp({
    'GET /api/v1/namespaces/*/pods': () => {
      if (http.find('PATCH', DEPLOYMENT).length % 2 === 1) return pods(opts.afterRollback);
      return http.find('DELETE', POD).length > 0 ? pods(opts.afterRestart) : pods(crashing);
    },
    [`GET ${POD}/log`]: (req) => ({
      body: `starting ${req.path.split('/')[5]}\npanic: config key "payments.url" is missing\n`,
    }),
    [`DELETE ${POD}`]: { json: { kind: 'Pod' } },
    [`GET ${DEPLOYMENT}`]: deployment('prod', 'checkout', 7, 'checkout:1.8.0'),
    'GET /apis/apps/v1/namespaces/*/replicasets': replicaSets('prod', 'checkout', [
      { revision: 6, image: 'checkout:1.7.2', created: '2025-12-30T09:00:00Z' },
      { revision: 7, image: 'checkout:1.8.0', created: '2025-12-31T23:40:00Z' },
    ]),
    [`PATCH ${DEPLOYMENT}`]: { json: {} },
    'PUT /api/v1/flags/*': { json: { key: 'chaos', value: true, version: 1 } },
  });
  return http;
}

const imagesPatched = (http: ReturnType<typeof stubHttp>) =>
  http.find('PATCH', DEPLOYMENT).map((c) => JSON.stringify(c.json).match(/"image":"([^"]+)"/)?.[1]);

describe('crash-looping-pods runbook', () => {
  test('the alert names a pod; the Deployment is read from its name', () => {
    expect(matchesTriggers(crashLoopingPods, alert.labels)).toBe(true);
    expect(inputFromAlert(crashLoopingPods, alert)).toMatchObject({
      namespace: 'prod',
      deployment: 'checkout',
    });
  });

  test('logs collected per pod, restart did not help, rollback approved and verified', async () => {
    const http = cluster({ afterRestart: crashingAgain, afterRollback: fresh });
    await using t = await testRunbook(crashLoopingPods, { alert, http });
    expect(http.find('DELETE', POD).map((c) => c.path.split('/').at(-1))).toEqual([
      'checkout-7d9f8b6c4-a1b2c',
      'checkout-7d9f8b6c4-d3e4f',
    ]);
    // Logs of the previous (crashed) container, one forEach item per crashing pod, each its own step.
    expect(http.find('GET', `${POD}/log`).map((c) => c.query)).toEqual([
      { tailLines: '100', previous: 'true' },
      { tailLines: '100', previous: 'true' },
    ]);
    expect(await t.output('logs')).toEqual([
      { pod: 'checkout-7d9f8b6c4-a1b2c', lines: 2 },
      { pod: 'checkout-7d9f8b6c4-d3e4f', lines: 2 },
    ]);
    expect(await t.statuses()).toMatchObject({ 'logs[0]': 'succeeded', 'logs[1]': 'succeeded' });

    await t.advance('3m'); // the restart's verify: still crashing, recorded, and on to the rollback
    expect(await t.statuses()).toMatchObject({
      restart: 'succeeded',
      afterRestart: 'succeeded',
      rollback: 'awaiting_approval',
    });
    await t.approve('rollback');
    expect(imagesPatched(http)).toEqual(['checkout:1.7.2']);
    const run = await t.advance('5m');
    expect(run.status).toBe('succeeded');
    const titles = (await t.evidence()).map((e) => e.title);
    expect(titles).toContain('Log of checkout-7d9f8b6c4-a1b2c before its last crash');
    expect(titles).toContain('Pods of prod/checkout still crashing after the restart');
    expect((await t.output('announce'))?.message).toContain('rolled back to revision 6');
  });

  test('a restart that helps leaves the Deployment alone', async () => {
    const http = cluster({ afterRestart: fresh, afterRollback: fresh });
    await using t = await testRunbook(crashLoopingPods, { alert, http });
    const run = await t.finish();
    expect(run.status).toBe('succeeded');
    expect((await t.step('rollback')).status).toBe('skipped');
    expect(http.find('PATCH', DEPLOYMENT)).toEqual([]);
  });

  test('rejected: no rollback; the restart is "reverted" as the no-op it is', async () => {
    const http = cluster({ afterRestart: crashingAgain, afterRollback: fresh });
    await using t = await testRunbook(crashLoopingPods, { alert, http, approvals: { rollback: 'reject' } });
    const run = await t.finish();
    expect(run.status).toBe('compensated');
    expect((await t.step('rollback')).status).toBe('rejected');
    expect(http.find('PATCH', DEPLOYMENT)).toEqual([]);
    expect(await t.reverts()).toMatchObject([{ step: 'restart', outcome: 'reverted' }]);
  });

  test('verify fails (the old revision crashes too): roll forward, then the restart, newest first', async () => {
    const http = cluster({ afterRestart: crashingAgain, afterRollback: crashingAgain });
    await using t = await testRunbook(crashLoopingPods, { alert, http, approvals: 'approve' });
    const run = await t.finish();
    expect(run.status).toBe('compensated');
    expect(await t.reverts()).toMatchObject([
      { step: 'rollback', outcome: 'reverted' },
      { step: 'restart', outcome: 'reverted' },
    ]);
    expect(imagesPatched(http)).toEqual(['checkout:1.7.2', 'checkout:1.8.0']);
  });

  test('dry run: collects the logs but deletes and patches nothing', async () => {
    const http = cluster({ afterRestart: crashingAgain, afterRollback: fresh });
    await using t = await testRunbook(crashLoopingPods, { alert, http, dryRun: true });
    const run = await t.finish();
    expect(run.status).toBe('succeeded');
    expect(http.mutations()).toEqual([]);
    expect(http.find('GET', `${POD}/log`)).toHaveLength(2);
    expect((await t.step('restart')).output).toMatchObject({
      wouldApply: { wouldDelete: ['checkout-7d9f8b6c4-a1b2c', 'checkout-7d9f8b6c4-d3e4f'] },
    });
  });

  test('the postmortem tells the crash-loop story and lists both mitigations', async () => {
    const http = cluster({ afterRestart: crashingAgain, afterRollback: fresh });
    await using t = await testRunbook(crashLoopingPods, { alert, http, approvals: 'approve' });
    await t.finish();
    const { draft, markdown } = await t.postmortem();
    expect(draft.mitigations.map((m) => m.step)).toEqual(['restart', 'rollback']);
    expect(markdown).toContain('2 of 3 pods of prod/checkout were crash-looping.');
    expect(markdown).toContain('Rolled back from revision 7 (checkout:1.8.0) to 6 (checkout:1.7.2).');
  });

  test('the Wednesday drill injects a crash on start in staging and changes nothing else', async () => {
    const http = cluster({ afterRestart: crashingAgain, afterRollback: fresh });
    await using t = await testRunbook(crashLoopingPods, { gameDay: 'wednesday-drill', http });
    expect(http.find('PUT', '/api/v1/flags/chaos.crash-on-start.checkout')).toHaveLength(1);
    const run = await t.finish();
    expect(run).toMatchObject({ status: 'succeeded', dryRun: true });
    expect(http.mutations().map((c) => c.method)).toEqual(['PUT']);
  });
});
