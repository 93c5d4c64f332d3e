// How each webhook sender authenticates, with the credentials the HTTP tests configure, and the
// fixture bodies of every source.
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { WebhookSource } from '../../src/core/alert.ts';

export const ALERT_SOURCES: readonly WebhookSource[] = [
  'alertmanager',
  'grafana',
  'pagerduty',
  'datadog',
  'generic',
];

export const PAGERDUTY_SECRETS = ['pd-secret-old-0001', 'pd-secret-new-0002'] as const;

/** Environment with a credential for every source. */
export const WEBHOOK_ENV = {
  ALERTMANAGER_TOKEN: 'am-token-3f9a2c71',
  GRAFANA_HMAC_SECRET: 'grafana-hmac-5e1d0b94',
  PAGERDUTY_WEBHOOK_SECRETS: PAGERDUTY_SECRETS.join(','),
  DATADOG_TOKEN: 'dd-token-8c4e6a20',
  GENERIC_TOKEN: 'generic-token-17b3d5f9',
} as const;

export const GRAFANA_TIMESTAMP_HEADER = 'X-Grafana-Alerting-Timestamp';

export function hmacHex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The headers the real sender would put on `raw` with the credentials of WEBHOOK_ENV. */
export function signedHeaders(source: WebhookSource, raw: string): Record<string, string> {
  switch (source) {
    case 'alertmanager':
      return { ...bearer(WEBHOOK_ENV.ALERTMANAGER_TOKEN), 'user-agent': 'Alertmanager/0.28.1' };
    case 'grafana':
      return { 'x-grafana-alerting-signature': hmacHex(WEBHOOK_ENV.GRAFANA_HMAC_SECRET, raw) };
    case 'pagerduty':
      return { 'x-pagerduty-signature': `v1=${hmacHex(PAGERDUTY_SECRETS[1], raw)}` };
    case 'datadog':
      return bearer(WEBHOOK_ENV.DATADOG_TOKEN);
    case 'generic':
      return bearer(WEBHOOK_ENV.GENERIC_TOKEN);
  }
}

export interface Fixture {
  source: WebhookSource;
  /** e.g. `alertmanager/repeat.json` */
  name: string;
  raw: string;
}

export function fixtureRaw(name: string): string {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
}

export function fixtureJson(name: string): Record<string, unknown> {
  return JSON.parse(fixtureRaw(name)) as Record<string, unknown>;
}

/** Every fixture body of every webhook source, in name order. */
export function webhookFixtures(): Fixture[] {
  return ALERT_SOURCES.flatMap((source) =>
    readdirSync(new URL(`../fixtures/${source}/`, import.meta.url))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => ({ source, name: `${source}/${f}`, raw: fixtureRaw(`${source}/${f}`) })),
  );
}
