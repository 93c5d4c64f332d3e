// A runbook that acts on what an alert names (page-triage writes into the PagerDuty page an alert's
// annotation names) takes alerts from the sources it lists only: another sender with matching labels
// starts nothing.
import { matchesTriggers } from 'firebreak/testing';
import { describe, expect, test } from 'vitest';
import { pageTriage } from '../../runbooks/page-triage.ts';
import type { AlertBatch, AlertSource } from '../../src/core/alert.ts';
import { Router } from '../../src/ingest/route.ts';
import { loadRunbook, RunbookRegistry } from '../../src/runbooks/registry.ts';

const labels = { urgency: 'high', service_id: 'PSVC1', service: 'checkout' };

function batch(source: AlertSource): AlertBatch {
  return {
    source,
    groupKey: 'g-1',
    status: 'firing',
    title: 'checkout is down',
    severity: null,
    commonLabels: labels,
    alerts: [
      {
        source,
        fingerprint: 'f-1',
        status: 'firing',
        labels,
        annotations: { incident_id: 'PVICTIM' },
        startsAt: null,
        endsAt: null,
        generatorUrl: null,
      },
    ],
    deliveryId: null,
    notificationReason: null,
  };
}

describe('runbook sources', () => {
  const router = new Router(new RunbookRegistry([loadRunbook(pageTriage)]));

  test('page-triage starts from a PagerDuty page, and from no other sender with the same labels', () => {
    expect(router.route(batch('pagerduty'), 'i-1').runs.map((r) => r.runbook_id)).toEqual(['page-triage']);
    for (const source of ['alertmanager', 'grafana', 'datadog', 'generic', 'kubernetes'] as const) {
      expect(router.route(batch(source), 'i-1').runs).toEqual([]);
    }
  });

  test('matchesTriggers says the same when given the source', () => {
    expect(matchesTriggers(pageTriage, labels, 'pagerduty')).toBe(true);
    expect(matchesTriggers(pageTriage, labels, 'generic')).toBe(false);
    expect(matchesTriggers(pageTriage, labels)).toBe(true);
  });
});
