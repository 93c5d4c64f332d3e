// Mitigation budgets: the statements of the one transaction that checks a budget key, counts the apply
// and commits the step's transition (SqlStore.commitBudgeted). The advisory lock on the key makes
// racing runs on any replica take turns between the count and the insert, so none overspends.

/** The advisory-lock class of budget keys (two-key form), apart from any other advisory lock. */
const BUDGET_LOCK_CLASS = 1_178_752_324;

// The run's lease must still hold (fencing): a stale executor counts nothing.
// $1 run id, $2 owner, $3 epoch.
export const lockLeasedRunSql = `
SELECT id FROM runs WHERE id = $1 AND lease_owner = $2 AND claims = $3 FOR UPDATE`;

// Held until the transaction ends. hashtext collisions only make two keys take turns.
// $1 key.
export const lockBudgetKeySql = `
SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(${BUDGET_LOCK_CLASS}, hashtext($1))) l`;

// Uses in the window (at > $2), the oldest of them, and whether this run's step counted already.
// $1 key, $2 window start, $3 run id, $4 step key.
export const budgetWindowSql = `
SELECT count(*)::int AS used, min(at) AS oldest,
  EXISTS (SELECT 1 FROM mitigation_budget_uses WHERE run_id = $3 AND step_key = $4) AS counted
FROM mitigation_budget_uses WHERE key = $1 AND at > $2`;

// $1 run id, $2 step key, $3 key, $4 runbook id, $5 mitigation, $6 scope, $7 at, $8 approval id.
export const insertBudgetUseSql = `
INSERT INTO mitigation_budget_uses (run_id, step_key, key, runbook_id, mitigation, scope, at, approval_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (run_id, step_key) DO NOTHING`;

// The fullest scope of one budget in its window, for /metrics (scopes are not labels: unbounded).
// $1 runbook id, $2 mitigation, $3 window start.
export const budgetPeakSql = `
SELECT COALESCE(max(n), 0)::int AS used FROM (
  SELECT count(*) AS n FROM mitigation_budget_uses
  WHERE runbook_id = $1 AND mitigation = $2 AND at > $3 GROUP BY key) k`;
