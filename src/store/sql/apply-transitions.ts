// The group commit: the step, attempt, journal, evidence, approval and run writes of many runs in one
// call and so one commit. The work is the function firebreak_apply_transitions
// (src/db/functions/firebreak_apply_transitions.sql), whose plans PostgreSQL caches per connection.
import type { Queryable, Row, Statement } from '../../db/driver.ts';

const APPLY_TRANSITIONS =
  'SELECT run_id AS id, commit_id FROM firebreak_apply_transitions($1, $2::text::jsonb, $3)';

export interface ApplyTransitionsParams {
  owner: string;
  /** The payload of transition-payload.ts as JSON text (redacted). */
  payload: string;
  /** ISO time. */
  now: string;
}

/**
 * (id, null) for each run whose lease held, (id, commit_id) for each commit that had landed before.
 * Uuids come back as strings.
 */
export interface AppliedRow extends Row {
  id: unknown;
  commit_id: unknown;
}

/** The statement on its own, for the group commit's batch (one transaction, pipelined on PostgreSQL). */
export function applyTransitionsStatement(p: ApplyTransitionsParams): Statement {
  return { text: APPLY_TRANSITIONS, params: [p.owner, p.payload, p.now] };
}

export async function applyTransitions(db: Queryable, p: ApplyTransitionsParams): Promise<AppliedRow[]> {
  const s = applyTransitionsStatement(p);
  return db.query<AppliedRow>(s.text, s.params);
}
