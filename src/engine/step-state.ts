// The executor's in-memory mirror of a step row, and what became of a step in one pass.
import type { SerializedError } from '../core/errors.ts';
import type { StepStatus } from '../core/status.ts';
import type { StepRecord } from '../store/records.ts';

/** What became of one step in this pass. */
export type StepOutcome =
  | { type: 'done' }
  | { type: 'parked'; wakeAt: Date | null }
  | { type: 'failed'; error: SerializedError };

/** The in-memory mirror of a step row; always written whole. */
export interface StepState {
  key: string;
  kind: string;
  status: StepStatus;
  attempt: number;
  output: unknown;
  error: SerializedError | null;
  state: Record<string, unknown>;
  /** Order of application for mitigations (from the database, or assigned here for this pass). */
  applyOrder: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A step not yet started. */
export function newStepState(key: string, kind: string): StepState {
  return {
    key,
    kind,
    status: 'pending',
    attempt: 0,
    output: null,
    error: null,
    state: {},
    applyOrder: null,
    startedAt: null,
    finishedAt: null,
  };
}

/** A step as its row says. */
export function stepStateOf(s: StepRecord): StepState {
  return {
    key: s.stepKey,
    kind: s.kind,
    status: s.status,
    attempt: s.attempt,
    output: s.output,
    error: s.error,
    state: s.state ?? {},
    applyOrder: s.appliedSeq,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
  };
}
