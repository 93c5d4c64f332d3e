import type { Queryable } from '../../db/driver.ts';
import { WAKE_CHANNEL } from '../../db/wake-channel.ts';

// Takes the lowest free slot of `limit` for the key. The primary key (key, slot) makes two workers
// racing for the last slot end with exactly one winner, without a lock.
const ACQUIRE_SLOT = `
WITH have AS (SELECT slot FROM concurrency_slots WHERE run_id = $3),
free AS (
  SELECT s AS slot FROM generate_series(0, $2::int - 1) AS s
  WHERE NOT EXISTS (SELECT 1 FROM have)
    AND NOT EXISTS (SELECT 1 FROM concurrency_slots c WHERE c.key = $1 AND c.slot = s)
  ORDER BY s LIMIT 1
),
ins AS (
  INSERT INTO concurrency_slots (key, slot, run_id) SELECT $1, slot, $3 FROM free
  ON CONFLICT DO NOTHING
  RETURNING slot
)
SELECT slot FROM have UNION ALL SELECT slot FROM ins
`;

/** The run's slot (one it held already, or the one it took); none when every slot is taken. */
export async function acquireSlot(
  db: Queryable,
  p: { key: string; limit: number; runId: string },
): Promise<{ slot: number }[]> {
  return db.query(ACQUIRE_SLOT, [p.key, p.limit, p.runId]);
}

// A slot was given up: the runs queued for one of the key's slots are due now. A run of the key still
// trying to take one (running, no slot yet) is moved too, so the park it is about to commit loses the
// wake_at compare (so wake_at must change: see decide-approval.ts) and it tries again at once.
const WAKE_SLOT_WAITERS = `
WITH w AS (
  UPDATE runs r SET wake_at = CASE WHEN r.wake_at = $2 THEN $2 - interval '1 millisecond' ELSE $2 END
  WHERE r.concurrency_key = $1 AND r.status IN ('running', 'waiting')
    AND (r.status = 'running' OR r.wake_at IS NULL OR r.wake_at > $2)
    AND NOT EXISTS (SELECT 1 FROM concurrency_slots c WHERE c.run_id = r.id)
  RETURNING r.id
),
n AS (SELECT pg_notify('${WAKE_CHANNEL}', 'slot') FROM w LIMIT 1)
SELECT w.id::text AS id, (SELECT count(*) FROM n) AS notified FROM w
`;

export async function wakeSlotWaiters(
  db: Queryable,
  p: { key: string; now: Date },
): Promise<{ id: string }[]> {
  return db.query(WAKE_SLOT_WAITERS, [p.key, p.now]);
}
