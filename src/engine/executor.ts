// Drives one claimed run forward: starts ready steps, commits each result before anything that needs
// it starts, parks the run (releasing its lease) when it can only wait, and hands over to the saga
// when it fails or is cancelled. One executor per run per worker; the lease epoch fences stale ones.
// The commit-retry loop (run-commits.ts), parking (parking.ts) and how a run ends (completion.ts) are
// their own modules; step kinds (kinds/) and the saga see the narrow surface below, not its deps.
import type { Clock } from '../core/clock.ts';
import {
  FirebreakError,
  LeaseLostError,
  type SerializedError,
  serializeError,
  stepFailure,
  VersionDriftError,
} from '../core/errors.ts';
import { readySteps } from '../core/graph.ts';
import type { Logger } from '../core/logger.ts';
import { isStepFailure, type RunStatus, type StepStatus, satisfiesNeeds } from '../core/status.ts';
import { retryTransient } from '../db/transient.ts';
import { type ResolvedCircuitBreaker, resolveCircuitBreaker } from '../dsl/circuit-breaker.ts';
import type { Outputs, RunInfo, StepDef } from '../dsl/types.ts';
import type { LoadedRunbook } from '../runbooks/registry.ts';
import type { ApprovalRecord, RunRecord, StepRecord } from '../store/records.ts';
import type {
  BudgetUse,
  BudgetVerdict,
  EventWrite,
  Lease,
  StepWrite,
  Store,
  Transition,
} from '../store/store.ts';
import type { CircuitBreakers } from './circuit-breakers.ts';
import { RunReport, terminalTransition } from './completion.ts';
import type { EngineEventMap, EngineEvents, StepRef } from './events.ts';
import type { Notifier } from './notifier.ts';
import { Parking } from './parking.ts';
import { Interrupted, RunCommits, type RunTransition } from './run-commits.ts';
import { RunSteps } from './run-steps.ts';
import type { FetchLike, HostCommandRunner, InvocationScope, SecretReader } from './step-context.ts';
import type { StepOutcome, StepState } from './step-state.ts';
import { driftedSteps } from './version-drift.ts';

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
  /**
   * A gate this process just settled (the decision that leased it the run): the gate reads it from here
   * instead of the database. A settled gate's row never changes again, so this is what a read returns.
   */
  settledApproval?: ApprovalRecord | undefined;
}

/**
 * Where the executor is in its run's life:
 * - running: the forward pass starts and commits steps;
 * - cancelling: a cancel was asked for; the forward pass stops its steps and hands over to the saga;
 * - completing: the commit that ends the run (succeeded) is under way or landed;
 * - compensating: the saga reverts applied mitigations (a cancel asked for now changes nothing);
 * - stopped: the lease is lost (or the engine stopped): nothing more is written, from any state.
 */
export type ExecutorState = 'running' | 'cancelling' | 'completing' | 'compensating' | 'stopped';

/** The gate's reads and conditional writes of approval rows. */
export type ApprovalRows = Pick<Store, 'getApproval' | 'expireApproval' | 'extendApproval'>;

export class RunExecutor {
  readonly runId: string;
  /** Aborts the steps in flight; compensation starts on a fresh one (see beginCompensation). */
  abort = new AbortController();
  readonly info: RunInfo;
  /** The run's logger (run id, runbook and incident on every line). */
  readonly logger: Logger;
  readonly notifier: Notifier;
  readonly config: ExecutorConfig;
  readonly approvals: ApprovalRows;
  private lifecycle: ExecutorState;
  private readonly steps: RunSteps;
  private interruptWaiters: (() => void)[] = [];
  private readonly commits: RunCommits;
  private readonly parking: Parking;
  private readonly report: RunReport;
  private pendingVersionChange: string | null = null;

