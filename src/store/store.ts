// The one storage interface of the engine. One implementation (SqlStore) serves PostgreSQL and PGlite;
// test/store/store.contract.ts checks it against both.
import type { SerializedError } from '../core/errors.ts';
import type { RunStatus, StepStatus } from '../core/status.ts';
import type { SqlDriver } from '../db/driver.ts';
import type {
  ApprovalDecision,
  ApprovalRecord,
  EventRecord,
  EvidenceKind,
  EvidenceRecord,
  PlanStep,
  RunRecord,
  StepAttemptRecord,
  StepRecord,
} from './records.ts';

export interface NewRun {
  id: string;
  runbookId: string;
  runbookVersion: string;
  plan: PlanStep[];
  input: unknown;
  dryRun: boolean;
  idempotencyKey: string | null;
  concurrencyKey: string | null;
  incidentId: string | null;
  requestedBy: string | null;
  /** Set when the creating worker runs it at once (no claim round trip); null queues it for any worker. */
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  now: Date;
}

export interface CreateRunResult {
  id: string;
  /** False when the idempotency key named an existing run, whose id is returned. */
  created: boolean;
}

export interface StepWrite {
  stepKey: string;
  kind: string;
  status: StepStatus;
  attempt: number;
  output?: unknown;
  error?: SerializedError | null;
  state?: Record<string, unknown> | null;
  /** Marks the mitigation applied now: it gets the next number in the global apply order. */
  applied?: boolean;
  idempotencyKey: string;
  startedAt?: Date | null;
  finishedAt?: Date | null;
}

export interface AttemptWrite {
  stepKey: string;
  attempt: number;
  phase: string;
  status: 'succeeded' | 'failed';
  error?: SerializedError | null;
  startedAt: Date | null;
  finishedAt: Date;
}

export interface EventWrite {
  type: string;
  stepKey?: string | null;
  data?: unknown;
  at: Date;
}

export interface EvidenceWrite {
  id: string;
  stepKey: string | null;
  attempt: number | null;
  kind: EvidenceKind;
  title: string;
  content: unknown;
  contentHash: string;
  createdAt: Date;
}

export interface ApprovalWrite {
  id: string;
  stepKey: string;
  policy: Record<string, unknown>;
  requestedBy: string | null;
  requestedAt: Date;
  expiresAt: Date | null;
}

export interface RunWrite {
  status?: RunStatus;
  output?: unknown;
  error?: SerializedError | null;
  /** undefined leaves wake_at alone; null parks the run until an external event. */
  wakeAt?: Date | null;
  /** Set wakeAt only if wake_at is still this (what the executor last saw); else keep the newer value. */
  expectWakeAt?: Date | null;
  releaseLease?: boolean;
  runbookVersion?: string;
  finishedAt?: Date;
}

/** Everything one run commits at one point, atomically (and batched with other runs' transitions). */
export interface Transition {
  runId: string;
  /**
   * Names this transition across retries: a commit sent again after its answer was lost (the first
   * attempt may have landed) applies nothing twice. The store makes one up when it is missing; a caller
   * that retries must set it once and keep it.
   */
  commitId?: string;
  incidentId: string | null;
  steps?: StepWrite[];
  attempts?: AttemptWrite[];
  events?: EventWrite[];
  evidence?: EvidenceWrite[];
  approvals?: ApprovalWrite[];
  run?: RunWrite;
}

/** Who may write a run: the worker holding its lease, at the claim that gave it (fencing epoch). */
export interface Lease {
  owner: string;
  epoch: number;
}

export interface ClaimedRun {
  run: RunRecord;
  /** The worker whose lease had expired, when this claim is a takeover. */
  previousOwner: string | null;
  /** The run's checkpoints, read in the same round trip for every run of the claim. */
  steps: StepRecord[];
}

export interface RunFilter {
  status?: RunStatus;
  runbookId?: string;
  incidentId?: string;
  limit?: number;
}

export type DecideResult =
  | {
      outcome: 'recorded';
      approval: ApprovalRecord;
      /** The run, leased to the decider in the decision's commit (see DecisionClaim); else absent. */
      claimed?: ClaimedRun;
    }
  | { outcome: 'already_decided'; approval: ApprovalRecord }
  | { outcome: 'not_found' };

/**
 * A decider that works runs asks for the gate's run: if the decision settles the gate and the run's lease
 * is free (or ran out), the run is leased to `owner` for `leaseMs` in the same commit, as a claim would.
 */
export interface DecisionClaim {
  owner: string;
  leaseMs: number;
  /**
   * Called inside the decision's transaction once the run is leased to `owner`, with the run as claimed:
   * the transitions the decider's engine commits first for it (the gate step's end), which the store
   * writes in the same transaction, so they land with the decision or not at all. Leave it out to only
   * take the lease.
   */
  firstCommit?: (claimed: ClaimedRun, approval: ApprovalRecord) => Promise<FirstCommit>;
}

/** A transition named for its retries (Transition.commitId set once, kept on every try). */
export type CommittedTransition = Transition & { commitId: string };

/** What a decider's engine hands the decision's transaction to write (DecisionClaim.firstCommit). */
export interface FirstCommit {
  transitions: CommittedTransition[];
  /** Called when the decision's transaction failed (nothing of it committed, or its answer was lost). */
  failed(err: unknown): void;
}

