// firebreak's own format for any other sender (test/fixtures/generic/firing.json): one alert per request,
// grouped by the sender's `id`.
import { z } from 'zod';
import type { Alert } from '../../core/alert.ts';
import {
  alertStatusSchema,
  labelsOf,
  nonEmpty,
  type ParseResult,
  parseDate,
  parsed,
  parseWith,
  stableLabelHash,
  stringMapSchema,
  unroutable,
} from './common.ts';

export const genericSchema = z.looseObject({
  id: z.string().nullish(),
  /** Name of the sending system; becomes the `source` label unless the labels set one. */
  source: z.string().nullish(),
  status: alertStatusSchema,
  title: z.string().nullish(),
  severity: z.string().nullish(),
  labels: stringMapSchema.nullish(),
  annotations: stringMapSchema.nullish(),
  startsAt: z.string().nullish(),
  endsAt: z.string().nullish(),
  url: z.string().nullish(),
  fingerprint: z.string().nullish(),
});

type GenericPayload = z.output<typeof genericSchema>;

export function parseGeneric(body: unknown): ParseResult {
  return parseWith(genericSchema, body, (payload) => {
    const id = nonEmpty(payload.id);
    if (id === null) return unroutable('generic alert has no id');
    const alert = toAlert(payload);
    return parsed({
      source: 'generic',
      groupKey: id,
      status: alert.status,
      title: nonEmpty(payload.title) ?? nonEmpty(alert.labels.alertname) ?? id,
      severity: nonEmpty(payload.severity) ?? nonEmpty(alert.labels.severity),
      commonLabels: alert.labels,
      alerts: [alert],
      deliveryId: null,
      notificationReason: null,
    });
  });
}

function toAlert(payload: GenericPayload): Alert {
  const sender = nonEmpty(payload.source);
  const labels = { ...(sender === null ? {} : { source: sender }), ...labelsOf(payload.labels) };
  return {
    source: 'generic',
    fingerprint: nonEmpty(payload.fingerprint) ?? stableLabelHash(labels),
    status: payload.status,
    labels,
    annotations: labelsOf(payload.annotations),
    startsAt: parseDate(payload.startsAt),
    endsAt: parseDate(payload.endsAt),
    generatorUrl: nonEmpty(payload.url),
  };
}
