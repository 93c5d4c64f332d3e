// A mitigation with a budget of 3 applies per hour whose apply hands its context to `effect`, for the
// budget test with worker processes. The text is the same in every process, so is the runbook version.
import { runbook, type StepContext, z } from '../../src/index.ts';

export const BUDGET_MAX = 3;

export function budgetedSideEffectRunbook(
  effect: (ctx: StepContext<{ i: number }, unknown>) => Promise<unknown>,
) {
  return runbook({
    id: 'budgeted-side-effects',
    title: 'A budgeted mitigation with a recorded side effect',
    input: z.object({ i: z.number() }),
  }).mitigation('apply', {
    budget: { max: BUDGET_MAX, per: '1h' },
    apply: (ctx) => effect(ctx),
    revert: async () => {},
  });
}
