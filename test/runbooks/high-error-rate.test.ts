import { inputFromAlert, matchesTriggers, stubHttp, testRunbook } from 'firebreak/testing';
import { describe, expect, test } from 'vitest';
import { highErrorRate } from '../../runbooks/high-error-rate.ts';
import { deployment, replicaSets, vector } from './fixtures.ts';

const alert = {
  labels: { alertname: 'HighErrorRate', severity: 'critical', service: 'checkout', namespace: 'prod' },
};
const DEPLOYMENT = '/apis/apps/v1/namespaces/*/deployments/checkout';

/** Checkout at revision 7 (deployed 7 minutes before the test clock's start), revision 6 before it. */
function cluster(opts: { ratioAfterRollback: number }) {
  const http = stubHttp({
    // The 5xx ratio answers after the rollback PATCH went out (an odd number of PATCHes: rolled back).
    'GET /api/v1/query': () =>
      vector(http.find('PATCH', DEPLOYMENT).length % 2 === 1 ? opts.ratioAfterRollback : 0.12),
    [`GET ${DEPLOYMENT}`]: deployment('prod', 'checkout', 7, 'checkout:1.8.0'),
    'GET /apis/apps/v1/namespaces/*/replicasets': replicaSets('prod', 'checkout', [
      { revision: 6, image: 'checkout:1.7.2', created: '2025-12-30T09:00:00Z' },
      { revision: 7, image: 'checkout:1.8.0', created: '2025-12-31T23:53:00Z' },
    ]),
    [`PATCH ${DEPLOYMENT}`]: { json: {} },
    'PUT /api/v1/flags/*': { json: { key: 'chaos', value: 0.2, version: 3 } },
  });
  return http;
}

/** The pod image each rollout PATCH put on the Deployment, in order. */
function imagesPatched(http: ReturnType<typeof stubHttp>): string[] {
  return http.find('PATCH', DEPLOYMENT).map((c) => {
    const ops = c.json as { path: string; value: { spec: { containers: { image: string }[] } } }[];
    return ops.find((op) => op.path === '/spec/template')!.value.spec.containers[0]!.image;
  });
}