  constructor(
    public run: RunRecord,
    private readonly deps: ExecutorDeps,
    existingSteps: readonly StepRecord[] = [],
  ) {
    this.runId = run.id;
    this.lifecycle = run.cancelRequested ? 'cancelling' : 'running';
    this.logger = deps.logger;
    this.notifier = deps.notifier;
    this.config = deps.config;
    this.approvals = deps.settledApproval ? knowing(deps.store, deps.settledApproval) : deps.store;
    this.info = {
      id: run.id,
      runbookId: run.runbookId,
      dryRun: run.dryRun,
      incidentId: run.incidentId,
      requestedBy: run.requestedBy,
    };
    this.steps = new RunSteps(run.id, existingSteps);
    this.commits = new RunCommits({
      store: deps.store,
      lease: deps.lease,
      clock: deps.clock,
      logger: deps.logger,
      run: () => this.run,
      stopped: () => this.isStopped,
      leaseLost: () => this.leaseLost(),
    });
    this.parking = new Parking({
      runId: run.id,
      clock: deps.clock,
      events: deps.events,
      inlineWaitMaxMs: deps.config.inlineWaitMaxMs,
      seenWakeAt: run.wakeAt,
      commit: (t) => this.commit(t),
      event: (type, stepKey, data) => this.event(type, stepKey, data),
      signal: () => this.abort.signal,
    });
    this.report = new RunReport({ run, clock: deps.clock, logger: deps.logger, events: deps.events });
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  get isStopped(): boolean {
    return this.lifecycle === 'stopped';
  }

  /** Another worker owns the run now: stop without writing anything more. */
  leaseLost(): void {
    if (this.lifecycle === 'stopped') return;
    this.lifecycle = 'stopped';
    this.abort.abort(new LeaseLostError(this.runId));
    this.wakeInterrupts();
  }

  requestCancel(): void {
    // Reverts already under way finish: stopping them would leave the change applied.
    if (this.lifecycle !== 'running' && this.lifecycle !== 'completing') return;
    this.lifecycle = 'cancelling';
    this.abort.abort(
      new FirebreakError('cancelled', `run ${this.runId} was cancelled`, { nonRetryable: true }),
    );
    this.wakeInterrupts();
  }

  /**
   * The forward pass aborted its steps' signal to stop them (failure or cancel). Reverts must not inherit
   * that signal, or each would be interrupted before it starts; from here only a lost lease aborts.
   */
  beginCompensation(): void {
    if (this.lifecycle === 'stopped') return;
    this.lifecycle = 'compensating';
    if (this.abort.signal.aborted) this.abort = new AbortController();
  }

  private wakeInterrupts(): void {
    const waiters = this.interruptWaiters;
    this.interruptWaiters = [];
    for (const w of waiters) w();
  }

  private interrupted(): Promise<void> {
    return new Promise((resolve) => this.interruptWaiters.push(resolve));
  }

  // ---- what steps see ----------------------------------------------------------------------------

  now(): Date {
    return this.deps.clock.now();
  }

  emit<K extends keyof EngineEventMap>(type: K, payload: EngineEventMap[K]): void {
    this.deps.events.emit(type, payload);
  }

  /** Whether the kill switch holds new mitigations (read through `db`, so a blip is retried). */
  killSwitchOn(): Promise<boolean> {
    return this.db('kill-switch read', () => this.deps.isPaused());
  }

  get rb(): LoadedRunbook {
    return this.deps.runbook!;
  }

  /** A step's definition in the runbook this worker has loaded (none when it is not loaded here). */
  stepDef(name: string): StepDef | undefined {
    return this.deps.runbook?.defs.get(name);
  }

  state(key: string, kind: string): StepState {
    return this.steps.state(key, kind);
  }

  stepStatus(name: string): StepStatus {
    return this.steps.status(name);
  }

  outputs(): Outputs {
    return this.steps.outputs(this.rb.steps);
  }

  appliedMitigations(): StepState[] {
    return this.steps.appliedMitigations();
  }

  markApplied(st: StepState): void {
    this.steps.markApplied(st);
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
    return this.steps.idempotencyKey(stepKey);
  }

  stepWrite(st: StepState, extra: Partial<StepWrite> = {}): StepWrite {
    return this.steps.write(st, extra);
  }

  event(type: string, stepKey: string | null, data?: unknown): EventWrite {
    return { type, stepKey, data, at: this.deps.clock.now() };
  }

  // ---- database access ---------------------------------------------------------------------------

  /**
   * A read or write on this run's path other than a commit (the kill switch, a gate, a slot): a
   * connection-class error is retried with backoff for as long as this executor holds the run, so a
   * database restart delays the run instead of failing it. Once the run is stopped it is interrupted.
   */
  async db<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.isStopped) throw new Interrupted('lease lost');
    try {
      return await retryTransient(fn, { what, giveUp: () => this.isStopped, logger: this.deps.logger });
    } catch (err) {
      if (this.isStopped) throw new Interrupted('lease lost');
      throw err;
    }
  }

  /** Commits one transition of this run (run-commits.ts: retried until it lands or the lease is gone). */
  commit(t: RunTransition, opts: { wait?: boolean } = {}): Promise<void> {
    return this.commits.commit(t, opts);
  }

  /** The commit of a budgeted apply (Store.commitBudgeted), under this run's lease. */
  commitBudgeted(use: BudgetUse, transition: (v: BudgetVerdict) => Transition): Promise<BudgetVerdict> {
    return this.commits.commitBudgeted(use, transition);
  }

  /** The run as committed when it reached a final state here; lets result() skip a read. */
  get final(): RunRecord | null {
    return this.commits.final;
  }

  /** Releases the lease; the run costs a row until `wakeAt` (or an approval, cancel or slot wake-up). */
  park(wakeAt: Date | null, events: EventWrite[], status: RunStatus = 'waiting'): Promise<void> {
    return this.parking.park(wakeAt, events, status);
  }

  /** Waits in memory if `dueAt` is soon (then null), else returns the time to park until. */
  waitOrPark(dueAt: Date): Promise<Date | null> {
    return this.parking.waitOrPark(dueAt);
  }

  // ---- the forward pass --------------------------------------------------------------------------

  async execute(kinds: StepRunner, saga: Saga): Promise<void> {
    try {
      if (!this.deps.runbook) {
        const error = serializeError(
          new FirebreakError('runbook_missing', `runbook ${this.run.runbookId} is not loaded on this worker`),
        );
        return await saga.compensate(this, 'failed', error);
      }
      if (this.run.status === 'compensating') return await saga.resume(this);
      if (this.lifecycle === 'cancelling')
        return await saga.compensate(this, 'cancelled', cancelledError(this.runId));
      const drift = this.driftProblem();
      if (drift) return await saga.compensate(this, 'failed', drift);
      if (!(await this.admitted())) return;
      await this.forward(kinds, saga);
    } catch (err) {
      if (err instanceof Interrupted || this.isStopped) return;
      throw err;
    }
  }

  /** A changed definition may go on only if every step still to run exists unchanged in name and kind. */
  private driftProblem(): SerializedError | null {
    if (this.run.runbookVersion === this.rb.version) return null;
    const missing = driftedSteps(this.run.plan, (name) => this.steps.get(name), this.rb.defs);
    if (missing.length > 0) {
      return serializeError(new VersionDriftError(this.run.runbookId, missing));
    }
    this.pendingVersionChange = this.rb.version;
    return null;
  }

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

  /** Running, or completing: the states in which the forward pass goes on starting steps. */
  private get goingOn(): boolean {
    return this.lifecycle === 'running' || this.lifecycle === 'completing';
  }

  private async forward(kinds: StepRunner, saga: Saga): Promise<void> {
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
    const alreadyFailed = this.steps.all().find((s) => isStepFailure(s.status));
    if (alreadyFailed)
      failure = stepFailure(
        alreadyFailed.key,
        alreadyFailed.error ?? { name: 'Error', code: 'failed', message: 'step failed', nonRetryable: true },
      );

    while (this.goingOn && !failure) {
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
    if (this.isStopped) return;
    if (this.lifecycle === 'cancelling' || failure) {
      this.abort.abort(new Interrupted('run stopping'));
      await Promise.allSettled(running.values());
      // The lifecycle may have moved while the steps stopped (a lost lease, a cancel).
      const now = this.lifecycle as ExecutorState;
      if (now === 'stopped') return;
      const cancelled = now === 'cancelling';
      return saga.compensate(
        this,
        cancelled ? 'cancelled' : 'failed',
        cancelled ? cancelledError(this.runId) : failure!,
      );
    }
    if (this.lifecycle === 'completing') {
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
    this.complete();
    const outputs = { ...this.outputs(), [stepName]: output };
    return this.terminal('succeeded', outputs, null);
  }

  /** From running, the run is completing (a cancel or a lost lease that came first still wins). */
  private complete(): void {
    if (this.lifecycle === 'running') this.lifecycle = 'completing';
  }

  terminal(status: RunStatus, output: unknown, error: SerializedError | null): Partial<Transition> {
    const event = (type: string, stepKey: string | null, data?: unknown) => this.event(type, stepKey, data);
    return terminalTransition({ status, output, error, now: this.deps.clock.now(), event });
  }

  private async finish(): Promise<void> {
    this.complete();
    await this.commit(this.terminal('succeeded', this.outputs(), null));
    this.runFinished('succeeded');
  }

  /** After the final commit: the run's end, timed from its creation (end to end), and why it failed. */
  runFinished(status: RunStatus, error?: SerializedError | null): void {
    this.report.runFinished(status, error);
  }

  /** The fields of every step event. */
  stepRef(st: StepState): StepRef {
    return this.report.stepRef(st);
  }

  /** After the commit that ended a step (in st.status): the step's end, timed from its first attempt. */
  stepFinished(st: StepState, error?: string): void {
    this.report.stepFinished(st, error);
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

/** Runs one ready step of the forward pass (kinds/index.ts: the registry keyed by kind). */
export interface StepRunner {
  run(ex: RunExecutor, def: StepDef): Promise<StepOutcome>;
}

export interface Saga {
  compensate(ex: RunExecutor, reason: RunStatus, error: SerializedError): Promise<void>;
  resume(ex: RunExecutor): Promise<void>;
}

/** The approval rows, with one settled gate answered from memory. */
function knowing(rows: ApprovalRows, settled: ApprovalRecord): ApprovalRows {
  if (settled.status === 'pending') return rows;
  return {
    getApproval: (id) => (id === settled.id ? Promise.resolve(settled) : rows.getApproval(id)),
    expireApproval: (id, status, now) => rows.expireApproval(id, status, now),
    extendApproval: (id, expiresAt, to) => rows.extendApproval(id, expiresAt, to),
  };
}
