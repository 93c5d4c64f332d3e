// Folds the transitions of one group commit into the JSON payload of applyTransitionsSql. Writes to the
// same step or run within one batch are merged (later wins), since one statement may not touch a row twice.
import { isTerminalRun } from '../core/status.ts';
import type { Lease, RunWrite, StepWrite, Transition } from './store.ts';

type JsonRow = Record<string, unknown>;

export interface TransitionPayload {
  leases: { id: string; epoch: number }[];
  /** Each transition's commit id; its append-only rows carry it as `cid`. */
  commits: { id: string; run_id: string }[];
  steps: JsonRow[];
  attempts: JsonRow[];
  events: JsonRow[];
  evidence: JsonRow[];
  approvals: JsonRow[];
  runs: JsonRow[];
  terminal: string[];
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const json = (v: unknown) => (v === undefined ? null : v);

export function buildPayload(
  items: readonly { lease: Lease; transition: Transition & { commitId: string } }[],
): TransitionPayload {
  const leases = new Map<string, number>();
  const steps = new Map<string, JsonRow>();
  const runs = new Map<string, JsonRow>();
  const out: TransitionPayload = {
    leases: [],
    commits: [],
    steps: [],
    attempts: [],
    events: [],
    evidence: [],
    approvals: [],
    runs: [],
    terminal: [],
  };
  for (const { lease, transition: t } of items) {
    leases.set(t.runId, lease.epoch);
    const cid = t.commitId;
    out.commits.push({ id: cid, run_id: t.runId });
    for (const s of t.steps ?? []) mergeStep(steps, t.runId, s);
    for (const a of t.attempts ?? []) {
      out.attempts.push({
        run_id: t.runId,
        step_key: a.stepKey,
        attempt: a.attempt,
        phase: a.phase,
        status: a.status,
        error: json(a.error),
        started_at: iso(a.startedAt),
        finished_at: iso(a.finishedAt),
        cid,
      });
    }
    for (const e of t.events ?? []) {
      out.events.push({
        run_id: t.runId,
        incident_id: t.incidentId,
        step_key: e.stepKey ?? null,
        type: e.type,
        data: json(e.data),
        at: iso(e.at),
        ord: out.events.length,
        cid,
      });
    }
    for (const e of t.evidence ?? []) {
      out.evidence.push({
        id: e.id,
        run_id: t.runId,
        incident_id: t.incidentId,
        step_key: e.stepKey,
        attempt: e.attempt,
        kind: e.kind,
        title: e.title,
        content: json(e.content),
        content_hash: e.contentHash,
        created_at: iso(e.createdAt),
        cid,
      });
    }
    for (const a of t.approvals ?? []) {
      out.approvals.push({
        id: a.id,
        run_id: t.runId,
        step_key: a.stepKey,
        policy: a.policy,
        requested_by: a.requestedBy,
        requested_at: iso(a.requestedAt),
        expires_at: iso(a.expiresAt),
        cid,
      });
    }
    if (t.run) mergeRun(runs, t.runId, t.run);
    if (t.run?.status && isTerminalRun(t.run.status)) out.terminal.push(t.runId);
  }
  for (const [id, epoch] of leases) out.leases.push({ id, epoch });
  out.steps = [...steps.values()];
  out.runs = [...runs.values()];
  return out;
}

function mergeStep(into: Map<string, JsonRow>, runId: string, s: StepWrite): void {
  const key = `${runId}\u0000${s.stepKey}`;
  const prev = into.get(key);
  into.set(key, {
    run_id: runId,
    step_key: s.stepKey,
    kind: s.kind,
    status: s.status,
    attempt: s.attempt,
    output: json(s.output),
    error: json(s.error),
    state: json(s.state),
    applied: Boolean(s.applied) || Boolean(prev?.applied),
    idempotency_key: s.idempotencyKey,
    started_at: iso(s.startedAt) ?? prev?.started_at ?? null,
    finished_at: iso(s.finishedAt),
  });
}

function mergeRun(into: Map<string, JsonRow>, runId: string, w: RunWrite): void {
  const prev = into.get(runId) ?? {
    id: runId,
    status: null,
    set_output: false,
    set_error: false,
    set_wake: false,
    release: false,
    runbook_version: null,
    finished_at: null,
  };
  const next: JsonRow = { ...prev };
  if (w.status) next.status = w.status;
  if (w.output !== undefined) Object.assign(next, { output: json(w.output), set_output: true });
  if (w.error !== undefined) Object.assign(next, { error: json(w.error), set_error: true });
  if (w.wakeAt !== undefined) Object.assign(next, { wake_at: iso(w.wakeAt), set_wake: true });
  if (w.expectWakeAt !== undefined) next.expect_wake = iso(w.expectWakeAt);
  if (w.releaseLease) next.release = true;
  if (w.runbookVersion) next.runbook_version = w.runbookVersion;
  if (w.finishedAt) next.finished_at = iso(w.finishedAt);
  into.set(runId, next);
}
