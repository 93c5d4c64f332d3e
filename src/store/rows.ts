// Maps snake_case rows from either driver into records. postgres.js returns int8 as text, PGlite as
// number, so numeric columns go through Number().
import type { Row } from '../db/driver.ts';
import type { ApprovalRecord, RunRecord, StepRecord } from './records.ts';

export const date = (v: unknown): Date | null =>
  v == null ? null : v instanceof Date ? v : new Date(String(v));
const num = (v: unknown): number | null => (v == null ? null : Number(v));
export const str = (v: unknown): string | null => (v == null ? null : String(v));

export function toRun(r: Row): RunRecord {
  return {
    id: String(r.id),
    runbookId: String(r.runbook_id),
    runbookVersion: String(r.runbook_version),
    plan: r.plan as RunRecord['plan'],
    status: r.status as RunRecord['status'],
    input: r.input,
    output: r.output ?? null,
    error: (r.error ?? null) as RunRecord['error'],
    dryRun: Boolean(r.dry_run),
    idempotencyKey: str(r.idempotency_key),
    concurrencyKey: str(r.concurrency_key),
    incidentId: str(r.incident_id),
    requestedBy: str(r.requested_by),
    leaseOwner: str(r.lease_owner),
    leaseExpiresAt: date(r.lease_expires_at),
    wakeAt: date(r.wake_at),
    cancelRequested: Boolean(r.cancel_requested),
    keepMitigations: Boolean(r.keep_mitigations),
    claims: Number(r.claims),
    createdAt: date(r.created_at)!,
    updatedAt: date(r.updated_at)!,
    finishedAt: date(r.finished_at),
  };
}

export function toStep(r: Row): StepRecord {
  return {
    runId: String(r.run_id),
    stepKey: String(r.step_key),
    kind: String(r.kind),
    status: r.status as StepRecord['status'],
    attempt: Number(r.attempt),
    output: r.output ?? null,
    error: (r.error ?? null) as StepRecord['error'],
    state: (r.state ?? null) as StepRecord['state'],
    appliedSeq: num(r.applied_seq),
    idempotencyKey: String(r.idempotency_key),
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
  };
}

export function toApproval(r: Row): ApprovalRecord {
  return {
    id: String(r.id),
    runId: String(r.run_id),
    stepKey: String(r.step_key),
    status: r.status as ApprovalRecord['status'],
    policy: r.policy as ApprovalRecord['policy'],
    decisions: (r.decisions ?? []) as ApprovalRecord['decisions'],
    requestedBy: str(r.requested_by),
    requestedAt: date(r.requested_at)!,
    expiresAt: date(r.expires_at),
    decidedAt: date(r.decided_at),
    reason: str(r.reason),
  };
}
