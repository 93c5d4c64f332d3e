// What runs and incidents say to PagerDuty and Grafana, turned into outbox rows. Nothing here waits for
// either service: each event becomes keyed inserts, queued one event at a time in the order they came.
//
// PagerDuty, for a run of an incident that came from PagerDuty (or whose runbook asked with
// `pagerDutyWriteBack`): acknowledge when the run starts, a note at each mitigation applied or reverted
// and at the run's end with the incident's URL, and a resolve when the policy says `verified` and the
// run verified its fix (see `verified`). Grafana: incidents opened and resolved, mitigations applied
// and reverted, as annotations; a revert ends the apply's annotation (timeEnd), so a dashboard shows
// how long the mitigation was in place.
import type { Clock } from '../../core/clock.ts';
import { runFailure } from '../../core/failure.ts';
import type { Logger } from '../../core/logger.ts';
import type { EngineEventMap, EngineEvents } from '../../engine/events.ts';
import type { IngestOutcome } from '../../ingest/ingest.ts';
import type { RunbookRegistry } from '../../runbooks/registry.ts';
import type { AlertRecord, IncidentRecord } from '../../store/incidents.ts';
import type { RunRecord, StepRecord } from '../../store/records.ts';
import type { Store } from '../../store/store.ts';
import type { Annotation } from '../grafana/client.ts';
import {
  isPagerDutyWriteBack,
  type PagerDutyWriteBackOutput,
  type ResolvePolicy,
} from '../pagerduty/write-back.ts';
import type { WritebackOutbox } from './outbox.ts';
import type { AnnotateBody, AnnotateEndBody } from './senders.ts';
import { incidentUrl } from './settings.ts';

export interface WritebackFollowerDeps {
  outbox: WritebackOutbox;
  store: Pick<Store, 'getRun' | 'getSteps'>;
  incidents: {
    get(id: string): Promise<IncidentRecord | null>;
    alerts(incidentId: string): Promise<AlertRecord[]>;
  };
  registry: RunbookRegistry;
  clock: Clock;
  logger: Logger;
  /** null: PagerDuty is not configured. `resolve`: the policy for runs of PagerDuty incidents. */
  pagerduty: { resolve: ResolvePolicy } | null;
  grafana: { dashboardUID: string | null } | null;
  publicUrl: string;
}

