import { describe, expect, test } from 'vitest';
import { parseDatadog } from '../../src/ingest/sources/datadog.ts';
import { parseEpochOrDate, parseTagList } from '../../src/ingest/sources/datadog-values.ts';
import { expectBatch, expectFailure, expectIssuePaths, fixture } from './support.ts';

const triggered = fixture('datadog/triggered.json');
const recovered = fixture('datadog/recovered.json');

const IDENTITY = { env: 'prod', service: 'checkout', team: 'sre', host: 'web-7' };

describe('parseDatadog', () => {
  test('a Triggered notification becomes a firing batch keyed by the alert cycle', () => {
    const batch = expectBatch(parseDatadog(triggered));
    expect(batch).toMatchObject({
      source: 'datadog',
      groupKey: '7342919384719370001',
      status: 'firing',
      title: 'Checkout queue depth above 5000',
      severity: 'P2',
      deliveryId: '7342919384719372614:Triggered:1757488211000',
      notificationReason: null,
    });
    expect(batch.alerts).toHaveLength(1);
    expect(batch.commonLabels).toEqual(batch.alerts[0]?.labels);
  });

  test('labels come from the tags and the scope, plus the monitor and transition', () => {
    const [alert] = expectBatch(parseDatadog(triggered)).alerts;
    expect(alert).toEqual({
      source: 'datadog',
      fingerprint: '98251763:host:web-7,service:checkout',
      status: 'firing',
      labels: {
        ...IDENTITY,
        alertname: 'Checkout queue depth above 5000',
        datadog_monitor_id: '98251763',
        datadog_transition: 'Triggered',
      },
      annotations: {
        summary: '[Triggered on {host:web-7}] Checkout queue depth above 5000',
        description: '%%%\nQueue depth is 6120 on web-7\n%%%',
        query: 'avg(last_5m):avg:checkout.queue.depth{service:checkout} by {host} > 5000',
        tags: 'env:prod,service:checkout,team:sre',
      },
      startsAt: new Date(1757488211000),
      endsAt: null,
      generatorUrl: 'https://app.datadoghq.com/monitors/98251763?group=host%3Aweb-7',
    });
  });

  test('Recovered resolves the same cycle and alert, under a different delivery id', () => {
    const first = expectBatch(parseDatadog(triggered));
    const batch = expectBatch(parseDatadog(recovered));
    expect(batch).toMatchObject({ groupKey: first.groupKey, status: 'resolved' });
    expect(batch.deliveryId).not.toBe(first.deliveryId);
    expect(batch.alerts[0]).toMatchObject({
      fingerprint: first.alerts[0]?.fingerprint,
      status: 'resolved',
      startsAt: null,
      endsAt: new Date(1757489011000),
    });
  });

  test.each([
    ['Triggered', 'firing'],
    ['Re-Triggered', 'firing'],
    ['Warn', 'firing'],
    ['Re-Warn', 'firing'],
    ['No Data', 'firing'],
    ['Re-No Data', 'firing'],
    ['Recovered', 'resolved'],
  ])('transition %s is %s', (transition, status) => {
    const batch = expectBatch(parseDatadog({ ...triggered, alert_transition: transition }));
    expect(batch.status).toBe(status);
    expect(batch.alerts[0]?.labels.datadog_transition).toBe(transition);
  });

  test('an unknown transition is unroutable', () => {
    const failure = expectFailure(parseDatadog({ ...triggered, alert_transition: 'Muted' }), 'unroutable');
    expect(failure).toMatchObject({ reason: expect.stringContaining('Muted') });
  });

  test('no alert_cycle_key is unroutable', () => {
    expectFailure(parseDatadog({ ...triggered, alert_cycle_key: '' }), 'unroutable');
  });

  test('unquoted numeric template variables are accepted', () => {
    const batch = expectBatch(parseDatadog({ ...triggered, alert_id: 98251763, alert_cycle_key: 42 }));
    expect(batch.groupKey).toBe('42');
    expect(batch.alerts[0]?.fingerprint).toBe('98251763:host:web-7,service:checkout');
  });

  test('without an alert id the fingerprint is a hash of tags and scope, the same for trigger and recovery', () => {
    const fire = expectBatch(parseDatadog({ ...triggered, alert_id: '' }));
    const heal = expectBatch(parseDatadog({ ...recovered, alert_id: '' }));
    expect(fire.alerts[0]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(heal.alerts[0]?.fingerprint).toBe(fire.alerts[0]?.fingerprint);
  });

  test('a severity tag wins over the priority', () => {
    expect(expectBatch(parseDatadog({ ...triggered, tags: 'severity:sev1' })).severity).toBe('sev1');
  });

  test('wrong shapes are schema errors', () => {
    expect(expectIssuePaths(parseDatadog({ ...triggered, alert_transition: undefined }))).toContainEqual([
      'alert_transition',
    ]);
    expect(expectIssuePaths(parseDatadog({ ...triggered, tags: ['env:prod'] }))).toContainEqual(['tags']);
    expect(expectIssuePaths(parseDatadog([triggered]))).toContainEqual([]);
  });
});

describe('parseTagList', () => {
  test('splits key:value tags, keeping colons in values', () => {
    expect(parseTagList(' env:prod , url:http://x:80/a ')).toEqual({ env: 'prod', url: 'http://x:80/a' });
  });

  test('leaves out bare tags and empty values, and joins a repeated key', () => {
    expect(parseTagList('prod,:x,team:,team:a,team:b,team:a')).toEqual({ team: 'a,b' });
  });

  test('a __proto__ tag is an ordinary label', () => {
    const labels = parseTagList('__proto__:x');
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.entries(labels)).toEqual([['__proto__', 'x']]);
  });
});

describe('parseEpochOrDate', () => {
  test.each([
    ['1757488211000', new Date(1757488211000)],
    ['1757488211', new Date(1757488211000)],
    ['2026-09-10T07:10:00Z', new Date('2026-09-10T07:10:00Z')],
    // Epoch milliseconds past year 9999 (PostgreSQL refuses toISOString's "+0YYYYY-…" form).
    ['8640000000000000', null],
    ['20267-01-01T00:00:00Z', null],
    ['', null],
    ['yesterday', null],
    [undefined, null],
  ])('%s', (text, date) => {
    expect(parseEpochOrDate(text)).toEqual(date);
  });
});
