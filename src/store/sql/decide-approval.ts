import type { Queryable, Row } from '../../db/driver.ts';
import { WAKE_CHANNEL } from '../../db/wake-channel.ts';

// Approval decisions. The gate row is locked while the policy decides, so racing clicks serialise.
const LOCK_APPROVAL = 'SELECT * FROM approvals WHERE id = $1 FOR UPDATE';

/** The gate's row (rows.ts reads it), locked until the transaction ends; undefined if there is none. */
export async function lockApproval(tx: Queryable, p: { id: string }): Promise<Row | undefined> {
  const [row] = await tx.query(LOCK_APPROVAL, [p.id]);
  return row;
}

// Appends the decision; when the gate is settled, the run becomes due now. Moving wake_at also defeats a
// park that raced this decision (parking compares wake_at, see apply-transitions): so it must really move,
// also when it already held this very instant (a decision in the millisecond the run was created, on a
// manual clock always), else the park erased the decision and the run waited for good.
//
// The wake-up. $7 (owner, null for none) and $8 (lease expiry): the deciding process works runs and
// asks to continue the run itself. Under the run's row lock, with the conditions claim-runs.ts claims
// by (an active run whose lease is free or ran out; wake_at is now, so it is due), the run is leased
// to $7 with its epoch (claims) raised, exactly as a claim would, and no worker is woken: the decider
// spawns the run from the returned row, without NOTIFY and a second claim. A run leased elsewhere (an
// executor between asking and parking, another branch still running) is not taken: it gets today's
// NOTIFY, and its executor sees the moved wake_at. `taken` says which happened.
const DECIDE_APPROVAL = `
WITH a AS (
  UPDATE approvals SET decisions = decisions || jsonb_build_array($2::text::jsonb), status = $3, decided_at = $4,
    reason = COALESCE($5, reason)
  WHERE id = $1
  RETURNING *
),
k AS (
  SELECT id, lease_owner AS prev_owner,
    ($7::text IS NOT NULL AND (lease_expires_at IS NULL OR lease_expires_at < $6)) AS take
  FROM runs
  WHERE id = (SELECT run_id FROM a WHERE status <> 'pending')
    AND status IN ('queued', 'running', 'waiting', 'compensating')
  FOR UPDATE
),
r AS (
  UPDATE runs r SET wake_at = CASE WHEN r.wake_at = $6 THEN $6 - interval '1 millisecond' ELSE $6 END,
    updated_at = $6,
    lease_owner = CASE WHEN k.take THEN $7 ELSE r.lease_owner END,
    lease_expires_at = CASE WHEN k.take THEN $8 ELSE r.lease_expires_at END,
    claims = CASE WHEN k.take THEN r.claims + 1 ELSE r.claims END,
    status = CASE WHEN k.take AND r.status IN ('queued', 'waiting') THEN 'running' ELSE r.status END
  FROM k WHERE r.id = k.id
  RETURNING r.*, k.prev_owner, k.take
),
n AS (SELECT pg_notify('${WAKE_CHANNEL}', 'approval') FROM r WHERE NOT r.take),
-- Every decision is on the timeline with who, through what, when, and how long the gate had waited.
ev AS (
  INSERT INTO events (run_id, incident_id, step_key, type, data, at)
  SELECT a.run_id, (SELECT incident_id FROM runs WHERE id = a.run_id), a.step_key, 'approval.decision',
    $2::text::jsonb || jsonb_build_object('approvalId', a.id, 'status', a.status,
      'waitMs', floor(extract(epoch FROM ($6::timestamptz - a.requested_at)) * 1000)),
    $6
  FROM a
  RETURNING 1
)
SELECT a.*, (SELECT count(*) FROM n) + (SELECT count(*) FROM ev) AS written,
  (SELECT to_jsonb(r) FROM r WHERE r.take) AS taken_run,
  -- The taken run's checkpoints, in the order claim-runs.ts reads a run's steps (no second round trip).
  (SELECT COALESCE(jsonb_agg(to_jsonb(s) ORDER BY s.started_at NULLS LAST, s.step_key), '[]'::jsonb)
     FROM steps s WHERE s.run_id = (SELECT r.id FROM r WHERE r.take)) AS taken_steps
FROM a
`;

/**
 * The gate's row after the decision, with `taken_run`: the run's row (as JSON) when it was leased to
 * `claim.owner` in this statement, else null, and `taken_steps`: that run's step rows (JSON; empty when
 * none was taken). `decision`: the decision as JSON text (redacted).
 */
export async function decideApproval(
  tx: Queryable,
  p: {
    id: string;
    decision: string;
    status: string;
    decidedAt: Date | null;
    reason: string | null;
    now: Date;
    claim?: { owner: string; leaseExpiresAt: Date } | undefined;
  },
): Promise<Row | undefined> {
  const [row] = await tx.query(DECIDE_APPROVAL, [
    p.id,
    p.decision,
    p.status,
    p.decidedAt,
    p.reason,
    p.now,
    p.claim?.owner ?? null,
    p.claim?.leaseExpiresAt ?? null,
  ]);
  return row;
}

/** An audit entry about a gate (a refused decision), on the run's and incident's timeline. */
const APPROVAL_AUDIT = `
INSERT INTO events (run_id, incident_id, step_key, type, data, at)
SELECT a.run_id, r.incident_id, a.step_key, $2, $3::text::jsonb || jsonb_build_object('approvalId', a.id), $4
FROM approvals a JOIN runs r ON r.id = a.run_id
WHERE a.id = $1
`;

/** `data`: JSON text (redacted). */
export async function approvalAudit(
  db: Queryable,
  p: { approvalId: string; type: string; data: string; now: Date },
): Promise<void> {
  await db.query(APPROVAL_AUDIT, [p.approvalId, p.type, p.data, p.now]);
}

// The timeout fired: settle the gate only if no decision got there first.
const EXPIRE_APPROVAL = `
UPDATE approvals SET status = $2, decided_at = $3
WHERE id = $1 AND status = 'pending'
RETURNING id
`;

/** Whether the gate was still pending (and is settled now). */
export async function expireApproval(
  db: Queryable,
  p: { id: string; status: 'expired' | 'approved'; now: Date },
): Promise<boolean> {
  return (await db.query(EXPIRE_APPROVAL, [p.id, p.status, p.now])).length > 0;
}

// An escalation: the pending gate waits longer, and its policy says to whom it went.
const EXTEND_APPROVAL = `update approvals set expires_at = $2, policy = policy || jsonb_build_object('escalatedTo', $3::text)
       where id = $1 and status = 'pending' returning id`;

/** Whether the gate was still pending (and now waits until `expiresAt`). */
export async function extendApproval(
  db: Queryable,
  p: { id: string; expiresAt: Date; escalatedTo: string },
): Promise<boolean> {
  return (await db.query(EXTEND_APPROVAL, [p.id, p.expiresAt, p.escalatedTo])).length > 0;
}
