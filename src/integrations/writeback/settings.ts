// The write-back settings of a configuration: PagerDuty when its key is set, Grafana when its URL and
// token are; null when neither is (nothing is started then).
import type { Config } from '../../config/config.ts';
import { type RetryPolicy, retryPolicy } from '../../core/retry.ts';
import type { ResolvePolicy } from '../pagerduty/write-back.ts';

export interface WritebackSettings {
  pagerduty: { token: string; from: string; apiUrl: string; resolve: ResolvePolicy } | null;
  grafana: { url: string; token: string; dashboardUID: string | null } | null;
  /** Where people open an incident: PUBLIC_URL, else FIREBREAK_URL (the CLI's server address). */
  publicUrl: string;
  retry: RetryPolicy;
  pollMs: number;
}

export function writebackSettings(config: Config): WritebackSettings | null {
  const pd =
    config.PAGERDUTY_API_TOKEN && config.PAGERDUTY_FROM_EMAIL
      ? {
          token: config.PAGERDUTY_API_TOKEN,
          from: config.PAGERDUTY_FROM_EMAIL,
          apiUrl: config.PAGERDUTY_API_URL,
          resolve: config.PAGERDUTY_RESOLVE,
        }
      : null;
  const grafana =
    config.GRAFANA_URL && config.GRAFANA_API_TOKEN
      ? {
          url: config.GRAFANA_URL,
          token: config.GRAFANA_API_TOKEN,
          dashboardUID: config.GRAFANA_DASHBOARD_UID ?? null,
        }
      : null;
  if (!pd && !grafana) return null;
  return {
    pagerduty: pd,
    grafana,
    publicUrl: config.PUBLIC_URL ?? config.FIREBREAK_URL,
    // Like Slack's messages: 8 attempts from 1 s, doubling, at most 5 min apart (about 10 min in all).
    retry: retryPolicy({ maxAttempts: 8, initialDelayMs: 1_000, maxDelayMs: 5 * 60_000 }),
    pollMs: config.FIREBREAK_POLL_MS,
  };
}

/** The page of an incident (under PUBLIC_URL's path, if it has one). */
export function incidentUrl(publicUrl: string, incidentId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/incidents/${encodeURIComponent(incidentId)}`;
}
