// One error tree for the domain. Retryability is data on the error, not a subclass check scattered
// through the engine: a step author throws NonRetryableError (or sets `nonRetryable`) to stop retries.
import { messageOf } from './failure.ts';

export interface FirebreakErrorOptions {
  cause?: unknown;
  nonRetryable?: boolean;
  /** Overrides the retry policy's computed delay for the next attempt. */
  nextRetryDelayMs?: number;
  /**
   * False when the call was refused before it was made (an open circuit): the step tries again after
   * `nextRetryDelayMs` without using up one of its retry policy's attempts. Default true.
   */
  consumesAttempt?: boolean;
  details?: Record<string, unknown>;
}

export class FirebreakError extends Error {
  readonly code: string;
  readonly nonRetryable: boolean;
  readonly nextRetryDelayMs: number | undefined;
  readonly consumesAttempt: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, opts: FirebreakErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.nonRetryable = opts.nonRetryable ?? false;
    this.nextRetryDelayMs = opts.nextRetryDelayMs;
    this.consumesAttempt = opts.consumesAttempt ?? true;
    this.details = opts.details;
  }
}

/** Thrown by a step to say "trying again will not help". */
export class NonRetryableError extends FirebreakError {
  constructor(message: string, opts: Omit<FirebreakErrorOptions, 'nonRetryable'> = {}) {
    super('non_retryable', message, { ...opts, nonRetryable: true });
  }
}

/**
 * `ctx.http` refused a request without sending it: the circuit of its host is open (or a trial request
 * is under way). Retryable, but not now: the step tries again at `retryAt` without using an attempt.
 */
export class CircuitOpenError extends FirebreakError {
  constructor(host: string, failures: number, retryAt: Date, halfOpensAt: Date | null, now: Date) {
    const why =
      halfOpensAt === null
        ? `a trial request to ${host} is under way after ${failures} consecutive failures`
        : `circuit open for ${host} after ${failures} consecutive failures (connection errors or 5xx); it half-opens at ${halfOpensAt.toISOString()}`;
    super('circuit_open', `${why}; request not sent`, {
      nextRetryDelayMs: Math.max(0, retryAt.getTime() - now.getTime()),
      consumesAttempt: false,
      details: {
        host,
        failures,
        retryAt: retryAt.toISOString(),
        ...(halfOpensAt ? { halfOpensAt: halfOpensAt.toISOString() } : {}),
      },
    });
  }
}

/**
 * The error in `err`'s cause chain that asks to be tried again later without using an attempt (an
 * open circuit), unless an error on the way says trying again cannot help.
 */
export function deferral(err: unknown): FirebreakError | null {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    if (e instanceof FirebreakError && e.nonRetryable) return null;
    if (e instanceof FirebreakError && !e.consumesAttempt) return e;
    e = e.cause;
  }
  return null;
}

export class StepTimeoutError extends FirebreakError {
  constructor(step: string, timeoutMs: number) {
    super('step_timeout', `step ${step} timed out after ${timeoutMs} ms`, { details: { step, timeoutMs } });
  }
}

export class ValidationError extends FirebreakError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('validation', message, { nonRetryable: true, ...(details ? { details } : {}) });
  }
}

export class NotFoundError extends FirebreakError {
  constructor(what: string, id: string) {
    super('not_found', `${what} ${id} not found`, { nonRetryable: true, details: { what, id } });
  }
}

export class ConflictError extends FirebreakError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, { nonRetryable: true, ...(details ? { details } : {}) });
  }
}

export class VersionDriftError extends FirebreakError {
  constructor(runbookId: string, missing: readonly string[]) {
    super(
      'version_drift',
      `runbook ${runbookId} changed under this run: steps still to run are missing or changed kind: ${missing.join(', ')}`,
      { nonRetryable: true, details: { runbookId, missing } },
    );
  }
}

/** An apply that would overspend its mitigation's budget, where the runbook says `onExceeded: 'fail'`. */
export class BudgetExceededError extends FirebreakError {
  constructor(message: string, details: Record<string, unknown>) {
    super('budget_exceeded', message, { nonRetryable: true, details });
  }
}

export class RunbookDefinitionError extends FirebreakError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('runbook_definition', message, { nonRetryable: true, ...(details ? { details } : {}) });
  }
}

/** The JSON form of an error as it is stored on a step, a run and in the journal. */
export interface SerializedError {
  name: string;
  code: string;
  message: string;
  nonRetryable: boolean;
  details?: Record<string, unknown>;
  cause?: SerializedError;
  /** On a run's error: the step whose failure ended the run. */
  step?: string;
}

export function serializeError(err: unknown, depth = 0): SerializedError {
  if (err instanceof FirebreakError) {
    return {
      name: err.name,
      code: err.code,
      message: err.message,
      nonRetryable: err.nonRetryable,
      ...(err.details ? { details: err.details } : {}),
      ...(err.cause !== undefined && depth < 3 ? { cause: serializeError(err.cause, depth + 1) } : {}),
    };
  }
  if (err instanceof Error) {
    const nonRetryable = (err as { nonRetryable?: unknown }).nonRetryable === true;
    return {
      name: err.name,
      code: err.name === 'AbortError' ? 'aborted' : 'error',
      message: messageOf(err),
      nonRetryable,
      ...(err.cause !== undefined && depth < 3 ? { cause: serializeError(err.cause, depth + 1) } : {}),
    };
  }
  return { name: 'Error', code: 'error', message: String(err), nonRetryable: false };
}

/** The last error of a `cause` chain: what really went wrong under the wrappers. */
export function innermostCause(error: SerializedError): SerializedError {
  let e = error;
  while (e.cause) e = e.cause;
  return e;
}

/**
 * A run's error when its step `step` failed: the step's own error, with the step named and, when the
 * error wraps others, the innermost cause's message beside it (`step`, and in the details `details.step`,
 * `details.rootCause` for the run's log line).
 */
export function stepFailure(step: string, error: SerializedError): SerializedError {
  const root = innermostCause(error);
  return {
    ...error,
    step,
    details: { ...error.details, step, ...(root === error ? {} : { rootCause: root.message }) },
  };
}

/** The worker no longer holds the run: another worker took it over. Its writes were refused. */
export class LeaseLostError extends FirebreakError {
  constructor(runId: string) {
    super('lease_lost', `lease on run ${runId} was lost; another worker continues it`, {
      details: { runId },
    });
  }
}
