import type { Queryable, Row, Statement } from '../../db/driver.ts';
import { WAKE_CHANNEL } from '../../db/wake-channel.ts';
import type { NewRun } from '../store.ts';

// Inserts new runs; a run whose idempotency key exists already is not inserted (the caller reads it).
// $1: jsonb array of runs. Queued runs wake any listening worker.
const CREATE_RUNS = `
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
  SELECT pg_notify('${WAKE_CHANNEL}', 'run') FROM ins WHERE status = 'queued' LIMIT 1
)
SELECT ins.id::text AS id, (SELECT count(*) FROM wake) AS notified FROM ins
`;

/** A new run as a row of CREATE_RUNS's $1. */
export function newRunRow(r: NewRun) {
  return {
    id: r.id,
    runbook_id: r.runbookId,
    runbook_version: r.runbookVersion,
    plan: r.plan,
    status: r.leaseOwner ? 'running' : 'queued',
    input: r.input ?? null,
    dry_run: r.dryRun,
    idempotency_key: r.idempotencyKey,
    concurrency_key: r.concurrencyKey,
    incident_id: r.incidentId,
    requested_by: r.requestedBy,
    lease_owner: r.leaseOwner,
    lease_expires_at: r.leaseExpiresAt?.toISOString() ?? null,
    now: r.now.toISOString(),
  };
}

/**
 * The insert, for the group commit's batch. `rows`: newRunRow of each run, as JSON text (redacted).
 * Its rows: `id` of each run inserted.
 */
export function createRunsStatement(p: { rows: string }): Statement {
  return { text: CREATE_RUNS, params: [p.rows] };
}

export async function createRuns(db: Queryable, p: { rows: string }): Promise<Row[]> {
  const s = createRunsStatement(p);
  return db.query(s.text, s.params);
}

/** Reads back the runs that an idempotency key already named. */
const RUNS_BY_IDEMPOTENCY_KEY = `
SELECT id::text AS id, idempotency_key FROM runs
WHERE idempotency_key = ANY(ARRAY(SELECT jsonb_array_elements_text($1::text::jsonb)))
`;

export async function runsByIdempotencyKey(
  db: Queryable,
  p: { keys: readonly string[] },
): Promise<{ id: string; idempotency_key: string }[]> {
  return db.query(RUNS_BY_IDEMPOTENCY_KEY, [JSON.stringify(p.keys)]);
}
