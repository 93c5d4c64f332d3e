// Mitigation budgets in /metrics. Labels are runbook and mitigation only: a budget's scope values
// (namespaces, services) are unbounded, so the gauge reports the fullest scope of each budget, which
// is the one an alert on "budget nearly spent" cares about.

import { windowStart } from '../core/budget.ts';
import { parseDuration } from '../core/duration.ts';
import type { EngineEvents } from '../engine/events.ts';
import type { RunbookRegistry } from '../runbooks/registry.ts';
import type { Db } from '../store/database.ts';
import { budgetPeak } from '../store/health.ts';
import type { FirebreakMetrics } from './metrics.ts';

export interface BudgetSpec {
  runbookId: string;
  mitigation: string;
  max: number;
  perMs: number;
}

/** The budgets of the loaded runbooks (a bad `per` is left out: validation reports it). */
export function budgetSpecs(registry: RunbookRegistry): BudgetSpec[] {
  return registry.list().flatMap((rb) =>
    rb.runbook.steps.flatMap((s) => {
      const b = s.mitigation?.budget;
      if (!b) return [];
      try {
        return [{ runbookId: rb.id, mitigation: s.name, max: b.max, perMs: parseDuration(b.per) }];
      } catch {
        return [];
      }
    }),
  );
}

/** Scrape time: each budget's uses in its window (database-wide, like the other database gauges). */
export async function refreshBudgetGauges(
  m: FirebreakMetrics,
  driver: Db,
  specs: readonly BudgetSpec[],
  now: Date,
): Promise<void> {
  const used = await Promise.all(
    specs.map((s) =>
      budgetPeak(driver, {
        runbookId: s.runbookId,
        mitigation: s.mitigation,
        since: windowStart(now, s.perMs),
      }),
    ),
  );
  m.budgetUsed.reset();
  m.budgetMax.reset();
  specs.forEach((s, i) => {
    const labels = { runbook: s.runbookId, mitigation: s.mitigation };
    m.budgetUsed.set(labels, used[i] ?? 0);
    m.budgetMax.set(labels, s.max);
  });
}

/** Budget checks of this process, by outcome; zero-valued series for every known budget from the start. */
export function meterBudgets(
  events: EngineEvents,
  m: FirebreakMetrics,
  specs: readonly BudgetSpec[],
): () => void {
  for (const s of specs) {
    for (const outcome of ['counted', 'overridden', 'exceeded'] as const) {
      m.budgetChecks.inc({ runbook: s.runbookId, mitigation: s.mitigation, outcome }, 0);
    }
  }
  return events.on('mitigation.budget', (e) => {
    // A forEach-free step key is the mitigation's name.
    m.budgetChecks.inc({ runbook: e.runbookId, mitigation: e.step, outcome: e.outcome });
  });
}
