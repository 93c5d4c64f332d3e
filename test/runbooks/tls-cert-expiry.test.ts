import { inputFromAlert, matchesTriggers, stubHttp, testRunbook } from 'firebreak/testing';
import { describe, expect, test } from 'vitest';
import { tlsCertExpiry } from '../../runbooks/tls-cert-expiry.ts';
import { vector } from './fixtures.ts';

const alert = {
  labels: {
    alertname: 'TLSCertificateExpiringSoon',
    severity: 'warning',
    instance: 'https://shop.example.com',
    namespace: 'ingress',
    certificate: 'shop-tls',
  },
};
const CERT = '/apis/cert-manager.io/v1/namespaces/*/certificates/*';
const START = Date.parse('2026-01-01T00:00:00Z') / 1000; // the test clock's start
const DAY = 86_400;

/** shop-tls (revision 3) expires in `daysLeft`; a renewal issues revision 4 for 90 days, unless `issuanceFails`. */
function cluster(opts: { daysLeft: number; issuanceFails?: boolean }) {
  const renewed = () => !opts.issuanceFails && http.find('PATCH', `${CERT}/status`).length > 0;
  const http = stubHttp({
    'GET /api/v1/query': () => vector(START + (renewed() ? 90 : opts.daysLeft) * DAY),
    [`GET ${CERT}`]: () => ({
      json: {
        spec: { secretName: 'shop-tls', issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } },
        status: {
          notAfter: new Date((START + (renewed() ? 90 : opts.daysLeft) * DAY) * 1000).toISOString(),
          revision: renewed() ? 4 : 3,
          conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }],
        },
      },
    }),
    [`PATCH ${CERT}/status`]: { json: {} },
  });
  return http;
}

describe('tls-cert-expiry runbook', () => {
  test('an expiry alert carries the probe instance and the Certificate', () => {
    expect(matchesTriggers(tlsCertExpiry, alert.labels)).toBe(true);
    expect(inputFromAlert(tlsCertExpiry, alert)).toEqual({
      instance: 'https://shop.example.com',
      namespace: 'ingress',
      certificate: 'shop-tls',
      minDays: 14,
    });
  });

  test('5 days left: renewal approved, cert-manager issues revision 4, the endpoint serves it', async () => {
    const http = cluster({ daysLeft: 5 });
    await using t = await testRunbook(tlsCertExpiry, { alert, http });
    expect(await t.output('expiry')).toEqual({ expiresAt: '2026-01-06T00:00:00.000Z', daysLeft: 5 });
    expect((await t.step('renew')).status).toBe('awaiting_approval');
    await t.approve('renew');
    const patch = http.find('PATCH', `${CERT}/status`)[0]!;
    expect(patch.headers['content-type']).toBe('application/merge-patch+json');
    // The Ready condition stays; Issuing=True asks cert-manager to issue now (what `cmctl renew` does).
    expect(patch.json).toEqual({
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'Ready' },
          {
            type: 'Issuing',
            status: 'True',
            reason: 'ManuallyTriggered',
            message: 'Certificate re-issuance requested by firebreak',
            lastTransitionTime: '2026-01-01T00:00:00.000Z',
          },
        ],
      },
    });
    const run = await t.advance('10m');
    expect(run.status).toBe('succeeded');
    expect(await t.output('renew')).toEqual({
      certificate: 'shop-tls',
      previousRevision: 3,
      previousNotAfter: '2026-01-06T00:00:00.000Z',
    });
  });

  test('nobody answers for 30 minutes: the gate approves itself (renewal is safe)', async () => {
    const http = cluster({ daysLeft: 5 });
    await using t = await testRunbook(tlsCertExpiry, { alert, http, approvals: { renew: 'expire' } });
    const run = await t.finish();
    expect(run.status).toBe('succeeded');
    expect(await t.approvals()).toMatchObject([{ stepKey: 'renew', status: 'approved', decisions: [] }]);
    expect(http.find('PATCH', `${CERT}/status`)).toHaveLength(1);
  });

  test('rejected: the Certificate is not touched', async () => {
    const http = cluster({ daysLeft: 5 });
    await using t = await testRunbook(tlsCertExpiry, { alert, http });
    const run = await t.reject('renew', 'renewing by hand with the new issuer');
    expect(run.status).toBe('failed');
    expect(http.mutations()).toEqual([]);
  });

  test('verify fails (issuance never happens): the revert records that there is nothing to undo', async () => {
    const http = cluster({ daysLeft: 5, issuanceFails: true });
    await using t = await testRunbook(tlsCertExpiry, { alert, http, approvals: 'approve' });
    const run = await t.finish();
    expect(run.status).toBe('compensated');
    expect(run.error).toMatchObject({ code: 'verify_failed' });
    expect(await t.reverts()).toMatchObject([{ step: 'renew', outcome: 'reverted' }]);
    const note = (await t.evidence()).find((e) => e.title === 'Renewal of shop-tls is not undone');
    expect(note?.content).toContain('valid until 2026-01-06T00:00:00.000Z');
  });

  test('dry run: reports the expiry and the issuer, renews nothing', async () => {
    const http = cluster({ daysLeft: 5 });
    await using t = await testRunbook(tlsCertExpiry, { alert, http, dryRun: true });
    const run = await t.finish();
    expect(run.status).toBe('succeeded');
    expect(http.mutations()).toEqual([]);
    expect((await t.step('renew')).output).toMatchObject({
      wouldApply: { wouldRenew: 'ingress/shop-tls', issuer: 'ClusterIssuer/letsencrypt', daysLeft: 5 },
    });
  });

  test('60 days left: nothing to do', async () => {
    const http = cluster({ daysLeft: 60 });
    await using t = await testRunbook(tlsCertExpiry, { alert, http });
    const run = await t.finish();
    expect(run.status).toBe('succeeded');
    expect((await t.step('renew')).status).toBe('skipped');
    expect((await t.output('announce'))?.message).toBe(
      'https://shop.example.com: certificate expires in 60.0 days; nothing to do.',
    );
  });

  test('the postmortem says what was renewed and asks why automatic renewal was late', async () => {
    const http = cluster({ daysLeft: 5 });
    await using t = await testRunbook(tlsCertExpiry, { alert, http, approvals: 'approve' });
    await t.finish();
    const { draft, markdown } = await t.postmortem();
    expect(draft.mitigations).toMatchObject([{ step: 'renew', status: 'succeeded' }]);
    expect(markdown).toContain('cert-manager re-issued ingress/shop-tls (revision 3 before).');
    expect(markdown).toContain('Find out why automatic renewal did not happen in time');
  });

  test('the monthly drill is a dry run with the renewal path exercised', async () => {
    const http = cluster({ daysLeft: 60 });
    await using t = await testRunbook(tlsCertExpiry, { gameDay: 'monthly-drill', http });
    const run = await t.finish();
    expect(run).toMatchObject({ status: 'succeeded', dryRun: true });
    expect((await t.step('renew')).status).toBe('succeeded');
    expect(http.mutations()).toEqual([]);
  });
});
