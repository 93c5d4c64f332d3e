import { type StubReply, stubHttp, testRunbook } from 'firebreak/testing';
import { describe, expect, test } from 'vitest';
import { diskAlmostFull } from '../../runbooks/disk-almost-full.ts';
import { vector } from './fixtures.ts';

const alert = {
  labels: {
    alertname: 'KubePersistentVolumeFillingUp',
    severity: 'critical',
    namespace: 'prod',
    persistentvolumeclaim: 'data-postgres-0',
  },
};
const PVC = '/api/v1/namespaces/*/persistentvolumeclaims/data-postgres-0';
const JOBS = '/apis/batch/v1/namespaces/*/jobs';

/** A 100Gi volume 93% full; the cleanup brings it to `afterCleanup`; the resize reaches `capacityAfterResize`. */
function cluster(opts: {
  afterCleanup: number;
  capacityAfterResize?: string;
  cleanupStillRunning?: boolean;
}) {
  const resized = () => http.find('PATCH', PVC).length > 0;
  const cleaned = () => http.find('POST', JOBS).length > 0;
  const pvc = (): StubReply => ({
    json: {
      metadata: { name: 'data-postgres-0' },
      spec: { storageClassName: 'ssd', resources: { requests: { storage: resized() ? '150Gi' : '100Gi' } } },
      status: { capacity: { storage: resized() ? (opts.capacityAfterResize ?? '150Gi') : '100Gi' } },
    },
  });
  const http = stubHttp({
    'GET /api/v1/query': () => vector(cleaned() ? opts.afterCleanup : 0.93),
    [`GET ${PVC}`]: pvc,
    [`PATCH ${PVC}`]: { json: {} },
    'GET /apis/storage.k8s.io/v1/storageclasses/ssd': { json: { allowVolumeExpansion: true } },
    'GET /apis/batch/v1/namespaces/*/cronjobs/log-cleanup': {
      json: {
        spec: {
          jobTemplate: {
            metadata: { labels: { app: 'log-cleanup' } },
            spec: { template: { spec: { containers: [{ name: 'clean', image: 'busybox' }] } } },
          },
        },
      },
    },
    [`POST ${JOBS}`]: { status: 201, json: {} },
    [`GET ${JOBS}/*`]: { json: { status: opts.cleanupStillRunning ? { active: 1 } : { succeeded: 1 } } },
    [`DELETE ${JOBS}/*`]: { json: {} },
  });
  return http;
}

