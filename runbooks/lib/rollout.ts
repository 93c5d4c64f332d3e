// A Deployment's rollout as the runbooks reason about it: what runs now, what ran before, how long ago
// it changed; and rolling back or forward to a revision by number (numbers survive a rollback, the
// ReplicaSet of the reverted-from revision stays until the history limit drops it).
import { type EvidenceInput, NonRetryableError } from 'firebreak';
import type { Kubernetes, Revision } from './kubernetes.ts';

export interface RevisionSummary {
  revision: number;
  replicaSet: string;
  createdAt: string;
  images: string[];
}

export interface RolloutState {
  deployment: string;
  current: RevisionSummary;
  previous: RevisionSummary | null;
  /** Minutes since the current revision was created (the deploy). */
  minutesAgo: number;
}

const summary = (r: Revision): RevisionSummary => ({
  revision: r.revision,
  replicaSet: r.replicaSet,
  createdAt: r.createdAt,
  images: r.images,
});

export async function rolloutState(
  k8s: Kubernetes,
  ns: string,
  deployment: string,
  now: Date,
): Promise<{ state: RolloutState; evidence: EvidenceInput }> {
  const history = await k8s.rolloutHistory(ns, deployment);
  const [current, previous] = history;
  if (!current) throw new NonRetryableError(`deployment ${ns}/${deployment} has no ReplicaSets`);
  const state: RolloutState = {
    deployment,
    current: summary(current),
    previous: previous ? summary(previous) : null,
    minutesAgo: Math.round((now.getTime() - Date.parse(current.createdAt)) / 60_000),
  };
  const evidence: EvidenceInput = {
    kind: 'table',
    title: `Rollout history of ${ns}/${deployment}`,
    content: {
      columns: ['revision', 'replicaset', 'created', 'images'],
      rows: history.map((r) => [r.revision, r.replicaSet, r.createdAt, r.images.join(', ')]),
    },
  };
  return { state, evidence };
}

/** Puts revision `to`'s pod template back on the Deployment. */
export async function rollTo(
  k8s: Kubernetes,
  ns: string,
  deployment: string,
  to: number,
  idempotencyKey: string,
): Promise<RevisionSummary> {
  const target = (await k8s.rolloutHistory(ns, deployment)).find((r) => r.revision === to);
  if (!target) {
    throw new NonRetryableError(`revision ${to} of ${ns}/${deployment} is gone (revisionHistoryLimit?)`);
  }
  await k8s.rollBackTo(ns, deployment, target, idempotencyKey);
  return summary(target);
}
