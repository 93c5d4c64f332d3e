// Approval decisions. The gate row is locked while the policy decides, so racing clicks serialise.
export const lockApprovalSql = 'SELECT * FROM approvals WHERE id = $1 FOR UPDATE';

// Appends the decision; when the gate is settled, the run becomes due now and a worker is woken. Moving
// wake_at also defeats a park that raced this decision (parking compares wake_at, see apply-transitions):
// so it must really move, also when it already held this very instant (a decision in the millisecond the
// run was created, on a manual clock always), else the park erased the decision and the run waited for
// good. $1 id, $2 decision json, $3 new status, $4 decided_at, $5 reason, $6 now.
export const decideApprovalSql = `
WITH a AS (
  UPDATE approvals SET decisions = decisions || jsonb_build_array($2::text::jsonb), status = $3, decided_at = $4,
    reason = COALESCE($5, reason)
  WHERE id = $1
  RETURNING *
),
r AS (
  UPDATE runs SET wake_at = CASE WHEN wake_at = $6 THEN $6 - interval '1 millisecond' ELSE $6 END,
    updated_at = $6
  WHERE id = (SELECT run_id FROM a WHERE status <> 'pending')
    AND status IN ('queued', 'running', 'waiting', 'compensating')
  RETURNING id
),
n AS (SELECT pg_notify('firebreak_wake', 'approval') FROM r),
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
SELECT a.*, (SELECT count(*) FROM n) + (SELECT count(*) FROM ev) AS written FROM a
`;

/** An audit entry about a gate (a refused decision), on the run's and incident's timeline. */
export const approvalAuditSql = `
INSERT INTO events (run_id, incident_id, step_key, type, data, at)
SELECT a.run_id, r.incident_id, a.step_key, $2, $3::text::jsonb || jsonb_build_object('approvalId', a.id), $4
FROM approvals a JOIN runs r ON r.id = a.run_id
WHERE a.id = $1
`;

// The timeout fired: settle the gate only if no decision got there first. $1 id, $2 status, $3 now.
export const expireApprovalSql = `
UPDATE approvals SET status = $2, decided_at = $3
WHERE id = $1 AND status = 'pending'
RETURNING id
`;
