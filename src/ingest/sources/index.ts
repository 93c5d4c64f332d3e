import type { AlertSource } from '../../core/alert.ts';
import { parseAlertmanager } from './alertmanager.ts';
import type { ParseResult } from './common.ts';
import { parseDatadog } from './datadog.ts';
import { parseGeneric } from './generic.ts';
import { parseGrafana } from './grafana.ts';
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
};

export type { ParseFailure, ParseResult } from './common.ts';
