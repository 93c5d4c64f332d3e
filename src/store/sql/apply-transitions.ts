// The group commit: the step, attempt, journal, evidence, approval and run writes of many runs in one
// statement and so one commit. Only runs still leased by $1 are written (fencing: a worker that lost
// its lease cannot overwrite the new owner's work); the statement returns the ids it did write.
// A run is fenced by owner and claim epoch, so even the same worker's stale executor is refused after
// it re-claimed the run. $1 owner, $2 jsonb { leases: [{id, epoch}], steps, attempts, events, evidence,
// approvals, runs, terminal }, $3 now.
export const applyTransitionsSql = `
WITH p AS (SELECT $2::text::jsonb AS j),
owned AS (
  SELECT r.id FROM runs r
  JOIN (SELECT l.id, l.epoch FROM p, jsonb_to_recordset(p.j->'leases') AS l(id uuid, epoch int)) l
    ON l.id = r.id AND l.epoch = r.claims
  WHERE r.lease_owner = $1
  ORDER BY r.id
  FOR UPDATE OF r
),
s AS (
  INSERT INTO steps AS st (run_id, step_key, kind, status, attempt, output, error, state, applied_seq,
    idempotency_key, started_at, finished_at)
  SELECT t.run_id, t.step_key, t.kind, t.status, t.attempt, t.output, t.error, t.state,
    CASE WHEN t.applied THEN nextval('mitigation_applied_seq') END, t.idempotency_key, t.started_at, t.finished_at
  FROM p, jsonb_to_recordset(p.j->'steps') AS t(run_id uuid, step_key text, kind text, status text,
    attempt int, output jsonb, error jsonb, state jsonb, applied boolean, idempotency_key text,
    started_at timestamptz, finished_at timestamptz)
  WHERE t.run_id IN (SELECT id FROM owned)
  ON CONFLICT (run_id, step_key) DO UPDATE SET
    status = EXCLUDED.status, attempt = EXCLUDED.attempt, output = EXCLUDED.output, error = EXCLUDED.error,
    state = EXCLUDED.state, applied_seq = COALESCE(st.applied_seq, EXCLUDED.applied_seq),
    started_at = COALESCE(EXCLUDED.started_at, st.started_at), finished_at = EXCLUDED.finished_at
  -- A committed step is never overwritten, except by its own revert.
  WHERE st.status <> 'succeeded' OR EXCLUDED.status IN ('reverted', 'revert_failed')
  RETURNING 1
),
a AS (
  INSERT INTO step_attempts (run_id, step_key, attempt, phase, status, error, started_at, finished_at)
  SELECT t.run_id, t.step_key, t.attempt, t.phase, t.status, t.error, t.started_at, t.finished_at
  FROM p, jsonb_to_recordset(p.j->'attempts') AS t(run_id uuid, step_key text, attempt int, phase text,
    status text, error jsonb, started_at timestamptz, finished_at timestamptz)
  WHERE t.run_id IN (SELECT id FROM owned)
  RETURNING 1
),
e AS (
  INSERT INTO events (run_id, incident_id, step_key, type, data, at)
  SELECT t.run_id, t.incident_id, t.step_key, t.type, t.data, t.at
  FROM p, jsonb_to_recordset(p.j->'events') AS t(run_id uuid, incident_id uuid, step_key text, type text,
    data jsonb, at timestamptz, ord int)
  WHERE t.run_id IN (SELECT id FROM owned)
  ORDER BY t.ord
  RETURNING 1
),
ev AS (
  INSERT INTO evidence (id, run_id, incident_id, step_key, attempt, kind, title, content, content_hash, created_at)
  SELECT t.id, t.run_id, t.incident_id, t.step_key, t.attempt, t.kind, t.title, t.content, t.content_hash,
    t.created_at
  FROM p, jsonb_to_recordset(p.j->'evidence') AS t(id uuid, run_id uuid, incident_id uuid, step_key text,
    attempt int, kind text, title text, content jsonb, content_hash text, created_at timestamptz)
  WHERE t.run_id IN (SELECT id FROM owned)
  ON CONFLICT (id) DO NOTHING
  RETURNING 1
),
ap AS (
  INSERT INTO approvals (id, run_id, step_key, status, policy, requested_by, requested_at, expires_at)
  SELECT t.id, t.run_id, t.step_key, 'pending', t.policy, t.requested_by, t.requested_at, t.expires_at
  FROM p, jsonb_to_recordset(p.j->'approvals') AS t(id uuid, run_id uuid, step_key text, policy jsonb,
    requested_by text, requested_at timestamptz, expires_at timestamptz)
  WHERE t.run_id IN (SELECT id FROM owned)
  ON CONFLICT (run_id, step_key) DO NOTHING
  RETURNING 1
),
u AS (
  UPDATE runs r SET
    status = COALESCE(t.status, r.status),
    output = CASE WHEN t.set_output THEN t.output ELSE r.output END,
    error = CASE WHEN t.set_error THEN t.error ELSE r.error END,
    -- Parking compares wake_at with what the executor saw: a decision or cancel that moved it meanwhile
    -- wins, and the run stays due.
    wake_at = CASE WHEN t.set_wake AND (t.expect_wake IS NULL OR r.wake_at IS NOT DISTINCT FROM t.expect_wake)
      THEN t.wake_at ELSE r.wake_at END,
    lease_owner = CASE WHEN t.release THEN NULL ELSE r.lease_owner END,
    lease_expires_at = CASE WHEN t.release THEN NULL ELSE r.lease_expires_at END,
    runbook_version = COALESCE(t.runbook_version, r.runbook_version),
    finished_at = COALESCE(t.finished_at, r.finished_at),
    updated_at = $3
  FROM p, jsonb_to_recordset(p.j->'runs') AS t(id uuid, status text, output jsonb, set_output boolean,
    error jsonb, set_error boolean, wake_at timestamptz, set_wake boolean, expect_wake timestamptz, release boolean,
    runbook_version text, finished_at timestamptz)
  WHERE r.id = t.id AND r.id IN (SELECT id FROM owned)
  RETURNING r.id
),
slots AS (
  DELETE FROM concurrency_slots
  WHERE run_id IN (SELECT jsonb_array_elements_text(j->'terminal')::uuid FROM p)
    AND run_id IN (SELECT id FROM owned)
  RETURNING key
),
wake AS (
  SELECT pg_notify('firebreak_wake', 'slot') FROM slots LIMIT 1
)
SELECT id::text AS id, (SELECT count(*) FROM s) + (SELECT count(*) FROM a) + (SELECT count(*) FROM e)
  + (SELECT count(*) FROM ev) + (SELECT count(*) FROM ap) + (SELECT count(*) FROM u)
  + (SELECT count(*) FROM wake) AS written
FROM owned
`;
