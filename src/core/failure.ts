// Why something failed, in words an operator can act on. Errors wrap their causes: `fetch failed` is
// undici's wrapper, `connect ECONNREFUSED 127.0.0.1:8001` is what to fix. Every surface (web page, API,
// Slack, CLI) shows the innermost cause first and the step it happened in.
import type { SerializedError } from './errors.ts';

/** The deepest cause of a serialized error chain. */
export function innermost(err: SerializedError): SerializedError {
  let e = err;
  while (e.cause) e = e.cause;
  return e;
}

/** "connect ECONNREFUSED 127.0.0.1:8001 (fetch failed)": the innermost cause, then what wrapped it. */
export function describeSerialized(err: SerializedError): string {
  const inner = innermost(err);
  if (inner === err || !inner.message || inner.message === err.message) return err.message;
  return `${inner.message} (${err.message})`;
}

/** The same for a live error (a thrown value), as the CLI reports a failed request. */
export function describeError(err: unknown): string {
  const chain: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    chain.push(messageOf(e));
    e = (e as { cause?: unknown }).cause;
  }
  const messages = chain.filter(Boolean);
  if (messages.length <= 1) return messages[0] ?? String(err);
  return `${messages.at(-1)} (${messages[0]})`;
}

/** An Error's message; an AggregateError (Node's dual-stack connect) says what each attempt met. */
export function messageOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const errors = (e as { errors?: unknown }).errors;
  if (!e.message && Array.isArray(errors) && errors.length > 0) {
    return [...new Set(errors.map((x) => (x instanceof Error ? x.message : String(x))))].join('; ');
  }
  return e.message;
}

export interface RunFailure {
  /** The step whose failure ended the run, when it was a step. */
  step: string | null;
  /** The innermost cause. */
  cause: string;
  /** One line: "step recentDeploy: connect ECONNREFUSED 127.0.0.1:8001 (fetch failed)". */
  summary: string;
  code: string;
}

/** What a run's stored error says, for the page, the API, Slack and the CLI. */
export function runFailure(error: SerializedError | null | undefined): RunFailure | null {
  if (!error) return null;
  const step = error.step ?? null;
  const text = describeSerialized(error);
  return {
    step,
    cause: innermost(error).message || error.message,
    summary: step ? `step ${step}: ${text}` : text,
    code: error.code,
  };
}
