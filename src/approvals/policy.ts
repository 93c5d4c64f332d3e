// Who may decide a gate, and what a decision does to it. Pure: the store applies it under a row lock, so
// racing decisions see each other.
import type { ApprovalRecord } from '../store/records.ts';

export type Surface = 'slack' | 'api' | 'cli' | 'web' | 'timeout';

export interface Decider {
  /** Slack user id, API token identity, or CLI user. */
  identity: string;
  via: Surface;
  /** Groups this identity belongs to (APPROVER_GROUPS). */
  groups: readonly string[];
  /** API role of the caller, when the decision comes through the API. */
  role?: string;
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

export function mayDecide(policy: PolicyRecord, d: Decider): boolean {
  const approvers = policy.approvers ?? [];
  const groups = [...(policy.groups ?? []), ...(policy.escalatedTo ? [policy.escalatedTo] : [])];
  const roles = policy.roles ?? [];
  // Break glass: an admin token may always decide; it is recorded like any decision.
  if (d.role === 'admin') return true;
  if (approvers.length === 0 && groups.length === 0 && roles.length === 0) return true;
  return (
    approvers.includes(d.identity) ||
    d.groups.some((g) => groups.includes(g)) ||
    (d.role !== undefined && roles.includes(d.role))
  );
}

export function judge(current: ApprovalRecord, req: DecisionRequest): Verdict {
  const policy = current.policy as PolicyRecord;
  const { decider } = req;
  if (!mayDecide(policy, decider)) return { refuse: `${decider.identity} is not an approver of this gate` };
  if (req.decision === 'reject') {
    if (!req.reason?.trim()) return { refuse: 'a rejection needs a reason' };
    return 'rejected';
  }
  if (requesterIdentity(current.requestedBy) === decider.identity) {
    return { refuse: 'the requester of a manual run cannot approve its own gate (four eyes)' };
  }
  const approvedBy = new Set(current.decisions.filter((x) => x.decision === 'approve').map((x) => x.by));
  if (approvedBy.has(decider.identity))
    return { refuse: `${decider.identity} has already approved; another approver is needed` };
  const quorum = policy.quorum ?? 1;
  return approvedBy.size + 1 >= quorum ? 'approved' : 'pending';
}
