// Mitigation budgets inside a run. Before a budgeted apply starts, it is counted against its key in the
// same transaction as the commit that records it starting (Store.commitBudgeted): racing runs on any
// replica never overspend. No room: the step waits at a gate whose summary says why (an approver may
// let it through, and that apply counts too), or fails when the runbook says `onExceeded: 'fail'`.
import { budgetExceededLabel, budgetFreesAt, budgetKey, budgetUsageLabel } from '../core/budget.ts';
import { parseDuration } from '../core/duration.ts';
import {
  BudgetExceededError,
  FirebreakError,
  LeaseLostError,
  type SerializedError,
  serializeError,
} from '../core/errors.ts';
import { uuidv7 } from '../core/uuid.ts';
import type { ApprovalPolicy, MitigationBudget, StepDefOf } from '../dsl/types.ts';
import type { BudgetUse, BudgetVerdict, Transition } from '../store/store.ts';
import { approvalGate } from './approval-gate.ts';
import type { RunExecutor } from './executor.ts';
import { Interrupted } from './run-commits.ts';
import type { StepOutcome, StepState } from './step-state.ts';

/** What a step keeps about its budget in `state.budget`: a resumed run and the run page read it. */
export interface BudgetState {
  key: string;
  scope: string | null;
  max: number;
  perMs: number;
  /** Uses in the window when this apply counted, itself included. */
  used?: number;
  /** When this apply counted; absent while it has not. */
  countedAt?: string;
  /** The window was full when the apply asked: the gate's (or the failure's) reason. */
  exceeded?: { used: number; at: string; label: string };
  /** The approvers who let it through over the budget. */
  overriddenBy?: string[];
}

export type BudgetCheck =
  | { type: 'go' }
  | { type: 'outcome'; outcome: StepOutcome }
  | { type: 'fail'; error: SerializedError };

const GO: BudgetCheck = { type: 'go' };

export async function checkBudget(
  ex: RunExecutor,
  def: StepDefOf<'mitigation'>,
  st: StepState,
): Promise<BudgetCheck> {
  const budget = def.mitigation.budget;
  if (!budget) return GO;
  const prior = st.state.budget as BudgetState | undefined;
  if (prior?.countedAt) return GO;
  let base: BudgetState;
  try {
    base = prior ?? describe(ex.run.runbookId, def.name, budget, ex.run.input);
  } catch (err) {
    const error = new FirebreakError(
      'budget_scope',
      `budget scope of ${def.name}: ${(err as Error).message}`,
      {
        nonRetryable: true,
        cause: err,
      },
    );
    return { type: 'fail', error: serializeError(error) };
  }
  let override: { approvalId: string; by: string[] } | null = null;
  if (st.state.budgetApprovalId) {
    const gate = await approvalGate(ex, st, {
      stepName: def.name,
      policy: gatePolicy(def),
      summary: null,
      field: 'budgetApprovalId',
    });
    if (gate.type !== 'approved') return { type: 'outcome', outcome: gate.outcome };
    override = { approvalId: gate.approvalId, by: gate.by };
  }
  const now = ex.now();
  const verdict = await count(ex, def, st, base, now, override);
  const outcome = verdict.admitted ? (override && !verdict.already ? 'overridden' : 'counted') : 'exceeded';
  ex.emit('mitigation.budget', {
    runId: ex.runId,
    runbookId: ex.run.runbookId,
    step: st.key,
    outcome,
  });
  if (verdict.admitted) return GO;
  return exceeded(ex, def, st, base, verdict, now);
}

/** The key and figures of the step's budget; the scope function is called once, here. */
function describe(runbookId: string, mitigation: string, b: MitigationBudget, input: unknown): BudgetState {
  let scope: string | null = null;
  if (typeof b.scope === 'function') {
    const value: unknown = b.scope(input);
    if (typeof value !== 'string' || value === '') {
      throw new Error(`scope must return a non-empty string, got ${JSON.stringify(value)}`);
    }
    scope = value;
  }
  return {
    key: budgetKey(runbookId, mitigation, scope),
    scope,
    max: b.max,
    perMs: parseDuration(b.per),
  };
}