describe('high-error-rate runbook', () => {
  test('a HighErrorRate page starts it, with the service and namespace from the labels', () => {
    expect(matchesTriggers(highErrorRate, alert.labels)).toBe(true);
    expect(matchesTriggers(highErrorRate, { ...alert.labels, severity: 'warning' })).toBe(false);
    expect(inputFromAlert(highErrorRate, alert)).toMatchObject({ service: 'checkout', namespace: 'prod' });
  });

  test('approved: rolls back to the previous revision, verifies the ratio dropped, reports it', async () => {
    const http = cluster({ ratioAfterRollback: 0.01 });
    await using t = await testRunbook(highErrorRate, { alert, http });
    expect(await t.statuses()).toEqual({
      errorRatio: 'succeeded',
      recentDeploy: 'succeeded',
      silence: 'skipped', // the alert did not ask for one (high-error-rate-silence.test.ts)
      rollback: 'awaiting_approval',
    });
    expect(http.mutations()).toEqual([]);

    const waiting = await t.approve('rollback');
    expect(waiting.status).toBe('waiting'); // the verify delay
    expect(imagesPatched(http)).toEqual(['checkout:1.7.2']);
    const run = await t.advance('5m');
    expect(run.status).toBe('succeeded');

    expect(await t.output('rollback')).toMatchObject({ from: { revision: 7 }, to: { revision: 6 } });
    const patch = http.find('PATCH', DEPLOYMENT)[0]!;
    expect(patch.headers['content-type']).toBe('application/json-patch+json');
    expect(JSON.stringify(patch.json)).not.toContain('pod-template-hash');
    expect((await t.approvals())[0]!.decisions).toMatchObject([{ by: 'test-approver', decision: 'approve' }]);
    // Evidence committed at one (manual) instant has no order among itself: compare as a set.
    expect((await t.evidence()).map((e) => e.title).sort()).toEqual([
      '5xx ratio of prod/checkout',
      'Rolled back checkout',
      'Rollout history of prod/checkout',
    ]);
    expect(await t.applied()).toMatchObject([{ step: 'rollback' }]);
    expect(await t.reverts()).toEqual([]);
    expect((await t.output('announce'))?.message).toContain('rolled back to revision 6');
    expect(t.messages.map((m) => m.kind)).toEqual(['approval', 'notify']);
    expect(http.unmatched()).toEqual([]);
  });

  test('rejected: nothing is patched and the run fails at the gate', async () => {
    const http = cluster({ ratioAfterRollback: 0.01 });
    await using t = await testRunbook(highErrorRate, { alert, http });
    const run = await t.reject('rollback', 'the deploy carries a data migration');
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'approval_rejected' });
    expect((await t.step('rollback')).status).toBe('rejected');
    expect(http.mutations()).toEqual([]);
    expect(await t.reverts()).toEqual([]);
  });

  test('a gate nobody decides expires after 15 minutes and nothing is patched', async () => {
    const http = cluster({ ratioAfterRollback: 0.01 });
    await using t = await testRunbook(highErrorRate, { alert, http, approvals: { rollback: 'expire' } });
    const run = await t.finish();
    expect(run.status).toBe('failed');
    expect((await t.step('rollback')).status).toBe('expired');
    expect(http.mutations()).toEqual([]);
  });

  test('verify fails (the ratio stays high): the rollback is reverted by rolling forward', async () => {
    const http = cluster({ ratioAfterRollback: 0.12 });
    await using t = await testRunbook(highErrorRate, { alert, http, approvals: 'approve' });
    const run = await t.finish();
    expect(run.status).toBe('compensated');
    expect(run.error).toMatchObject({ code: 'verify_failed' });
    expect(await t.reverts()).toMatchObject([{ step: 'rollback', outcome: 'reverted' }]);
    expect(imagesPatched(http)).toEqual(['checkout:1.7.2', 'checkout:1.8.0']);
    // Each direction carries its own idempotency key, so a retried revert is not mistaken for the apply.
    const keys = http
      .find('PATCH', DEPLOYMENT)
      .map((c) => JSON.stringify(c.json).match(/"value":"([^"]+)"}]$/)?.[1]);
    expect(keys[1]).toBe(`${keys[0]}:revert`);
  });

  test('a fourth rollback in prod within the hour waits at a budget gate; let through, it counts', async () => {
    const http = cluster({ ratioAfterRollback: 0.01 });
    await using t = await testRunbook(highErrorRate, { alert, http, budgetUsed: { rollback: 3 } });
    await t.approve('rollback');
    // Approved by sre-oncall, but the namespace's budget is spent: nothing is patched yet.
    expect(await t.statuses()).toMatchObject({ rollback: 'awaiting_approval' });
    expect(http.mutations()).toEqual([]);
    // Both gates opened at the same (manual) instant: pick the open one, not the second listed.
    expect(await t.approvals()).toHaveLength(2);
    expect(await t.pendingApprovals()).toMatchObject([
      { stepKey: 'rollback', status: 'pending', policy: { groups: ['sre-oncall'] } },
    ]);
    expect(t.messages.at(-1)).toMatchObject({
      kind: 'approval',
      message: expect.stringContaining(
        'budget exceeded: 3 rollback applies in the last hour (max 3, scope prod)',
      ),
    });

    await t.approve('rollback');
    expect(imagesPatched(http)).toEqual(['checkout:1.7.2']);
    expect((await t.advance('5m')).status).toBe('succeeded');
    expect((await t.step('rollback')).state).toMatchObject({
      budget: { used: 4, max: 3, scope: 'prod', overriddenBy: ['test-approver'] },
    });
  });

  test('the third rollback in prod within the hour still fits the budget: one gate, no more', async () => {
    const http = cluster({ ratioAfterRollback: 0.01 });
    await using t = await testRunbook(highErrorRate, { alert, http, budgetUsed: { rollback: 2 } });
    await t.approve('rollback');
    expect(imagesPatched(http)).toEqual(['checkout:1.7.2']);
    expect((await t.advance('5m')).status).toBe('succeeded');
    expect(await t.approvals()).toHaveLength(1);
    expect((await t.step('rollback')).state).toMatchObject({ budget: { used: 3, max: 3, scope: 'prod' } });
  });

  test('dry run: diagnoses and says what it would roll back, without one mutating call', async () => {
    const http = cluster({ ratioAfterRollback: 0.01 });
    await using t = await testRunbook(highErrorRate, { alert, http, dryRun: true });
    const run = await t.finish();
    expect(run.status).toBe('succeeded');
    expect(http.mutations()).toEqual([]);
    expect((await t.step('rollback')).output).toMatchObject({
      dryRun: true,
      wouldApply: { wouldRollBack: 'prod/checkout', from: { revision: 7 }, to: { revision: 6 } },
    });
  });

  test('the postmortem lists the rollback, who approved it, and the rollback decision', async () => {
    const http = cluster({ ratioAfterRollback: 0.01 });
    await using t = await testRunbook(highErrorRate, { alert, http, approvals: 'approve' });
    await t.finish();
    const { draft, markdown } = await t.postmortem();
    expect(draft.mitigations).toMatchObject([
      { step: 'silence', status: 'skipped' },
      { step: 'rollback', status: 'succeeded', approvedBy: ['test-approver (api)'] },
    ]);
    expect(markdown).toContain('## Rollback decision');
    expect(markdown).toContain('Rolled back checkout from revision 7 to 6 (checkout:1.7.2).');
    expect(markdown).toContain('5xx ratio of prod/checkout: 12.0% (threshold 5.0%).');
  });

  test('the Wednesday drill injects the fault in staging and rolls back nothing', async () => {
    const http = cluster({ ratioAfterRollback: 0.01 });
    await using t = await testRunbook(highErrorRate, { gameDay: 'wednesday-drill', http });
    expect(http.find('PUT', '/api/v1/flags/chaos.http-error-ratio.checkout')[0]?.json).toMatchObject({
      value: 0.2,
      ttlSeconds: 900,
    });
    const run = await t.finish();
    expect(run).toMatchObject({ status: 'succeeded', dryRun: true });
    expect(await t.statuses()).toMatchObject({ rollback: 'succeeded' });
    expect(http.mutations().map((c) => c.method)).toEqual(['PUT']);
    expect((await t.postmortem()).draft.drill).toBe(true);
  });
});
