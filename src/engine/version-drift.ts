// A run whose runbook changed since it started may go on with the new definition only if every step
// still to run (or to revert) exists in it with the same name and kind.
import { satisfiesNeeds } from '../core/status.ts';
import type { StepDef } from '../dsl/types.ts';
import type { PlanStep } from '../store/records.ts';
import type { StepState } from './step-state.ts';

/** The steps of `plan` the new definition lacks (or changed the kind of) though they still matter. */
export function driftedSteps(
  plan: readonly PlanStep[],
  state: (name: string) => StepState | undefined,
  defs: ReadonlyMap<string, StepDef>,
): string[] {
  return plan
    .filter((p) => {
      const st = state(p.name);
      const done = st && (satisfiesNeeds(st.status) || st.status === 'reverted');
      const needsRevert = st?.kind === 'mitigation' && st.applyOrder !== null;
      return !done || needsRevert;
    })
    .filter((p) => defs.get(p.name)?.kind !== p.kind)
    .map((p) => p.name);
}
