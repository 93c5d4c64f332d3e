// One decision path for every surface (Slack, API, CLI, web): the same policy, the same race handling,
// the same timeline entries. Exactly one decision settles a gate; later ones are told who won.

import type { Role } from '../../config/config.ts';
import { Identities } from '../../config/identities.ts';
import type { Clock } from '../../core/clock.ts';
import { ConflictError, NotFoundError } from '../../core/errors.ts';
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

export class Approvals {
  private readonly listeners: DecisionListener[] = [];

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly identities: Identities = new Identities(),
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
    for (const l of this.listeners) l(result.approval, req, result.outcome);
    return result;
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
