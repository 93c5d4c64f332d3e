// An approval gate inside a run: ask once (a committed approval row), then park until a decision or
// the timeout wakes the run. Decisions come from outside (API, CLI, Slack, web) through the store; the
// timeout is settled here with a conditional write, so a decision racing it leaves exactly one outcome.
import { randomUUID } from 'node:crypto';
import { parseDuration } from '../core/duration.ts';
import type { SerializedError } from '../core/errors.ts';
import { describeSerialized } from '../core/failure.ts';
import type { ApprovalPolicy } from '../dsl/types.ts';
import type { ApprovalRecord } from '../store/records.ts';
import type { RunExecutor } from './executor.ts';
import { Interrupted } from './run-commits.ts';
import type { StepOutcome, StepState } from './step-state.ts';

export type GateResult =
  | { type: 'approved'; approvalId: string; by: string[]; via: string }
  | { type: 'outcome'; outcome: StepOutcome };

export function policyRecord(p: ApprovalPolicy): Record<string, unknown> {
  return {
    approvers: [...(p.approvers ?? [])],
    groups: [...(p.groups ?? [])],
    roles: [...(p.roles ?? [])],
    quorum: p.quorum ?? 1,
    timeout: p.timeout ?? null,
    onTimeout: p.onTimeout ?? 'reject',
  };
}

/**
 * Where a step keeps its gate's id: `approvalId`, or another field for a second gate of the same step
 * (a mitigation's budget gate, mitigation-budget.ts). Its escalation mark is kept beside it.
 */
export type GateField = 'approvalId' | 'budgetApprovalId';

export interface GateOptions {
  /** The step's name in the runbook (shown to approvers, in events). */
  stepName: string;
  policy: ApprovalPolicy;
  /** Shown to approvers when the gate opens; null for none. */
  summary: string | null;
  /** Where the step keeps this gate's id. Default `approvalId`. */
  field?: GateField;
}

export async function approvalGate(ex: RunExecutor, st: StepState, gate: GateOptions): Promise<GateResult> {
  const { stepName, policy, summary, field = 'approvalId' } = gate;
  const approvalId = st.state[field] as string | undefined;
  if (!approvalId) return request(ex, st, stepName, policy, summary, field);
  let approval = await ex.db('approval read', () => ex.approvals.getApproval(approvalId));
  if (!approval) throw new Error(`approval ${approvalId} of run ${ex.runId} is missing`);
  if (approval.status === 'pending') {
    const now = ex.now();
    if (!approval.expiresAt || now < approval.expiresAt) return parked(approval.expiresAt);
    const escalated = await maybeEscalate(ex, st, approval, policy, field);
    if (escalated) return escalated;
    const onTimeout = policy.onTimeout ?? 'reject';
    await ex.db('approval timeout', () =>
      ex.approvals.expireApproval(approvalId, onTimeout === 'approve' ? 'approved' : 'expired', now),
    );
    // Read back: a decision may have won the race against the timeout.
    approval = (await ex.db('approval read', () => ex.approvals.getApproval(approvalId)))!;
  }
  if (approval.status === 'approved') {
    const by = approval.decisions.filter((d) => d.decision === 'approve').map((d) => d.by);
    const via = by.length > 0 ? 'decision' : 'timeout';
    // The decision is already durable in its row; this journal line may ride with the next commit.
    await ex.commit(
      { events: [ex.event('approval.approved', st.key, { approvalId, by, via, waitMs: waitMs(approval) })] },
      { wait: false },
    );
    return { type: 'approved', approvalId, by, via };
  }
  return settleRefusal(ex, st, approval);
}

async function request(
  ex: RunExecutor,
  st: StepState,
  stepName: string,
  policy: ApprovalPolicy,
  summary: string | null,
  field: GateField,
): Promise<GateResult> {
  const id = randomUUID();
  const now = ex.now();
  const expiresAt =
    policy.timeout === undefined ? null : new Date(now.getTime() + parseDuration(policy.timeout));
  Object.assign(st, { status: 'awaiting_approval', startedAt: st.startedAt ?? now });
  st.state[field] = id;
  await ex.commit({
    steps: [ex.stepWrite(st)],
    approvals: [
      {
        id,
        stepKey: st.key,
        policy: policyRecord(policy),
        requestedBy: ex.run.requestedBy,
        requestedAt: now,
        expiresAt,
      },
    ],
    events: [
      ex.event('approval.requested', st.key, { approvalId: id, policy: policyRecord(policy), summary }),
    ],
  });
  ex.emit('approval.requested', { runId: ex.runId, step: stepName, approvalId: id });
  const notifier = ex.notifier;
  await ex
    .db('approval notification', async () => notifier.approvalRequested?.(ex.info, id, stepName, summary))
    .catch((err) => {
      if (err instanceof Interrupted) throw err;
      ex.logger.warn('approval notification failed', {
        step: stepName,
        approvalId: id,
        error: (err as Error).message,
      });
    });
  return parked(expiresAt);
}

/** onTimeout { escalate, extend }: once, tell the other group and give it more time. */
async function maybeEscalate(
  ex: RunExecutor,
  st: StepState,
  approval: ApprovalRecord,
  policy: ApprovalPolicy,
  field: GateField,
): Promise<GateResult | null> {
  const onTimeout = policy.onTimeout;
  const mark = field === 'approvalId' ? 'escalated' : `${field}Escalated`;
  if (typeof onTimeout !== 'object' || st.state[mark]) return null;
  const expiresAt = new Date(ex.now().getTime() + parseDuration(onTimeout.extend));
  const extended = await ex.db('approval escalation', () =>
    ex.approvals.extendApproval(approval.id, expiresAt, onTimeout.escalate),
  );
  if (!extended) return null;
  st.state[mark] = true;
  await ex.commit({
    steps: [ex.stepWrite(st)],
    events: [
      ex.event('approval.escalated', st.key, { approvalId: approval.id, to: onTimeout.escalate, expiresAt }),
    ],
  });
  await ex.notifier
    .notify(
      ex.info,
      `Approval ${approval.id} (${st.key}) escalated to ${onTimeout.escalate}`,
      onTimeout.escalate,
    )
    .catch(() => false);
  return parked(expiresAt);
}

async function settleRefusal(ex: RunExecutor, st: StepState, approval: ApprovalRecord): Promise<GateResult> {
  const status = approval.status === 'rejected' ? 'rejected' : 'expired';
  const error: SerializedError = {
    name: 'ApprovalRefused',
    code: `approval_${status}`,
    message:
      status === 'rejected'
        ? `approval of ${st.key} was rejected${approval.reason ? `: ${approval.reason}` : ''}`
        : `approval of ${st.key} expired without a decision`,
    nonRetryable: true,
    details: { approvalId: approval.id, decisions: approval.decisions },
  };
  Object.assign(st, { status, error, finishedAt: ex.now() });
  await ex.commit({
    steps: [ex.stepWrite(st)],
    events: [
      ex.event(`approval.${status}`, st.key, {
        approvalId: approval.id,
        reason: approval.reason,
        waitMs: waitMs(approval),
      }),
    ],
  });
  ex.stepFinished(st, describeSerialized(error));
  return { type: 'outcome', outcome: { type: 'failed', error } };
}

function parked(wakeAt: Date | null): GateResult {
  return { type: 'outcome', outcome: { type: 'parked', wakeAt } };
}

function waitMs(a: ApprovalRecord): number | null {
  return a.decidedAt ? a.decidedAt.getTime() - a.requestedAt.getTime() : null;
}