export class WritebackFollower {
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: WritebackFollowerDeps) {}

  /** Follows this process's engine; returns a function that stops following. */
  follow(events: EngineEvents): () => void {
    const on = <K extends keyof EngineEventMap>(name: K, fn: (e: EngineEventMap[K]) => Promise<void>) =>
      events.on(name, (e) => this.later(name, () => fn(e)));
    const offs = [
      on('run.executing', (e) => this.runExecuting(e)),
      on('step.finished', (e) => this.stepFinished(e)),
      on('mitigation.applied', (e) => this.mitigation(e.runId, e.step, 'applied')),
      on('mitigation.reverted', (e) => this.mitigation(e.runId, e.step, e.status)),
      on('run.finished', (e) => this.runFinished(e)),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  /** Ingest: an incident opened, reopened or resolved (Grafana annotations). */
  incidentChanged(incidentId: string, outcome: IngestOutcome): void {
    if (!this.deps.grafana) return;
    if (outcome !== 'opened' && outcome !== 'reopened' && outcome !== 'resolved') return;
    this.later(`incident.${outcome}`, () => this.incidentAnnotation(incidentId, outcome));
  }

  /** Waits until everything asked so far is queued; later events are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
  }

  private later(what: string, fn: () => Promise<unknown>): void {
    if (this.closed) return;
    const p = this.chain.then(fn);
    this.chain = p.catch((err) =>
      this.deps.logger.warn('write-back not queued', { what, error: (err as Error).message }),
    );
  }

  private async runExecuting(e: EngineEventMap['run.executing']): Promise<void> {
    if (!this.deps.pagerduty || !e.incidentId) return;
    const incident = await this.deps.incidents.get(e.incidentId);
    if (!incident || incident.drill || incident.source !== 'pagerduty') return;
    const run = await this.deps.store.getRun(e.runId);
    if (!run || run.dryRun) return;
    await this.acknowledge(run, await this.pageOf(incident), this.deps.pagerduty.resolve);
  }

  /**
   * The PagerDuty incident (page) an incident came from: its first alert's `incident_id`. The incident's
   * group key is that id only under the sender's grouping; with GROUP_BY_PAGERDUTY (or GROUP_BY) it is a
   * label key, and one incident may hold several pages: the write-back goes to the one that opened it.
   */
  private async pageOf(incident: IncidentRecord): Promise<string> {
    const [first] = await this.deps.incidents.alerts(incident.id);
    return first?.annotations.incident_id ?? first?.fingerprint ?? incident.groupKey;
  }

  /** A runbook's `pagerDutyWriteBack` step succeeded: its run writes back to the page it named. */
  private async stepFinished(e: EngineEventMap['step.finished']): Promise<void> {
    if (!this.deps.pagerduty || e.status !== 'succeeded') return;
    const def = this.deps.registry.get(e.runbookId)?.defs.get(e.step);
    if (!isPagerDutyWriteBack(def?.run)) return;
    const step = (await this.deps.store.getSteps(e.runId)).find((s) => s.stepKey === e.step);
    const out = step?.output as PagerDutyWriteBackOutput | undefined;
    const run = await this.deps.store.getRun(e.runId);
    if (!out?.pagerdutyIncident || !run || run.dryRun) return;
    const incident = run.incidentId ? await this.deps.incidents.get(run.incidentId) : null;
    if (incident?.drill) return;
    await this.acknowledge(run, out.pagerdutyIncident, out.resolve);
  }

  private async acknowledge(run: RunRecord, pdIncident: string, resolve: ResolvePolicy): Promise<void> {
    await this.deps.outbox.enqueue({
      service: 'pagerduty',
      op: 'acknowledge',
      key: `pd:${run.id}:ack`,
      sequence: `pagerduty:${pdIncident}`,
      body: { incident: pdIncident, resolve },
      runId: run.id,
      incidentId: run.incidentId,
    });
  }

  private async mitigation(runId: string, step: string, what: 'applied' | 'reverted' | 'revert_failed') {
    const run = await this.deps.store.getRun(runId);
    if (!run || run.dryRun) return;
    const steps = await this.deps.store.getSteps(runId);
    // A mitigation applied again (a retried run) is a new application: its own note and annotation.
    const seq = steps.find((s) => s.stepKey === step)?.appliedSeq ?? 0;
    const where = this.where(run);
    const said = {
      applied: `mitigation "${step}" applied`,
      reverted: `mitigation "${step}" reverted`,
      revert_failed: `revert of mitigation "${step}" FAILED: the change is still applied`,
    }[what];
    const pd = this.deps.pagerduty ? await this.deps.outbox.pagerDutyIncidentOf(runId) : null;
    if (pd) {
      await this.note(run, pd.incident, `${what}:${step}:${seq}`, `${byRun(run)}: ${said}. ${where}`);
    }
    if (!this.deps.grafana) return;
    const applyKey = `grafana:${runId}:applied:${step}:${seq}`;
    const tags = ['firebreak', 'mitigation', `runbook:${run.runbookId}`, `step:${step}`];
    const now = this.deps.clock.now().getTime();
    const annotation = (extra: string[]): Annotation =>
      this.annotation({
        time: now,
        tags: [...tags, ...extra],
        text: `firebreak: ${said} (${run.runbookId}). ${where}`,
      });
    const common = {
      service: 'grafana' as const,
      sequence: `grafana:run:${runId}`,
      runId,
      incidentId: run.incidentId,
    };
    if (what === 'reverted') {
      const body: AnnotateEndBody = { timeEnd: now, fallback: annotation(['reverted']) };
      await this.deps.outbox.enqueue({
        ...common,
        op: 'annotate_end',
        key: `grafana:${runId}:reverted:${step}:${seq}`,
        ref: applyKey,
        body: { ...body },
      });
      return;
    }
    const key = what === 'applied' ? applyKey : `grafana:${runId}:revert_failed:${step}:${seq}`;
    const body: AnnotateBody = { annotation: annotation([what]) };
    await this.deps.outbox.enqueue({ ...common, op: 'annotate', key, body: { ...body } });
  }

  private async runFinished(e: EngineEventMap['run.finished']): Promise<void> {
    if (!this.deps.pagerduty) return;
    const pd = await this.deps.outbox.pagerDutyIncidentOf(e.runId);
    const run = await this.deps.store.getRun(e.runId);
    if (!pd || !run) return;
    const failure = e.status === 'succeeded' ? null : runFailure(run.error);
    const why = failure ? `: ${failure.summary}` : '';
    const text = `${byRun(run)}: run ${e.status.replace('_', ' ')}${why}. ${this.where(run)}`;
    await this.note(run, pd.incident, 'end', text);
    if (pd.resolve !== 'verified' || e.status !== 'succeeded') return;
    if (!verified(await this.deps.store.getSteps(e.runId))) return;
    await this.deps.outbox.enqueue({
      service: 'pagerduty',
      op: 'resolve',
      key: `pd:${run.id}:resolve`,
      sequence: `pagerduty:${pd.incident}`,
      body: { incident: pd.incident, resolution: `firebreak verified the fix: ${this.where(run)}` },
      runId: run.id,
      incidentId: run.incidentId,
    });
  }

  private async note(run: RunRecord, pdIncident: string, what: string, content: string): Promise<void> {
    await this.deps.outbox.enqueue({
      service: 'pagerduty',
      op: 'note',
      key: `pd:${run.id}:${what}`,
      sequence: `pagerduty:${pdIncident}`,
      body: { incident: pdIncident, content },
      runId: run.id,
      incidentId: run.incidentId,
    });
  }

  private async incidentAnnotation(incidentId: string, outcome: 'opened' | 'reopened' | 'resolved') {
    const incident = await this.deps.incidents.get(incidentId);
    if (!incident) return;
    const url = incidentUrl(this.deps.publicUrl, incident.id);
    const tags = ['firebreak', 'incident', `source:${incident.source}`, ...(incident.drill ? ['drill'] : [])];
    const openKey = `grafana:incident:${incident.id}:open:${incident.reopenedCount}`;
    const common = { service: 'grafana' as const, sequence: `grafana:incident:${incident.id}`, incidentId };
    const now = this.deps.clock.now().getTime();
    if (outcome !== 'resolved') {
      const time = outcome === 'opened' ? incident.openedAt.getTime() : now;
      const text = `firebreak: incident ${outcome}: ${incident.title}. ${url}`;
      const body: AnnotateBody = { annotation: this.annotation({ time, tags: [...tags, 'opened'], text }) };
      await this.deps.outbox.enqueue({ ...common, op: 'annotate', key: openKey, body: { ...body } });
      return;
    }
    const end = incident.resolvedAt?.getTime() ?? now;
    const text = `firebreak: incident resolved: ${incident.title}. ${url}`;
    const body: AnnotateEndBody = {
      timeEnd: end,
      fallback: this.annotation({ time: end, tags: [...tags, 'resolved'], text }),
    };
    await this.deps.outbox.enqueue({
      ...common,
      op: 'annotate_end',
      key: `grafana:incident:${incident.id}:resolved:${incident.reopenedCount}`,
      ref: openKey,
      body: { ...body },
    });
  }

  private annotation(a: Annotation): Annotation {
    const uid = this.deps.grafana?.dashboardUID;
    return uid ? { ...a, dashboardUID: uid } : a;
  }

  /** The page people open: the incident's, or the run's for a run without one. */
  private where(run: RunRecord): string {
    const base = this.deps.publicUrl.replace(/\/+$/, '');
    return run.incidentId ? incidentUrl(base, run.incidentId) : `${base}/runs/${run.id}`;
  }
}

/** Who says it. The run's id also keeps two runs' notes apart when a retried note looks for itself. */
const byRun = (run: RunRecord) => `firebreak (${run.runbookId}, run ${run.id})`;

/**
 * The run verified its fix: it succeeded, at least one mitigation stayed applied after its `verify`
 * passed, and no verify failed (one with `onFail: 'continue'` leaves the run going, but the fix unproven).
 */
export function verified(steps: readonly StepRecord[]): boolean {
  const checks = steps
    .filter((s) => s.kind === 'mitigation' && s.status === 'succeeded')
    .map((s) => s.state?.verified)
    .filter((v) => v !== undefined);
  const failedAnywhere = steps.some((s) => s.kind === 'mitigation' && s.state?.verified === false);
  return checks.includes(true) && !failedAnywhere;
}