async function count(
  ex: RunExecutor,
  def: StepDefOf<'mitigation'>,
  st: StepState,
  base: BudgetState,
  now: Date,
  override: { approvalId: string; by: string[] } | null,
): Promise<BudgetVerdict> {
  const use: BudgetUse = {
    key: base.key,
    runbookId: ex.run.runbookId,
    mitigation: def.name,
    scope: base.scope,
    stepKey: st.key,
    max: base.max,
    perMs: base.perMs,
    now,
    overrideApprovalId: override?.approvalId ?? null,
  };
  // One commit id for every try, as in RunExecutor.commit: a try that landed makes the next a no-op.
  const commitId = uuidv7();
  const counted = (v: BudgetVerdict): BudgetState => ({
    ...base,
    used: v.used,
    countedAt: now.toISOString(),
    ...(override ? { overriddenBy: override.by } : {}),
  });
  const transition = (v: BudgetVerdict): Transition => {
    const next = { ...st, status: 'running' as const, startedAt: st.startedAt ?? now };
    next.state = { ...st.state, budget: counted(v) };
    return {
      runId: ex.runId,
      incidentId: ex.run.incidentId,
      commitId,
      steps: [ex.stepWrite(next)],
      events: [
        ex.event('mitigation.budget_counted', st.key, {
          label: budgetUsageLabel({ mitigation: def.name, ...base, used: v.used }),
          key: base.key,
          scope: base.scope,
          used: v.used,
          max: base.max,
          perMs: base.perMs,
          ...(v.already ? { already: true } : {}),
          ...(override ? { approvalId: override.approvalId, by: override.by } : {}),
        }),
      ],
    };
  };
  let verdict: BudgetVerdict;
  try {
    verdict = await ex.db('mitigation budget', () => ex.commitBudgeted(use, transition));
  } catch (err) {
    if (err instanceof LeaseLostError) {
      ex.leaseLost();
      throw new Interrupted('lease lost');
    }
    throw err;
  }
  if (verdict.admitted) {
    Object.assign(st, { status: 'running', startedAt: st.startedAt ?? now });
    st.state.budget = counted(verdict);
  }
  return verdict;
}

async function exceeded(
  ex: RunExecutor,
  def: StepDefOf<'mitigation'>,
  st: StepState,
  base: BudgetState,
  v: BudgetVerdict,
  now: Date,
): Promise<BudgetCheck> {
  const label = budgetExceededLabel({
    mitigation: def.name,
    scope: base.scope,
    used: v.used,
    max: base.max,
    perMs: base.perMs,
  });
  const onExceeded = def.mitigation.budget?.onExceeded ?? 'approval';
  const freesAt = v.oldestAt ? budgetFreesAt(v.oldestAt, base.perMs).toISOString() : null;
  st.state.budget = { ...base, exceeded: { used: v.used, at: now.toISOString(), label } };
  const details = {
    key: base.key,
    scope: base.scope,
    used: v.used,
    max: base.max,
    perMs: base.perMs,
    freesAt,
  };
  // Rides with the gate's (or the failure's) commit, which follows at once.
  await ex.commit(
    { events: [ex.event('mitigation.budget_exceeded', st.key, { ...details, label, onExceeded })] },
    { wait: false },
  );
  if (onExceeded === 'fail') {
    return { type: 'fail', error: serializeError(new BudgetExceededError(label, details)) };
  }
  const gate = await approvalGate(ex, st, {
    stepName: def.name,
    policy: gatePolicy(def),
    summary: label,
    field: 'budgetApprovalId',
  });
  if (gate.type !== 'approved') return { type: 'outcome', outcome: gate.outcome };
  // A new gate always waits; were it settled at once, the next visit counts the apply with it.
  return { type: 'outcome', outcome: { type: 'parked', wakeAt: now } };
}

/**
 * Who may let an over-budget apply through: `budget.approval`, else the mitigation's own approvers.
 * It never opens by itself on a timeout: that would let every run overspend while nobody looks.
 */
export function gatePolicy(def: StepDefOf<'mitigation'>): ApprovalPolicy {
  const m = def.mitigation;
  const own: ApprovalPolicy = m.budget?.approval ?? m.approval ?? {};
  const { summary: _summary, ...who } = own;
  return { ...who, onTimeout: who.onTimeout === 'approve' || !who.onTimeout ? 'reject' : who.onTimeout };
}
