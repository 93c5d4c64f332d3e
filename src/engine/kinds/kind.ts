// The one interface every step kind implements, and what the kinds share: the phase options of an
// attempt, and calling a small function of the step (when, an approval summary) once.
import type { ApprovalPolicy, Outputs, StepContext, StepDef, StepDefOf, StepKind } from '../../dsl/types.ts';
import { type AttemptPhase, type PhaseOptions, policyFor, timeoutFor } from '../attempts.ts';
import type { RunExecutor } from '../executor.ts';
import { invoke } from '../step-context.ts';
import type { StepOutcome, StepState } from '../step-state.ts';

/** What became of a revert (the saga's unit of work). */
export type CompensateOutcome = 'reverted' | 'revert_failed' | 'parked';

/**
 * A step kind. `execute` runs when the step is ready (its `when` already said yes) and ends in a commit
 * (done), a park (the run waits as a row) or a failure that hands the run to the saga. `compensate`
 * undoes what the step did, for kinds that change something (mitigation); the saga calls it in reverse
 * order of application.
 */
export interface StepKindHandler<K extends StepKind> {
  execute(ex: RunExecutor, def: StepDefOf<K>, st: StepState): Promise<StepOutcome>;
  compensate?(ex: RunExecutor, def: StepDefOf<K>, st: StepState): Promise<CompensateOutcome>;
}

export type StepKindRegistry = { [K in StepKind]: StepKindHandler<K> };

export type Ctx = StepContext<unknown, Outputs>;

export const done: StepOutcome = { type: 'done' };

/** The options of an attempt of the step's own phase. */
export function phase(ex: RunExecutor, def: StepDef, name: AttemptPhase): PhaseOptions {
  return { phase: name, policy: policyFor(ex, def), timeoutMs: timeoutFor(def), stepName: def.name };
}

/** Calls a small function of the step (when, an approval summary) with the step's context, once. */
export function evaluate<T>(ex: RunExecutor, def: StepDef, st: StepState, fn: (ctx: Ctx) => T | Promise<T>) {
  return invoke(ex.scope(def.name, st, timeoutFor(def)), (inv) => fn(inv.ctx));
}

/** The gate's summary for approvers; a function is called once, when the gate opens. */
export async function gateSummary(
  ex: RunExecutor,
  def: StepDef,
  st: StepState,
  a: ApprovalPolicy,
): Promise<string | null> {
  if (typeof a.summary !== 'function') return a.summary ?? null;
  if (st.state.approvalId) return null;
  const fn = a.summary;
  const res = await evaluate(ex, def, st, (ctx) => fn(ctx));
  return 'error' in res ? `(summary failed: ${(res.error as Error).message})` : String(res.value);
}
