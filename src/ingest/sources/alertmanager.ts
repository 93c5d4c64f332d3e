import { z } from 'zod';
import { alertGroupSchema, toGroupBatch, toGroupedAlert } from './alert-group.ts';
import { nonEmpty, type ParseResult, parseWith, stringMapSchema, unroutable } from './common.ts';

/** The only payload version Alertmanager has shipped; another one would mean a layout we do not know. */
const SUPPORTED_VERSION = '4';

export const alertmanagerSchema = alertGroupSchema.extend({
  // Newer releases only: older senders (v0.25 and before) omit both fields.
  notification_reason: z.string().nullish(),
  routeLabels: stringMapSchema.nullish(),
});

export type AlertmanagerPayload = z.output<typeof alertmanagerSchema>;

export function parseAlertmanager(body: unknown): ParseResult {
  return parseWith(alertmanagerSchema, body, (payload) => {
    const version = nonEmpty(payload.version);
    if (version !== null && version !== SUPPORTED_VERSION) {
      return unroutable(`unsupported Alertmanager payload version "${version}"`);
    }
    return toGroupBatch('alertmanager', payload, {
      alerts: payload.alerts.map((alert) => toGroupedAlert('alertmanager', alert)),
      notificationReason: nonEmpty(payload.notification_reason),
      fallbackTitle: null,
    });
  });
}
