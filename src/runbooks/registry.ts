// The runbooks an engine knows, with what the executor needs precomputed once per runbook.
import { type ResolvedStep, resolveNeeds } from '../core/graph.ts';
import type { AnyRunbook } from '../dsl/runbook.ts';
import type { StepDef } from '../dsl/types.ts';
import { runbookVersion } from '../dsl/version.ts';
import type { PlanStep } from '../store/records.ts';

export interface LoadedRunbook {
  runbook: AnyRunbook;
  id: string;
  version: string;
  steps: ResolvedStep[];
  defs: Map<string, StepDef>;
  plan: PlanStep[];
  /** Where it came from, for `runbooks list`. */
  source: string | null;
}

export function loadRunbook(runbook: AnyRunbook, source: string | null = null): LoadedRunbook {
  const steps = resolveNeeds(runbook.steps);
  return {
    runbook,
    id: runbook.id,
    version: runbookVersion(runbook),
    steps,
    defs: new Map(runbook.steps.map((s) => [s.name, s])),
    plan: runbook.steps.map((s) => ({ name: s.name, kind: s.kind })),
    source,
  };
}

export class RunbookRegistry {
  private readonly byId = new Map<string, LoadedRunbook>();

  constructor(runbooks: readonly (AnyRunbook | LoadedRunbook)[] = []) {
    for (const rb of runbooks) this.add(rb);
  }

  add(rb: AnyRunbook | LoadedRunbook): LoadedRunbook {
    const loaded = 'runbook' in rb ? rb : loadRunbook(rb);
    this.byId.set(loaded.id, loaded);
    return loaded;
  }

  get(id: string): LoadedRunbook | undefined {
    return this.byId.get(id);
  }

  list(): LoadedRunbook[] {
    return [...this.byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
}
