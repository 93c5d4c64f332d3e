// The batches firebreak's own Kubernetes watcher (src/ingest/kubernetes) hands to the ingest path: the
// same parse → route → commit as a webhook delivery, so grouping, triggers, dead letters and replays
// work alike. The body is the watcher's, not a sender's: it is already an alert group.
import { z } from 'zod';
import type { Alert } from '../../core/alert.ts';
import {
  alertStatusSchema,
  groupStatus,
  type ParseResult,
  parseDate,
  parsed,
  parseWith,
  stringMapSchema,
} from './common.ts';

const kubeAlertSchema = z.strictObject({
  fingerprint: z.string().min(1),
  status: alertStatusSchema,
  labels: stringMapSchema,
  annotations: stringMapSchema,
  startsAt: z.string().nullable(),
  endsAt: z.string().nullable(),
});

export const kubernetesBatchSchema = z.strictObject({
  groupKey: z.string().min(1),
  title: z.string().min(1),
  severity: z.string().nullable(),
  /** The labels that make the group (alertname, namespace, the workload or node). */
  groupLabels: stringMapSchema,
  alerts: z.array(kubeAlertSchema).min(1),
});

export type KubernetesBatch = z.input<typeof kubernetesBatchSchema>;

export function parseKubernetes(body: unknown): ParseResult {
  return parseWith(kubernetesBatchSchema, body, (b) => {
    const alerts = b.alerts.map(
      (a): Alert => ({
        source: 'kubernetes',
        fingerprint: a.fingerprint,
        status: a.status,
        labels: a.labels,
        annotations: a.annotations,
        startsAt: parseDate(a.startsAt),
        endsAt: parseDate(a.endsAt),
        generatorUrl: null,
      }),
    );
    return parsed({
      source: 'kubernetes',
      groupKey: b.groupKey,
      status: groupStatus(
        'resolved',
        alerts.map((a) => a.status),
      ),
      title: b.title,
      severity: b.severity,
      commonLabels: b.groupLabels,
      alerts,
      deliveryId: null,
      notificationReason: null,
    });
  });
}
