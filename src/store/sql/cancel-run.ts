// Asks a run to stop. The run is made due now so a worker picks it up and compensates (a park racing
// this is defeated by the wake_at compare, so wake_at must change: see decide-approval.ts); a running one
// is told through the wake channel and heartbeat.
// $1 run id, $2 keep mitigations, $3 now.
export const cancelRunSql = `
WITH u AS (
  UPDATE runs SET cancel_requested = true, keep_mitigations = $2, updated_at = $3,
    wake_at = CASE WHEN wake_at = $3 THEN $3 - interval '1 millisecond' ELSE $3 END
  WHERE id = $1 AND status IN ('queued', 'running', 'waiting', 'compensating')
  RETURNING id, status
),
n AS (SELECT pg_notify('firebreak_wake', 'cancel:' || id::text) FROM u)
SELECT id::text AS id, status, (SELECT count(*) FROM n) AS notified FROM u
`;
