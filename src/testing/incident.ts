// The incident a test run belongs to, and its postmortem. A run started by an alert has an incident;
// the kit opens one the same shape (source "test") so evidence, timeline and postmortem read as in
// production. A run tested without one gets its postmortem from a stand-in incident built in memory.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { Firebreak } from '../firebreak.ts';
import {
  buildPostmortem,
  type Postmortem,
  postmortemMarkdown,
  type RunFacts,
} from '../services/postmortem/draft.ts';
import { Postmortems } from '../services/postmortem/postmortems.ts';
import { databaseOf } from '../store/database.ts';
import { type IncidentRecord, IncidentStore } from '../store/incidents.ts';
import type { RunRecord } from '../store/records.ts';

/** The incident a test run is attached to. */
export interface TestIncident {
  title?: string;
  severity?: string;
  labels?: Record<string, string>;
  /** A drill incident, as a game day opens (kept out of real-incident metrics). */
  drill?: boolean;
}

export interface PostmortemDraft {
  draft: Postmortem;
  markdown: string;
}

export async function openIncident(
  fb: Firebreak,
  clock: Clock,
  spec: TestIncident & { title: string },
): Promise<string> {
  const id = randomUUID();
  await IncidentStore.of(fb.store).openTestIncident({
    id,
    title: spec.title,
    severity: spec.severity ?? null,
    labels: spec.labels ?? {},
    drill: spec.drill ?? false,
    now: clock.now(),
  });
  return id;
}

export async function postmortemFor(fb: Firebreak, clock: Clock, run: RunRecord): Promise<PostmortemDraft> {
  if (run.incidentId) {
    const driver = databaseOf(fb.store);
    const pm = new Postmortems({
      incidents: new IncidentStore(driver),
      store: fb.store,
      registry: fb.registry,
      driver,
      clock,
    });
    return pm.build(run.incidentId);
  }
  const [timeline, evidence, facts] = await Promise.all([
    fb.store.listEvents({ runId: run.id }),
    fb.store.listEvidence({ runId: run.id }),
    runFacts(fb, run),
  ]);
  const draft = buildPostmortem({ incident: standIn(run), alerts: [], timeline, evidence, runs: [facts] });
  return { draft, markdown: postmortemMarkdown(draft, evidence) };
}

/** What Postmortems.facts loads for one run of an incident. */
async function runFacts(fb: Firebreak, run: RunRecord): Promise<RunFacts> {
  const [steps, approvals] = await Promise.all([
    fb.store.getSteps(run.id),
    fb.store.listApprovals({ runId: run.id }),
  ]);
  const rb = fb.registry.get(run.runbookId);
  const outputs = Object.fromEntries(
    steps.filter((s) => s.status === 'succeeded').map((s) => [s.stepKey, s.output]),
  );
  let sections: { title: string; body: string }[] = [];
  try {
    sections = (await rb?.runbook.options.postmortem?.({ input: run.input as never, steps: outputs })) ?? [];
  } catch (err) {
    // As Postmortems.facts does: a failing section becomes a note, not a missing postmortem.
    sections = [{ title: `${run.runbookId}: postmortem section failed`, body: (err as Error).message }];
  }
  return { run, steps, approvals, sections, title: rb?.runbook.options.title ?? run.runbookId };
}

function standIn(run: RunRecord): IncidentRecord {
  return {
    id: run.id,
    source: 'test',
    groupKey: `test:${run.id}`,
    status: 'firing',
    title: `Run ${run.id} of ${run.runbookId}`,
    severity: null,
    labels: {},
    drill: false,
    startedAt: run.createdAt,
    openedAt: run.createdAt,
    acknowledgedAt: null,
    resolvedAt: null,
    lastNotifiedAt: run.createdAt,
    reopenedCount: 0,
  };
}
