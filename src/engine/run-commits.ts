// The commit-retry loop of one run: every transition the executor writes goes through here, with one
// commit id for all of its tries, until it lands or the lease is gone. It also keeps the run as
// committed when a transition ended it, so Engine.result() needs no read.
import type { Clock } from '../core/clock.ts';
import { LeaseLostError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { isTerminalRun } from '../core/status.ts';
import { uuidv7 } from '../core/uuid.ts';
import { isTransientDbError } from '../db/transient.ts';
import type { RunRecord } from '../store/records.ts';
import type { BudgetUse, BudgetVerdict, Lease, RunWrite, Store, Transition } from '../store/store.ts';

/** A transition of this run, before the committer adds the run's ids and a commit id. */
export type RunTransition = Omit<Transition, 'runId' | 'incidentId'>;

/** Thrown into a step or pass that must stop without writing: the lease is gone or the run is stopping. */
export class Interrupted extends Error {}

export interface RunCommitsDeps {
  store: Pick<Store, 'commit' | 'commitBudgeted'>;
  lease: Lease;
  clock: Clock;
  logger: Logger;
  /** The run as this executor knows it (read when a commit ends it). */
  run: () => RunRecord;
  /** True once the lease is lost: nothing more is written. */
  stopped: () => boolean;
  /** Called when the store says another worker owns the run now. */
  leaseLost: () => void;
}

export class RunCommits {
  /** The run as committed when it reached a final state here. */
  final: RunRecord | null = null;

  constructor(private readonly deps: RunCommitsDeps) {}

  /**
   * Commits one transition of this run. A database error is retried until it goes through or the
   * lease is gone (another worker then continues the run, at worst re-running this step).
   * `wait: false` hands it to the next group commit without waiting (a progress marker).
   */
  async commit(t: RunTransition, opts: { wait?: boolean } = {}): Promise<void> {
    const { store, lease, stopped } = this.deps;
    if (stopped()) throw new Interrupted('lease lost');
    const run = this.deps.run();
    // One commit id for every try: a try whose answer was lost after it landed makes the next a no-op.
    const transition: Transition = { runId: run.id, incidentId: run.incidentId, commitId: uuidv7(), ...t };
    if (opts.wait === false) {
      store.commit(lease, transition, { wait: false }).catch((err) => this.onError(err));
      return;
    }
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      try {
        await store.commit(lease, transition);
        this.noteFinal(transition.run);
        return;
      } catch (err) {
        this.onError(err);
        if (stopped()) throw new Interrupted('lease lost');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** The commit of a budgeted apply (Store.commitBudgeted), under this run's lease. */
  commitBudgeted(use: BudgetUse, transition: (v: BudgetVerdict) => Transition): Promise<BudgetVerdict> {
    return this.deps.store.commitBudgeted(this.deps.lease, this.deps.run().id, use, transition);
  }

  private noteFinal(w: RunWrite | undefined): void {
    if (!w?.status || !isTerminalRun(w.status)) return;
    const run = this.deps.run();
    this.final = {
      ...run,
      status: w.status,
      output: w.output === undefined ? run.output : w.output,
      error: w.error === undefined ? run.error : w.error,
      finishedAt: w.finishedAt ?? this.deps.clock.now(),
      leaseOwner: null,
      leaseExpiresAt: null,
      wakeAt: null,
    };
  }

  private onError(err: unknown): void {
    const { logger } = this.deps;
    const runId = this.deps.run().id;
    if (err instanceof LeaseLostError) {
      logger.warn('lease lost; another worker continues this run', { runId });
      this.deps.leaseLost();
      return;
    }
    // A connection-class error is expected around restarts; anything else is a bug worth an error line.
    const level = isTransientDbError(err) ? 'warn' : 'error';
    logger[level]('commit failed; retrying', { runId, error: (err as Error).message });
  }
}
