// One decision path for every surface (Slack, API, CLI, web): the same policy, the same race handling,
// the same timeline entries. Exactly one decision settles a gate; later ones are told who won.
//
// The wake-up (issue 14). Given the engine of a process that works runs, a decision that settles a gate
// also leases the gate's run to that engine in the decision's own commit (decide-approval.ts), and the
// engine executes it at once with the settled gate in hand: no NOTIFY, no claim, no re-read of the gate
// between the decision and the run going on. Why this stays exactly-once:
// - the lease is taken in the statement that settles the gate, under the run's row lock, on claim-runs'
//   conditions (active run, lease free or run out) and with the epoch (claims) raised, so it is a claim:
//   any other worker's claim skips the leased run, and a stale executor's commits are fenced by epoch;
// - a run leased elsewhere is not taken: it is woken as before (wake_at moved, NOTIFY), so a decision
//   racing the gate's own park or timeout goes the old, tested way;
// - racing decisions and the timeout still serialise on the gate's row lock: only the decision that
//   settles the gate takes the run, once; a decision that leaves the gate pending (quorum) takes nothing;
// - the gate step's end is the executor's own commit (same rows, same events), captured and written in
//   the decision's transaction (engine/decision-commit.ts): it lands with the decision or not at all. The
//   settled gate handed over is what a read would return, as a settled gate's row never changes again;
// - if the lease is taken but the run cannot start here (the engine stopped meanwhile, the process
//   died), the lease is given back or runs out and any worker takes the run over, as after a crash.

import type { Role } from '../../config/config.ts';
import { Identities } from '../../config/identities.ts';
import type { Clock } from '../../core/clock.ts';
import { ConflictError, NotFoundError } from '../../core/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import type { ApprovalRecord } from '../../store/records.ts';
import type { Store } from '../../store/store.ts';
import { type Decider, type DecisionRequest, judge, type Surface } from './policy.ts';

export type DecisionOutcome =
  | { outcome: 'recorded'; approval: ApprovalRecord }
  | { outcome: 'already_decided'; approval: ApprovalRecord }
  | { outcome: 'refused'; reason: string };

export type DecisionListener = (
  approval: ApprovalRecord,
  req: DecisionRequest,
  outcome: DecisionOutcome['outcome'],
) => void;

/** The engine of a process that works runs, as a decision sees it (Engine.decisionClaim). */
export type DecisionRunner = Pick<Engine, 'decisionClaim' | 'continueDecided'>;

export class Approvals {
  private readonly listeners: DecisionListener[] = [];

  /** `runner`: this process's engine when it works runs; decided runs go on there without a wake-up. */
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly identities: Identities = new Identities(),
    private readonly runner: DecisionRunner | null = null,
  ) {}

  onDecision(fn: DecisionListener): void {
    this.listeners.push(fn);
  }

  groups(identity: string): string[] {
    return this.identities.groups(identity);
  }

  /**
   * The decider behind a surface's id: an API token identity with its role (`role` given), or a Slack
   * user / CLI name whose role comes from IDENTITIES.
   */
  decider(via: Exclude<Surface, 'timeout'>, id: string, role?: Role): Decider {
    const p = role ? this.identities.ofToken(id, role) : this.identities.ofUser(id);
    return { identity: p.identity, aliases: p.aliases, via, groups: this.groups(id), role: p.role };
  }

  get(approvalId: string): Promise<ApprovalRecord | null> {
    return this.store.getApproval(approvalId);
  }

  /** Gates, newest first as the store lists them; `status: 'pending'` for those still to decide. */
  list(filter: { status?: ApprovalRecord['status']; runId?: string } = {}): Promise<ApprovalRecord[]> {
    return this.store.listApprovals(filter);
  }

  async decide(approvalId: string, req: DecisionRequest): Promise<DecisionOutcome> {
    const now = this.clock.now();
    const claim = this.runner?.decisionClaim() ?? undefined;
    const sentAt = Date.now();
    const result = await this.store.decideApproval(
      approvalId,
      {
        by: req.decider.identity,
        via: req.decider.via,
        decision: req.decision,
        reason: req.reason,
        at: now.toISOString(),
      },
      (current) => judge(current, req, (id) => this.identities.canonical(id)),
      now,
      claim,
    );
    if (result.outcome === 'not_found') throw new NotFoundError('approval', approvalId);
    if (result.outcome === 'refused') {
      await this.store.audit(
        approvalId,
        'approval.refused',
        {
          by: req.decider.identity,
          via: req.decider.via,
          decision: req.decision,
          reason: result.reason,
        },
        now,
      );
      return result;
    }
    if (result.outcome !== 'recorded' || !result.claimed) {
      for (const l of this.listeners) l(result.approval, req, result.outcome);
      return result;
    }
    const { claimed, approval } = result;
    try {
      for (const l of this.listeners) l(approval, req, 'recorded');
    } finally {
      // The run is leased to this process now: it goes on here whatever a listener did.
      this.runner!.continueDecided(claimed, approval, sentAt);
    }
    return { outcome: 'recorded', approval };
  }

  /** For surfaces that answer with an error: refused and lost races become a 409 / 403 upstream. */
  static explain(o: DecisionOutcome): string {
    if (o.outcome === 'refused') return o.reason;
    if (o.outcome === 'already_decided') {
      const last = o.approval.decisions.at(-1);
      return `already ${o.approval.status}${last ? ` by ${last.by} via ${last.via} at ${last.at}` : ' (timeout)'}`;
    }
    return `${o.approval.status}`;
  }

  static assertRecorded(o: DecisionOutcome): ApprovalRecord {
    if (o.outcome === 'recorded') return o.approval;
    throw new ConflictError(Approvals.explain(o), { outcome: o.outcome });
  }
}
