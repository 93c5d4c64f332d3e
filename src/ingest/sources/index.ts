import type { AlertSource, WebhookSource } from '../../core/alert.ts';
import { parseAlertmanager } from './alertmanager.ts';
import type { ParseResult } from './common.ts';
import { parseDatadog } from './datadog.ts';
import { parseGeneric } from './generic.ts';
import { parseGrafana } from './grafana.ts';
import { parseKubernetes } from './kubernetes.ts';
import { parsePagerDuty } from './pagerduty.ts';

export interface AlertSourceParser {
  /** Pure: turns a decoded JSON body (and the request headers some senders put ids in) into a batch. */
  parse(body: unknown, headers: Headers): ParseResult;
}

export const sources: Record<AlertSource, AlertSourceParser> = {
  alertmanager: { parse: (body) => parseAlertmanager(body) },
  grafana: { parse: (body) => parseGrafana(body) },
  pagerduty: { parse: (body, headers) => parsePagerDuty(body, headers.get('x-webhook-id')) },
  datadog: { parse: (body) => parseDatadog(body) },
  generic: { parse: (body) => parseGeneric(body) },
  // Fed by the watcher inside firebreak, never over HTTP: it has no webhook route.
  kubernetes: { parse: (body) => parseKubernetes(body) },
};

/** The sources that have a webhook route (POST /webhooks/<source>). */
export const WEBHOOK_SOURCES: readonly WebhookSource[] = [
  'alertmanager',
  'grafana',
  'pagerduty',
  'datadog',
  'generic',
];

export type { ParseFailure, ParseResult } from './common.ts';
