// Mitigation budgets: the statements of the one transaction that checks a budget key, counts the apply
// and commits the step's transition (SqlStore.commitBudgeted). The advisory lock on the key makes
// racing runs on any replica take turns between the count and the insert, so none overspends.
import type { Queryable } from '../../db/driver.ts';

/** The advisory-lock class of budget keys (two-key form), apart from any other advisory lock. */
const BUDGET_LOCK_CLASS = 1_178_752_324;

// The run's lease must still hold (fencing): a stale executor counts nothing.
const LOCK_LEASED_RUN = `
SELECT id FROM runs WHERE id = $1 AND lease_owner = $2 AND claims = $3 FOR UPDATE`;

/** Whether the run is still leased to `owner` at `epoch` (its row is then locked). */
export async function lockLeasedRun(
  tx: Queryable,
  p: { runId: string; owner: string; epoch: number },
): Promise<boolean> {
  return (await tx.query(LOCK_LEASED_RUN, [p.runId, p.owner, p.epoch])).length > 0;
}

// Held until the transaction ends. hashtext collisions only make two keys take turns.
const LOCK_BUDGET_KEY = `
SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(${BUDGET_LOCK_CLASS}, hashtext($1))) l`;

export async function lockBudgetKey(tx: Queryable, p: { key: string }): Promise<void> {
  await tx.query(LOCK_BUDGET_KEY, [p.key]);
}

// Uses in the window (at > $2), the oldest of them, and whether this run's step counted already.
const BUDGET_WINDOW = `
SELECT count(*)::int AS used, min(at) AS oldest,
  EXISTS (SELECT 1 FROM mitigation_budget_uses WHERE run_id = $3 AND step_key = $4) AS counted
FROM mitigation_budget_uses WHERE key = $1 AND at > $2`;

export async function budgetWindow(
  tx: Queryable,
  p: { key: string; windowStart: Date; runId: string; stepKey: string },
): Promise<{ used: number; oldestAt: Date | null; counted: boolean }> {
  const [w] = await tx.query(BUDGET_WINDOW, [p.key, p.windowStart, p.runId, p.stepKey]);
  return {
    used: Number(w?.used ?? 0),
    oldestAt: w?.oldest == null ? null : new Date(w.oldest as string | Date),
    counted: Boolean(w?.counted),
  };
}

// $1 run id, $2 step key, $3 key, $4 runbook id, $5 mitigation, $6 scope, $7 at, $8 approval id.
// (Exported as text for src/testing/budgets.ts, which records uses the same way.)
const insertBudgetUseSql = `
INSERT INTO mitigation_budget_uses (run_id, step_key, key, runbook_id, mitigation, scope, at, approval_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (run_id, step_key) DO NOTHING`;

export async function insertBudgetUse(
  tx: Queryable,
  p: {
    runId: string;
    stepKey: string;
    key: string;
    runbookId: string;
    mitigation: string;
    scope: string | null;
    at: Date;
    approvalId: string | null;
  },
): Promise<void> {
  await tx.query(insertBudgetUseSql, [
    p.runId,
    p.stepKey,
    p.key,
    p.runbookId,
    p.mitigation,
    p.scope,
    p.at,
    p.approvalId,
  ]);
}

// The fullest scope of one budget in its window, for /metrics (scopes are not labels: unbounded).
// $1 runbook id, $2 mitigation, $3 window start.
const budgetPeakSql = `
SELECT COALESCE(max(n), 0)::int AS used FROM (
  SELECT count(*) AS n FROM mitigation_budget_uses
  WHERE runbook_id = $1 AND mitigation = $2 AND at > $3 GROUP BY key) k`;

export async function budgetPeak(
  db: Queryable,
  p: { runbookId: string; mitigation: string; windowStart: Date },
): Promise<number> {
  const [row] = await db.query(budgetPeakSql, [p.runbookId, p.mitigation, p.windowStart]);
  return Number(row?.used ?? 0);
}
