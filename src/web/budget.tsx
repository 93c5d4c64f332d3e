// A run's mitigation budgets, from what each budgeted step recorded when it asked for room
// (state.budget, src/engine/mitigation-budget.ts): "budget: 2 of 3 used in the last hour" once its apply
// counted, or the gate's reason while it waits over the budget.
import { budgetUsageLabel, describeWindow } from '../core/budget.ts';
import { durationError, parseDuration } from '../core/duration.ts';
import type { StepDef } from '../dsl/types.ts';
import type { BudgetState } from '../engine/mitigation-budget.ts';
import type { StepRecord } from '../store/records.ts';

/** One line per budgeted mitigation of the run; null when none has asked yet. */
export function budgetLines(steps: readonly StepRecord[]): { step: string; text: string; over: boolean }[] {
  return steps.flatMap((s) => {
    const b = (s.state as { budget?: BudgetState } | null)?.budget;
    if (!b) return [];
    if (b.countedAt && b.used !== undefined) {
      const usage = budgetUsageLabel({
        mitigation: s.stepKey,
        scope: b.scope,
        used: b.used,
        max: b.max,
        perMs: b.perMs,
      });
      const by = b.overriddenBy?.length
        ? ` (over the budget, let through by ${b.overriddenBy.join(', ')})`
        : '';
      return [{ step: s.stepKey, text: `${usage}${by}`, over: Boolean(b.overriddenBy) }];
    }
    if (!b.exceeded) return [];
    const waiting = s.status === 'awaiting_approval' ? ': waiting for an approver to let it through' : '';
    return [{ step: s.stepKey, text: `${b.exceeded.label}${waiting}`, over: true }];
  });
}

export function Budgets({ steps }: { steps: readonly StepRecord[] }) {
  const lines = budgetLines(steps);
  if (lines.length === 0) return null;
  return (
    <ul class="small budgets">
      {lines.map((l) => (
        <li data-budget={l.step} class={l.over ? 'rev' : 'mut'}>
          <strong>{l.step}</strong> {l.text}
        </li>
      ))}
    </ul>
  );
}

/** What a runbook's budgets allow, for its page: "restart: at most 2 applies per hour, per scope". */
export function budgetRules(steps: readonly StepDef[]): { step: string; text: string }[] {
  return steps.flatMap((s) => {
    const b = s.mitigation?.budget;
    if (!b) return [];
    const per = durationError(b.per) === null ? describeWindow(parseDuration(b.per)) : String(b.per);
    const scope = typeof b.scope === 'function' ? ', per scope (from the input)' : '';
    const over = b.onExceeded === 'fail' ? 'the step fails' : 'an approver may let it through';
    return [{ step: s.name, text: `at most ${b.max} applies per ${per}${scope}; over it, ${over}` }];
  });
}

export function RunbookBudgets({ steps }: { steps: readonly StepDef[] }) {
  const rules = budgetRules(steps);
  if (rules.length === 0) return null;
  return (
    <section>
      <h2>Budgets</h2>
      <ul>
        {rules.map((r) => (
          <li data-budget={r.step}>
            <strong>{r.step}</strong>: {r.text}
          </li>
        ))}
      </ul>
    </section>
  );
}
