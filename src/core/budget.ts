// Mitigation budgets, the pure part: which key an apply counts against, the sliding window, and the
// words people read ("budget exceeded: 3 rollback applies in the last hour"). Time is passed in.

/** The key an apply counts against: one budget per runbook and mitigation, or per scope value. */
export function budgetKey(runbookId: string, mitigation: string, scope: string | null): string {
  const base = `${runbookId}/${mitigation}`;
  return scope === null ? base : `${base}#${scope}`;
}

/** Applies at or before this instant no longer count: the window is (now - per, now]. */
export function windowStart(now: Date, perMs: number): Date {
  return new Date(now.getTime() - perMs);
}

/** When the oldest use in the window leaves it, so one more apply fits again. */
export function budgetFreesAt(oldestUse: Date, perMs: number): Date {
  return new Date(oldestUse.getTime() + perMs);
}

/** Whether one more apply fits: `used` applies are already in the window. */
export function budgetHasRoom(used: number, max: number): boolean {
  return used < max;
}

const UNITS: readonly [number, string][] = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1_000, 'second'],
];

/** "hour", "2 hours", "90 minutes": the largest unit the window is a whole number of. */
export function describeWindow(perMs: number): string {
  for (const [ms, unit] of UNITS) {
    if (perMs >= ms && perMs % ms === 0) {
      const n = perMs / ms;
      return n === 1 ? unit : `${n} ${unit}s`;
    }
  }
  return `${perMs} ms`;
}

export interface BudgetFigures {
  mitigation: string;
  scope: string | null;
  used: number;
  max: number;
  perMs: number;
}

function scoped(f: BudgetFigures): string {
  return f.scope === null ? '' : ` (scope ${f.scope})`;
}

/** The reason on the gate (and in the failure) when an apply would overspend. */
export function budgetExceededLabel(f: BudgetFigures): string {
  const applies = f.used === 1 ? 'apply' : 'applies';
  const within = `${f.used} ${f.mitigation} ${applies} in the last ${describeWindow(f.perMs)}`;
  const notes = [`max ${f.max}`, ...(f.scope === null ? [] : [`scope ${f.scope}`])];
  return `budget exceeded: ${within} (${notes.join(', ')})`;
}

/** What the run page shows once an apply has counted: "budget: 2 of 3 used in the last hour". */
export function budgetUsageLabel(f: BudgetFigures): string {
  return `budget: ${f.used} of ${f.max} used in the last ${describeWindow(f.perMs)}${scoped(f)}`;
}
