// Drives one claimed run forward: starts ready steps, commits each result before anything that needs
// it starts, parks the run (releasing its lease) when it can only wait, and hands over to the saga
// when it fails or is cancelled. One executor per run per worker; the lease epoch fences stale ones.
import type { Clock } from '../core/clock.ts';
import {
  FirebreakError,
  innermostCause,
  LeaseLostError,
  type SerializedError,
  serializeError,
  stepFailure,
  VersionDriftError,
} from '../core/errors.ts';
import { readySteps } from '../core/graph.ts';
import type { Logger } from '../core/logger.ts';
import {
  isStepFailure,
  isTerminalRun,
  type RunStatus,
  type StepStatus,
  satisfiesNeeds,
} from '../core/status.ts';
import { uuidv7 } from '../core/uuid.ts';
import { isTransientDbError, retryTransient } from '../db/transient.ts';
import { type ResolvedCircuitBreaker, resolveCircuitBreaker } from '../dsl/circuit-breaker.ts';
import type { Outputs, RunInfo, StepDef } from '../dsl/types.ts';
import type { LoadedRunbook } from '../runbooks/registry.ts';
import type { RunRecord, StepRecord } from '../store/records.ts';
import type { EventWrite, Lease, RunWrite, StepWrite, Store, Transition } from '../store/store.ts';
import type { CircuitBreakers } from './circuit-breakers.ts';
import type { EngineEvents, StepRef } from './events.ts';
import type { Notifier } from './notifier.ts';
import type { FetchLike, HostCommandRunner, InvocationScope, SecretReader } from './step-context.ts';

export interface ExecutorConfig {
  /** Waits up to this long (retry backoff, short sleeps, verify delays) happen in memory under the lease. */
  inlineWaitMaxMs: number;
  /** How soon a mitigation held by the kill switch looks again. */
  killSwitchRecheckMs: number;
  /** How soon a run waiting for a concurrency slot tries again (slot releases also wake it). */
  slotRetryMs: number;
}

export interface ExecutorDeps {
  store: Store;
  clock: Clock;
  lease: Lease;
  runbook: LoadedRunbook | undefined;
  events: EngineEvents;
  notifier: Notifier;
  logger: Logger;
  config: ExecutorConfig;
  isPaused: () => Promise<boolean>;
  /** Behind every step's `ctx.http`; global fetch when unset. */
  fetch?: FetchLike | undefined;
  /** Behind every step's `ctx.secret`. */
  secret?: SecretReader | undefined;
  /** The process's circuit breakers, which `ctx.http` goes through unless the runbook turned them off. */
  breakers?: CircuitBreakers | undefined;
  /** Behind every step's `ctx.ssh`. */
  ssh?: HostCommandRunner | undefined;
}

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

export class Interrupted extends Error {}

export class RunExecutor {
  readonly runId: string;
  /** Aborts the steps in flight; compensation starts on a fresh one (see beginCompensation). */
  abort = new AbortController();
  private readonly states = new Map<string, StepState>();
  private cancelRequested: boolean;
  private compensating = false;
  private stopped = false;
  private completed = false;
  private applyCounter = 0;
  private interruptWaiters: (() => void)[] = [];
  /** wake_at as this executor last saw it; parking only overwrites that value (see apply-transitions). */
  private seenWakeAt: Date | null;
  readonly info: RunInfo;

