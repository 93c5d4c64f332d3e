// The one shape every webhook source is normalised into before routing.
export type AlertStatus = 'firing' | 'resolved';

/** The senders that reach firebreak over HTTP, at POST /webhooks/<source>. */
export type WebhookSource = 'alertmanager' | 'grafana' | 'pagerduty' | 'datadog' | 'generic';

/** Where an alert came from: a webhook sender, or firebreak's own Kubernetes watcher (src/ingest/kubernetes). */
export type AlertSource = WebhookSource | 'kubernetes';

export interface Alert {
  source: AlertSource;
  /** Stable identity of one alert within its group (Alertmanager fingerprint, Datadog alert id, ...). */
  fingerprint: string;
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date | null;
  endsAt: Date | null;
  generatorUrl: string | null;
}

/** One delivery from a sender: the group it belongs to (one incident per active group) and its alerts. */
export interface AlertBatch {
  source: AlertSource;
  /** Alertmanager/Grafana groupKey, PagerDuty incident id, Datadog alert_cycle_key, generic id, the watcher's key. */
  groupKey: string;
  /** firing while any alert of the group fires. */
  status: AlertStatus;
  title: string;
  severity: string | null;
  /** Labels common to the group (Alertmanager commonLabels); used for routing. */
  commonLabels: Record<string, string>;
  alerts: Alert[];
  /** Delivery id when the sender gives one (PagerDuty X-Webhook-Id, Datadog $ID), for at-least-once dedup. */
  deliveryId: string | null;
  /** Alertmanager notification_reason when present ("repeat" etc.). */
  notificationReason: string | null;
}
