import type { Queryable, Row } from '../../db/driver.ts';

// Claims runs that are due and not leased (or whose lease expired: the worker died), oldest due first.
// SKIP LOCKED lets many workers claim at once without waiting on each other.
// $1 owner, $2 now, $3 lease expiry, $4 limit.
const CLAIM_RUNS = claimSql('');

/**
 * The same claim among the given runs only ($5: a JSON array of run ids): `firebreak run --local`
 * executes the runs it started and never one it did not.
 */
const CLAIM_RUNS_AMONG = claimSql(
  'AND id = ANY(ARRAY(SELECT jsonb_array_elements_text($5::text::jsonb)::uuid))',
);

function claimSql(among: string): string {
  return `
WITH c AS (
  SELECT id, lease_owner AS prev_owner FROM runs
  WHERE status IN ('queued', 'running', 'waiting', 'compensating')
    AND wake_at <= $2
    AND (lease_expires_at IS NULL OR lease_expires_at < $2)
    ${among}
  ORDER BY wake_at
  LIMIT $4
  FOR UPDATE SKIP LOCKED
)
UPDATE runs r SET lease_owner = $1, lease_expires_at = $3, claims = r.claims + 1, updated_at = $2,
  status = CASE WHEN r.status IN ('queued', 'waiting') THEN 'running' ELSE r.status END
FROM c WHERE r.id = c.id
RETURNING r.*, c.prev_owner
`;
}

/** Each claimed run's row (rows.ts reads it), with `prev_owner`: who held it before. */
export async function claimRuns(
  db: Queryable,
  p: { owner: string; now: Date; leaseExpiresAt: Date; limit: number; among?: readonly string[] | undefined },
): Promise<Row[]> {
  const params = [p.owner, p.now, p.leaseExpiresAt, p.limit];
  return p.among
    ? db.query(CLAIM_RUNS_AMONG, [...params, JSON.stringify(p.among)])
    : db.query(CLAIM_RUNS, params);
}

// One read of the checkpoints of every claimed run, not one per run: a takeover of many runs is fast.
const STEPS_OF_RUNS = `select * from steps where run_id = any(array(select jsonb_array_elements_text($1::text::jsonb)::uuid))
       order by started_at nulls last, step_key`;

/** The step rows of the runs, in the order a run's steps are read. */
export async function stepsOfRuns(db: Queryable, p: { runIds: readonly string[] }): Promise<Row[]> {
  return db.query(STEPS_OF_RUNS, [JSON.stringify(p.runIds)]);
}

/** Extends the leases of the runs this worker holds; returns those it still holds, with cancel flags. */
const HEARTBEAT = `
UPDATE runs SET lease_expires_at = $3
WHERE id IN (
  -- Lock in id order, as the group commit does, so the two never deadlock.
  SELECT id FROM runs
  WHERE lease_owner = $1 AND id = ANY(ARRAY(SELECT jsonb_array_elements_text($2::text::jsonb)::uuid))
  ORDER BY id
  FOR UPDATE
)
RETURNING id::text AS id, cancel_requested
`;

export async function heartbeat(
  db: Queryable,
  p: { owner: string; runIds: readonly string[]; leaseExpiresAt: Date },
): Promise<{ id: string; cancel_requested: unknown }[]> {
  return db.query(HEARTBEAT, [p.owner, JSON.stringify(p.runIds), p.leaseExpiresAt]);
}

/** Gives back leases on shutdown so another worker can continue at once. */
const RELEASE_RUNS = `
UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL, wake_at = LEAST(COALESCE(wake_at, $2), $2)
WHERE id IN (
  SELECT id FROM runs WHERE lease_owner = $1 AND status IN ('running', 'compensating') ORDER BY id FOR UPDATE
)
RETURNING id::text AS id
`;

export async function releaseRuns(db: Queryable, p: { owner: string; now: Date }): Promise<{ id: string }[]> {
  return db.query(RELEASE_RUNS, [p.owner, p.now]);
}