  constructor(
    public run: RunRecord,
    readonly deps: ExecutorDeps,
    existingSteps: readonly StepRecord[] = [],
  ) {
    this.runId = run.id;
    this.cancelRequested = run.cancelRequested;
    this.seenWakeAt = run.wakeAt;
    this.info = {
      id: run.id,
      runbookId: run.runbookId,
      dryRun: run.dryRun,
      incidentId: run.incidentId,
      requestedBy: run.requestedBy,
    };
    for (const s of existingSteps) {
      this.states.set(s.stepKey, {
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
      });
    }
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Another worker owns the run now: stop without writing anything more. */
  leaseLost(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort(new LeaseLostError(this.runId));
    this.wakeInterrupts();
  }

  requestCancel(): void {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    // Reverts already under way finish: stopping them would leave the change applied.
    if (this.compensating) return;
    this.abort.abort(
      new FirebreakError('cancelled', `run ${this.runId} was cancelled`, { nonRetryable: true }),
    );
    this.wakeInterrupts();
  }

  get cancelling(): boolean {
    return this.cancelRequested;
  }

  /**
   * The forward pass aborted its steps' signal to stop them (failure or cancel). Reverts must not inherit
   * that signal, or each would be interrupted before it starts; from here only a lost lease aborts.
   */
  beginCompensation(): void {
    this.compensating = true;
    if (!this.stopped && this.abort.signal.aborted) this.abort = new AbortController();
  }

  private wakeInterrupts(): void {
    const waiters = this.interruptWaiters;
    this.interruptWaiters = [];
    for (const w of waiters) w();
  }

  private interrupted(): Promise<void> {
    return new Promise((resolve) => this.interruptWaiters.push(resolve));
  }

  // ---- state access ------------------------------------------------------------------------------

  get rb(): LoadedRunbook {
    return this.deps.runbook!;
  }

  state(key: string, kind: string): StepState {
    let st = this.states.get(key);
    if (!st) {
      st = {
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
      this.states.set(key, st);
    }
    return st;
  }

  stepStatus(name: string): StepStatus {
    return this.states.get(name)?.status ?? 'pending';
  }

  outputs(): Outputs {
    const out: Outputs = {};
    for (const s of this.rb.steps) {
      const st = this.states.get(s.name);
      if (st?.status === 'succeeded') out[s.name] = st.output;
    }
    return out;
  }

  appliedMitigations(): StepState[] {
    return [...this.states.values()]
      .filter((s) => s.kind === 'mitigation' && s.applyOrder !== null)
      .sort((a, b) => b.applyOrder! - a.applyOrder!);
  }

  markApplied(st: StepState): void {
    const known = [...this.states.values()].map((s) => s.applyOrder ?? 0);
    st.applyOrder = Math.max(0, ...known) + 1 + this.applyCounter++;
  }

  /** What a step function's context is built from, for one invocation of the step `st`. */
  scope(stepName: string, st: StepState, timeoutMs: number | undefined): InvocationScope {
    return {
      input: this.run.input,
      steps: this.outputs(),
      run: this.info,
      stepName,
      stepKey: st.key,
      attempt: st.attempt,
      idempotencyKey: this.idempotencyKey(st.key),
      clock: this.deps.clock,
      logger: this.deps.logger,
      runSignal: this.abort.signal,
      fetch: this.http,
      secret: this.deps.secret,
      ssh: this.deps.ssh,
      timeoutMs,
    };
  }

  /** The runbook's circuit breaker settings; null when it turned circuit breaking off. */
  get circuitBreaker(): ResolvedCircuitBreaker | null {
    if (this.circuit === undefined)
      this.circuit = resolveCircuitBreaker(this.rb.runbook.options.circuitBreaker);
    return this.circuit;
  }

  private circuit: ResolvedCircuitBreaker | null | undefined;
  private guarded: FetchLike | undefined;

  /** What `ctx.http` calls: the engine's fetch, behind the process's circuit breakers. */
  private get http(): FetchLike | undefined {
    const { breakers, fetch } = this.deps;
    const settings = this.circuitBreaker;
    if (!breakers || !settings) return fetch;
    this.guarded ??= breakers.guard(fetch, settings, this.run.runbookId);
    return this.guarded;
  }

  idempotencyKey(stepKey: string): string {
    return `${this.runId}:${stepKey}`;
  }

  stepWrite(st: StepState, extra: Partial<StepWrite> = {}): StepWrite {
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

  // ---- database access ---------------------------------------------------------------------------

  /**
   * A read or write on this run's path other than a commit (the kill switch, a gate, a slot): a
   * connection-class error is retried with backoff for as long as this executor holds the run, so a
   * database restart delays the run instead of failing it. Once the run is stopped it is interrupted.
   */
  async db<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.stopped) throw new Interrupted('lease lost');
    try {
      return await retryTransient(fn, { what, giveUp: () => this.stopped, logger: this.deps.logger });
    } catch (err) {
      if (this.stopped) throw new Interrupted('lease lost');
      throw err;
    }
  }

  // ---- committing --------------------------------------------------------------------------------

  /**
   * Commits one transition of this run. A database error is retried until it goes through or the
   * lease is gone (another worker then continues the run, at worst re-running this step).
   */
  async commit(t: Omit<Transition, 'runId' | 'incidentId'>, opts: { wait?: boolean } = {}): Promise<void> {
    if (this.stopped) throw new Interrupted('lease lost');
    // One commit id for every try: a try whose answer was lost after it landed makes the next a no-op.
    const transition: Transition = {
      runId: this.runId,
      incidentId: this.run.incidentId,
      commitId: uuidv7(),
      ...t,
    };
    if (opts.wait === false) {
      this.deps.store
        .commit(this.deps.lease, transition, { wait: false })
        .catch((err) => this.onCommitError(err));
      return;
    }
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      try {
        await this.deps.store.commit(this.deps.lease, transition);
        this.noteFinal(transition.run);
        return;
      } catch (err) {
        this.onCommitError(err);
        if (this.stopped) throw new Interrupted('lease lost');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** The run as committed when it reached a final state here; lets result() skip a read. */
  final: RunRecord | null = null;

  private noteFinal(w: RunWrite | undefined): void {
    if (!w?.status || !isTerminalRun(w.status)) return;
    this.final = {
      ...this.run,
      status: w.status,
      output: w.output === undefined ? this.run.output : w.output,
      error: w.error === undefined ? this.run.error : w.error,
      finishedAt: w.finishedAt ?? this.deps.clock.now(),
      leaseOwner: null,
      leaseExpiresAt: null,
      wakeAt: null,
    };
  }

  private onCommitError(err: unknown): void {
    if (err instanceof LeaseLostError) {
      this.deps.logger.warn('lease lost; another worker continues this run', { runId: this.runId });
      this.leaseLost();
      return;
    }
    // A connection-class error is expected around restarts; anything else is a bug worth an error line.
    const level = isTransientDbError(err) ? 'warn' : 'error';
    this.deps.logger[level]('commit failed; retrying', { runId: this.runId, error: (err as Error).message });
  }

  event(type: string, stepKey: string | null, data?: unknown): EventWrite {
    return { type, stepKey, data, at: this.deps.clock.now() };
  }

  // ---- the forward pass --------------------------------------------------------------------------

  async execute(kinds: StepKindHandlers, saga: Saga): Promise<void> {
    try {
      if (!this.deps.runbook) {
        const error = serializeError(
          new FirebreakError('runbook_missing', `runbook ${this.run.runbookId} is not loaded on this worker`),
        );
        return await saga.compensate(this, 'failed', error);
      }
      if (this.run.status === 'compensating') return await saga.resume(this);
      if (this.cancelRequested) return await saga.compensate(this, 'cancelled', cancelledError(this.runId));
      const drift = this.driftProblem();
      if (drift) return await saga.compensate(this, 'failed', drift);
      if (!(await this.admitted())) return;
      await this.forward(kinds, saga);
    } catch (err) {
      if (err instanceof Interrupted || this.stopped) return;
      throw err;
    }
  }

  /** A changed definition may go on only if every step still to run exists unchanged in name and kind. */
  private driftProblem(): SerializedError | null {
    if (this.run.runbookVersion === this.rb.version) return null;
    const missing = this.run.plan
      .filter((p) => {
        const st = this.states.get(p.name);
        const done = st && (satisfiesNeeds(st.status) || st.status === 'reverted');
        const needsRevert = st?.kind === 'mitigation' && st.applyOrder !== null;
        return !done || needsRevert;
      })
      .filter((p) => this.rb.defs.get(p.name)?.kind !== p.kind)
      .map((p) => p.name);
    if (missing.length > 0) {
      return serializeError(new VersionDriftError(this.run.runbookId, missing));
    }
    this.pendingVersionChange = this.rb.version;
    return null;
  }

  private pendingVersionChange: string | null = null;

  /** Per-runbook concurrency: hold one of the key's slots while active. */
  private async admitted(): Promise<boolean> {
    const key = this.run.concurrencyKey;
    const limit = this.rb.runbook.options.concurrency?.limit;
    if (!key || !limit) return true;
    if (await this.db('concurrency slot', () => this.deps.store.acquireSlot(key, limit, this.runId)))
      return true;
    const wakeAt = new Date(this.deps.clock.now().getTime() + this.deps.config.slotRetryMs);
    const firstTry = this.run.claims <= 1;
    await this.park(wakeAt, firstTry ? [this.event('run.queued_for_slot', null, { key, limit })] : []);
    return false;
  }

  private async forward(kinds: StepKindHandlers, saga: Saga): Promise<void> {
    const running = new Map<string, Promise<void>>();
    const parked = new Map<string, Date | null>();
    let failure: SerializedError | null = null;
    const version = this.pendingVersionChange;
    if (version) {
      await this.commit({
        run: { runbookVersion: version },
        events: [this.event('run.version_changed', null, { from: this.run.runbookVersion, to: version })],
      });
      // The record result() returns when the run ends here is built from this one.
      this.run.runbookVersion = version;
    }
    const alreadyFailed = [...this.states.values()].find((s) => isStepFailure(s.status));
    if (alreadyFailed)
      failure = stepFailure(
        alreadyFailed.key,
        alreadyFailed.error ?? { name: 'Error', code: 'failed', message: 'step failed', nonRetryable: true },
      );

    while (!this.stopped && !this.cancelRequested && !failure) {
      for (const s of readySteps(this.rb.steps, (n) => this.stepStatus(n))) {
        if (running.has(s.name) || parked.has(s.name)) continue;
        const def = this.rb.defs.get(s.name)!;
        const p = kinds
          .run(this, def)
          .then((outcome) => {
            if (outcome.type === 'parked') parked.set(s.name, outcome.wakeAt);
            if (outcome.type === 'failed') failure ??= stepFailure(s.name, outcome.error);
          })
          .catch((err) => {
            if (!(err instanceof Interrupted)) failure ??= stepFailure(s.name, serializeError(err));
          })
          .finally(() => running.delete(s.name));
        running.set(s.name, p);
      }
      // Steps waiting on an approval or timer that a later pass must look at again also count as parked.
      if (running.size === 0) break;
      await Promise.race([...running.values(), this.interrupted()]);
    }
    if (this.stopped) return;
    if (this.cancelRequested || failure) {
      this.abort.abort(new Interrupted('run stopping'));
      await Promise.allSettled(running.values());
      if (this.stopped) return;
      const reason: RunStatus = this.cancelRequested ? 'cancelled' : 'failed';
      return saga.compensate(this, reason, this.cancelRequested ? cancelledError(this.runId) : failure!);
    }
    if (this.completed) {
      // The last step's commit carried the run's completion (see completionFor).
      this.runFinished('succeeded');
      return;
    }
    if (this.allDone()) return this.finish();
    const wakes = [...parked.values()];
    const wakeAt = wakes.includes(null) && wakes.every((w) => w === null) ? null : earliest(wakes);
    await this.park(wakeAt, []);
  }

  allDone(except?: string): boolean {
    return this.rb.steps.every((s) => s.name === except || satisfiesNeeds(this.stepStatus(s.name)));
  }

  /** When committing `stepName` ends the run, the run's own completion rides in the same commit. */
  completionFor(stepName: string, output: unknown): Partial<Transition> {
    if (!this.allDone(stepName)) return {};
    this.completed = true;
    const outputs = { ...this.outputs(), [stepName]: output };
    return this.terminal('succeeded', outputs, null);
  }

  terminal(status: RunStatus, output: unknown, error: SerializedError | null): Partial<Transition> {
    const now = this.deps.clock.now();
    const run: RunWrite = { status, finishedAt: now, releaseLease: true, wakeAt: null };
    if (output !== undefined) run.output = output;
    if (error) run.error = error;
    return { run, events: [this.event(`run.${status}`, null, error ? { error } : undefined)] };
  }

  private async finish(): Promise<void> {
    this.completed = true;
    await this.commit(this.terminal('succeeded', this.outputs(), null));
    this.runFinished('succeeded');
  }

  /** After the final commit: the run's end, timed from its creation (end to end), and why it failed. */
  runFinished(status: RunStatus, error?: SerializedError | null): void {
    const durationMs = Math.max(0, this.deps.clock.now().getTime() - this.run.createdAt.getTime());
    if (error) {
      const root = innermostCause(error);
      this.deps.logger.warn('run finished', {
        status,
        durationMs,
        ...(typeof error.details?.step === 'string' ? { step: error.details.step } : {}),
        code: error.code,
        error: error.message,
        ...(root === error ? {} : { cause: root.message }),
      });
    } else this.deps.logger.info('run finished', { status, durationMs });
    this.deps.events.emit('run.finished', {
      runId: this.runId,
      runbookId: this.run.runbookId,
      status,
      durationMs,
    });
  }

  /** The fields of every step event. */
  stepRef(st: StepState): StepRef {
    return {
      runId: this.runId,
      runbookId: this.run.runbookId,
      step: st.key,
      kind: st.kind,
      attempt: st.attempt,
    };
  }

  /** After the commit that ended a step (in st.status): the step's end, timed from its first attempt. */
  stepFinished(st: StepState, error?: string): void {
    const durationMs =
      st.startedAt && st.finishedAt ? Math.max(0, st.finishedAt.getTime() - st.startedAt.getTime()) : null;
    const line = { step: st.key, kind: st.kind, attempt: st.attempt, status: st.status, durationMs };
    if (isStepFailure(st.status)) this.deps.logger.warn('step failed', { ...line, error });
    else this.deps.logger.debug('step finished', line);
    this.deps.events.emit('step.finished', {
      ...this.stepRef(st),
      status: st.status,
      durationMs,
      ...(error === undefined ? {} : { error }),
    });
  }

  /** Releases the lease; the run costs a row until `wakeAt` (or an approval, cancel or slot wake-up). */
  async park(wakeAt: Date | null, events: EventWrite[], status: RunStatus = 'waiting'): Promise<void> {
    await this.commit({
      run: { status, wakeAt, expectWakeAt: this.seenWakeAt, releaseLease: true },
      events: [...events, this.event('run.waiting', null, { wakeAt: wakeAt?.toISOString() ?? null })],
    });
    this.deps.events.emit('run.parked', { runId: this.runId, wakeAt });
  }

  /** Calls `waitMs` later in memory if short, else returns the time to park until. */
  async waitOrPark(dueAt: Date): Promise<Date | null> {
    const ms = dueAt.getTime() - this.deps.clock.now().getTime();
    if (ms <= 0) return null;
    if (ms > this.deps.config.inlineWaitMaxMs) return dueAt;
    await this.deps.clock.sleep(ms, this.abort.signal).catch(() => {
      throw new Interrupted('aborted while waiting');
    });
    return null;
  }
}

function cancelledError(runId: string): SerializedError {
  return { name: 'Cancelled', code: 'cancelled', message: `run ${runId} was cancelled`, nonRetryable: true };
}

function earliest(dates: readonly (Date | null)[]): Date | null {
  const real = dates.filter((d): d is Date => d !== null);
  if (real.length === 0) return null;
  return new Date(Math.min(...real.map((d) => d.getTime())));
}

export interface StepKindHandlers {
  run(ex: RunExecutor, def: StepDef): Promise<StepOutcome>;
}

export interface Saga {
  compensate(ex: RunExecutor, reason: RunStatus, error: SerializedError): Promise<void>;
  resume(ex: RunExecutor): Promise<void>;
}
