// The engine of one process: starts runs, claims due runs with leases, keeps the leases alive, and
// reacts to wake-ups (LISTEN/NOTIFY) with polling as the fallback. Workers are stateless: any number of
// processes can share one database.
import { type Clock, systemClock } from '../core/clock.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { type Logger, silentLogger } from '../core/logger.ts';
import { isTerminalRun } from '../core/status.ts';
import { uuidv7 } from '../core/uuid.ts';
import type { RunbookRegistry } from '../runbooks/registry.ts';
import type { ApprovalRecord, RunRecord } from '../store/records.ts';
import type { ClaimedRun, DecisionClaim, Store } from '../store/store.ts';
import { CircuitBreakers } from './circuit-breakers.ts';
import { DecisionCommit } from './decision-commit.ts';
import { compileEngineOptions, type EngineConfig, type EngineOptions } from './engine-options.ts';
import { EngineEvents } from './events.ts';
import { RunExecutor } from './executor.ts';
import { stepKinds } from './kinds/index.ts';
import { type Notifier, nullNotifier } from './notifier.ts';

import { saga } from './saga.ts';
import type { FetchLike, HostCommandRunner, SecretReader } from './step-context.ts';

export {
  compileEngineOptions,
  defaultEngineConfig,
  type EngineConfig,
  type EngineOptions,
} from './engine-options.ts';

export interface StartOptions {
  idempotencyKey?: string | null;
  dryRun?: boolean;
  incidentId?: string | null;
  requestedBy?: string | null;
}

export interface EngineDeps {
  store: Store;
  registry: RunbookRegistry;
  clock?: Clock;
  logger?: Logger;
  notifier?: Notifier;
  /** Checked once here (engine-options.ts): defaults filled in, impossible combinations refused. */
  config?: EngineOptions;
  /** Behind every step's `ctx.http` (default global fetch); the testing kit passes its stub. */
  fetch?: FetchLike;
  /** Behind every step's `ctx.secret` (createFirebreak reads its environment and redacts what it reads). */
  secret?: SecretReader;
  /** Behind every step's `ctx.ssh` (createFirebreak makes it from the SSH settings; tests stub its transport). */
  ssh?: HostCommandRunner;
}

export const KILL_SWITCH = 'kill_switch';

export class Engine {
  readonly store: Store;
  readonly registry: RunbookRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events = new EngineEvents();
  readonly config: EngineConfig;
  private readonly notifier: Notifier;
  private readonly fetch: FetchLike | undefined;
  private readonly secret: SecretReader | undefined;
  /** One circuit breaker per target host, shared by every run this process executes. */
  readonly breakers: CircuitBreakers;
  private readonly ssh: HostCommandRunner | undefined;
  private readonly active = new Map<string, { executor: RunExecutor; done: Promise<void> }>();
  private working = false;
  private timers: NodeJS.Timeout[] = [];
  private unlisten: (() => Promise<void>) | null = null;
  private pumping = false;
  private pumpAgain = false;
  /**
   * Until when (this process's clock, ms) each active run's lease surely holds: the send time of the
   * claim or heartbeat that last set it, plus leaseMs. The database set it from the same send time, so
   * this errs early when an answer was lost, never late.
   */
  private readonly leaseUntil = new Map<string, number>();
  /** Runs spawned inside a decision's transaction, until it commits or fails (decisionClaim). */
  private readonly decided = new Map<string, DecisionCommit>();
  /** Send times of heartbeats still waiting for their answer. */
  private readonly heartbeatsInFlight = new Set<number>();
  private retryHeartbeat: NodeJS.Timeout | null = null;
  /** Set by work({ ownRunsOnly }): the only runs this process may claim (those it started or adopted). */
  private own: Set<string> | null = null;

