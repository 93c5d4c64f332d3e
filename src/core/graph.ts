// The step graph: resolved dependencies, load-time checks, and which steps may start now. Pure.
import { type StepStatus, satisfiesNeeds } from './status.ts';

export interface GraphStep {
  name: string;
  kind: string;
  /** As written; undefined means "after the step declared before it". */
  needs: readonly string[] | undefined;
}

export interface ResolvedStep {
  name: string;
  kind: string;
  needs: readonly string[];
}

export function resolveNeeds(steps: readonly GraphStep[]): ResolvedStep[] {
  return steps.map((s, i) => ({
    name: s.name,
    kind: s.kind,
    needs: s.needs ?? (i === 0 ? [] : [steps[i - 1]!.name]),
  }));
}

/** Problems that make the graph unusable: duplicate names, unknown needs, cycles. */
export function graphProblems(steps: readonly GraphStep[]): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  let duplicated = false;
  for (const s of steps) {
    if (!/^[A-Za-z][\w-]*$/.test(s.name)) problems.push(`step name "${s.name}" must start with a letter`);
    if (names.has(s.name)) {
      problems.push(`step name "${s.name}" is used twice`);
      duplicated = true;
    }
    names.add(s.name);
  }
  // With a name used twice, needs are ambiguous: reading order would report a step needing itself.
  if (duplicated) return problems;
  const resolved = resolveNeeds(steps);
  for (const s of resolved) {
    for (const n of s.needs) {
      if (!names.has(n)) problems.push(`step "${s.name}" needs "${n}", which does not exist`);
      if (n === s.name) problems.push(`step "${s.name}" needs itself`);
    }
  }
  const cycle = findCycle(resolved);
  if (cycle) problems.push(`steps form a cycle: ${cycle.join(' -> ')}`);
  return problems;
}

function findCycle(steps: readonly ResolvedStep[]): string[] | null {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === 'done') return null;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const n of byName.get(name)?.needs ?? []) {
      const c = byName.has(n) ? visit(n) : null;
      if (c) return c;
    }
    path.pop();
    state.set(name, 'done');
    return null;
  };
  for (const s of steps) {
    const c = visit(s.name);
    if (c) return c;
  }
  return null;
}

const unfinished: ReadonlySet<StepStatus> = new Set(['pending', 'running', 'awaiting_approval']);

/**
 * Unfinished steps whose needs are all satisfied, in declaration order. Unfinished is pending, and also
 * running or awaiting approval: an earlier pass parked there (timer, gate, verify delay) or a worker died
 * mid-step, and the step's kind resumes it from its committed state.
 */
export function readySteps(
  steps: readonly ResolvedStep[],
  status: (name: string) => StepStatus | undefined,
): ResolvedStep[] {
  return steps.filter((s) => {
    const own = status(s.name);
    if (own !== undefined && !unfinished.has(own)) return false;
    return s.needs.every((n) => {
      const st = status(n);
      return st !== undefined && satisfiesNeeds(st);
    });
  });
}

/** Steps listed in topological order with the layer each belongs to (for drawing). */
export function layers(steps: readonly ResolvedStep[]): Map<string, number> {
  const depth = new Map<string, number>();
  const byName = new Map(steps.map((s) => [s.name, s]));
  const get = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0;
    seen.add(name);
    const needs = byName.get(name)?.needs ?? [];
    const d = needs.length === 0 ? 0 : 1 + Math.max(...needs.map((n) => get(n, seen)));
    depth.set(name, d);
    return d;
  };
  for (const s of steps) get(s.name, new Set());
  return depth;
}
