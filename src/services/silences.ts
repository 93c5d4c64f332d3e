// "Silence this alert for 1h" from an incident, on any surface (web UI, API, Slack): the labels come from
// the incident's own alerts, never from the caller, and the silence is a run of the built-in runbook whose
// gate the approval policy decides. A second click while one is in progress finds that run.
import { ConflictError, NotFoundError } from '../core/errors.ts';
import { isTerminalRun } from '../core/status.ts';
import type { StartOptions } from '../engine/engine.ts';
import { silenceTargetOf } from '../integrations/alertmanager/request.ts';
import type { AlertmanagerSettings } from '../integrations/alertmanager/settings.ts';
import { SILENCE_RUNBOOK_ID } from '../integrations/alertmanager/silence-runbook.ts';
import type { IncidentStore } from '../store/incidents.ts';
import type { Store } from '../store/store.ts';

export interface SilenceRequestDeps {
  /** Starts runs and lists them (a Firebreak is one). */
  fb: {
    start(
      runbookId: string,
      input: unknown,
      opts?: StartOptions,
    ): Promise<{ runId: string; created: boolean }>;
    store: Pick<Store, 'listRuns'>;
  };
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
