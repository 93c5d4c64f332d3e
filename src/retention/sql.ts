// The statements of retention. The run and incident work is done by the functions of drizzle/0018
// (firebreak_prune_runs, _audit, _incidents), which delete in keyed batches and may delete journal lines.

/** $1 cutoff, $2 batch, $3 now. */
export const pruneRunsSql = 'SELECT * FROM firebreak_prune_runs($1, $2, $3)';

/** $1 audit cutoff, $2 batch. */
export const pruneAuditSql = 'SELECT * FROM firebreak_prune_audit($1, $2)';

/** $1 cutoff, $2 audit cutoff, $3 batch. */
export const pruneIncidentsSql = 'SELECT * FROM firebreak_prune_incidents($1, $2, $3)';

/** Dead letters received before $1, or replayed before $2; at most $3. */
export const pruneDeadLettersSql = `
DELETE FROM dead_letters WHERE id = ANY(ARRAY(
  SELECT id FROM dead_letters WHERE received_at < $1
  UNION
  SELECT id FROM dead_letters WHERE replayed_at < $2
  LIMIT $3))
RETURNING 1`;

/** Slack messages sent (or given up) and queued before $1; at most $2. */
export const pruneOutboxSql = `
DELETE FROM slack_outbox WHERE id = ANY(ARRAY(
  SELECT id FROM slack_outbox WHERE status <> 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2))
RETURNING 1`;

/** PagerDuty and Grafana write-back calls sent (or given up) and queued before $1; at most $2. */
export const pruneWritebackSql = `
DELETE FROM writeback_outbox WHERE id = ANY(ARRAY(
  SELECT id FROM writeback_outbox WHERE status <> 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2))
RETURNING 1`;

/** Commit ids older than $1 (a retry never comes that late); at most $2. */
export const pruneCommitsSql = `
DELETE FROM firebreak_commits WHERE id = ANY(ARRAY(
  SELECT id FROM firebreak_commits WHERE committed_at < $1 ORDER BY committed_at LIMIT $2))
RETURNING 1`;

/**
 * Mitigation budget uses from before $1 (the audit cutoff: a use is the audit of an apply, and no budget
 * window is that long); at most $2.
 */
export const pruneBudgetUsesSql = `
DELETE FROM mitigation_budget_uses WHERE (run_id, step_key) IN (
  SELECT run_id, step_key FROM mitigation_budget_uses WHERE at < $1 ORDER BY at LIMIT $2)
RETURNING 1`;

/**
 * One pruner at a time across replicas: a lease in `settings`. Taken when free (or ours), and only if
 * no pass finished in the last $4 ms. $1 owner, $2 now, $3 lease until.
 */
export const claimPrunerSql = `
INSERT INTO settings AS s (key, value, updated_at, updated_by)
VALUES ('pruner', jsonb_build_object('owner', $1::text, 'until', $3::timestamptz), $2, $1)
ON CONFLICT (key) DO UPDATE SET
  value = s.value || jsonb_build_object('owner', $1::text, 'until', $3::timestamptz),
  updated_at = $2, updated_by = $1
WHERE ((s.value->>'until')::timestamptz < $2 OR s.value->>'owner' = $1)
  AND (s.value->>'lastPassAt' IS NULL OR (s.value->>'lastPassAt')::timestamptz < $2::timestamptz - ($4::text || ' milliseconds')::interval)
RETURNING key`;

/** The pass is over: free the lease and note when, so the other replicas skip this interval. */
export const releasePrunerSql = `
UPDATE settings SET value = value || jsonb_build_object('until', $2::timestamptz, 'lastPassAt', $2::timestamptz),
  updated_at = $2
WHERE key = 'pruner' AND value->>'owner' = $1`;
