// Incidents as every edge shows them: the list, one incident with its alerts, timeline, evidence and
// runs, one evidence item, and its postmortem (get, save an edit, regenerate). The API, the web UI and
// the CLI (through the API) read incidents here.
import { NotFoundError } from '../core/errors.ts';
import type { AlertRecord, IncidentRecord, IncidentStore } from '../store/incidents.ts';
import type { EventRecord, EvidenceRecord, RunRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import type { Postmortems, PostmortemView } from './postmortem/postmortems.ts';

export interface IncidentFilter {
  status?: string;
  /** true: drills only; false: real incidents only; unset: both. */
  drill?: boolean;
  limit?: number;
}

export interface IncidentView {
  incident: IncidentRecord;
  alerts: AlertRecord[];
  timeline: EventRecord[];
  evidence: EvidenceRecord[];
  runs: RunRecord[];
}

export interface IncidentServiceDeps {
  incidents: IncidentStore;
  store: Pick<Store, 'listEvidence' | 'listRuns'>;
  postmortems: Postmortems;
}

export class IncidentService {
  constructor(private readonly deps: IncidentServiceDeps) {}

  list(filter: IncidentFilter = {}): Promise<IncidentRecord[]> {
    return this.deps.incidents.list(filter);
  }

  /** The incident, or null when there is none with this id. */
  get(id: string): Promise<IncidentRecord | null> {
    return this.deps.incidents.get(id);
  }

  /** The incident with everything shown beside it; NotFoundError when there is none. */
  async view(id: string): Promise<IncidentView> {
    const incident = await this.deps.incidents.get(id);
    if (!incident) throw new NotFoundError('incident', id);
    const [alerts, timeline, evidence, runs] = await Promise.all([
      this.deps.incidents.alerts(incident.id),
      this.deps.incidents.timeline(incident.id),
      this.deps.store.listEvidence({ incidentId: incident.id }),
      this.deps.store.listRuns({ incidentId: incident.id }),
    ]);
    return { incident, alerts, timeline, evidence, runs };
  }

  alerts(incidentId: string): Promise<AlertRecord[]> {
    return this.deps.incidents.alerts(incidentId);
  }

  /** The incident's journal, oldest first. */
  timeline(incidentId: string): Promise<EventRecord[]> {
    return this.deps.incidents.timeline(incidentId);
  }

  evidence(incidentId: string): Promise<EvidenceRecord[]> {
    return this.deps.store.listEvidence({ incidentId });
  }

  /** One evidence item by id, or null (also for an id that is not a UUID). */
  evidenceItem(id: string): Promise<EvidenceRecord | null> {
    return this.deps.incidents.evidenceItem(id);
  }

  /** The saved edit if there is one, else a freshly built draft. */
  postmortem(incidentId: string): Promise<PostmortemView> {
    return this.deps.postmortems.get(incidentId);
  }

  savePostmortem(incidentId: string, markdown: string, by: string): Promise<PostmortemView> {
    return this.deps.postmortems.saveEdit(incidentId, markdown, by);
  }

  /** Rebuilds and stores the draft; `force` also drops a saved edit. */
  regeneratePostmortem(incidentId: string, opts: { force?: boolean } = {}): Promise<PostmortemView> {
    return this.deps.postmortems.regenerate(incidentId, opts);
  }
}
