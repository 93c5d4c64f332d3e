// PagerDuty V3 webhooks: one event per delivery, each about one PagerDuty incident, which becomes one group
// with a single alert.
import { z } from 'zod';
import type { Alert, AlertStatus } from '../../core/alert.ts';
import {
  nonEmpty,
  type ParseResult,
  parseDate,
  parsed,
  parseWith,
  unroutable,
  withoutNulls,
} from './common.ts';

/**
 * Event types whose `data` is the incident itself. All but `incident.resolved` concern an open incident, so
 * they arrive as firing batches: for an incident already open they add a timeline note, like an Alertmanager
 * repeat, and `notificationReason` carries the event type (for the acknowledgement time, say). Everything
 * else (annotations, status updates, responders, workflows, service events, pings) has no incident to
 * route and goes to the dead letters.
 */
export const PAGERDUTY_INCIDENT_EVENTS = [
  'incident.triggered',
  'incident.reopened',
  'incident.acknowledged',
  'incident.unacknowledged',
  'incident.escalated',
  'incident.reassigned',
  'incident.delegated',
  'incident.priority_updated',
  'incident.resolved',
] as const;

const referenceSchema = z.looseObject({
  id: z.string().nullish(),
  summary: z.string().nullish(),
  html_url: z.string().nullish(),
});

export const pagerdutyIncidentSchema = z.looseObject({
  id: z.string().nullish(),
  type: z.string().nullish(),
  status: z.string().nullish(),
  title: z.string().nullish(),
  number: z.number().nullish(),
  html_url: z.string().nullish(),
  incident_key: z.string().nullish(),
  created_at: z.string().nullish(),
  urgency: z.string().nullish(),
  service: referenceSchema.nullish(),
  priority: referenceSchema.nullish(),
  escalation_policy: referenceSchema.nullish(),
});

const eventFields = {
  id: z.string(),
  event_type: z.string(),
  resource_type: z.string().nullish(),
  occurred_at: z.string().nullish(),
};

/** Any V3 event; `data` differs per event type, so it is checked only once the type is known. */
export const pagerdutySchema = z.looseObject({ event: z.looseObject({ ...eventFields, data: z.unknown() }) });

export const pagerdutyIncidentEventSchema = z.looseObject({
  event: z.looseObject({ ...eventFields, data: pagerdutyIncidentSchema }),
});

type IncidentEvent = z.output<typeof pagerdutyIncidentEventSchema>['event'];
type Incident = z.output<typeof pagerdutyIncidentSchema>;

/** `webhookId` is the X-Webhook-Id header; without it the event id still identifies the delivery. */
export function parsePagerDuty(body: unknown, webhookId: string | null = null): ParseResult {
  return parseWith(pagerdutySchema, body, ({ event }) => {
    if (!isIncidentEvent(event.event_type)) {
      return unroutable(`unhandled PagerDuty event type "${event.event_type}"`);
    }
    return parseWith(pagerdutyIncidentEventSchema, body, (payload) => toBatch(payload.event, webhookId));
  });
}

function isIncidentEvent(eventType: string): boolean {
  return (PAGERDUTY_INCIDENT_EVENTS as readonly string[]).includes(eventType);
}

function toBatch(event: IncidentEvent, webhookId: string | null): ParseResult {
  const incident = event.data;
  const incidentId = nonEmpty(incident.id);
  if (incidentId === null) return unroutable(`PagerDuty ${event.event_type} event has no incident id`);
  const alert = toAlert(event, incidentId);
  return parsed({
    source: 'pagerduty',
    groupKey: incidentId,
    status: alert.status,
    title: nonEmpty(incident.title) ?? `PagerDuty incident ${incident.number ?? incidentId}`,
    severity: nonEmpty(incident.priority?.summary) ?? nonEmpty(incident.urgency),
    commonLabels: alert.labels,
    alerts: [alert],
    deliveryId: nonEmpty(webhookId) ?? nonEmpty(event.id),
    notificationReason: event.event_type,
  });
}

function toAlert(event: IncidentEvent, incidentId: string): Alert {
  const incident = event.data;
  const status = incidentStatus(event.event_type, incident.status);
  return {
    source: 'pagerduty',
    fingerprint: incidentId,
    status,
    labels: incidentLabels(incident),
    annotations: withoutNulls({
      summary: nonEmpty(incident.title),
      // The page's id, for runbooks that write to it (`pagerDuty(ctx, …).addNote(annotations.incident_id, …)`).
      incident_id: incidentId,
      incident_key: nonEmpty(incident.incident_key),
      incident_number:
        incident.number === null || incident.number === undefined ? null : String(incident.number),
      escalation_policy: nonEmpty(incident.escalation_policy?.summary),
    }),
    startsAt: parseDate(incident.created_at),
    endsAt: status === 'resolved' ? parseDate(event.occurred_at) : null,
    generatorUrl: nonEmpty(incident.html_url),
  };
}

/**
 * The incident's own status wins over the event type: a priority change on an already resolved incident must
 * not reopen it. Triggered and acknowledged are both still open, hence firing.
 */
function incidentStatus(eventType: string, status: string | null | undefined): AlertStatus {
  if (status === 'resolved') return 'resolved';
  if (status === 'triggered' || status === 'acknowledged') return 'firing';
  return eventType === 'incident.resolved' ? 'resolved' : 'firing';
}

function incidentLabels(incident: Incident): Record<string, string> {
  return withoutNulls({
    service: nonEmpty(incident.service?.summary),
    service_id: nonEmpty(incident.service?.id),
    priority: nonEmpty(incident.priority?.summary),
    urgency: nonEmpty(incident.urgency),
  });
}
