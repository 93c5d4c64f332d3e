// The store's reads of runs, steps, attempts, the journal, evidence and approvals. Rows come back as the
// database gives them; rows.ts turns them into records.
import type { Queryable, Row } from '../../db/driver.ts';

const RUN = 'select * from runs where id = $1';

export async function getRun(db: Queryable, p: { id: string }): Promise<Row | undefined> {
  const [row] = await db.query(RUN, [p.id]);
  return row;
}

const RUNS = `select * from runs where ($1::text is null or status = $1) and ($2::text is null or runbook_id = $2)
       and ($3::uuid is null or incident_id = $3) order by created_at desc, id limit $4`;

/** Newest first; a filter left null matches all. */
export async function listRuns(
  db: Queryable,
  p: { status: string | null; runbookId: string | null; incidentId: string | null; limit: number },
): Promise<Row[]> {
  return db.query(RUNS, [p.status, p.runbookId, p.incidentId, p.limit]);
}

const STEPS = 'select * from steps where run_id = $1 order by started_at nulls last, step_key';

export async function getSteps(db: Queryable, p: { runId: string }): Promise<Row[]> {
  return db.query(STEPS, [p.runId]);
}

const ATTEMPTS = 'select * from step_attempts where run_id = $1 order by id';

export async function getAttempts(db: Queryable, p: { runId: string }): Promise<Row[]> {
  return db.query(ATTEMPTS, [p.runId]);
}

const EVENTS = `select * from events where ($1::uuid is null or run_id = $1) and ($2::uuid is null or incident_id = $2)
       and seq > $3 order by seq limit $4`;

/** Journal lines after `afterSeq`, oldest first. */
export async function listEvents(
  db: Queryable,
  p: { runId: string | null; incidentId: string | null; afterSeq: number; limit: number },
): Promise<Row[]> {
  return db.query(EVENTS, [p.runId, p.incidentId, p.afterSeq, p.limit]);
}

const EVIDENCE = `select * from evidence where ($1::uuid is null or run_id = $1) and ($2::uuid is null or incident_id = $2)
       order by created_at, id`;

export async function listEvidence(
  db: Queryable,
  p: { runId: string | null; incidentId: string | null },
): Promise<Row[]> {
  return db.query(EVIDENCE, [p.runId, p.incidentId]);
}

const APPROVAL = 'select * from approvals where id = $1';

export async function getApproval(db: Queryable, p: { id: string }): Promise<Row | undefined> {
  const [row] = await db.query(APPROVAL, [p.id]);
  return row;
}

const APPROVALS = `select * from approvals where ($1::text is null or status = $1) and ($2::uuid is null or run_id = $2)
       order by requested_at, id`;

export async function listApprovals(
  db: Queryable,
  p: { status: string | null; runId: string | null },
): Promise<Row[]> {
  return db.query(APPROVALS, [p.status, p.runId]);
}
