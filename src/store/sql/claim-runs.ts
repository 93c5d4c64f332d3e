// Claims runs that are due and not leased (or whose lease expired: the worker died), oldest due first.
// SKIP LOCKED lets many workers claim at once without waiting on each other.
// $1 owner, $2 now, $3 lease expiry, $4 limit.
export const claimRunsSql = claimSql('');

/**
 * The same claim among the given runs only ($5: a JSON array of run ids): `firebreak run --local`
 * executes the runs it started and never one it did not.
 */
export const claimRunsAmongSql = claimSql(
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

/** Extends the leases of the runs this worker holds; returns those it still holds, with cancel flags. */
export const heartbeatSql = `
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

/** Gives back leases on shutdown so another worker can continue at once. */
export const releaseRunsSql = `
UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL, wake_at = LEAST(COALESCE(wake_at, $2), $2)
WHERE id IN (
  SELECT id FROM runs WHERE lease_owner = $1 AND status IN ('running', 'compensating') ORDER BY id FOR UPDATE
)
RETURNING id::text AS id
`;