describe('disk-almost-full runbook', () => {
  test('cleanup first; still full, so the volume grows 1.5× after approval', async () => {
    const http = cluster({ afterCleanup: 0.9 });
    await using t = await testRunbook(diskAlmostFull, { alert, http });
    // The cleanup needs no approval: it ran, and waits 10 minutes before checking its Job.
    expect(await t.statuses()).toMatchObject({ usage: 'succeeded', volume: 'succeeded', cleanup: 'running' });
    const job = http.find('POST', JOBS)[0]!;
    expect(job.json).toMatchObject({
      kind: 'Job',
      metadata: { name: expect.stringMatching(/^log-cleanup-fb-[0-9a-f]{8}$/) },
      spec: { template: { spec: { containers: [{ name: 'clean' }] } } },
    });

    await t.advance('10m');
    expect(await t.statuses()).toMatchObject({ cleanup: 'succeeded', expand: 'awaiting_approval' });
    await t.approve('expand');
    const patch = http.find('PATCH', PVC)[0]!;
    expect(patch.headers['content-type']).toBe('application/merge-patch+json');
    expect(patch.json).toEqual({ spec: { resources: { requests: { storage: '150Gi' } } } });

    const run = await t.advance('5m');
    expect(run.status).toBe('succeeded');
    expect(await t.output('expand')).toEqual({ pvc: 'data-postgres-0', from: '100Gi', to: '150Gi' });
    expect((await t.output('announce'))?.message).toBe(
      'prod/data-postgres-0: expanded from 100Gi to 150Gi after cleanup.',
    );
    expect(http.unmatched()).toEqual([]);
  });

  test('a cleanup that frees enough space leaves the volume alone', async () => {
    const http = cluster({ afterCleanup: 0.6 });
    await using t = await testRunbook(diskAlmostFull, { alert, http });
    const run = await t.finish();
    expect(run.status).toBe('succeeded');
    expect((await t.step('expand')).status).toBe('skipped');
    expect(http.find('PATCH', PVC)).toEqual([]);
  });

  test('rejected: the volume is not resized; the finished cleanup is recorded as not undoable', async () => {
    const http = cluster({ afterCleanup: 0.9 });
    await using t = await testRunbook(diskAlmostFull, { alert, http, approvals: { expand: 'reject' } });
    const run = await t.finish();
    expect(run.status).toBe('compensated');
    expect((await t.step('expand')).status).toBe('rejected');
    expect(http.find('PATCH', PVC)).toEqual([]);
    expect(await t.reverts()).toMatchObject([{ step: 'cleanup', outcome: 'reverted' }]);
    // The Job had finished: nothing to stop, and deleted files do not come back.
    expect(http.find('DELETE', `${JOBS}/*`)).toEqual([]);
    expect((await t.evidence()).map((e) => e.title)).toContainEqual(
      expect.stringMatching(/^Cleanup log-cleanup-fb-[0-9a-f]{8} cannot be undone$/),
    );
  });

  test('verify fails (the resize never lands): reverts run newest first and say the expansion stays', async () => {
    const http = cluster({ afterCleanup: 0.9, capacityAfterResize: '100Gi', cleanupStillRunning: true });
    await using t = await testRunbook(diskAlmostFull, { alert, http, approvals: 'approve' });
    const run = await t.finish();
    expect(run.status).toBe('compensated');
    expect(run.error).toMatchObject({ code: 'verify_failed' });
    expect(await t.reverts()).toMatchObject([
      { step: 'expand', outcome: 'reverted' },
      { step: 'cleanup', outcome: 'reverted' },
    ]);
    // The cleanup Job was still running: its revert stopped it.
    expect(http.find('DELETE', `${JOBS}/*`)).toHaveLength(1);
    const expansion = (await t.evidence()).find(
      (e) => e.title === 'Expansion of data-postgres-0 is irreversible',
    );
    expect(expansion?.content).toContain('stays at 150Gi (was 100Gi)');
    expect(await t.journal()).toContain('mitigation.verify_failed'); // the cleanup's, recorded and passed
  });

  test('dry run: says what it would clean and resize, and changes nothing', async () => {
    const http = cluster({ afterCleanup: 0.9 });
    await using t = await testRunbook(diskAlmostFull, { alert, http, dryRun: true });
    const run = await t.finish();
    expect(run.status).toBe('succeeded');
    expect(http.mutations()).toEqual([]);
    expect((await t.step('cleanup')).output).toMatchObject({
      wouldApply: { wouldRun: 'prod/cronjob/log-cleanup' },
    });
    expect((await t.step('expand')).output).toMatchObject({
      wouldApply: { wouldResize: 'prod/data-postgres-0', from: '100Gi', to: '150Gi' },
    });
  });

  test('the postmortem records the usage and the capacity change, and that it is permanent', async () => {
    const http = cluster({ afterCleanup: 0.9 });
    await using t = await testRunbook(diskAlmostFull, { alert, http, approvals: 'approve' });
    await t.finish();
    const { draft, markdown } = await t.postmortem();
    expect(draft.mitigations.map((m) => [m.step, m.status])).toEqual([
      ['cleanup', 'succeeded'],
      ['expand', 'succeeded'],
    ]);
    expect(markdown).toContain(
      'prod/data-postgres-0 was 93.0% full (threshold 85.0%); after the cleanup: 90.0%.',
    );
    expect(markdown).toContain('The claim was expanded from 100Gi to 150Gi. This cannot be undone');
  });

  test('the Wednesday drill is a dry run on staging that exercises both steps', async () => {
    const http = cluster({ afterCleanup: 0.9 });
    await using t = await testRunbook(diskAlmostFull, { gameDay: 'wednesday-drill', http });
    const run = await t.finish();
    expect(run).toMatchObject({ status: 'succeeded', dryRun: true });
    expect(await t.statuses()).toMatchObject({ cleanup: 'succeeded', expand: 'succeeded' });
    expect(http.mutations()).toEqual([]);
    expect(http.calls.some((c) => c.url.includes('/namespaces/staging/'))).toBe(true);
  });
});