/** One apply counted against a mitigation budget (see Store.commitBudgeted). */
export interface BudgetUse {
  key: string;
  runbookId: string;
  mitigation: string;
  scope: string | null;
  stepKey: string;
  max: number;
  perMs: number;
  now: Date;
  /** An approved gate that lets this apply through over the budget (it then counts too); else null. */
  overrideApprovalId: string | null;
}

export interface BudgetVerdict {
  admitted: boolean;
  /** This run's step had counted before (a retried apply): admitted without counting again. */
  already: boolean;
  /** Uses in the window, this one included when admitted. */
  used: number;
  /** The oldest use in the window, null when there is none. */
  oldestAt: Date | null;
}

export interface Store {
  createRuns(runs: NewRun[]): Promise<CreateRunResult[]>;
  /**
   * Commits a transition while `lease` still holds the run (else rejects with LeaseLostError). `wait: false` only queues it into the next
   * group commit (progress markers); the returned promise still settles when it is written.
   */
  commit(lease: Lease, transition: Transition, opts?: { wait?: boolean }): Promise<void>;
  /** Due runs, oldest due first; `among`: only these runs (a CLI executes the runs it started, no others). */
  claimRuns(
    owner: string,
    now: Date,
    leaseMs: number,
    limit: number,
    among?: readonly string[],
  ): Promise<ClaimedRun[]>;
  /**
   * Counts one apply against a mitigation budget and commits `transition(verdict)` in the same
   * transaction, under a lock on the budget key, so racing runs on any replica never overspend. Refused
   * (no room and no override): nothing is written. Rejects with LeaseLostError when `lease` no longer
   * holds the run. The transition must keep its commitId across calls (see Transition.commitId).
   */
  commitBudgeted(
    lease: Lease,
    runId: string,
    use: BudgetUse,
    transition: (verdict: BudgetVerdict) => Transition,
  ): Promise<BudgetVerdict>;
  heartbeat(
    owner: string,
    runIds: readonly string[],
    now: Date,
    leaseMs: number,
  ): Promise<{ id: string; cancelRequested: boolean }[]>;
  releaseRuns(owner: string, now: Date): Promise<string[]>;
  requestCancel(runId: string, keepMitigations: boolean, now: Date): Promise<RunStatus | null>;
  acquireSlot(key: string, limit: number, runId: string): Promise<boolean>;
  /** Queues a failed or compensated run again from its first failed step; returns its status before. */
  retryRun(runId: string, now: Date): Promise<{ previous: RunStatus | null; retried: boolean }>;
  /**
   * Makes the runs queued for a slot of `key` due now. The commit that ends a run does this itself for
   * the slot it gives up (firebreak_apply_transitions); this is the same wake on its own.
   */
  wakeSlotWaiters(key: string, now: Date): Promise<void>;

  getRun(id: string): Promise<RunRecord | null>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  getSteps(runId: string): Promise<StepRecord[]>;
  getAttempts(runId: string): Promise<StepAttemptRecord[]>;
  listEvents(filter: {
    runId?: string;
    incidentId?: string;
    afterSeq?: number;
    limit?: number;
  }): Promise<EventRecord[]>;
  listEvidence(filter: { runId?: string; incidentId?: string }): Promise<EvidenceRecord[]>;
  /** The titles of one step's evidence, oldest first (no content read). */
  evidenceTitles(runId: string, stepKey: string): Promise<string[]>;

  getApproval(id: string): Promise<ApprovalRecord | null>;
  listApprovals(filter?: { status?: ApprovalRecord['status']; runId?: string }): Promise<ApprovalRecord[]>;
  /**
   * Adds one decision under the gate's policy, atomically: `decide` sees the current record and says
   * what the status becomes. The run is made due when the gate is settled, and leased to `claim.owner`
   * when asked and its lease is free (then `claimed`); otherwise the workers are woken.
   */
  decideApproval(
    id: string,
    decision: ApprovalDecision,
    decide: (current: ApprovalRecord) => ApprovalRecord['status'] | { refuse: string },
    now: Date,
    claim?: DecisionClaim,
  ): Promise<DecideResult | { outcome: 'refused'; reason: string }>;
  /** Writes an audit entry about a gate (for example a refused decision) on its run's timeline. */
  audit(approvalId: string, type: string, data: Record<string, unknown>, now: Date): Promise<void>;
  /** Gives a pending gate a new deadline after escalating it; false when it was settled meanwhile. */
  extendApproval(id: string, expiresAt: Date, escalatedTo: string): Promise<boolean>;
  /** Settles a pending gate because its timeout passed; false when a decision won the race. */
  expireApproval(id: string, status: 'expired' | 'approved', now: Date): Promise<boolean>;

  getSetting<T>(key: string): Promise<T | null>;
  setSetting(key: string, value: unknown, by: string | null, now: Date): Promise<void>;

  /**
   * Wake-ups: called with the payload of each notification ('run', 'slot', 'cancel:<id>', 'approval'),
   * and with 'restored' when listening resumes after a lost connection (notifications may have been missed).
   */
  onWake(listener: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * The database under the store, for the store-layer modules built beside it (src/store: incidents,
   * outboxes, retention, health) and for how wake-ups arrive (`driver.wakeups`). Nothing above src/store
   * runs SQL on it.
   */
  readonly driver: SqlDriver;
  close(): Promise<void>;
}
