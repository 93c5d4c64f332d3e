// Builds what a step function receives, and runs one invocation under its timeout and abort signal.
import { createHash } from 'node:crypto';
import { raceAbort } from '../core/abort.ts';
import type { Clock } from '../core/clock.ts';
import { NonRetryableError, StepTimeoutError, ValidationError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { uuidv7 } from '../core/uuid.ts';
import type {
  EvidenceInput,
  HostCommandOptions,
  HostCommandResult,
  Outputs,
  RunInfo,
  StepContext,
} from '../dsl/types.ts';
import type { EvidenceWrite } from '../store/store.ts';

export const MAX_EVIDENCE_BYTES = 1024 * 1024;

/** What `ctx.http` calls: global fetch unless the engine was given another (the testing kit's stub). */
export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** What `ctx.secret(name)` calls: reads a credential and registers it for redaction. */
export type SecretReader = (name: string) => string;

/**
 * What `ctx.ssh` calls: firebreak/integrations' SSH client as createFirebreak configured it (the testing
 * kit's stub transport under it in tests). It gets the step's signal and `attach` for the output.
 */
export type HostCommandRunner = (
  host: string,
  command: string,
  opts: HostCommandOptions & { signal: AbortSignal; attach: (evidence: EvidenceInput) => void },
) => Promise<HostCommandResult>;

export interface InvocationScope {
  input: unknown;
  steps: Outputs;
  run: RunInfo;
  stepName: string;
  stepKey: string;
  attempt: number;
  idempotencyKey: string;
  clock: Clock;
  logger: Logger;
  runSignal: AbortSignal;
  timeoutMs: number | undefined;
  fetch?: FetchLike | undefined;
  secret?: SecretReader | undefined;
  ssh?: HostCommandRunner | undefined;
}

export interface Invocation {
  ctx: StepContext<unknown, Outputs>;
  evidence: EvidenceWrite[];
}

export function buildContext(scope: InvocationScope, signal: AbortSignal): Invocation {
  const evidence: EvidenceWrite[] = [];
  const ctx: StepContext<unknown, Outputs> = {
    input: scope.input,
    steps: scope.steps,
    run: scope.run,
    step: { name: scope.stepName, key: scope.stepKey, attempt: scope.attempt },
    idempotencyKey: scope.idempotencyKey,
    signal,
    attach: (e: EvidenceInput) => evidence.push(toEvidence(e, scope)),
    http: (url, init) =>
      (scope.fetch ?? fetch)(url, {
        ...init,
        signal: init?.signal ? AbortSignal.any([signal, init.signal]) : signal,
      }),
    log: (message, data) =>
      scope.logger.info(message, { step: scope.stepName, attempt: scope.attempt, ...data }),
    now: () => scope.clock.now(),
    secret: (name) => {
      if (!scope.secret) throw new NonRetryableError(`secret ${name}: this engine was given no environment`);
      return scope.secret(name);
    },
    ssh: (host, command, opts) => {
      if (!scope.ssh) throw new NonRetryableError(`ssh ${host}: this engine was given no SSH client`);
      return scope.ssh(host, command, { ...opts, signal, attach: ctx.attach });
    },
  };
  return { ctx, evidence };
}

function toEvidence(e: EvidenceInput, scope: InvocationScope): EvidenceWrite {
  const serialized = JSON.stringify(e.content ?? null);
  const bytes = Buffer.byteLength(serialized);
  if (bytes > MAX_EVIDENCE_BYTES) {
    throw new ValidationError(`evidence "${e.title}" is ${bytes} bytes; the limit is ${MAX_EVIDENCE_BYTES}`, {
      bytes,
      limit: MAX_EVIDENCE_BYTES,
    });
  }
  return {
    id: uuidv7(),
    stepKey: scope.stepKey,
    attempt: scope.attempt,
    kind: e.kind,
    title: e.title,
    content: e.content ?? null,
    contentHash: createHash('sha256').update(`${e.kind}\n${serialized}`).digest('hex'),
    createdAt: scope.clock.now(),
  };
}

/**
 * Calls `fn` with a context whose signal aborts on the run's signal or the step timeout. A step that
 * ignores its signal is abandoned at the timeout (its late result is dropped), so a hung call never
 * holds the run.
 */
export async function invoke<T>(
  scope: InvocationScope,
  fn: (inv: Invocation) => T | Promise<T>,
): Promise<{ value: T; evidence: EvidenceWrite[] } | { error: unknown; evidence: EvidenceWrite[] }> {
  // Without a timeout the step's signal is the run's own: no controller or combined signal per attempt.
  let signal = scope.runSignal;
  let timer: NodeJS.Timeout | undefined;
  if (scope.timeoutMs !== undefined) {
    const ms = scope.timeoutMs;
    const timeout = new AbortController();
    signal = AbortSignal.any([scope.runSignal, timeout.signal]);
    timer = setTimeout(() => timeout.abort(new StepTimeoutError(scope.stepName, ms)), ms);
  }
  const inv = buildContext(scope, signal);
  try {
    const value = await raceAbort(signal, () => fn(inv));
    return { value, evidence: inv.evidence };
  } catch (error) {
    return { error, evidence: inv.evidence };
  } finally {
    if (timer) clearTimeout(timer);
  }
}
