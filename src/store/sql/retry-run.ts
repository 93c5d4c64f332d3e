import type { RunStatus } from '../../core/status.ts';
import type { Queryable } from '../../db/driver.ts';
import { WAKE_CHANNEL } from '../../db/wake-channel.ts';

// Resumes a failed or compensated run from its first failed step: committed outputs stay, the steps
// that failed, were refused or reverted go back to pending, and the run is queued again.
const RETRY_RUN = `
WITH r AS (SELECT id, status FROM runs WHERE id = $1 FOR UPDATE),
ok AS (SELECT id FROM r WHERE status IN ('failed', 'compensated')),
del AS (
  DELETE FROM steps WHERE run_id IN (SELECT id FROM ok) AND status NOT IN ('succeeded', 'skipped')
  RETURNING step_key
),
u AS (
  UPDATE runs SET status = 'queued', error = NULL, output = NULL, finished_at = NULL, wake_at = $2,
    lease_owner = NULL, lease_expires_at = NULL, cancel_requested = false, keep_mitigations = false, updated_at = $2
  WHERE id IN (SELECT id FROM ok)
  RETURNING id, incident_id
),
ev AS (
  INSERT INTO events (run_id, incident_id, type, data, at)
  SELECT u.id, u.incident_id, 'run.retried',
    jsonb_build_object('reset', (SELECT COALESCE(jsonb_agg(step_key), '[]'::jsonb) FROM del)), $2
  FROM u
  RETURNING 1
),
n AS (SELECT pg_notify('${WAKE_CHANNEL}', 'run') FROM u)
SELECT (SELECT status FROM r) AS previous, (SELECT count(*) FROM u)::int AS retried,
  (SELECT count(*) FROM ev)::int + (SELECT count(*) FROM n)::int AS written
`;

/** The run's status before (null: no such run) and whether it was queued again. */
export async function retryRun(
  db: Queryable,
  p: { runId: string; now: Date },
): Promise<{ previous: RunStatus | null; retried: boolean }> {
  const [row] = await db.query(RETRY_RUN, [p.runId, p.now]);
  return { previous: (row?.previous ?? null) as RunStatus | null, retried: Number(row?.retried ?? 0) > 0 };
}
