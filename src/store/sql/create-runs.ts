// Inserts new runs; a run whose idempotency key exists already is not inserted (the caller reads it).
// $1: jsonb array of runs. Queued runs wake any listening worker.
export const createRunsSql = `
WITH t AS (
  SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS t(
    id uuid, runbook_id text, runbook_version text, plan jsonb, status text, input jsonb, dry_run boolean,
    idempotency_key text, concurrency_key text, incident_id uuid, requested_by text, lease_owner text,
    lease_expires_at timestamptz, now timestamptz)
),
ins AS (
  INSERT INTO runs (id, runbook_id, runbook_version, plan, status, input, dry_run, idempotency_key,
    concurrency_key, incident_id, requested_by, lease_owner, lease_expires_at, wake_at, claims, created_at, updated_at)
  SELECT id, runbook_id, runbook_version, plan, status, input, dry_run, idempotency_key, concurrency_key,
    incident_id, requested_by, lease_owner, lease_expires_at, now, CASE WHEN lease_owner IS NULL THEN 0 ELSE 1 END,
    now, now
  FROM t
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id, status, incident_id, created_at
),
ev AS (
  INSERT INTO events (run_id, incident_id, type, data, at)
  SELECT id, incident_id, 'run.created', NULL, created_at FROM ins
),
wake AS (
  SELECT pg_notify('firebreak_wake', 'run') FROM ins WHERE status = 'queued' LIMIT 1
)
SELECT ins.id::text AS id, (SELECT count(*) FROM wake) AS notified FROM ins
`;

/** Reads back the runs that an idempotency key already named. $1: jsonb array of keys. */
export const runsByIdempotencyKeySql = `
SELECT id::text AS id, idempotency_key FROM runs
WHERE idempotency_key = ANY(ARRAY(SELECT jsonb_array_elements_text($1::text::jsonb)))
`;
