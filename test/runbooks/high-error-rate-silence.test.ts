// high-error-rate with the silence an alert rule opts in to (annotation firebreak_silence_for): approved
// before anything changes, created with the alert's labels as matchers, expired by the saga when the
// rollback is refused, found again (not created twice) when an answer was lost.
import { inputFromAlert, type StubReply, stubHttp, testRunbook } from 'firebreak/testing';
import { describe, expect, test } from 'vitest';
import { highErrorRate } from '../../runbooks/high-error-rate.ts';
import { deployment, replicaSets, vector } from './fixtures.ts';

const labels = { alertname: 'HighErrorRate', severity: 'critical', service: 'checkout', namespace: 'prod' };
const alert = { labels, annotations: { firebreak_silence_for: '30m' } };
const DEPLOYMENT = '/apis/apps/v1/namespaces/*/deployments/checkout';

interface StoredSilence {
  id: string;
  status: { state: 'active' | 'expired' };
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  updatedAt: string;
}

/**
 * The cluster of high-error-rate.test.ts plus Alertmanager's silence API (api/v2/openapi.yaml) with its
 * state. A body that is not a postableSilence is answered 400, as Alertmanager does. `lose` makes the
 * first POST take effect but answer 503 (a lost answer).
 */
function world(opts: { lose?: boolean } = {}) {
  const silences: StoredSilence[] = [];
  const http = stubHttp({
    'GET /api/v1/query': () => vector(http.find('PATCH', DEPLOYMENT).length % 2 === 1 ? 0.01 : 0.12),
    [`GET ${DEPLOYMENT}`]: deployment('prod', 'checkout', 7, 'checkout:1.8.0'),
    'GET /apis/apps/v1/namespaces/*/replicasets': replicaSets('prod', 'checkout', [
      { revision: 6, image: 'checkout:1.7.2', created: '2025-12-30T09:00:00Z' },
      { revision: 7, image: 'checkout:1.8.0', created: '2025-12-31T23:53:00Z' },
    ]),
    [`PATCH ${DEPLOYMENT}`]: { json: {} },
    'GET /api/v2/silences': { json: silences },
    'POST /api/v2/silences': (req, n): StubReply => {
      const b = req.json as Partial<StoredSilence> | undefined;
      const valid =
        req.headers['content-type'] === 'application/json' &&
        Array.isArray(b?.matchers) &&
        b.matchers.length > 0 &&
        b.matchers.every(
          (m) => typeof m.name === 'string' && typeof m.value === 'string' && typeof m.isRegex === 'boolean',
        ) &&
        typeof b.createdBy === 'string' &&
        typeof b.comment === 'string' &&
        Date.parse(b.startsAt ?? '') < Date.parse(b.endsAt ?? '');
      if (!valid) return { status: 400, json: 'invalid silence' };
      const id = `5f1e0000-0000-4000-8000-00000000000${silences.length}`;
      silences.push({ ...(b as StoredSilence), id, status: { state: 'active' }, updatedAt: b.startsAt! });
      return opts.lose && n === 0 ? { status: 503, body: 'upstream timed out' } : { json: { silenceID: id } };
    },
    'GET /api/v2/silence/*': (req): StubReply => {
      const s = silences.find((x) => req.path.endsWith(`/${x.id}`));
      return s ? { json: s } : { status: 404 };
    },
    'DELETE /api/v2/silence/*': (req): StubReply => {
      const s = silences.find((x) => req.path.endsWith(`/${x.id}`));
      if (!s) return { status: 404 };
      s.status.state = 'expired';
      return { status: 200 };
    },
  });
  return { http, silences };
}

