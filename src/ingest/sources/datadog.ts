// Datadog has no fixed webhook body: the sender writes a JSON template of $VARIABLES (see
// test/fixtures/datadog). This is the template firebreak documents; values are strings, but a template that
// leaves a numeric variable unquoted is accepted too.
import { z } from 'zod';
import type { Alert, AlertStatus } from '../../core/alert.ts';
import {
  nonEmpty,
  type ParseResult,
  parsed,
  parseWith,
  stableLabelHash,
  unroutable,
  withoutNulls,
} from './common.ts';
import { parseEpochOrDate, parseTagList } from './datadog-values.ts';

const textSchema = z.union([z.string(), z.number().transform(String)]);

export const datadogSchema = z.looseObject({
  id: textSchema.nullish(),
  alert_id: textSchema.nullish(),
  alert_cycle_key: textSchema.nullish(),
  alert_transition: z.string(),
  alert_title: z.string().nullish(),
  title: z.string().nullish(),
  body: z.string().nullish(),
  alert_scope: z.string().nullish(),
  alert_priority: z.string().nullish(),
  alert_query: z.string().nullish(),
  tags: z.string().nullish(),
  link: z.string().nullish(),
  date: textSchema.nullish(),
});

type DatadogPayload = z.output<typeof datadogSchema>;

/**
 * $ALERT_TRANSITION, lower-cased without spaces or dashes. "No Data" fires: Datadog only sends it for monitors
 * set to notify on missing data, and a silent host is often the outage itself; triggers that do not want it
 * can exclude it with a matcher on the `datadog_transition` label. Its recovery arrives as "Recovered".
 */
const TRANSITIONS: Readonly<Record<string, AlertStatus>> = {
  triggered: 'firing',
  retriggered: 'firing',
  warn: 'firing',
  rewarn: 'firing',
  nodata: 'firing',
  renodata: 'firing',
  recovered: 'resolved',
};

export function parseDatadog(body: unknown): ParseResult {
  return parseWith(datadogSchema, body, (payload) => {
    const cycleKey = nonEmpty(payload.alert_cycle_key);
    if (cycleKey === null) return unroutable('Datadog notification has no alert_cycle_key');
    const transition = payload.alert_transition.trim();
    const key = transition.toLowerCase().replace(/[\s_-]/g, '');
    // Own keys only: "constructor" or "toString" must not find Object.prototype's members.
    const status = Object.hasOwn(TRANSITIONS, key) ? TRANSITIONS[key] : undefined;
    if (status === undefined) return unroutable(`unhandled Datadog alert transition "${transition}"`);
    const alert = toAlert(payload, status, transition);
    return parsed({
      source: 'datadog',
      groupKey: cycleKey,
      status,
      // The event title carries a changing "[Triggered on ...]" prefix, so the monitor's own title comes first.
      title: nonEmpty(payload.alert_title) ?? nonEmpty(payload.title) ?? `Datadog alert ${cycleKey}`,
      severity: alert.labels.severity ?? nonEmpty(payload.alert_priority),
      commonLabels: alert.labels,
      alerts: [alert],
      deliveryId: deliveryId(payload, transition),
      notificationReason: null,
    });
  });
}

function toAlert(payload: DatadogPayload, status: AlertStatus, transition: string): Alert {
  // Scope names the monitor group this alert is for, so it wins over the monitor's tags.
  const identity = { ...parseTagList(payload.tags), ...parseTagList(payload.alert_scope) };
  const alertId = nonEmpty(payload.alert_id);
  const scope = nonEmpty(payload.alert_scope);
  const at = parseEpochOrDate(payload.date);
  return {
    source: 'datadog',
    // A multi-alert monitor notifies once per group under one alert id; the scope tells the groups apart.
    fingerprint:
      alertId === null ? stableLabelHash(identity) : scope === null ? alertId : `${alertId}:${scope}`,
    status,
    labels: {
      ...withoutNulls({ alertname: nonEmpty(payload.alert_title), datadog_monitor_id: alertId }),
      ...identity,
      datadog_transition: transition,
    },
    annotations: withoutNulls({
      summary: nonEmpty(payload.title),
      description: nonEmpty(payload.body),
      query: nonEmpty(payload.alert_query),
      tags: nonEmpty(payload.tags),
    }),
    startsAt: status === 'firing' ? at : null,
    endsAt: status === 'resolved' ? at : null,
    generatorUrl: nonEmpty(payload.link),
  };
}

/**
 * $ID alone is not trusted as the delivery id: if a trigger and its recovery ever share it, deduplicating on
 * it would swallow the recovery. Every field here is part of the body, so a retried delivery keeps the id.
 */
function deliveryId(payload: DatadogPayload, transition: string): string | null {
  const id = nonEmpty(payload.id);
  if (id === null) return null;
  return [id, transition, nonEmpty(payload.date)].filter((part) => part !== null).join(':');
}
