// The reads the API, the web UI and the CLI show, none on a measured hot path: drizzle's query builder,
// so row types come from src/db/schema.ts and no decoder is written by hand. Only the jsonb columns and
// the status texts are narrowed to the record types. The engine's own reads (a run, its steps, an
// approval: reads.ts) stay hand-written SQL beside the claim and the group commit.
import { and, asc, desc, eq, getTableColumns, gt, type SQL } from 'drizzle-orm';
import type { Queryable } from '../../db/driver.ts';
import { drizzleOf } from '../../db/drizzle.ts';
import { approvals, events, evidence, runs, stepAttempts } from '../../db/schema.ts';
import type {
  ApprovalRecord,
  EventRecord,
  EvidenceRecord,
  RunRecord,
  StepAttemptRecord,
} from '../records.ts';

/** The conditions that are set (a filter left null matches all). */
const where = (...conds: (SQL | null)[]) => and(...conds.filter((c): c is SQL => c !== null));

/** Newest first. */
export async function listRuns(
  db: Queryable,
  p: { status: string | null; runbookId: string | null; incidentId: string | null; limit: number },
): Promise<RunRecord[]> {
  const rows = await drizzleOf(db)
    .select()
    .from(runs)
    .where(
      where(
        p.status === null ? null : eq(runs.status, p.status),
        p.runbookId === null ? null : eq(runs.runbookId, p.runbookId),
        p.incidentId === null ? null : eq(runs.incidentId, p.incidentId),
      ),
    )
    .orderBy(desc(runs.createdAt), asc(runs.id))
    .limit(p.limit);
  return rows.map((r) => ({
    ...r,
    plan: r.plan as RunRecord['plan'],
    status: r.status as RunRecord['status'],
    error: r.error as RunRecord['error'],
  }));
}

const { id: _attemptId, ...attemptColumns } = getTableColumns(stepAttempts);

/** Every finished attempt of the run, in the order they finished. */
export async function getAttempts(db: Queryable, p: { runId: string }): Promise<StepAttemptRecord[]> {
  const rows = await drizzleOf(db)
    .select(attemptColumns)
    .from(stepAttempts)
    .where(eq(stepAttempts.runId, p.runId))
    .orderBy(asc(stepAttempts.id));
  return rows.map((r) => ({ ...r, error: r.error as StepAttemptRecord['error'] }));
}

/** Journal lines after `afterSeq`, oldest first. */
export async function listEvents(
  db: Queryable,
  p: { runId: string | null; incidentId: string | null; afterSeq: number; limit: number },
): Promise<EventRecord[]> {
  return drizzleOf(db)
    .select()
    .from(events)
    .where(
      where(
        p.runId === null ? null : eq(events.runId, p.runId),
        p.incidentId === null ? null : eq(events.incidentId, p.incidentId),
        gt(events.seq, p.afterSeq),
      ),
    )
    .orderBy(asc(events.seq))
    .limit(p.limit);
}

export async function listEvidence(
  db: Queryable,
  p: { runId: string | null; incidentId: string | null },
): Promise<EvidenceRecord[]> {
  const rows = await drizzleOf(db)
    .select()
    .from(evidence)
    .where(
      where(
        p.runId === null ? null : eq(evidence.runId, p.runId),
        p.incidentId === null ? null : eq(evidence.incidentId, p.incidentId),
      ),
    )
    .orderBy(asc(evidence.createdAt), asc(evidence.id));
  return rows.map((r) => ({ ...r, kind: r.kind as EvidenceRecord['kind'] }));
}

/** The titles of one step's evidence, oldest first: what a progress line prints, without the content. */
export async function evidenceTitles(
  db: Queryable,
  p: { runId: string; stepKey: string },
): Promise<string[]> {
  const rows = await drizzleOf(db)
    .select({ title: evidence.title })
    .from(evidence)
    .where(and(eq(evidence.runId, p.runId), eq(evidence.stepKey, p.stepKey)))
    .orderBy(asc(evidence.createdAt), asc(evidence.id));
  return rows.map((r) => r.title);
}

export async function listApprovals(
  db: Queryable,
  p: { status: string | null; runId: string | null },
): Promise<ApprovalRecord[]> {
  const rows = await drizzleOf(db)
    .select()
    .from(approvals)
    .where(
      where(
        p.status === null ? null : eq(approvals.status, p.status),
        p.runId === null ? null : eq(approvals.runId, p.runId),
      ),
    )
    .orderBy(asc(approvals.requestedAt), asc(approvals.id));
  return rows.map((r) => ({
    ...r,
    status: r.status as ApprovalRecord['status'],
    policy: r.policy as ApprovalRecord['policy'],
    decisions: r.decisions as ApprovalRecord['decisions'],
  }));
}
