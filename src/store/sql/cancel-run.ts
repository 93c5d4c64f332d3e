import type { RunStatus } from '../../core/status.ts';
import type { Queryable } from '../../db/driver.ts';
import { WAKE_CHANNEL } from '../../db/wake-channel.ts';

// Asks a run to stop. The run is made due now so a worker picks it up and compensates (a park racing
// this is defeated by the wake_at compare, so wake_at must change: see decide-approval.ts); a running one
// is told through the wake channel and heartbeat.
const CANCEL_RUN = `
WITH u AS (
  UPDATE runs SET cancel_requested = true, keep_mitigations = $2, updated_at = $3,
    wake_at = CASE WHEN wake_at = $3 THEN $3 - interval '1 millisecond' ELSE $3 END
  WHERE id = $1 AND status IN ('queued', 'running', 'waiting', 'compensating')
  RETURNING id, status
),
n AS (SELECT pg_notify('${WAKE_CHANNEL}', 'cancel:' || id::text) FROM u)
SELECT id::text AS id, status, (SELECT count(*) FROM n) AS notified FROM u
`;

/** The run's status when the request was recorded; none when the run is not active (or not there). */
export async function cancelRun(
  db: Queryable,
  p: { runId: string; keepMitigations: boolean; now: Date },
): Promise<{ id: string; status: RunStatus; notified: unknown }[]> {
  return db.query(CANCEL_RUN, [p.runId, p.keepMitigations, p.now]);
}
