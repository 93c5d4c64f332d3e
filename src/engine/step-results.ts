// The commits that end a step (succeeded, failed) and the rows they carry. Each takes a parameter
// object: which attempt ended here, and whether the step's end may also end the run.
import type { SerializedError } from '../core/errors.ts';
import { describeSerialized } from '../core/failure.ts';
import type { EvidenceWrite, Transition } from '../store/store.ts';
import type { AttemptPhase } from './attempts.ts';
import type { RunExecutor } from './executor.ts';
import type { RunTransition } from './run-commits.ts';
import type { StepOutcome, StepState } from './step-state.ts';

/** An attempt that ended with the step: its phase (the attempt row's), evidence and start. */
export interface EndedAttempt {
  phase: AttemptPhase;
  evidence: EvidenceWrite[];
  startedAt: Date;
}

/** Attempts of one phase of the step so far (attempts.ts counts them in the step's state). */
function triesOf(st: StepState, phaseName: string): number | undefined {
  return (st.state.tries as Record<string, number> | undefined)?.[phaseName];
}

export async function succeed(
  ex: RunExecutor,
  st: StepState,
  opts: {
    /** The step's name in the runbook (a forEach item's is its step's). */
    stepName: string;
    output: unknown;
    /** The attempt that ended here; none when a mitigation completes after apply and verify, a timer, a gate. */
    attempt?: EndedAttempt;
    /** Whether committing this step may end the run (not a forEach item). Default true. */
    completesRun?: boolean;
  },
): Promise<void> {
  const { stepName, output, attempt } = opts;
  const now = ex.now();
  Object.assign(st, { status: 'succeeded', output: output ?? null, error: null, finishedAt: now });
  const t: RunTransition = {
    steps: [ex.stepWrite(st)],
    attempts: attempt
      ? [
          attemptRow(st, {
            phase: attempt.phase,
            status: 'succeeded',
            startedAt: attempt.startedAt,
            finishedAt: now,
          }),
        ]
      : [],
    evidence: attempt?.evidence ?? [],
    // The phase that ended (`complete`: a mitigation done after apply and verify), so the journal's
    // reader counts tries within it (journal-text.ts).
    events: [
      ex.event('step.succeeded', st.key, {
        attempt: st.attempt,
        phase: attempt?.phase ?? 'complete',
        ...(attempt ? { try: triesOf(st, attempt.phase) } : {}),
      }),
    ],
  };
  await ex.commit(opts.completesRun === false ? t : merge(t, ex.completionFor(stepName, output ?? null)));
  ex.stepFinished(st);
}

export async function fail(
  ex: RunExecutor,
  st: StepState,
  opts: {
    error: SerializedError;
    /** The phase that failed: the journal's, and the attempt row's when one ended here. */
    phase: AttemptPhase;
    /** The attempt that failed; none when the step fails without one (a budget, a failed item). */
    attempt?: Omit<EndedAttempt, 'phase'>;
  },
): Promise<StepOutcome> {
  const { error, phase, attempt } = opts;
  const now = ex.now();
  Object.assign(st, { status: 'failed', error, finishedAt: now });
  await ex.commit({
    steps: [ex.stepWrite(st)],
    attempts: attempt
      ? [attemptRow(st, { phase, status: 'failed', error, startedAt: attempt.startedAt, finishedAt: now })]
      : [],
    evidence: attempt?.evidence ?? [],
    events: [ex.event('step.failed', st.key, { attempt: st.attempt, phase, try: triesOf(st, phase), error })],
  });
  ex.stepFinished(st, describeSerialized(error));
  return { type: 'failed', error };
}

/** One `step_attempts` row of the step's current attempt. */
export function attemptRow(
  st: StepState,
  row: {
    phase: AttemptPhase;
    status: 'succeeded' | 'failed';
    error?: SerializedError | null;
    startedAt: Date;
    finishedAt: Date;
  },
) {
  return {
    stepKey: st.key,
    attempt: st.attempt,
    phase: row.phase,
    status: row.status,
    error: row.error ?? null,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

/** A step's transition with the run's completion (or anything else run-level) folded in. */
export function merge(a: RunTransition, b: Partial<Transition>): RunTransition {
  const out = { ...a };
  if (b.run) out.run = { ...a.run, ...b.run };
  if (b.events) out.events = [...(a.events ?? []), ...b.events];
  return out;
}
