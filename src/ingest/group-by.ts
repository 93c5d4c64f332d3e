// Grouping keys: which labels make one incident, per source (GROUP_BY_<SOURCE>, GROUP_BY). Unset, an
// incident is the sender's own group (Alertmanager's groupKey, a PagerDuty incident, …). Set, each alert
// of a delivery belongs to the incident of `source` + the listed labels' values, so one delivery may
// open several incidents, and a resolved alert finds its incident by the same labels. Pure.
import type { Alert, AlertBatch, AlertSource } from '../core/alert.ts';

/** Label names per source; a source without an entry keeps the sender's group key. */
export type GroupBy = Partial<Record<AlertSource, readonly string[]>>;

/**
 * The incident key of labels under `names`: `{alertname="HighErrorRate",service="checkout"}`, names in
 * the order configured, values JSON-quoted. A label the alert lacks counts as the empty value.
 */
export function labelGroupKey(names: readonly string[], labels: Readonly<Record<string, string>>): string {
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n] ?? '')}`).join(',')}}`;
}

/**
 * The batch as its incidents under `names`: one batch per distinct key, each with its own alerts, the
 * labels they share, its own status (firing while one of its alerts fires) and its own delivery id
 * (`<sender's id>#<key>`, so a redelivery is still a duplicate, part by part). Without names, the batch.
 */
export function regroup(batch: AlertBatch, names: readonly string[] | undefined): AlertBatch[] {
  if (!names || names.length === 0) return [batch];
  const parts = new Map<string, Alert[]>();
  for (const alert of batch.alerts) {
    const key = labelGroupKey(names, labelsOf(batch, alert));
    parts.set(key, [...(parts.get(key) ?? []), alert]);
  }
  return [...parts].map(([groupKey, alerts]) => {
    const commonLabels = shared(alerts.map((a) => labelsOf(batch, a)));
    return {
      ...batch,
      groupKey,
      alerts,
      status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
      commonLabels,
      severity: commonLabels.severity || batch.severity,
      deliveryId: batch.deliveryId === null ? null : `${batch.deliveryId}#${groupKey}`,
    };
  });
}

function labelsOf(batch: AlertBatch, alert: Alert): Record<string, string> {
  return { ...batch.commonLabels, ...alert.labels };
}

/** The labels every one of `sets` has with the same value. */
function shared(sets: readonly Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = sets;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((s) => s[k] === v)));
}
