// Load-time checks of a runbook definition, reported with reasons instead of failing at run time.
import { durationError } from '../core/duration.ts';
import { graphProblems } from '../core/graph.ts';
import { budgetProblems } from './budget-problems.ts';
import { circuitBreakerProblems } from './circuit-breaker.ts';
import { gameDayProblems } from './game-day-problems.ts';
import type { AnyRunbook } from './runbook.ts';
import { triggerProblems } from './triggers.ts';

export function runbookProblems(rb: AnyRunbook): string[] {
  const problems: string[] = [];
  const o = rb.options;
  if (!o.id || !/^[a-z0-9][a-z0-9-_.]*$/i.test(o.id))
    problems.push(`runbook id "${o.id}" must be letters, digits, - _ .`);
  if (!o.title) problems.push('runbook title is empty');
  if (!o.input || typeof (o.input as { safeParse?: unknown }).safeParse !== 'function') {
    problems.push('input must be a zod schema');
  }
  if (rb.steps.length === 0) problems.push('runbook has no steps');
  problems.push(...triggerProblems(o.triggers ?? []));
  problems.push(...gameDayProblems(rb));
  problems.push(...graphProblems(rb.steps));
  for (const s of rb.steps) {
    problems.push(...durationProblems(s.name, s.timeout, 'timeout'));
    if (s.kind === 'sleep') problems.push(...durationProblems(s.name, s.sleep?.duration, 'duration', true));
    if (s.kind === 'mitigation') {
      const m = s.mitigation;
      if (typeof m.apply !== 'function') problems.push(`mitigation "${s.name}" has no apply function`);
      if (typeof m.revert !== 'function') problems.push(`mitigation "${s.name}" has no revert function`);
      problems.push(...durationProblems(s.name, m.verify?.after, 'verify.after'));
      problems.push(...durationProblems(s.name, m.approval?.timeout, 'approval.timeout'));
      problems.push(...budgetProblems(s.name, m.budget));
    }
    if (s.kind === 'approval') problems.push(...durationProblems(s.name, s.approval?.timeout, 'timeout'));
    if (s.kind === 'forEach') {
      const c = s.forEach?.concurrency;
      if (c !== undefined && (!Number.isInteger(c) || c < 1))
        problems.push(`forEach "${s.name}" concurrency must be ≥ 1`);
    }
  }
  if (o.cooldown !== undefined) {
    const error = durationError(o.cooldown);
    if (error) problems.push(`cooldown: ${error}`);
  }
  problems.push(...circuitBreakerProblems(o.circuitBreaker));
  const limit = o.concurrency?.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    problems.push('concurrency.limit must be ≥ 1');
  return problems;
}

function durationProblems(step: string, value: unknown, field: string, required = false): string[] {
  if (value === undefined) return required ? [`step "${step}" needs ${field}`] : [];
  const error = durationError(value);
  return error ? [`step "${step}" ${field}: ${error}`] : [];
}
