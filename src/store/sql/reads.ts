// The engine's own reads: a run, its steps, an approval (on its path: the claim loop, Slack and the
// write-back after each event). Rows come back as the database gives them; rows.ts turns them into
// records. What the edges list (runs, attempts, the journal, evidence, approvals) is in history.ts.
import type { Queryable, Row } from '../../db/driver.ts';

const RUN = 'select * from runs where id = $1';

export async function getRun(db: Queryable, p: { id: string }): Promise<Row | undefined> {
  const [row] = await db.query(RUN, [p.id]);
  return row;
}

const STEPS = 'select * from steps where run_id = $1 order by started_at nulls last, step_key';

export async function getSteps(db: Queryable, p: { runId: string }): Promise<Row[]> {
  return db.query(STEPS, [p.runId]);
}

const APPROVAL = 'select * from approvals where id = $1';

export async function getApproval(db: Queryable, p: { id: string }): Promise<Row | undefined> {
  const [row] = await db.query(APPROVAL, [p.id]);
  return row;
}