  constructor(deps: EngineDeps) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
    this.notifier = deps.notifier ?? nullNotifier;
    this.fetch = deps.fetch;
    this.secret = deps.secret;
    this.ssh = deps.ssh;
    this.config = compileEngineOptions(deps.config);
    this.breakers = new CircuitBreakers(this.clock, this.events, this.logger);
  }

  get workerId(): string {
    return this.config.workerId;
  }

  get activeRuns(): number {
    return this.active.size;
  }

  // ---- starting and reading runs ------------------------------------------------------------------

  /**
   * Creates a run after checking its input; with a key that exists already, returns that run instead.
   * When this process works and has room, it runs the new run at once (no claim round trip).
   */
  async start(
    runbookId: string,
    input: unknown,
    opts: StartOptions = {},
  ): Promise<{ runId: string; created: boolean }> {
    const rb = this.registry.get(runbookId);
    if (!rb) throw new NotFoundError('runbook', runbookId);
    const parsed = rb.runbook.options.input.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(`input for runbook ${runbookId} is invalid`, { issues: parsed.error.issues });
    }
    const now = this.clock.now();
    const local = this.working && this.active.size < this.config.maxConcurrentRuns;
    const concurrency = rb.runbook.options.concurrency;
    const id = uuidv7();
    const sentAt = Date.now();
    const [result] = await this.store.createRuns([
      {
        id,
        runbookId,
        runbookVersion: rb.version,
        plan: rb.plan,
        input: parsed.data,
        dryRun: opts.dryRun ?? false,
        idempotencyKey: opts.idempotencyKey ?? null,
        concurrencyKey: concurrency ? `${runbookId}:${concurrency.key(parsed.data)}` : null,
        incidentId: opts.incidentId ?? null,
        requestedBy: opts.requestedBy ?? null,
        leaseOwner: local ? this.workerId : null,
        leaseExpiresAt: local ? new Date(now.getTime() + this.config.leaseMs) : null,
        now,
      },
    ]);
    if (result!.created) this.own?.add(id);
    if (result!.created && local) {
      const run = syntheticRun(id, rb, parsed.data, opts, this.workerId, now, this.config.leaseMs);
      this.spawn(run, [], sentAt);
    }
    return { runId: result!.id, created: result!.created };
  }

  /** Resolves with the run once it is in a final state. */
  async result(runId: string, opts: { timeoutMs?: number } = {}): Promise<RunRecord> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      const local = this.active.get(runId);
      if (local) {
        await local.done;
        if (local.executor.final) return local.executor.final;
      }
      const run = await this.store.getRun(runId);
      if (!run) throw new NotFoundError('run', runId);
      if (isTerminalRun(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} is still ${run.status} after the wait`);
      // The run is elsewhere (parked, or on another worker): wait for a local finish or poll.
      await Promise.race([
        this.events.waitFor('run.finished', (e) => e.runId === runId, 250).catch(() => undefined),
        this.events.waitFor('run.claimed', (e) => e.runId === runId, 250).catch(() => undefined),
      ]);
    }
  }

  async cancel(runId: string, opts: { keepMitigations?: boolean } = {}): Promise<RunRecord> {
    const status = await this.store.requestCancel(runId, opts.keepMitigations ?? false, this.clock.now());
    const run = await this.store.getRun(runId);
    if (!run) throw new NotFoundError('run', runId);
    if (status) this.active.get(runId)?.executor.requestCancel();
    return run;
  }

  async setPaused(paused: boolean, by: string | null = null): Promise<void> {
    await this.store.setSetting(KILL_SWITCH, { paused }, by, this.clock.now());
  }

  async isPaused(): Promise<boolean> {
    const v = await this.store.getSetting<{ paused: boolean }>(KILL_SWITCH);
    return v?.paused === true;
  }

  // ---- working ------------------------------------------------------------------------------------

  /**
   * Starts claiming and executing runs in this process. `ownRunsOnly`: only the runs this process
   * starts (or adopts), never another due run of the database (`firebreak run --local`).
   */
  async work(opts: { ownRunsOnly?: boolean } = {}): Promise<void> {
    if (this.working) return;
    // Listening first: a LISTEN that cannot be set up fails the start with nothing left running.
    const unlisten = await this.store.onWake((payload) => this.onWake(payload));
    this.working = true;
    if (opts.ownRunsOnly) this.own = new Set();
    this.unlisten = unlisten;
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.config.pollIntervalMs, () => this.pump());
    every(this.config.heartbeatMs, () => void this.heartbeat());
    every(this.leaseCheckMs, () => this.stopRunsPastLease());
    this.pump();
  }

  /** A run created elsewhere (a drill's run) that an ownRunsOnly engine should execute too. */
  adopt(runId: string): void {
    this.own?.add(runId);
    this.pump();
  }

  /**
   * What a decision made in this process asks of the store (Store.decideApproval): the gate's run
   * leased to this worker, when this engine works and has room for it. Null otherwise, and for an
   * ownRunsOnly engine: those runs wake through NOTIFY and a claim, as every run did before.
   */
  decisionClaim(): DecisionClaim | null {
    if (!this.working || this.own || this.active.size >= this.config.maxConcurrentRuns) return null;
    const sentAt = Date.now();
    return {
      owner: this.workerId,
      leaseMs: this.config.leaseMs,
      // In the decision's transaction: the run's executor starts here, and its first commit (the gate
      // step's end) is written by that transaction (decision-commit.ts).
      firstCommit: async (claimed, approval) => {
        const runId = claimed.run.id;
        if (!this.working) return { transitions: [], failed: () => {} };
        const capture = new DecisionCommit((why, captured) =>
          this.logger.debug('decision commit', { runId, firstCommit: why, transitions: captured }),
        );
        this.decided.set(runId, capture);
        this.active.get(runId)?.executor.leaseLost();
        this.spawn(claimed.run, claimed.steps, sentAt, approval, capture);
        return {
          transitions: await capture.first,
          // Nothing committed: the executor's captured commit fails, and its retry finds the lease gone
          // (or the commit landed after all, when only the answer was lost).
          failed: (err) => {
            if (this.decided.get(runId) === capture) this.decided.delete(runId);
            capture.fail(err);
          },
        };
      },
    };
  }

  /**
   * A run the decision's commit leased to this worker (decisionClaim): executed here as if claimed, with
   * the settled gate handed over so the gate step does not read it again. `leaseSentAt`: when the
   * decision was sent (the lease runs from the database's clock at that moment, or later).
   */
  continueDecided(claimed: ClaimedRun, approval: ApprovalRecord, leaseSentAt: number): void {
    const { run, previousOwner, steps } = claimed;
    const capture = this.decided.get(run.id);
    if (capture) {
      // Spawned inside the decision's transaction, which has committed its first commit: go on.
      this.decided.delete(run.id);
      capture.release();
      this.events.emit('run.claimed', {
        runId: run.id,
        takeover: previousOwner !== null && previousOwner !== this.workerId,
      });
      return;
    }
    if (!this.working) {
      // Stopped while the decision was in flight: give the lease back so another worker goes on at once.
      void bounded(this.store.releaseRuns(this.workerId, this.clock.now()), STOP_STEP_MS);
      return;
    }
    const takeover = previousOwner !== null && previousOwner !== this.workerId;
    this.active.get(run.id)?.executor.leaseLost();
    this.spawn(run, steps, leaseSentAt, approval);
    this.events.emit('run.claimed', { runId: run.id, takeover });
  }

  /** Looks for due runs now (tests with a manual clock call this after moving time). */
  poke(): void {
    this.pump();
  }

  private onWake(payload: string): void {
    if (payload.startsWith('cancel:')) {
      this.active.get(payload.slice('cancel:'.length))?.executor.requestCancel();
    }
    this.pump();
  }

  private pump(): void {
    if (!this.working) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.claimLoop()
      .catch((err) => this.logger.warn('claiming runs failed', { error: (err as Error).message }))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.pump();
        }
      });
  }

  private async claimLoop(): Promise<void> {
    for (;;) {
      const room = this.config.maxConcurrentRuns - this.active.size;
      if (!this.working || room <= 0) return;
      const limit = Math.min(room, this.config.claimBatch);
      const among = this.own ? [...this.own] : undefined;
      if (among?.length === 0) return;
      const sentAt = Date.now();
      const claimed = await this.store.claimRuns(
        this.workerId,
        this.clock.now(),
        this.config.leaseMs,
        limit,
        among,
      );
      for (const { run, previousOwner, steps } of claimed) {
        const takeover = previousOwner !== null && previousOwner !== this.workerId;
        if (takeover) this.logger.info('took over run from expired lease', { runId: run.id, previousOwner });
        this.active.get(run.id)?.executor.leaseLost();
        this.spawn(run, steps, sentAt);
        this.events.emit('run.claimed', { runId: run.id, takeover });
      }
      if (claimed.length < limit) return;
    }
  }

  private spawn(
    run: RunRecord,
    steps: Parameters<typeof this.newExecutor>[1],
    leaseSentAt: number,
    settledApproval?: ApprovalRecord,
    capture?: DecisionCommit,
  ): void {
    const executor = this.newExecutor(run, steps, settledApproval, capture);
    this.leaseUntil.set(run.id, leaseSentAt + this.config.leaseMs);
    const epoch = run.claims;
    this.events.emit('run.executing', {
      runId: run.id,
      runbookId: run.runbookId,
      incidentId: run.incidentId,
      epoch,
    });
    const done = executor
      .execute(stepKinds, saga)
      .catch((err) =>
        this.logger.error('run executor crashed', { runId: run.id, error: (err as Error).stack }),
      )
      .finally(() => {
        // An executor that ended before its first commit lets the decision commit without one.
        capture?.endCapture('ended');
        if (this.active.get(run.id)?.executor === executor) {
          this.active.delete(run.id);
          this.leaseUntil.delete(run.id);
        }
        if (executor.final) this.own?.delete(run.id);
        this.events.emit('run.released', { runId: run.id, epoch });
        // A finished run gave its concurrency slot up, and its final commit made the runs queued for
        // that key due (firebreak_apply_transitions): look for more work at once.
        this.pump();
      });
    this.active.set(run.id, { executor, done });
  }

  private newExecutor(
    run: RunRecord,
    steps: Awaited<ReturnType<Store['getSteps']>>,
    settledApproval?: ApprovalRecord,
    capture?: DecisionCommit,
  ): RunExecutor {
    // Every read of the executor goes through the same store, so a capture sees it (decision-commit.ts).
    const store = capture ? capture.wrap(this.store) : this.store;
    return new RunExecutor(
      run,
      {
        store,
        clock: this.clock,
        lease: { owner: this.workerId, epoch: run.claims },
        runbook: this.registry.get(run.runbookId),
        events: this.events,
        notifier: this.notifier,
        logger: this.logger.child({ runId: run.id, runbook: run.runbookId, incidentId: run.incidentId }),
        config: this.config,
        isPaused: async () => (await store.getSetting<{ paused: boolean }>(KILL_SWITCH))?.paused === true,
        fetch: this.fetch,
        secret: this.secret,
        breakers: this.breakers,
        ssh: this.ssh,
        settledApproval,
      },
      steps,
    );
  }

  /**
   * Renews the leases of the runs executing here. A heartbeat that fails (a database restart, a dropped
   * connection) is tried again soon instead of a beat later, and no run stops for it while its lease
   * still holds: only a lease that ran out here, or that the database says is no longer ours, stops a run.
   */
  private async heartbeat(): Promise<void> {
    this.stopRunsPastLease();
    // A stopped executor writes nothing more: renewing its lease would only delay the next owner.
    const sent = new Map(
      [...this.active].filter(([, a]) => !a.executor.isStopped).map(([id, a]) => [id, a.executor]),
    );
    const ids = [...sent.keys()];
    if (ids.length === 0) return;
    // One heartbeat at a time, unless the one in flight has waited a whole beat (a connection gone
    // silent): then another may try, on another connection, while the leases still hold.
    const now = Date.now();
    if ([...this.heartbeatsInFlight].some((t) => now - t < this.config.heartbeatMs)) return;
    const sentAt = now;
    this.heartbeatsInFlight.add(sentAt);
    try {
      const held = await this.store.heartbeat(this.workerId, ids, this.clock.now(), this.config.leaseMs);
      const byId = new Map(held.map((h) => [h.id, h]));
      for (const [id, executor] of sent) {
        // The answer speaks of the executors that ran when it was sent, not of a later claim's.
        if (this.active.get(id)?.executor !== executor) continue;
        const h = byId.get(id);
        if (!h) executor.leaseLost();
        else {
          this.leaseUntil.set(id, Math.max(this.leaseUntil.get(id) ?? 0, sentAt + this.config.leaseMs));
          if (h.cancelRequested) executor.requestCancel();
        }
      }
    } catch (err) {
      this.logger.warn('heartbeat failed; retrying', { error: (err as Error).message, runs: ids.length });
      this.retryHeartbeatSoon();
    } finally {
      this.heartbeatsInFlight.delete(sentAt);
    }
  }

  private retryHeartbeatSoon(): void {
    if (this.retryHeartbeat || this.timers.length === 0) return;
    this.retryHeartbeat = setTimeout(
      () => {
        this.retryHeartbeat = null;
        void this.heartbeat();
      },
      Math.max(50, Math.floor(this.config.heartbeatMs / 4)),
    );
    this.retryHeartbeat.unref();
  }

  /** How often leases are checked against this process's clock. */
  private get leaseCheckMs(): number {
    return Math.max(25, Math.min(100, Math.floor(this.config.heartbeatMs / 4)));
  }

  /**
   * Once a run's lease runs out another worker may claim it, whether the database refused the
   * heartbeats or never answered them: stop that run a little before, rather than race the next owner.
   * Runs whose leases still hold (just claimed, or renewed by a later heartbeat) go on. The margin covers
   * how often this is checked plus some clock skew between hosts.
   */
  private stopRunsPastLease(): void {
    const margin = this.leaseCheckMs + Math.min(this.config.heartbeatMs / 4, this.config.leaseMs / 20);
    const now = Date.now();
    for (const [id, { executor }] of this.active) {
      if (executor.isStopped) continue;
      const until = this.leaseUntil.get(id);
      if (until !== undefined && now >= until - margin) {
        this.logger.warn('lease ran out without a renewal; stopping the run here', { runId: id });
        executor.leaseLost();
      }
    }
  }

  /**
   * Stops claiming, lets running executors reach their next commit for up to `graceMs`, then releases
   * every lease this worker still holds so another worker continues at once.
   */
  async stop(opts: { graceMs?: number } = {}): Promise<void> {
    if (!this.working) return;
    this.working = false;
    await bounded(this.unlisten?.(), STOP_STEP_MS);
    this.unlisten = null;
    const all = Promise.allSettled([...this.active.values()].map((a) => a.done));
    const grace = new Promise((r) => setTimeout(r, opts.graceMs ?? 5_000).unref());
    // Heartbeats go on through the grace period (claiming does not: pump checks `working`); a grace
    // longer than the lease would otherwise hand running steps to another worker while they finish here.
    await Promise.race([all, grace]);
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.retryHeartbeat) clearTimeout(this.retryHeartbeat);
    this.retryHeartbeat = null;
    for (const { executor } of this.active.values()) executor.leaseLost();
    // With the database unreachable the leases cannot be given back: they run out on their own instead,
    // and stopping does not wait for that.
    await bounded(this.store.releaseRuns(this.workerId, this.clock.now()), STOP_STEP_MS);
  }
}

/** How long stop() waits for one database call (unlisten, releasing leases) before going on without it. */
const STOP_STEP_MS = 2_000;

async function bounded(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => {}),
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]);
  clearTimeout(timer);
}

function syntheticRun(
  id: string,
  rb: NonNullable<ReturnType<RunbookRegistry['get']>>,
  input: unknown,
  opts: StartOptions,
  owner: string,
  now: Date,
  leaseMs: number,
): RunRecord {
  const concurrency = rb.runbook.options.concurrency;
  return {
    id,
    runbookId: rb.id,
    runbookVersion: rb.version,
    plan: rb.plan,
    status: 'running',
    input,
    output: null,
    error: null,
    dryRun: opts.dryRun ?? false,
    idempotencyKey: opts.idempotencyKey ?? null,
    concurrencyKey: concurrency ? `${rb.id}:${concurrency.key(input)}` : null,
    incidentId: opts.incidentId ?? null,
    requestedBy: opts.requestedBy ?? null,
    leaseOwner: owner,
    leaseExpiresAt: new Date(now.getTime() + leaseMs),
    wakeAt: now,
    cancelRequested: false,
    keepMitigations: false,
    claims: 1,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  };
}