describe('high-error-rate: the silence while the rollback is tried', () => {
  test('the annotation opts in; a bad or too long value is refused with the input', () => {
    expect(inputFromAlert(highErrorRate, alert)).toMatchObject({ silenceFor: '30m', alertLabels: labels });
    expect(inputFromAlert(highErrorRate, { labels })).not.toHaveProperty('silenceFor');
    for (const bad of ['48h', 'soon', '0s'])
      expect(() =>
        inputFromAlert(highErrorRate, { labels, annotations: { firebreak_silence_for: bad } }),
      ).toThrow(/at most 24h/);
  });

  test('approved: the alert is silenced with its labels, then rolled back; the silence stays', async () => {
    const { http, silences } = world();
    await using t = await testRunbook(highErrorRate, { alert, http });
    expect(await t.statuses()).toMatchObject({ silence: 'awaiting_approval' });
    expect(await t.statuses()).not.toHaveProperty('rollback');
    const requested = (await t.events()).find((e) => e.type === 'approval.requested');
    expect(requested?.data).toMatchObject({
      summary: 'Silence HighErrorRate of prod/checkout for 30m while the rollback is tried?',
    });
    expect(http.mutations()).toEqual([]);

    await t.approve('silence');
    expect(silences).toHaveLength(1);
    const run = (await t.step('silence')).runId;
    expect(silences[0]).toMatchObject({
      status: { state: 'active' },
      createdBy: `firebreak run ${run}`,
      startsAt: '2026-01-01T00:00:00.000Z',
      endsAt: '2026-01-01T00:30:00.000Z',
      matchers: [
        { name: 'alertname', value: 'HighErrorRate', isRegex: false, isEqual: true },
        { name: 'namespace', value: 'prod', isRegex: false, isEqual: true },
        { name: 'service', value: 'checkout', isRegex: false, isEqual: true },
        { name: 'severity', value: 'critical', isRegex: false, isEqual: true },
      ],
    });
    expect(silences[0]!.comment).toMatch(
      /^silenced while firebreak rolls back a deploy: firebreak run \S+, incident \S+/,
    );
    expect(await t.statuses()).toMatchObject({ silence: 'succeeded', rollback: 'awaiting_approval' });

    await t.approve('rollback');
    expect((await t.advance('5m')).status).toBe('succeeded');
    expect(silences[0]!.status.state).toBe('active');
    expect(http.find('DELETE', '/api/v2/silence/*')).toEqual([]);
  });

  test('rollback refused: the saga expires the silence (DELETE /api/v2/silence/{id})', async () => {
    const { http, silences } = world();
    await using t = await testRunbook(highErrorRate, {
      alert,
      http,
      approvals: { silence: 'approve', rollback: 'reject' },
    });
    const run = await t.finish();
    expect(run.status).toBe('compensated');
    expect(http.find('DELETE', '/api/v2/silence/*').map((c) => c.path)).toEqual([
      `/api/v2/silence/${silences[0]!.id}`,
    ]);
    expect(silences.map((s) => s.status.state)).toEqual(['expired']);
    expect(await t.statuses()).toMatchObject({ silence: 'reverted', rollback: 'rejected' });
    expect(http.find('PATCH', DEPLOYMENT)).toEqual([]);
  });

  test('silence refused: nothing is silenced and nothing is rolled back', async () => {
    const { http } = world();
    await using t = await testRunbook(highErrorRate, { alert, http, approvals: { silence: 'reject' } });
    expect((await t.finish()).status).toBe('failed');
    expect(http.mutations()).toEqual([]);
  });

  test('a lost answer: the retried apply finds the run’s silence instead of creating a second', async () => {
    const { http, silences } = world({ lose: true });
    await using t = await testRunbook(highErrorRate, {
      alert,
      http,
      approvals: { silence: 'approve', rollback: 'manual' },
    });
    await t.finish().catch(() => {}); // stops at the rollback gate, which the test leaves open
    expect(http.find('POST', '/api/v2/silences')).toHaveLength(1);
    expect(silences).toHaveLength(1);
    expect(await t.output('silence')).toMatchObject({ silenceId: silences[0]!.id, reused: true });
    expect((await t.step('silence')).attempt).toBe(2);
  });

  test('dry run: says what it would silence, sends nothing', async () => {
    const { http } = world();
    await using t = await testRunbook(highErrorRate, { alert, http, dryRun: true });
    expect((await t.finish()).status).toBe('succeeded');
    expect(await t.output('silence')).toMatchObject({
      dryRun: true,
      wouldApply: {
        for: '30m',
        wouldSilence: expect.arrayContaining([
          { name: 'service', value: 'checkout', isRegex: false, isEqual: true },
        ]),
      },
    });
    expect(http.mutations()).toEqual([]);
  });
});
