// Load-time checks of a mitigation's `budget`, so `firebreak runbooks validate` reports a bad one instead
// of the first apply failing at 3 a.m.
import { durationError, parseDuration } from '../core/duration.ts';
import type { MitigationBudget } from './types.ts';

export function budgetProblems(step: string, budget: MitigationBudget | undefined): string[] {
  if (budget === undefined) return [];
  const at = `mitigation "${step}" budget`;
  if (typeof budget !== 'object' || budget === null) return [`${at} must be an object { max, per }`];
  const problems: string[] = [];
  if (!Number.isInteger(budget.max) || budget.max < 1) problems.push(`${at}.max must be an integer ≥ 1`);
  const perError = budget.per === undefined ? 'is missing' : durationError(budget.per);
  if (perError) problems.push(`${at}.per: ${perError}`);
  else if (parseDuration(budget.per) <= 0) problems.push(`${at}.per must be longer than 0`);
  const scope = budget.scope;
  if (scope !== undefined && scope !== 'global' && typeof scope !== 'function')
    problems.push(`${at}.scope must be 'global' or a function of the input`);
  const on = budget.onExceeded;
  if (on !== undefined && on !== 'approval' && on !== 'fail')
    problems.push(`${at}.onExceeded must be 'approval' or 'fail'`);
  const gate = budget.approval;
  if (gate?.timeout !== undefined) {
    const error = durationError(gate.timeout);
    if (error) problems.push(`${at}.approval.timeout: ${error}`);
  }
  // A gate that opens itself when nobody answers would let every run overspend at night.
  if (gate?.onTimeout === 'approve') problems.push(`${at}.approval.onTimeout cannot be 'approve'`);
  return problems;
}
