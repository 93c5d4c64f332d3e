import { z } from 'zod';
import type { Alert } from '../../core/alert.ts';
import { alertGroupSchema, groupedAlertSchema, toGroupBatch, toGroupedAlert } from './alert-group.ts';
import { nonEmpty, type ParseResult, parseWith, unroutable, withoutNulls } from './common.ts';

/** Grafana unified alerting's webhook version; the legacy (pre-unified) layout has no `alerts` and fails the schema. */
const SUPPORTED_VERSION = '1';

export const grafanaAlertSchema = groupedAlertSchema.extend({
  silenceURL: z.string().nullish(),
  dashboardURL: z.string().nullish(),
  panelURL: z.string().nullish(),
});

export const grafanaSchema = alertGroupSchema.extend({
  alerts: z.array(grafanaAlertSchema),
  orgId: z.number().nullish(),
  title: z.string().nullish(),
  state: z.string().nullish(),
  message: z.string().nullish(),
});

export type GrafanaPayload = z.output<typeof grafanaSchema>;
type GrafanaAlert = z.output<typeof grafanaAlertSchema>;

export function parseGrafana(body: unknown): ParseResult {
  return parseWith(grafanaSchema, body, (payload) => {
    const version = nonEmpty(payload.version);
    if (version !== null && version !== SUPPORTED_VERSION) {
      return unroutable(`unsupported Grafana webhook version "${version}"`);
    }
    return toGroupBatch('grafana', payload, {
      alerts: payload.alerts.map(toGrafanaAlert),
      notificationReason: null,
      // Grafana's own title embeds a changing "[FIRING:n]" prefix, so it is only the last resort.
      fallbackTitle: nonEmpty(payload.title),
    });
  });
}

/** Grafana's dashboard, panel and silence links are worth keeping as evidence links; sent annotations win. */
function toGrafanaAlert(alert: GrafanaAlert): Alert {
  const base = toGroupedAlert('grafana', alert);
  const links = withoutNulls({
    dashboard_url: nonEmpty(alert.dashboardURL),
    panel_url: nonEmpty(alert.panelURL),
    silence_url: nonEmpty(alert.silenceURL),
  });
  return { ...base, annotations: { ...links, ...base.annotations } };
}
