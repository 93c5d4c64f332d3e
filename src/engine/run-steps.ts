// The executor's in-memory mirror of one run's step rows: loaded from the claim, updated as steps
// commit, read for outputs, readiness and the saga's order of reverts.

import type { ResolvedStep } from '../core/graph.ts';
import type { StepStatus } from '../core/status.ts';
import type { Outputs } from '../dsl/types.ts';
import type { StepRecord } from '../store/records.ts';
import type { StepWrite } from '../store/store.ts';
import { newStepState, type StepState, stepStateOf } from './step-state.ts';

export class RunSteps {
  private readonly states = new Map<string, StepState>();
  private applyCounter = 0;

  constructor(
    private readonly runId: string,
    existing: readonly StepRecord[],
  ) {
    for (const s of existing) this.states.set(s.stepKey, stepStateOf(s));
  }

  /** The step `key`, created pending on its first visit. */
  state(key: string, kind: string): StepState {
    let st = this.states.get(key);
    if (!st) {
      st = newStepState(key, kind);
      this.states.set(key, st);
    }
    return st;
  }

  get(key: string): StepState | undefined {
    return this.states.get(key);
  }

  all(): StepState[] {
    return [...this.states.values()];
  }

  status(key: string): StepStatus {
    return this.states.get(key)?.status ?? 'pending';
  }

  /** Outputs of the succeeded steps among `steps`, by name. */
  outputs(steps: readonly ResolvedStep[]): Outputs {
    const out: Outputs = {};
    for (const s of steps) {
      const st = this.states.get(s.name);
      if (st?.status === 'succeeded') out[s.name] = st.output;
    }
    return out;
  }

  /** Applied mitigations, the last applied first: the order the saga reverts them in. */
  appliedMitigations(): StepState[] {
    return this.all()
      .filter((s) => s.kind === 'mitigation' && s.applyOrder !== null)
      .sort((a, b) => (b.applyOrder ?? 0) - (a.applyOrder ?? 0));
  }

  /** Gives `st` an order of application after every one known here. */
  markApplied(st: StepState): void {
    const known = this.all().map((s) => s.applyOrder ?? 0);
    st.applyOrder = Math.max(0, ...known) + 1 + this.applyCounter++;
  }

  /** The same on every attempt of the step, also after a crash. */
  idempotencyKey(stepKey: string): string {
    return `${this.runId}:${stepKey}`;
  }

  /** The row of `st`, written whole. */
  write(st: StepState, extra: Partial<StepWrite> = {}): StepWrite {
    return {
      stepKey: st.key,
      kind: st.kind,
      status: st.status,
      attempt: st.attempt,
      output: st.output,
      error: st.error,
      state: st.state,
      idempotencyKey: this.idempotencyKey(st.key),
      startedAt: st.startedAt,
      finishedAt: st.finishedAt,
      ...extra,
    };
  }
}
