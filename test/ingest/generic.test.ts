import { describe, expect, test } from 'vitest';
import { stableLabelHash } from '../../src/ingest/sources/common.ts';
import { parseGeneric } from '../../src/ingest/sources/generic.ts';
import { expectBatch, expectFailure, expectIssuePaths, fixture } from './support.ts';

const firing = fixture('generic/firing.json');
const LABELS = {
  source: 'synthetic-checker',
  alertname: 'SyntheticLoginFailed',
  service: 'auth',
  region: 'eu-west',
};

describe('parseGeneric', () => {
  test('the documented format becomes a batch of one alert keyed by id', () => {
    const batch = expectBatch(parseGeneric(firing));
    expect(batch).toEqual({
      source: 'generic',
      groupKey: 'chk-checkout-login-2026-09-10T07:10',
      status: 'firing',
      title: 'Login flow failing from eu-west',
      severity: 'critical',
      commonLabels: LABELS,
      alerts: [
        {
          source: 'generic',
          fingerprint: stableLabelHash(LABELS),
          status: 'firing',
          labels: LABELS,
          annotations: { summary: '3 of 3 probes failed' },
          startsAt: new Date('2026-09-10T07:10:00Z'),
          endsAt: null,
          generatorUrl: null,
        },
      ],
      deliveryId: null,
      notificationReason: null,
    });
  });

  test('a resolved alert of the same id resolves the same group and alert', () => {
    const batch = expectBatch(
      parseGeneric({ ...firing, status: 'resolved', endsAt: '2026-09-10T07:20:00Z' }),
    );
    expect(batch).toMatchObject({ groupKey: 'chk-checkout-login-2026-09-10T07:10', status: 'resolved' });
    expect(batch.alerts[0]).toMatchObject({
      fingerprint: stableLabelHash(LABELS),
      status: 'resolved',
      endsAt: new Date('2026-09-10T07:20:00Z'),
    });
  });

  test('labels may set their own source; title and severity fall back to labels, then the id', () => {
    const minimal = { id: 'x-1', status: 'firing', labels: { source: 'own', severity: 'low' } };
    const batch = expectBatch(parseGeneric(minimal));
    expect(batch).toMatchObject({
      title: 'x-1',
      severity: 'low',
      commonLabels: { source: 'own', severity: 'low' },
    });
  });

  test('a given fingerprint and url are kept', () => {
    const [alert] = expectBatch(parseGeneric({ ...firing, fingerprint: 'fp-1', url: 'https://x/y' })).alerts;
    expect(alert).toMatchObject({ fingerprint: 'fp-1', generatorUrl: 'https://x/y' });
  });

  test('no id is unroutable', () => {
    expectFailure(parseGeneric({ ...firing, id: undefined }), 'unroutable');
  });

  test('wrong shapes are schema errors', () => {
    expect(expectIssuePaths(parseGeneric({ ...firing, status: 'ok' }))).toContainEqual(['status']);
    expect(expectIssuePaths(parseGeneric({ ...firing, labels: { count: 3 } }))).toContainEqual([
      'labels',
      'count',
    ]);
    expect(expectIssuePaths(parseGeneric(null))).toContainEqual([]);
  });
});
