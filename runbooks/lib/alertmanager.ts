// Where the example runbooks silence alerts: ALERTMANAGER_URL (default http://127.0.0.1:9093) with
// ALERTMANAGER_API_TOKEN when a proxy in front of it wants one. Never the `externalURL` an Alertmanager
// webhook carries: whoever can post a webhook would then choose where firebreak sends requests.
import { type AlertmanagerEndpoint, incidentUrlOf } from 'firebreak/integrations';
import { bearerToken, endpoints } from './endpoints.ts';

/** The endpoint with its token as of now (a token file is read at every call, like the others'). */
export async function alertmanagerEndpoint(): Promise<AlertmanagerEndpoint> {
  const e = endpoints().alertmanager;
  return { url: e.url, bearerToken: await bearerToken(e) };
}

/** The incident's page at firebreak's PUBLIC_URL, for silence comments; null without one. */
export function incidentUrl(run: { incidentId: string | null }): string | null {
  return incidentUrlOf(endpoints().publicUrl, run.incidentId);
}
