// Who may decide a gate, and what a decision does to it. Pure: the store applies it under a row lock, so
// racing decisions see each other.
import type { ApprovalRecord } from '../../store/records.ts';

export type Surface = 'slack' | 'api' | 'cli' | 'web' | 'timeout';

export interface Decider {
  /** The person (IDENTITIES), else the Slack user id, API token identity or CLI user. */
  identity: string;
  /** Every id the identity goes by (identities.ts); default just `identity`. */
  aliases?: readonly string[];
  via: Surface;
  /** Groups this identity belongs to (APPROVER_GROUPS). */
  groups: readonly string[];
  /** The caller's role: the API token's, or the one IDENTITIES gives a Slack user. */
  role?: string | undefined;
}

export interface DecisionRequest {
  decider: Decider;
  decision: 'approve' | 'reject';
  reason: string | null;
}

interface PolicyRecord {
  approvers?: string[];
  groups?: string[];
  roles?: string[];
  quorum?: number;
  escalatedTo?: string;
}

export type Verdict = { refuse: string } | ApprovalRecord['status'];

/** The requester of a manual run ("api:alice", "cli:bob", "slack:U123") is named by the part after ":". */
export function requesterIdentity(requestedBy: string | null): string | null {
  if (!requestedBy || requestedBy.startsWith('alert:') || requestedBy.startsWith('gameday:')) return null;
  const i = requestedBy.indexOf(':');
  return i < 0 ? requestedBy : requestedBy.slice(i + 1);
}

/**
 * One rule on every surface: a gate that names approvers, groups or roles is decided by them; a gate
 * that names nobody needs the approver role (or admin) — from Slack too, where the role comes from
 * IDENTITIES. An admin may always decide (break glass); it is recorded like any decision.
 */
export function mayDecide(policy: PolicyRecord, d: Decider): boolean {
  const approvers = policy.approvers ?? [];
  const groups = [...(policy.groups ?? []), ...(policy.escalatedTo ? [policy.escalatedTo] : [])];
  const roles = policy.roles ?? [];
  if (d.role === 'admin') return true;
  if (approvers.length === 0 && groups.length === 0 && roles.length === 0) return d.role === 'approver';
  const ids = d.aliases ?? [d.identity];
  return (
    approvers.some((a) => ids.includes(a)) ||
    d.groups.some((g) => groups.includes(g)) ||
    (d.role !== undefined && roles.includes(d.role))
  );
}

/** `canonical` maps any surface id to its identity, so one person counts once (identities.ts). */
export function judge(
  current: ApprovalRecord,
  req: DecisionRequest,
  canonical: (id: string) => string = (id) => id,
): Verdict {
  const policy = current.policy as PolicyRecord;
  const { decider } = req;
  if (!mayDecide(policy, decider)) {
    const open =
      !policy.approvers?.length && !policy.groups?.length && !policy.roles?.length && !policy.escalatedTo;
    return {
      refuse: open
        ? `${decider.identity} does not have the approver role, which a gate naming no approvers needs`
        : `${decider.identity} is not an approver of this gate`,
    };
  }
  if (req.decision === 'reject') {
    if (!req.reason?.trim()) return { refuse: 'a rejection needs a reason' };
    return 'rejected';
  }
  const requester = requesterIdentity(current.requestedBy);
  if (requester !== null && canonical(requester) === canonical(decider.identity)) {
    return { refuse: 'the requester of a manual run cannot approve its own gate (four eyes)' };
  }
  const approvedBy = new Set(
    current.decisions.filter((x) => x.decision === 'approve').map((x) => canonical(x.by)),
  );
  if (approvedBy.has(canonical(decider.identity)))
    return { refuse: `${decider.identity} has already approved; another approver is needed` };
  const quorum = policy.quorum ?? 1;
  return approvedBy.size + 1 >= quorum ? 'approved' : 'pending';
}
