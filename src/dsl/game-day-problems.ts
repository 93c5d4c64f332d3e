// Load-time checks of a runbook's game days, so a drill that could never start is reported with the
// runbook file instead of failing at 10:00 on a Wednesday.

import { parseSchedule } from '../core/cron.ts';
import { durationError } from '../core/duration.ts';
import type { AnyRunbook } from './runbook.ts';
import { triggerProblems } from './triggers.ts';
import type { GameDay } from './types.ts';

// The schedule id is "<runbook>:<game day>", so a game day id may not contain ":".
const GAME_DAY_ID = /^[a-z0-9][a-z0-9-_.]*$/i;

export function gameDayProblems(rb: AnyRunbook): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const g of rb.options.gameDays ?? []) {
    const say = (reason: string) => problems.push(`game day ${g.id}: ${reason}`);
    if (!GAME_DAY_ID.test(String(g.id))) say('id must be letters, digits, - _ .');
    if (seen.has(g.id)) say('id is declared twice');
    seen.add(g.id);
    const parsed = parseSchedule(g.cron, g.timezone ?? 'UTC');
    if (!parsed.ok) say(parsed.reason);
    if (g.mode !== 'dry-run' && g.mode !== 'live') say(`mode must be dry-run or live, got ${String(g.mode)}`);
    if (g.inject !== undefined && typeof g.inject !== 'function') say('inject must be a function');
    problems.push(...inputProblems(rb, g).map((p) => `game day ${g.id}: ${p}`));
    problems.push(...detectProblems(g).map((p) => `game day ${g.id}: ${p}`));
    problems.push(...targetProblems(g).map((p) => `game day ${g.id}: ${p}`));
  }
  return problems;
}

function inputProblems(rb: AnyRunbook, g: GameDay): string[] {
  const schema = rb.options.input as { safeParse?: (v: unknown) => { success: boolean; error?: unknown } };
  if (typeof schema?.safeParse !== 'function') return [];
  const result = rb.options.input.safeParse(g.input ?? {});
  if (result.success) return [];
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
  return [`input is invalid (${issues.join('; ')}); give the game day an input`];
}

function detectProblems(g: GameDay): string[] {
  if (g.detect === undefined) return [];
  const problems = triggerProblems([g.detect.labels ?? {}]).map((p) =>
    p.replace(/^trigger 1/, 'detect.labels'),
  );
  problems.push(...durationProblem('detect.within', g.detect.within, true));
  return problems;
}

function targetProblems(g: GameDay): string[] {
  const t = g.targets ?? {};
  const problems = [
    ...durationProblem('targets.detectWithin', t.detectWithin),
    ...durationProblem('targets.mitigateWithin', t.mitigateWithin),
    ...durationProblem('targets.approvalWithin', t.approvalWithin),
  ];
  const max = t.maxFailedSteps;
  if (max !== undefined && (!Number.isInteger(max) || max < 0))
    problems.push('targets.maxFailedSteps must be an integer ≥ 0');
  if (t.detectWithin !== undefined && g.detect === undefined)
    problems.push('targets.detectWithin needs detect (labels and within)');
  return problems;
}

function durationProblem(field: string, value: unknown, required = false): string[] {
  if (value === undefined) return required ? [`${field} is required`] : [];
  const error = durationError(value);
  return error ? [`${field}: ${error}`] : [];
}
