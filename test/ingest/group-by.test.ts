// Grouping keys as pure functions: the key of an alert's labels, a delivery split into incidents, and the
// settings that choose the labels per source.
import { describe, expect, test } from 'vitest';
import { groupByOf, parseConfig } from '../../src/config/config.ts';
import type { AlertBatch } from '../../src/core/alert.ts';
import { labelGroupKey, regroup } from '../../src/ingest/group-by.ts';
import { sources } from '../../src/ingest/sources/index.ts';
import { fixtureJson } from '../support/senders.ts';

function alertmanagerBatch(name: string): AlertBatch {
  const parsed = sources.alertmanager.parse(fixtureJson(`alertmanager/${name}.json`), new Headers());
  if (!parsed.ok) throw new Error('fixture did not parse');
  return parsed.batch;
}

describe('labelGroupKey', () => {
  test('names in the configured order, values quoted, a missing label empty', () => {
    expect(labelGroupKey(['service', 'alertname'], { alertname: 'A', service: 'checkout' })).toBe(
      '{service="checkout",alertname="A"}',
    );
    expect(labelGroupKey(['alertname', 'team'], { alertname: 'A' })).toBe('{alertname="A",team=""}');
    // A value cannot pass for another label: quotes and commas are escaped by the quoting.
    expect(labelGroupKey(['a', 'b'], { a: 'x",b="y', b: '' })).not.toBe(
      labelGroupKey(['a', 'b'], { a: 'x', b: 'y' }),
    );
  });
});

describe('regroup', () => {
  test("without names a batch stays the sender's group", () => {
    const batch = alertmanagerBatch('firing-two-alerts');
    expect(regroup(batch, undefined)).toEqual([batch]);
    expect(regroup(batch, [])[0]).toBe(batch);
  });

  test('by alertname,instance: one part per instance with its own alerts, status and labels', () => {
    const parts = regroup(alertmanagerBatch('partly-resolved'), ['alertname', 'instance']);
    expect(
      parts.map((p) => ({
        groupKey: p.groupKey,
        status: p.status,
        alerts: p.alerts.map((a) => a.fingerprint),
        instance: p.commonLabels.instance,
        severity: p.severity,
      })),
    ).toEqual([
      {
        groupKey: '{alertname="HighErrorRate",instance="api-1:8080"}',
        status: 'firing',
        alerts: ['3b9f2c1e8a7d4f60'],
        instance: 'api-1:8080',
        severity: 'critical',
      },
      {
        groupKey: '{alertname="HighErrorRate",instance="api-2:8080"}',
        status: 'resolved',
        alerts: ['a41c09e7b6f2d813'],
        instance: 'api-2:8080',
        severity: 'critical',
      },
    ]);
  });

  test("a sender's delivery id becomes one per part, so a redelivery is a duplicate part by part", () => {
    const batch = { ...alertmanagerBatch('firing-two-alerts'), deliveryId: 'd-1' };
    expect(regroup(batch, ['instance']).map((p) => p.deliveryId)).toEqual([
      'd-1#{instance="api-1:8080"}',
      'd-1#{instance="api-2:8080"}',
    ]);
  });
});

describe('GROUP_BY settings', () => {
  test('unset: every source keeps its sender group key', () => {
    expect(groupByOf(parseConfig({}))).toEqual({});
  });

  test('GROUP_BY for every source, GROUP_BY_<SOURCE> over it', () => {
    const c = parseConfig({ GROUP_BY: 'alertname, service', GROUP_BY_PAGERDUTY: 'service' });
    expect(groupByOf(c)).toEqual({
      alertmanager: ['alertname', 'service'],
      grafana: ['alertname', 'service'],
      pagerduty: ['service'],
      datadog: ['alertname', 'service'],
      generic: ['alertname', 'service'],
      kubernetes: ['alertname', 'service'],
    });
  });

  test('a bad label list stops the start naming the variable', () => {
    expect(() => parseConfig({ GROUP_BY_ALERTMANAGER: ' , ' })).toThrow(
      'GROUP_BY_ALERTMANAGER: name at least one label',
    );
    expect(() => parseConfig({ GROUP_BY_GRAFANA: 'alertname,team="x"' })).toThrow(
      /GROUP_BY_GRAFANA\.1: a label name/,
    );
  });
});
