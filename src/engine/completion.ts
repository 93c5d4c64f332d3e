// How a run and its steps end: the transition that finishes a run, and what the logs and the engine's
// events are told after the commit that ended a step or the run.
import type { Clock } from '../core/clock.ts';
import { innermostCause, type SerializedError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { isStepFailure, type RunStatus } from '../core/status.ts';
import type { EventWrite, RunWrite, Transition } from '../store/store.ts';
import type { EngineEvents, StepRef } from './events.ts';
import type { StepState } from './step-state.ts';

/** The run's final write and its journal line: `run.<status>`, with the error when there is one. */
export function terminalTransition(opts: {
  status: RunStatus;
  output: unknown;
  error: SerializedError | null;
  now: Date;
  event: (type: string, stepKey: string | null, data?: unknown) => EventWrite;
}): Partial<Transition> {
  const { status, output, error, now, event } = opts;
  const run: RunWrite = { status, finishedAt: now, releaseLease: true, wakeAt: null };
  if (output !== undefined) run.output = output;
  if (error) run.error = error;
  return { run, events: [event(`run.${status}`, null, error ? { error } : undefined)] };
}

export interface RunReportDeps {
  run: { id: string; runbookId: string; createdAt: Date };
  clock: Clock;
  logger: Logger;
  events: EngineEvents;
}

/** Reports ends of steps and of the run (log lines, engine events) once they are committed. */
export class RunReport {
  constructor(private readonly deps: RunReportDeps) {}

  /** After the final commit: the run's end, timed from its creation (end to end), and why it failed. */
  runFinished(status: RunStatus, error?: SerializedError | null): void {
    const { run, clock, logger, events } = this.deps;
    const durationMs = Math.max(0, clock.now().getTime() - run.createdAt.getTime());
    if (error) {
      const root = innermostCause(error);
      logger.warn('run finished', {
        status,
        durationMs,
        ...(typeof error.details?.step === 'string' ? { step: error.details.step } : {}),
        code: error.code,
        error: error.message,
        ...(root === error ? {} : { cause: root.message }),
      });
    } else logger.info('run finished', { status, durationMs });
    events.emit('run.finished', { runId: run.id, runbookId: run.runbookId, status, durationMs });
  }

  /** The fields of every step event. */
  stepRef(st: StepState): StepRef {
    const { run } = this.deps;
    return { runId: run.id, runbookId: run.runbookId, step: st.key, kind: st.kind, attempt: st.attempt };
  }

  /** After the commit that ended a step (in st.status): the step's end, timed from its first attempt. */
  stepFinished(st: StepState, error?: string): void {
    const { logger, events } = this.deps;
    const durationMs =
      st.startedAt && st.finishedAt ? Math.max(0, st.finishedAt.getTime() - st.startedAt.getTime()) : null;
    const line = { step: st.key, kind: st.kind, attempt: st.attempt, status: st.status, durationMs };
    if (isStepFailure(st.status)) logger.warn('step failed', { ...line, error });
    else logger.debug('step finished', line);
    events.emit('step.finished', {
      ...this.stepRef(st),
      status: st.status,
      durationMs,
      ...(error === undefined ? {} : { error }),
    });
  }
}
