// What the pages show, loaded from the store in one place per page.
import { type ResolvedStep, resolveNeeds } from '../core/graph.ts';
import type { Firebreak } from '../firebreak.ts';
import type { IncidentService } from '../services/incidents.ts';
import type { AlertRecord, IncidentRecord } from '../store/incidents.ts';
import type {
  ApprovalRecord,
  EventRecord,
  EvidenceRecord,
  PlanStep,
  RunRecord,
  StepRecord,
} from '../store/records.ts';

export interface RunData {
  run: RunRecord;
  title: string;
  /** The graph to draw: the loaded runbook's, or the run's plan in order when the runbook is gone. */
  graph: ResolvedStep[];
  steps: StepRecord[];
  approvals: ApprovalRecord[];
  /** Summaries from approval.requested, by approval id. */
  summaries: Map<string, string>;
}

export interface IncidentData {
  incident: IncidentRecord;
  alerts: AlertRecord[];
  timeline: EventRecord[];
  evidence: EvidenceRecord[];
  runs: RunData[];
  postmortem: { markdown: string; edited: { by: string | null } | null } | { error: string };
  /** The journal position the page was rendered at: the live stream continues after it. */
  lastSeq: number;
}

export interface DataDeps {
  fb: Firebreak;
  incidents: IncidentService;
}

/** NotFoundError when there is no such incident. */
export async function incidentData(deps: DataDeps, id: string): Promise<IncidentData> {
  const { fb, incidents } = deps;
  const { incident, alerts, timeline, evidence, runs } = await incidents.view(id);
  const [runViews, postmortem] = await Promise.all([
    Promise.all(runs.map((r) => runData(fb, r, timeline))),
    incidents.postmortem(id).then(
      (v) => ({ markdown: v.markdown, edited: v.edited ? { by: v.edited.by } : null }),
      (err: Error) => ({ error: err.message }),
    ),
  ]);
  return {
    incident,
    alerts,
    timeline,
    evidence,
    runs: runViews,
    postmortem,
    lastSeq: timeline.at(-1)?.seq ?? 0,
  };
}

export async function runData(fb: Firebreak, run: RunRecord, journal?: EventRecord[]): Promise<RunData> {
  const [steps, approvals, events] = await Promise.all([
    fb.store.getSteps(run.id),
    fb.store.listApprovals({ runId: run.id }),
    journal ? Promise.resolve(journal) : fb.store.listEvents({ runId: run.id }),
  ]);
  const rb = fb.registry.get(run.runbookId);
  const graph = graphOf(rb?.steps ?? [], run.plan);
  const summaries = new Map<string, string>();
  for (const e of events) {
    const d = e.data as { approvalId?: unknown; summary?: unknown } | null;
    if (e.type === 'approval.requested' && typeof d?.approvalId === 'string' && typeof d.summary === 'string')
      summaries.set(d.approvalId, d.summary);
  }
  return { run, title: rb?.runbook.options.title ?? run.runbookId, graph, steps, approvals, summaries };
}

/**
 * The loaded runbook's graph when it still has every step of the run's plan (same name and kind); else
 * the plan in declaration order, which is what the run records about itself.
 */
export function graphOf(loaded: readonly ResolvedStep[], plan: readonly PlanStep[]): ResolvedStep[] {
  const byName = new Map(loaded.map((s) => [s.name, s]));
  if (plan.length > 0 && plan.every((p) => byName.get(p.name)?.kind === p.kind)) {
    const names = new Set(plan.map((p) => p.name));
    return plan.map((p) => {
      const s = byName.get(p.name)!;
      return { ...s, needs: s.needs.filter((n) => names.has(n)) };
    });
  }
  return resolveNeeds(plan.map((p) => ({ name: p.name, kind: p.kind, needs: undefined })));
}

export async function approvalsData(deps: DataDeps, incidentId: string): Promise<RunData[]> {
  const runs = await deps.fb.store.listRuns({ incidentId });
  const timeline = await deps.incidents.timeline(incidentId);
  return Promise.all(runs.map((r) => runData(deps.fb, r, timeline)));
}
