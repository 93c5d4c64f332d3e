import { describe, expect, test } from 'vitest';
import { parseAlertmanager } from '../../src/ingest/sources/alertmanager.ts';
import { stableLabelHash } from '../../src/ingest/sources/common.ts';
import { expectBatch, expectFailure, expectIssuePaths, fixture } from './support.ts';

const GROUP_KEY = '{}/{severity="critical"}:{alertname="HighErrorRate", service="checkout"}';
const FINGERPRINTS = ['3b9f2c1e8a7d4f60', 'a41c09e7b6f2d813'];

describe('parseAlertmanager', () => {
  test('a first notification becomes a firing batch of both alerts', () => {
    const batch = expectBatch(parseAlertmanager(fixture('alertmanager/firing-two-alerts.json')));
    expect(batch).toMatchObject({
      source: 'alertmanager',
      groupKey: GROUP_KEY,
      status: 'firing',
      title: 'HighErrorRate',
      severity: 'critical',
      deliveryId: null,
      notificationReason: 'first notification',
    });
    expect(batch.commonLabels).toEqual({
      alertname: 'HighErrorRate',
      job: 'api',
      namespace: 'prod',
      service: 'checkout',
      severity: 'critical',
    });
    expect(batch.alerts.map((alert) => alert.fingerprint)).toEqual(FINGERPRINTS);
    expect(batch.alerts.map((alert) => alert.status)).toEqual(['firing', 'firing']);
  });

  test('each alert keeps its labels, annotations, times and link', () => {
    const [first] = expectBatch(parseAlertmanager(fixture('alertmanager/firing-two-alerts.json'))).alerts;
    expect(first).toEqual({
      source: 'alertmanager',
      fingerprint: '3b9f2c1e8a7d4f60',
      status: 'firing',
      labels: {
        alertname: 'HighErrorRate',
        instance: 'api-1:8080',
        job: 'api',
        namespace: 'prod',
        service: 'checkout',
        severity: 'critical',
      },
      annotations: {
        summary: '5xx ratio 12% on api-1',
        description: 'job:errors:ratio5m is 0.12 for checkout',
        runbook_url: 'https://runbooks.example.com/high-error-rate',
      },
      startsAt: new Date('2026-09-10T06:25:47.512Z'),
      endsAt: new Date('2026-09-10T06:34:47.512Z'),
      generatorUrl: 'http://prometheus:9090/graph?g0.expr=job%3Aerrors%3Aratio5m+%3E+0.05&g0.tab=1',
    });
  });

  test('a repeat is the same firing group, marked by its notification reason', () => {
    const batch = expectBatch(parseAlertmanager(fixture('alertmanager/repeat.json')));
    expect(batch.groupKey).toBe(GROUP_KEY);
    expect(batch.status).toBe('firing');
    expect(batch.notificationReason).toBe('repeat interval elapsed');
    expect(batch.alerts.map((alert) => [alert.fingerprint, alert.status])).toEqual([
      [FINGERPRINTS[0], 'firing'],
      [FINGERPRINTS[1], 'firing'],
    ]);
  });

  test('a partly resolved group still fires, with the resolved alert marked resolved', () => {
    const batch = expectBatch(parseAlertmanager(fixture('alertmanager/partly-resolved.json')));
    expect(batch.status).toBe('firing');
    expect(batch.notificationReason).toBe('some alerts resolved');
    expect(batch.alerts.map((alert) => [alert.fingerprint, alert.status])).toEqual([
      [FINGERPRINTS[0], 'firing'],
      [FINGERPRINTS[1], 'resolved'],
    ]);
    expect(batch.alerts[1]?.endsAt).toEqual(new Date('2026-09-10T06:41:02.000Z'));
  });

  test('a resolved notification resolves the group and every alert', () => {
    const batch = expectBatch(parseAlertmanager(fixture('alertmanager/resolved.json')));
    expect(batch.groupKey).toBe(GROUP_KEY);
    expect(batch.status).toBe('resolved');
    expect(batch.notificationReason).toBe('all alerts resolved');
    expect(batch.alerts.map((alert) => [alert.fingerprint, alert.status])).toEqual([
      [FINGERPRINTS[0], 'resolved'],
      [FINGERPRINTS[1], 'resolved'],
    ]);
  });

  test('an older sender without notification_reason and routeLabels is accepted', () => {
    const batch = expectBatch(parseAlertmanager(fixture('alertmanager/v0.25-single-alert.json')));
    expect(batch).toMatchObject({
      groupKey: '{}:{alertname="DiskAlmostFull"}',
      status: 'firing',
      title: 'Disk on db-3 is 93% full',
      severity: 'warning',
      notificationReason: null,
    });
    expect(batch.alerts).toHaveLength(1);
    expect(batch.alerts[0]?.fingerprint).toBe('77e0c1d2aa90b3f4');
    expect(batch.alerts[0]?.labels.mountpoint).toBe('/var/lib/postgresql');
  });

  test('status decides firing, whatever endsAt says', () => {
    const body = fixture('alertmanager/firing-two-alerts.json');
    const alerts = (body.alerts as Record<string, unknown>[]).map((alert) => ({
      ...alert,
      endsAt: '2020-01-01T00:00:00Z',
    }));
    const batch = expectBatch(parseAlertmanager({ ...body, alerts }));
    expect(batch.status).toBe('firing');
    expect(batch.alerts.every((alert) => alert.status === 'firing')).toBe(true);
  });

  test('a firing group whose listed alerts are all resolved stays firing (the firing ones may be truncated)', () => {
    const body = fixture('alertmanager/resolved.json');
    const batch = expectBatch(parseAlertmanager({ ...body, status: 'firing', truncatedAlerts: 3 }));
    expect(batch.status).toBe('firing');
  });

  test('the zero endsAt and null maps of Go senders are read as absent', () => {
    const body = fixture('alertmanager/v0.25-single-alert.json');
    const [alert] = body.alerts as Record<string, unknown>[];
    const batch = expectBatch(
      parseAlertmanager({
        ...body,
        commonAnnotations: null,
        alerts: [{ ...alert, endsAt: '0001-01-01T00:00:00Z', annotations: null, generatorURL: '' }],
      }),
    );
    expect(batch.title).toBe('DiskAlmostFull');
    expect(batch.alerts[0]).toMatchObject({ endsAt: null, annotations: {}, generatorUrl: null });
  });

  test('an alert without a fingerprint gets a stable hash of its labels', () => {
    const body = fixture('alertmanager/v0.25-single-alert.json');
    const [alert] = body.alerts as Record<string, unknown>[];
    const labels = { severity: 'warning', alertname: 'DiskAlmostFull' };
    const batch = expectBatch(
      parseAlertmanager({ ...body, alerts: [{ ...alert, labels, fingerprint: undefined }] }),
    );
    expect(batch.alerts[0]?.fingerprint).toBe(
      stableLabelHash({ alertname: 'DiskAlmostFull', severity: 'warning' }),
    );
    expect(batch.alerts[0]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  test('unknown fields are let through', () => {
    const body = { ...fixture('alertmanager/resolved.json'), somethingNew: { nested: true } };
    expect(expectBatch(parseAlertmanager(body)).status).toBe('resolved');
  });

  describe('wrong shapes are schema errors', () => {
    test.each([
      ['not an object', 'firing', ['']],
      ['an unknown status', { ...fixture('alertmanager/resolved.json'), status: 'pending' }, ['status']],
      ['alerts missing', { ...fixture('alertmanager/resolved.json'), alerts: undefined }, ['alerts']],
      [
        'a numeric label value',
        {
          ...fixture('alertmanager/v0.25-single-alert.json'),
          alerts: [{ status: 'firing', labels: { alertname: 'X', replicas: 3 } }],
        },
        ['alerts.0.labels.replicas'],
      ],
    ])('%s', (_name, body, paths) => {
      const found = expectIssuePaths(parseAlertmanager(body)).map((path) => path.map(String).join('.'));
      expect(found).toEqual(expect.arrayContaining(paths));
    });
  });

  describe('the right shape without an incident in it is unroutable', () => {
    test('no groupKey', () => {
      const body = { ...fixture('alertmanager/firing-two-alerts.json'), groupKey: '' };
      const failure = expectFailure(parseAlertmanager(body), 'unroutable');
      expect(failure).toMatchObject({ reason: expect.stringContaining('groupKey') });
    });

    test('no alerts', () => {
      const body = { ...fixture('alertmanager/firing-two-alerts.json'), alerts: [] };
      expectFailure(parseAlertmanager(body), 'unroutable');
    });

    test('a payload version other than 4', () => {
      const body = { ...fixture('alertmanager/firing-two-alerts.json'), version: '5' };
      expectFailure(parseAlertmanager(body), 'unroutable');
    });
  });
});
