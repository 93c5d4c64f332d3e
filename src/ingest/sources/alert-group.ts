// The Alertmanager webhook layout, which Grafana unified alerting reuses and extends: one notification per
// alert group, carrying the group's alerts and the labels they share.
import { z } from 'zod';
import type { Alert, AlertSource } from '../../core/alert.ts';
import {
  alertStatusSchema,
  groupStatus,
  labelsOf,
  nonEmpty,
  type ParseResult,
  parseDate,
  parsed,
  stableLabelHash,
  stringMapSchema,
  unroutable,
} from './common.ts';

export const groupedAlertSchema = z.looseObject({
  status: alertStatusSchema,
  labels: stringMapSchema,
  annotations: stringMapSchema.nullish(),
  startsAt: z.string().nullish(),
  // Only informative: a firing alert carries a future endsAt, so status alone decides firing/resolved.
  endsAt: z.string().nullish(),
  generatorURL: z.string().nullish(),
  fingerprint: z.string().nullish(),
});

export const alertGroupSchema = z.looseObject({
  version: z.string().nullish(),
  groupKey: z.string().nullish(),
  status: alertStatusSchema,
  receiver: z.string().nullish(),
  groupLabels: stringMapSchema.nullish(),
  commonLabels: stringMapSchema.nullish(),
  commonAnnotations: stringMapSchema.nullish(),
  externalURL: z.string().nullish(),
  truncatedAlerts: z.number().nullish(),
  alerts: z.array(groupedAlertSchema),
});

export type GroupedAlert = z.output<typeof groupedAlertSchema>;
export type AlertGroup = z.output<typeof alertGroupSchema>;

export function toGroupedAlert(source: AlertSource, alert: GroupedAlert): Alert {
  const labels = labelsOf(alert.labels);
  return {
    source,
    fingerprint: nonEmpty(alert.fingerprint) ?? stableLabelHash(labels),
    status: alert.status,
    labels,
    annotations: labelsOf(alert.annotations),
    startsAt: parseDate(alert.startsAt),
    endsAt: parseDate(alert.endsAt),
    generatorUrl: nonEmpty(alert.generatorURL),
  };
}

export interface GroupBatchOptions {
  /** Alerts already converted, so a source can add its own annotations. */
  alerts: Alert[];
  notificationReason: string | null;
  /** Title to use when neither a common summary nor an alertname exists. */
  fallbackTitle: string | null;
}

export function toGroupBatch(
  source: AlertSource,
  group: AlertGroup,
  options: GroupBatchOptions,
): ParseResult {
  const groupKey = nonEmpty(group.groupKey);
  if (groupKey === null) return unroutable(`${source} notification has no groupKey`);
  if (options.alerts.length === 0) return unroutable(`${source} notification for ${groupKey} has no alerts`);
  const commonLabels = labelsOf(group.commonLabels);
  return parsed({
    source,
    groupKey,
    status: groupStatus(
      group.status,
      options.alerts.map((alert) => alert.status),
    ),
    title: groupTitle(group, options.fallbackTitle) ?? groupKey,
    severity: nonEmpty(commonLabels.severity),
    commonLabels,
    alerts: options.alerts,
    deliveryId: null,
    notificationReason: options.notificationReason,
  });
}

function groupTitle(group: AlertGroup, fallbackTitle: string | null): string | null {
  return (
    nonEmpty(group.commonAnnotations?.summary) ??
    nonEmpty(group.commonLabels?.alertname) ??
    nonEmpty(group.groupLabels?.alertname) ??
    nonEmpty(group.alerts[0]?.labels.alertname) ??
    fallbackTitle
  );
}
