// Budgets in a runbook test: the kit's database is new for every test, so a test that wants to see a
// budget run out says how many applies its window already holds (`budgetUsed`), and they are recorded
// before the run starts, as if earlier runs had made them. The run then counts against them as it would
// in production (the same transaction and lock, src/store/sql/mitigation-budget.ts).
import { randomUUID } from 'node:crypto';
import { budgetKey } from '../core/budget.ts';
import type { AnyRunbook } from '../dsl/runbook.ts';
import type { Firebreak } from '../firebreak.ts';
import { databaseOf } from '../store/database.ts';
import { insertBudgetUse } from '../store/sql/mitigation-budget.ts';

/** Applies already counted, by mitigation name, in the run's scope of each budget. */
export type BudgetsUsed = Readonly<Record<string, number>>;

export async function recordBudgetUses(
  fb: Firebreak,
  rb: AnyRunbook,
  rawInput: unknown,
  used: BudgetsUsed,
  now: Date,
): Promise<void> {
  const input: unknown = rb.options.input.parse(rawInput);
  for (const [name, n] of Object.entries(used)) {
    const budget = rb.steps.find((s) => s.name === name)?.mitigation?.budget;
    if (!budget) throw new Error(`budgetUsed: ${rb.id} has no mitigation "${name}" with a budget`);
    const scope = typeof budget.scope === 'function' ? budget.scope(input) : null;
    const key = budgetKey(rb.id, name, scope);
    for (let i = 0; i < n; i++) {
      await insertBudgetUse(databaseOf(fb.store), {
        runId: randomUUID(),
        stepKey: name,
        key,
        runbookId: rb.id,
        mitigation: name,
        scope,
        at: now,
        approvalId: null,
      });
    }
  }
}
