// "Silence this alert for 1h" from an incident, on any surface (web UI, Slack): the labels come from the
// incident's own alerts, never from the caller, and the silence is a run of the built-in runbook whose
// gate the approval policy decides. A second click while one is in progress finds that run.
import { ConflictError, NotFoundError } from '../../core/errors.ts';
import { isTerminalRun } from '../../core/status.ts';
import type { Firebreak } from '../../firebreak.ts';
import type { AlertRecord, IncidentRecord, IncidentStore } from '../../store/incidents.ts';
import type { AlertmanagerSettings } from './settings.ts';
import { SILENCE_RUNBOOK_ID } from './silence-runbook.ts';

export interface SilenceRequestDeps {
  fb: Pick<Firebreak, 'start' | 'store'>;
  incidents: Pick<IncidentStore, 'get' | 'alerts'>;
  /** Null when ALERTMANAGER_URL is not set. */
  alertmanager: AlertmanagerSettings | null;
}

export interface SilenceRequested {
  runId: string;
  /** False when a silence run for the same labels of this incident was already going. */
  created: boolean;
  labels: Record<string, string>;
}

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

export async function requestSilence(
  deps: SilenceRequestDeps,
  incidentId: string,
  requestedBy: string,
): Promise<SilenceRequested> {
  const labels = await silenceTarget(deps, incidentId);
  const runs = await deps.fb.store.listRuns({ runbookId: SILENCE_RUNBOOK_ID, incidentId, limit: 50 });
  const same = JSON.stringify(sorted(labels));
  const going = runs.find(
    (r) =>
      !isTerminalRun(r.status) &&
      JSON.stringify(sorted((r.input as { labels: Record<string, string> }).labels)) === same,
  );
  if (going) return { runId: going.id, created: false, labels };
  const { runId } = await deps.fb.start(SILENCE_RUNBOOK_ID, { labels }, { incidentId, requestedBy });
  return { runId, created: true, labels };
}

async function silenceTarget(deps: SilenceRequestDeps, incidentId: string): Promise<Record<string, string>> {
  const incident = await deps.incidents.get(incidentId);
  if (!incident) throw new NotFoundError('incident', incidentId);
  const target = silenceTargetOf(
    deps.alertmanager !== null,
    incident,
    await deps.incidents.alerts(incidentId),
  );
  if ('refusal' in target) throw new ConflictError(target.refusal);
  return target.labels;
}

function sorted(labels: Record<string, string>): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
