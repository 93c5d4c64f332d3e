// Statements that move a fired drill on: inject, detection, rollback, and the snapshot it is scored from.

export const INJECT_SQL = `
WITH f AS (
  UPDATE gameday_fires SET inject_status = $2, injected_at = $3, inject_error = $4::text::jsonb,
    detect_deadline = $5
  WHERE id = $1 AND inject_status = 'pending'
  RETURNING incident_id
)
INSERT INTO events (run_id, incident_id, type, data, at)
SELECT NULL, f.incident_id, $6, $7::text::jsonb, $3 FROM f
RETURNING 1
`;

// The replica that fired a drill stopped before it reported the inject: it is never retried (a fault
// injected twice is worse than one not injected), the drill scores it as lost.
export const LOST_INJECT_SQL = `
WITH f AS (
  UPDATE gameday_fires SET inject_status = 'lost'
  WHERE outcome = 'fired' AND scored_at IS NULL AND inject_status = 'pending' AND recorded_at < $1
  RETURNING id, incident_id
)
INSERT INTO events (run_id, incident_id, type, data, at)
SELECT NULL, f.incident_id, 'gameday.inject_lost', jsonb_build_object('fireId', f.id), $2 FROM f
RETURNING 1
`;

export const ALERTS_AFTER_SQL = `
SELECT seq, incident_id, data, at FROM events
WHERE seq > $1 AND type = 'alert.firing' AND at >= $2 AND at <= $3
ORDER BY seq
LIMIT 1000
`;

export const DETECTED_SQL = `
WITH f AS (
  UPDATE gameday_fires SET detected_at = $2, detected_alert = $3::text::jsonb
  WHERE id = $1 AND detected_at IS NULL
  RETURNING id, incident_id
),
drill AS (
  INSERT INTO events (run_id, incident_id, type, data, at)
  SELECT NULL, f.incident_id, 'gameday.detected', $4::text::jsonb, $5 FROM f
  RETURNING 1
),
-- The incident the alert opened learns that a drill injected its fault.
real AS (
  INSERT INTO events (run_id, incident_id, type, data, at)
  SELECT NULL, $6::uuid, 'gameday.fault_detected', jsonb_build_object('fireId', f.id, 'drillIncidentId', f.incident_id),
    $5
  FROM f WHERE $6::uuid IS NOT NULL
  RETURNING 1
)
SELECT (SELECT count(*) FROM f)::int AS recorded, (SELECT count(*) FROM drill)::int
  + (SELECT count(*) FROM real)::int AS written
`;

// A live drill's run that succeeded is made to compensate, as a crash during compensation would resume:
// the saga reverts every applied mitigation as durable, retried steps, and the run ends compensated.
export const ROLLBACK_SQL = `
WITH r AS (
  UPDATE runs SET status = 'compensating', error = $2::text::jsonb, wake_at = $3, finished_at = NULL,
    lease_owner = NULL, lease_expires_at = NULL, updated_at = $3
  WHERE id = $1 AND status = 'succeeded' AND EXISTS (
    SELECT 1 FROM steps s WHERE s.run_id = $1 AND s.kind = 'mitigation' AND s.applied_seq IS NOT NULL
      AND s.status NOT IN ('reverted', 'revert_failed'))
  RETURNING id, incident_id
),
ev AS (
  INSERT INTO events (run_id, incident_id, type, data, at)
  SELECT r.id, r.incident_id, 'run.compensating', jsonb_build_object('reason', 'gameday rollback', 'error',
    $2::text::jsonb), $3
  FROM r
  RETURNING 1
),
f AS (UPDATE gameday_fires SET rollback_requested_at = $3 WHERE id = $4 AND rollback_requested_at IS NULL RETURNING 1)
SELECT (SELECT count(*) FROM r)::int AS reopened, (SELECT count(*) FROM f)::int AS marked,
  (SELECT count(*) FROM ev)::int AS written
`;

// One statement, so the run, its steps and its gates come from one snapshot (a rollback finishing between
// two reads would otherwise show a compensated run with mitigations still applied).
export const SNAPSHOT_SQL = `
SELECT (SELECT row_to_json(r) FROM runs r WHERE r.id = $1) AS run,
  (SELECT COALESCE(json_agg(s), '[]'::json) FROM steps s WHERE s.run_id = $1) AS steps,
  (SELECT COALESCE(json_agg(a), '[]'::json) FROM approvals a WHERE a.run_id = $1) AS approvals
`;
