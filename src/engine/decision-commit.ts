// The gate step's end, written in the decision's own commit (issue 14: approval wake-up).
//
// A decision made in a process that works runs leases the gate's run to that process in the decision's
// transaction (decide-approval.ts). Inside that transaction, before it commits, the engine spawns the
// run's executor with this capture in front of its store: the executor resolves the gate from the
// settled approval it was handed (no read) and commits the gate step's end (step row, `approval.*`
// and `step.*` journal lines, and the run's end when the gate was its last step). That first awaited
// commit, with any progress markers before it, is not sent: it is handed to the decision's transaction
// and written there, under the lease the same transaction took. The executor's commit then returns when
// the decision has committed (release) and fails when it did not (fail): its retry finds the commit
// landed (same commit id) or the lease gone, exactly as after any lost answer. So one durable commit
// settles the gate, leases the run and ends the gate step, and the next step starts right after it.
//
// Why exactly-once holds: the transitions are the executor's own, fenced by the same lease and epoch and
// applied by the same function as the group commit, inside a transaction that holds the gate's and the
// run's row locks; they land with the decision or not at all. Anything other than a commit that the
// executor asks of the store first (a read, a budget, a slot) ends the capture before it is run, and so
// does a capture that waited CAPTURE_MAX_MS: the decision commits with what was captured (maybe nothing)
// and the executor goes on through the store as always, its writes queued behind the decision's locks.
import type { CommittedTransition, Lease, Store, Transition } from '../store/store.ts';

/** How long a decision's transaction waits for the executor's first commit before committing without it. */
export const CAPTURE_MAX_MS = 250;
/** How long the executor waits for the decision's outcome before it finds out through a retry. */
const HELD_MAX_MS = 10_000;

type Phase = 'capturing' | 'held' | 'released' | 'failed';

/** Why the capture ended: the first commit came, the executor asked the store something else, it ended, or time ran out. */
export type CaptureEnd = 'commit' | 'store call' | 'ended' | 'timeout';

export class DecisionCommit {
  private phase: Phase = 'capturing';
  private readonly captured: CommittedTransition[] = [];
  private resolveFirst!: (t: CommittedTransition[]) => void;
  /** The transitions to write in the decision's transaction, once the executor reached its first commit. */
  readonly first = new Promise<CommittedTransition[]>((r) => {
    this.resolveFirst = r;
  });
  private outcome!: { resolve: () => void; reject: (err: unknown) => void };
  /** Settles when the decision's transaction has committed (release) or failed (fail). */
  private readonly decided = new Promise<void>((resolve, reject) => {
    this.outcome = { resolve, reject };
  });
  private readonly timer: NodeJS.Timeout;
  private heldTimer: NodeJS.Timeout | null = null;

  /** `ended`: told once why the capture ended (the engine logs it). */
  constructor(
    private readonly ended: (why: CaptureEnd, captured: number) => void = () => {},
    maxMs = CAPTURE_MAX_MS,
  ) {
    // The executor's commit waits on `decided`; a failed decision must not be an unhandled rejection.
    this.decided.catch(() => undefined);
    this.timer = setTimeout(() => this.endCapture('timeout'), maxMs);
    this.timer.unref?.();
  }

  /** The store the run's executor is given: its first commit is captured, everything else goes through. */
  wrap(store: Store): Store {
    return new Proxy(store, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (prop === 'commit') {
          return (lease: Lease, t: Transition, opts?: { wait?: boolean }) =>
            this.commit(target, lease, t, opts);
        }
        return async (...args: unknown[]) => {
          // Run only after the decision committed: it may need the rows the decision holds locked.
          this.endCapture('store call');
          await this.settled();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  /** The decision committed: the captured commits landed with it. */
  release(): void {
    this.endCapture('ended');
    if (this.heldTimer) clearTimeout(this.heldTimer);
    if (this.phase === 'failed') return;
    this.phase = 'released';
    this.outcome.resolve();
  }

  /** The decision did not commit: neither did the captured commits (their retries find the lease gone). */
  fail(err: unknown): void {
    this.endCapture('ended');
    if (this.heldTimer) clearTimeout(this.heldTimer);
    if (this.phase === 'released') return;
    this.phase = 'failed';
    this.outcome.reject(err);
  }

  /** No more capturing: the executor ended, or did something other than commit first, or took too long. */
  endCapture(why: CaptureEnd): void {
    if (this.phase !== 'capturing') return;
    this.phase = 'held';
    clearTimeout(this.timer);
    this.resolveFirst([...this.captured]);
    this.ended(why, this.captured.length);
    // A decision whose outcome never reaches here (a bug, a caller that dropped it) must not hold the
    // run for good: after HELD_MAX_MS the executor's commit is retried through the store, which finds it
    // landed (same commit id) or the lease gone.
    this.heldTimer = setTimeout(
      () => this.fail(new Error('the decision did not report its outcome')),
      HELD_MAX_MS,
    );
    this.heldTimer.unref?.();
  }

  private async commit(store: Store, lease: Lease, t: Transition, opts?: { wait?: boolean }): Promise<void> {
    if (this.phase === 'capturing') {
      this.captured.push(t as CommittedTransition);
      if (opts?.wait === false) return;
      this.endCapture('commit');
      await this.decided;
      return;
    }
    await this.settled();
    return store.commit(lease, t, opts);
  }

  /** Waits for the decision's outcome without failing on it (a failed decision fences what follows). */
  private settled(): Promise<void> {
    return this.decided.catch(() => undefined);
  }
}
