// What a silence of an incident would match: the labels its firing alerts share, or why none is offered.
// Pure; the request itself (a run of the built-in runbook) is src/services/silences.ts.
import type { AlertRecord, IncidentRecord } from '../../store/incidents.ts';

/** The labels every firing alert shares: with one alert, all of its labels. */
export function sharedLabels(alerts: readonly Pick<AlertRecord, 'labels'>[]): Record<string, string> {
  const [first, ...rest] = alerts;
  if (!first) return {};
  return Object.fromEntries(
    Object.entries(first.labels).filter(([k, v]) => rest.every((a) => a.labels[k] === v)),
  );
}

/**
 * The labels a silence of this incident would match, or why there is none: silences not configured, an
 * incident from another source, one that no longer fires, alerts that share no alertname. Pure, so the
 * incident page can decide whether to show the button from what it already loaded.
 */
export function silenceTargetOf(
  configured: boolean,
  incident: Pick<IncidentRecord, 'id' | 'source' | 'status'> & Partial<Pick<IncidentRecord, 'drill'>>,
  alerts: readonly Pick<AlertRecord, 'labels' | 'status'>[],
): { labels: Record<string, string> } | { refusal: string } {
  if (!configured)
    return { refusal: 'silences are not configured: set ALERTMANAGER_URL to silence alerts from firebreak' };
  if (incident.source !== 'alertmanager')
    return {
      refusal: `incident ${incident.id} came from ${incident.source}, not Alertmanager: nothing to silence there`,
    };
  if (incident.drill)
    return {
      refusal: `incident ${incident.id} is a game-day drill: its alerts are not Alertmanager's to silence`,
    };
  if (incident.status !== 'firing')
    return { refusal: `incident ${incident.id} is ${incident.status}: nothing fires` };
  const labels = sharedLabels(alerts.filter((a) => a.status === 'firing'));
  if (!labels.alertname)
    return {
      refusal: `the firing alerts of incident ${incident.id} share no alertname: silence them in Alertmanager`,
    };
  // alertname alone would silence that alert everywhere (one sparse alert added to the incident is enough
  // to shrink the shared labels to it): a silence that wide is for a person in Alertmanager, not a button.
  if (Object.keys(labels).length < 2)
    return {
      refusal: `the firing alerts of incident ${incident.id} share only their alertname: a silence of all ${labels.alertname} alerts everywhere is not offered; silence them in Alertmanager`,
    };
  return { labels };
}
