// The reads behind /readyz and the database gauges of /metrics. Database-wide: every process reports the
// same values.

import type { Db } from './database.ts';
import { budgetPeak as budgetPeakSince } from './sql/mitigation-budget.ts';

/** Throws when the database does not answer. */
export async function ping(db: Db): Promise<void> {
  await db.query('select 1');
}

/** Approval gates waiting for a decision. */
export async function pendingApprovalCount(db: Db): Promise<number> {
  const [row] = await db.query<{ pending: number }>(
    `select count(*)::int as pending from approvals where status = 'pending'`,
  );
  return Number(row?.pending ?? 0);
}

/**
 * Seconds since the oldest finished run retention has not reached yet finished (0 when none); served
 * by runs_prunable_idx.
 */
export async function oldestHistoryAge(db: Db): Promise<number> {
  const [row] = await db.query<{ age: number | null }>(
    `select extract(epoch from now() - min(finished_at))::float8 as age from runs
  where finished_at is not null and history_pruned_at is null`,
  );
  return Number(row?.age ?? 0);
}

/** The most uses of one mitigation's budget in any one scope since `since`. */
export function budgetPeak(
  db: Db,
  p: { runbookId: string; mitigation: string; since: Date },
): Promise<number> {
  return budgetPeakSince(db, { runbookId: p.runbookId, mitigation: p.mitigation, windowStart: p.since });
}
